import type { Identity } from '../auth/identity.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { quoteClientValue } from '../log/quote-client-value.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { ReportedUsage } from '../spec/gateway-event.ts';
import type { OutputPart } from '../spec/stream-part.ts';
import type { TokenPrice, UsageStore, WindowRemaining } from '../store/usage-store.ts';
import { countMessageTokens, countTextTokens } from '../usage/count-tokens.ts';
import type { RateLimiters } from './create-rate-limiters.ts';
import { windowLimitsOf } from './plan-limits.ts';
import type { Plan, Price, QuotaSettings } from './plan-schema.ts';
import { toQuotaState } from './wire-quota-state.ts';

/** What the quota step needs from config (re-read per request, so a reload applies to new requests). */
export interface QuotaPolicy {
  plans: Record<string, Plan>;
  pricing: Record<string, Price>;
  settings: QuotaSettings;
}

/** How a request ended, for the ledger. */
export interface RequestEnd {
  usage: ReportedUsage;
  outcome: string;
  cached?: boolean;
  ttftMs?: number;
  durationMs: number;
}

/** A request admitted past the quota step: what it may use, and how it pays. */
export interface Admission {
  /**
   * The `max_tokens` to send upstream: what the client asked, capped by the plan and, on a plan with
   * token or money limits, by the allowance (set even when the client gave none). Absent when
   * nothing bounds the reply.
   */
  maxTokens: number | undefined;
  /** True when the allowance (not the client or plan) set `maxTokens`: a `length` finish is then `quota`. */
  limitedByQuota: boolean;
  /** Parameters changed on the way, for the log and the `start` event. */
  warnings: string[];
  /** Counts an output part; false when it goes past `maxTokens` (an upstream that ignored it). */
  meter(part: OutputPart): boolean;
  /** Books the true usage, frees the stream slot and returns the protocol's `quota` state. Idempotent. */
  settle(end: RequestEnd): Promise<Record<string, number>>;
  /** The dollar cost of a usage at the answering target's prices, when its model is priced. */
  costOf(usage: ReportedUsage): number | undefined;
  /** Records which target answered: its price and names go to the ledger. */
  bindTarget(target: UpstreamTarget): void;
}

/** A provider and upstream model a request may be sent to. */
export interface UpstreamTarget {
  provider: string;
  model: string;
}

export interface AdmitInput {
  identity: Identity;
  request: ChatRequest;
  requestId: string;
  /** Every target the route may use: the reservation is priced at the dearest. */
  candidates: readonly UpstreamTarget[];
}

/** The request's input tokens by Sluice's own count: its messages and its tool definitions. */
function countInputTokens(request: ChatRequest): number {
  const toolTokens = request.tools ? countTextTokens(JSON.stringify(request.tools)) : 0;
  return countMessageTokens(request.messages) + toolTokens;
}

const allowanceWords = { minute: 'per-minute', day: 'daily', month: 'monthly' } as const;

const perToken = (price: Price | undefined): TokenPrice | undefined =>
  price && { input: price.input_per_million / 1e6, output: price.output_per_million / 1e6 };

/** The price of an upstream model; own entries only, so a model named like `constructor` is unpriced. */
const priceOf = (pricing: Record<string, Price>, model: string): TokenPrice | undefined =>
  Object.hasOwn(pricing, model) ? perToken(pricing[model]) : undefined;

/** The highest input and output prices among the candidates; undefined when any is unpriced. */
function dearestPrice(
  pricing: Record<string, Price>,
  candidates: readonly UpstreamTarget[],
): { price: TokenPrice | undefined; missing?: string } {
  let dearest: TokenPrice = { input: 0, output: 0 };
  for (const candidate of candidates) {
    const price = priceOf(pricing, candidate.model);
    if (!price) return { price: undefined, missing: candidate.model };
    dearest = { input: Math.max(dearest.input, price.input), output: Math.max(dearest.output, price.output) };
  }
  return { price: dearest };
}

/**
 * The quota step: plan checks (model allowed, requests per minute, concurrent streams), then an
 * atomic reservation of the request's worst case in the usage store, metering while it streams, and
 * settlement to its true usage at the end.
 */
