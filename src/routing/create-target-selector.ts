/** How a model's targets share its requests. */
export type RoutingStrategy = 'fallback' | 'weighted' | 'round-robin' | 'least-busy';

/** One place a model's requests may go, with its share of them. */
export interface WeightedTarget {
  key: string;
  weight: number;
}

/** Decides, per request, the order in which to try a model's targets. */
export interface TargetSelector<Target extends WeightedTarget> {
  /** Every target once, the one to try first at the front; the rest are fallbacks, in order. */
  order(inFlight: (key: string) => number, random?: () => number): Target[];
}

/** Draws the targets one by one without replacement, each in proportion to its weight. */
function drawByWeight<Target extends WeightedTarget>(targets: readonly Target[], random: () => number) {
  const remaining = [...targets];
  const drawn: Target[] = [];
  for (;;) {
    const total = remaining.reduce((sum, target) => sum + target.weight, 0);
    if (total <= 0) break;
    let point = random() * total;
    // A point that float rounding pushes past the last weight lands on the last weighted target.
    let index = remaining.findIndex((target) => {
      point -= target.weight;
      return point < 0;
    });
    if (index === -1) index = remaining.findLastIndex((target) => target.weight > 0);
    const [target] = remaining.splice(index, 1);
    drawn.push(target!);
  }
  // Weight-0 targets are never drawn, but still serve as the last fallbacks.
  return [...drawn, ...remaining];
}

/**
 * Builds the selector for one model's targets. `round-robin` is nginx's smooth weighted
 * round-robin, so its state lives in the selector: keep one selector per model.
 */
export function createTargetSelector<Target extends WeightedTarget>(
  strategy: RoutingStrategy,
  targets: readonly Target[],
): TargetSelector<Target> {
  const current = targets.map(() => 0);
  const totalWeight = targets.reduce((sum, target) => sum + target.weight, 0);

  const nextInTurn = () => {
    let best = 0;
    targets.forEach((target, index) => {
      current[index]! += target.weight;
      if (current[index]! > current[best]!) best = index;
    });
    current[best]! -= totalWeight;
    return best;
  };

  return {
    order(inFlight, random = Math.random) {
      switch (strategy) {
        case 'fallback':
          return [...targets];
        case 'weighted':
          return drawByWeight(targets, random);
        case 'round-robin': {
          const first = nextInTurn();
          return [targets[first]!, ...targets.filter((_, index) => index !== first)];
        }
        case 'least-busy': {
          // Sort is stable, so equally busy targets keep their config order.
          const load = new Map(targets.map((target) => [target.key, inFlight(target.key)]));
          return [...targets].sort((a, b) => load.get(a.key)! - load.get(b.key)!);
        }
      }
    },
  };
}
