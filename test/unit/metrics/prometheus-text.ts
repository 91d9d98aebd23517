/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, its `# HELP` and its samples, in order. */
export interface MetricFamily {
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const suffixesOf: Record<MetricFamily['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function fail(lineNumber: number, message: string): never {
  throw new Error(`line ${lineNumber}: ${message}`);
}

/** Reads a value as Prometheus does (Go's ParseFloat), which takes NaN and Inf in any case: prom-client writes `Nan`. */
function parseValue(text: string, lineNumber: number): number {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(lineNumber, `bad value "${text}"`);
  return Number(text);
}

/** Reads `{name="value",...}` from `line` at `start`; returns the labels and the index after `}`. */
function parseLabels(line: string, start: number, lineNumber: number) {
  const labels: Record<string, string> = {};
  let index = start + 1;
  for (;;) {
    if (line[index] === '}') return { labels, end: index + 1 };
    const equals = line.indexOf('=', index);
    if (equals === -1) fail(lineNumber, 'label without "="');
    const name = line.slice(index, equals);
    if (!labelName.test(name)) fail(lineNumber, `bad label name "${name}"`);
    if (Object.hasOwn(labels, name)) fail(lineNumber, `label "${name}" repeated`);
    if (line[equals + 1] !== '"') fail(lineNumber, 'label value not quoted');
    let value = '';
    index = equals + 2;
    for (;;) {
      const character = line[index];
      if (character === undefined) fail(lineNumber, 'unterminated label value');
      if (character === '"') break;
      if (character === '\\') {
        const escaped = line[index + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else fail(lineNumber, `bad escape "\\${escaped}"`);
        index += 2;
      } else {
        value += character;
        index++;
      }
    }
    labels[name] = value;
    index++;
    if (line[index] === ',') index++;
    else if (line[index] !== '}') fail(lineNumber, 'expected "," or "}" after a label');
  }
}

function checkHistogram(name: string, family: MetricFamily): void {
  const series = new Map<string, Sample[]>();
  for (const sample of family.samples.filter((each) => each.name === `${name}_bucket`)) {
    const { le, ...rest } = sample.labels;
    if (le === undefined) throw new Error(`${name}_bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), sample]);
  }
  for (const [key, buckets] of series) {
    const bounds = buckets.map((bucket) => parseValue(bucket.labels.le!, 0));
    const counts = buckets.map((bucket) => bucket.value);
    if (bounds.at(-1) !== Number.POSITIVE_INFINITY) throw new Error(`${name}${key}: no le="+Inf" bucket`);
    for (let index = 1; index < buckets.length; index++) {
      if (bounds[index]! <= bounds[index - 1]!) throw new Error(`${name}${key}: buckets out of order`);
      if (counts[index]! < counts[index - 1]!) throw new Error(`${name}${key}: buckets not cumulative`);
    }
    const count = family.samples.find(
      (sample) => sample.name === `${name}_count` && JSON.stringify(sample.labels) === key,
    );
    if (count?.value !== counts.at(-1)) throw new Error(`${name}${key}: _count differs from the +Inf bucket`);
  }
}

/**
 * Parses the Prometheus text exposition format 0.0.4 strictly: every line must be a well-formed
 * `# HELP`, `# TYPE`, comment or sample; a family's TYPE comes before its samples, which are not
 * interleaved with another family's; histograms have ordered, cumulative buckets ending in +Inf
 * that agree with `_count`. Throws on the first violation.
 */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a line feed');
  const families = new Map<string, MetricFamily>();
  const finished = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n').slice(0, -1);
  for (const [offset, line] of lines.entries()) {
    const lineNumber = offset + 1;
    if (line === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, name, ...rest] = line.split(' ');
      if (keyword !== 'HELP' && keyword !== 'TYPE') continue;
      if (!name || !metricName.test(name)) fail(lineNumber, `bad metric name "${name}"`);
      const family = families.get(name) ?? { type: 'untyped', help: '', samples: [] };
      if (family.samples.length > 0) fail(lineNumber, `${keyword} of ${name} after its samples`);
      if (keyword === 'TYPE') {
        const type = rest.join(' ');
        if (!types.has(type)) fail(lineNumber, `bad type "${type}"`);
        family.type = type as MetricFamily['type'];
      } else {
        family.help = rest.join(' ').replaceAll('\\n', '\n').replaceAll('\\\\', '\\');
      }
      families.set(name, family);
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd === -1) fail(lineNumber, 'a sample needs a value');
    const name = line.slice(0, nameEnd);
    if (!metricName.test(name)) fail(lineNumber, `bad metric name "${name}"`);
    let labels: Record<string, string> = {};
    let index = nameEnd;
    if (line[index] === '{') ({ labels, end: index } = parseLabels(line, index, lineNumber));
    if (line[index] !== ' ') fail(lineNumber, 'expected a space before the value');
    const [valueText, timestamp, ...extra] = line.slice(index + 1).split(' ');
    if (extra.length > 0 || valueText === undefined) fail(lineNumber, 'too many fields');
    if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) fail(lineNumber, 'bad timestamp');
    const familyName = [...families.keys()].find((candidate) =>
      suffixesOf[families.get(candidate)!.type].some((suffix) => `${candidate}${suffix}` === name),
    );
    const family = familyName === undefined ? undefined : families.get(familyName);
    if (familyName === undefined || family === undefined) fail(lineNumber, `sample ${name} has no TYPE`);
    if (current !== familyName) {
      if (finished.has(familyName)) fail(lineNumber, `samples of ${familyName} are not together`);
      if (current !== undefined) finished.add(current);
      current = familyName;
    }
    family.samples.push({ name, labels, value: parseValue(valueText, lineNumber) });
  }
  for (const [name, family] of families) if (family.type === 'histogram') checkHistogram(name, family);
  return families;
}

/**
 * The value of the sample `name` whose labels include `labels`: 0 when its family exists but has no
 * such sample yet (a labelled counter nothing incremented), an error when the family is unknown or
 * several samples match.
 */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = [...families.entries()].find(([familyName, each]) =>
    suffixesOf[each.type].some((suffix) => `${familyName}${suffix}` === name),
  )?.[1];
  if (!family) throw new Error(`no metric family has samples named ${name}`);
  const matches = family.samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matches.length > 1)
    throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value ?? 0;
}