export function createQuotaGuard(store: UsageStore, limiters: RateLimiters, policy: () => QuotaPolicy) {
  function planOf(identity: Identity): Plan {
    const { plans } = policy();
    // Own plans only: a token's plan claim `constructor` must not find Object's and pass as unlimited.
    if (Object.hasOwn(plans, identity.plan)) return plans[identity.plan]!;
    // Admins (always on plan `admin`) are unlimited unless a plan of that name says otherwise.
    if (identity.admin) return {};
    throw new GatewayError('forbidden', `unknown plan "${identity.plan}"`);
  }

  return {
    /** The identity's plan; throws `forbidden` for a plan the config does not define. */
    planOf,

    /** Admits a request or throws `forbidden`, `rate_limited` or `quota_exceeded`. */
    async admit({ identity, request, requestId, candidates }: AdmitInput): Promise<Admission> {
      const { settings, pricing } = policy();
      const plan = planOf(identity);
      const facts = {
        requestId,
        time: Date.now(),
        user: identity.user,
        plan: identity.plan,
        model: request.model,
        provider: candidates.length === 1 ? candidates[0]?.provider : undefined,
        upstreamModel: candidates.length === 1 ? candidates[0]?.model : undefined,
      };
      const refuse = async (error: GatewayError): Promise<never> => {
        await store.recordRefusal(facts, error.code);
        throw error;
      };
      if (plan.models && !plan.models.includes(request.model)) {
        return refuse(
          new GatewayError(
            'forbidden',
            `model ${quoteClientValue(request.model)} is not in plan "${identity.plan}"`,
          ),
        );
      }
      const limits = windowLimitsOf(plan);
      const priced = dearestPrice(pricing, candidates);
      if (priced.missing !== undefined && limits.some((limit) => limit.usd !== undefined)) {
        return refuse(
          new GatewayError(
            'forbidden',
            `upstream model "${priced.missing}" has no price, and plan "${identity.plan}" limits spend`,
          ),
        );
      }
      const price = priced.price;
      try {
        await limiters.countRequest(identity.plan, plan, identity.user);
      } catch (error) {
        return refuse(error as GatewayError);
      }
      let releaseSlot: () => void;
      try {
        releaseSlot = await limiters.takeStreamSlot(identity.plan, plan, identity.user);
      } catch (error) {
        return refuse(error as GatewayError);
      }

      const warnings: string[] = [];
      let asked = request.maxTokens;
      if (plan.max_tokens !== undefined && (asked === undefined || asked > plan.max_tokens)) {
        if (asked !== undefined)
          warnings.push(`max_tokens ${asked} clamped to the plan's ${plan.max_tokens}`);
        asked = plan.max_tokens;
      }
      // Only a limited plan needs a bound on the reply: then one is set when the client gave none.
      const metered = limits.length > 0;
      const wanted = asked ?? (metered ? settings.default_max_tokens : 0);
      // Only an allowance needs the input counted before the call; without one the reservation books
      // no input, and settling books what the provider reported (or Sluice's count when it did not).
      const inputTokens = metered ? countInputTokens(request) : 0;
      let reservation: Awaited<ReturnType<UsageStore['reserve']>>;
      try {
        reservation = await store.reserve({
          ...facts,
          limits,
          inputTokens,
          wantedOutputTokens: wanted,
          minOutputTokens: settings.min_output_tokens,
          price: price ?? { input: 0, output: 0 },
        });
      } catch (error) {
        releaseSlot();
        throw error;
      }
      if (!reservation.granted) {
        releaseSlot();
        const message = `the ${allowanceWords[reservation.window]} allowance is used up`;
        return refuse(
          new GatewayError('quota_exceeded', message, { retryAfterMs: reservation.retryAfterMs }),
        );
      }

      const granted = reservation.outputTokens;
      let streamedTokens = 0;
      let settled: Promise<Record<string, number>> | undefined;
      let answered: UpstreamTarget | undefined;
      let answeredPrice = price;
      const costOf = (usage: ReportedUsage) =>
        answeredPrice && usage.inputTokens * answeredPrice.input + usage.outputTokens * answeredPrice.output;
      return {
        bindTarget(target) {
          answered = target;
          answeredPrice = priceOf(pricing, target.model);
        },
        maxTokens: metered ? granted : asked,
        limitedByQuota: metered && granted < wanted,
        warnings,
        costOf,
        meter(part) {
          if (!metered && asked === undefined) return true;
          const text = part.type === 'tool-call-delta' ? (part.name ?? '') + part.argumentsDelta : part.text;
          streamedTokens += countTextTokens(text);
          return streamedTokens <= (metered ? granted : (asked ?? 0));
        },
        settle(end) {
          settled ??= (async () => {
            try {
              const remaining: WindowRemaining[] = await store.settle(requestId, {
                inputTokens: end.usage.inputTokens,
                outputTokens: end.usage.outputTokens,
                costUsd: costOf(end.usage) ?? 0,
                cached: end.cached ?? false,
                outcome: end.outcome,
                ttftMs: end.ttftMs,
                durationMs: end.durationMs,
                provider: answered?.provider,
                upstreamModel: answered?.model,
              });
              return toQuotaState(remaining);
            } finally {
              releaseSlot();
            }
          })();
          return settled;
        },
      };
    },

    /** The user's plan and what is left of it, for `ready` and `GET /v1/usage`. */
    async limitsOf(identity: Identity): Promise<Record<string, unknown>> {
      const plan = planOf(identity);
      const remaining = await store.remaining(identity.user, windowLimitsOf(plan), Date.now());
      return { plan: identity.plan, ...plan, ...toQuotaState(remaining) };
    },
  };
}

export type QuotaGuard = ReturnType<typeof createQuotaGuard>;
