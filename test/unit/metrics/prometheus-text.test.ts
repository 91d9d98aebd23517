import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText, sampleValue } from './prometheus-text.ts';

const valid = [
  '# HELP jobs_total Jobs done, by "kind" \\\\ and\\nmore.',
  '# TYPE jobs_total counter',
  'jobs_total{kind="a\\"b",queue="x\\\\y\\nz",} 3',
  'jobs_total{kind="c",queue=""} 4.5e1 1700000000000',
  '# TYPE wait_seconds histogram',
  'wait_seconds_bucket{le="0.5"} 1',
  'wait_seconds_bucket{le="1"} 2',
  'wait_seconds_bucket{le="+Inf"} 3',
  'wait_seconds_sum 2.25',
  'wait_seconds_count 3',
  '# a plain comment',
  '# TYPE up gauge',
  'up NaN',
  '',
].join('\n');

describe('the test parser of the Prometheus text format', () => {
  it('reads families, help text, types, escaped label values and values', () => {
    const families = parsePrometheusText(valid);
    assert.deepEqual([...families.keys()], ['jobs_total', 'wait_seconds', 'up']);
    assert.equal(families.get('jobs_total')?.help, 'Jobs done, by "kind" \\ and\nmore.');
    assert.equal(families.get('wait_seconds')?.type, 'histogram');
    assert.deepEqual(families.get('jobs_total')?.samples[0]?.labels, { kind: 'a"b', queue: 'x\\y\nz' });
    assert.equal(sampleValue(families, 'jobs_total', { kind: 'c' }), 45);
    assert.equal(sampleValue(families, 'jobs_total', { kind: 'none' }), 0);
    assert.equal(sampleValue(families, 'wait_seconds_bucket', { le: '1' }), 2);
    assert.equal(sampleValue(families, 'wait_seconds_count'), 3);
    assert.ok(Number.isNaN(sampleValue(families, 'up')));
  });

  it('reads NaN and Inf in any case, as Prometheus does: prom-client writes Nan', () => {
    const families = parsePrometheusText('# TYPE g gauge\ng{a="1"} Nan\ng{a="2"} -inf\ng{a="3"} +Inf\n');
    assert.ok(Number.isNaN(sampleValue(families, 'g', { a: '1' })));
    assert.equal(sampleValue(families, 'g', { a: '2' }), Number.NEGATIVE_INFINITY);
    assert.equal(sampleValue(families, 'g', { a: '3' }), Number.POSITIVE_INFINITY);
  });

  it('refuses a sample name no family has, and an ambiguous match', () => {
    const families = parsePrometheusText(valid);
    assert.throws(() => sampleValue(families, 'jobs'), /no metric family/);
    assert.throws(() => sampleValue(families, 'jobs_total'), /2 samples/);
  });

  const broken: Array<[string, string, RegExp]> = [
    ['a missing final line feed', '# TYPE up gauge\nup 1', /line feed/],
    ['a sample without TYPE', 'up 1\n', /has no TYPE/],
    ['an unknown type', '# TYPE up meter\n', /bad type/],
    ['an unquoted label value', '# TYPE up gauge\nup{a=b} 1\n', /not quoted/],
    ['a bad escape', '# TYPE up gauge\nup{a="\\t"} 1\n', /bad escape/],
    ['a repeated label', '# TYPE up gauge\nup{a="1",a="2"} 1\n', /repeated/],
    ['a bad value', '# TYPE up gauge\nup one\n', /bad value/],
    ['a bad metric name', '# TYPE 9up gauge\n', /bad metric name/],
    ['a TYPE after samples', '# TYPE up gauge\nup 1\n# TYPE up gauge\n', /after its samples/],
    ['interleaved families', '# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="1"} 2\n', /not together/],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    [
      'a histogram that is not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      /not cumulative/,
    ],
    [
      'a histogram whose count disagrees',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n',
      /_count differs/,
    ],
  ];
  for (const [name, text, error] of broken) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parsePrometheusText(text), error);
    });
  }
});
