import fc from 'fast-check';

/**
 * Seeded, reproducible hostile input for the doors' fuzz tests, written from the protocol
 * (docs/protocol.md) and OpenAI's Chat Completions shape, not from Sluice's parsers. Each generated
 * input says what a client is owed for it, so a test can check that every input was answered.
 */

/** The error codes docs/protocol.md lists. */
export const documentedErrorCodes = new Set([
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'duplicate_id',
  'quota_exceeded',
  'rate_limited',
  'too_large',
  'upstream_error',
  'upstream_timeout',
  'unavailable',
  'internal',
]);

/** Names that are properties of every plain object: a lookup by them must not find anything. */
const builtInNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

const anyJson = fc.jsonValue({ maxDepth: 4 });
const shortText = fc.string({ maxLength: 40 });

const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool'), shortText, anyJson),
    content: fc.oneof(
      { weight: 4, arbitrary: fc.string({ maxLength: 200, unit: 'grapheme' }) },
      { weight: 1, arbitrary: fc.array(fc.record({ type: fc.constant('text'), text: shortText })) },
      { weight: 1, arbitrary: anyJson },
    ),
  },
  { requiredKeys: ['role'] },
);

/** Fields of a chat request, most of them plausible, some of any type. */
const plainChatFields = fc.record(
  {
    model: fc.oneof(
      { weight: 6, arbitrary: fc.constant('demo') },
      { weight: 2, arbitrary: shortText },
      { weight: 1, arbitrary: fc.constantFrom(...builtInNames) },
      { weight: 1, arbitrary: anyJson },
    ),
    messages: fc.oneof(
      { weight: 6, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: anyJson },
    ),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), anyJson),
    temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), anyJson),
    top_p: fc.double({ min: -1, max: 2, noNaN: true }),
    stop: fc.oneof(shortText, fc.array(shortText, { maxLength: 6 })),
    tools: fc.array(
      fc.record({
        type: fc.oneof(fc.constant('function'), shortText),
        function: fc.record({ name: shortText, parameters: anyJson }),
      }),
      { maxLength: 2 },
    ),
    cache: fc.oneof(fc.constantFrom('default', 'bypass', 'refresh'), anyJson),
    prompt: fc.record({ name: fc.oneof(fc.constantFrom(...builtInNames), shortText), vars: anyJson }),
    metadata: fc.oneof(fc.dictionary(shortText, anyJson, { maxKeys: 3 }), anyJson),
  },
  { requiredKeys: ['model', 'messages'] },
);

/** Fields of a chat request as a well-behaved client sends them: the demo model answers them. */
const validChatFields = fc.record(
  {
    model: fc.constant('demo'),
    messages: fc.array(
      fc.record({
        role: fc.constantFrom('system', 'user', 'assistant'),
        content: fc.string({ maxLength: 200, unit: 'grapheme' }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    max_tokens: fc.integer({ min: 1, max: 50 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    stop: fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 4 }),
    cache: fc.constantFrom('default', 'bypass', 'refresh'),
    metadata: fc.dictionary(shortText, anyJson, { maxKeys: 3 }),
  },
  { requiredKeys: ['model', 'messages'] },
);

/** Chat fields, sometimes with an own property named like a built-in one (`__proto__` included). */
const chatFields = fc
  .tuple(
    fc.oneof(validChatFields, plainChatFields),
    fc.option(fc.tuple(fc.constantFrom(...builtInNames), anyJson)),
  )
  .map(([fields, extra]): Record<string, unknown> => (extra ? { ...fields, [extra[0]]: extra[1] } : fields));

/** `depth` levels of arrays, the shape that overflows a recursive walk. */
export function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** A WebSocket frame as the fuzz test sends it, and what the client is owed for it. */
export type FuzzFrame =
  /** A JSON text frame; `id` is the request id it names (the runner fills in a fresh one). */
  | {
      kind: 'text';
      build: (id: string) => string;
      owed: 'answer-by-id' | 'frame-error' | 'answer-by-id-or-frame-error';
    }
  /** Bytes sent as a text frame that are not UTF-8: the close 1007. */
  | { kind: 'invalid-utf8' }
  /** A binary frame: a frame-level `bad_request`. */
  | { kind: 'binary'; bytes: Uint8Array }
  /** A text frame over the server's frame limit: the close 1009. */
  | { kind: 'oversize' };

const withId = (fields: Record<string, unknown>, type: string) => (id: string) =>
  JSON.stringify({ ...fields, type, id });

const wsFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  {
    weight: 10,
    arbitrary: chatFields.map(
      (fields): FuzzFrame => ({ kind: 'text', build: withId(fields, 'chat'), owed: 'answer-by-id' }),
    ),
  },
  {
    // A frame whose type and id are both wrong: a frame-level error.
    weight: 2,
    arbitrary: fc
      .tuple(
        chatFields,
        fc.oneof(shortText, anyJson).filter((type) => !['chat', 'cancel', 'resume'].includes(type as string)),
        fc
          .oneof(anyJson, fc.string({ minLength: 65, maxLength: 80 }))
          .filter((id) => typeof id !== 'string' || id.length === 0 || id.length > 64),
      )
      .map(
        ([fields, type, id]): FuzzFrame => ({
          kind: 'text',
          build: () => JSON.stringify({ ...fields, type, id }),
          owed: 'frame-error',
        }),
      ),
  },
  {
    // Cancels and resumes of requests that never existed.
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom('cancel', 'resume'), fc.oneof(fc.nat(), anyJson)).map(
      ([type, afterSeq]): FuzzFrame => ({
        kind: 'text',
        build: (id) => JSON.stringify({ type, id, after_seq: afterSeq }),
        owed: 'answer-by-id',
      }),
    ),
  },
  {
    weight: 3,
    arbitrary: anyJson
      .filter(
        (value) => typeof value !== 'object' || value === null || Array.isArray(value) || !('id' in value),
      )
      .map((value): FuzzFrame => ({ kind: 'text', build: () => JSON.stringify(value), owed: 'frame-error' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .string({ maxLength: 300, unit: 'binary' })
      .filter((text) => {
        try {
          JSON.parse(text);
          return false;
        } catch {
          return true;
        }
      })
      .map((text): FuzzFrame => ({ kind: 'text', build: () => text, owed: 'frame-error' })),
  },
  {
    // Deep nesting where a request carries a schema or a choice, and as the whole frame.
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 65, max: 5000 }),
        fc.constantFrom('parameters', 'tool_choice', 'metadata', 'frame'),
      )
      .map(([depth, where]): FuzzFrame => {
        if (where === 'frame') return { kind: 'text', build: () => nestedArrays(depth), owed: 'frame-error' };
        return {
          kind: 'text',
          build: (id) => {
            const nested = nestedArrays(depth);
            const head = `{"type":"chat","id":${JSON.stringify(id)},"model":"demo","messages":[{"role":"user","content":"hi"}]`;
            if (where === 'parameters')
              return `${head},"tools":[{"type":"function","function":{"name":"f","parameters":{"a":${nested}}}}]}`;
            if (where === 'tool_choice') return `${head},"tool_choice":${nested}}`;
            return `${head},"metadata":{"deep":${nested}}}`;
          },
          owed: 'answer-by-id-or-frame-error',
        };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): FuzzFrame => ({ kind: 'binary', bytes })),
  },
  { weight: 1, arbitrary: fc.constant<FuzzFrame>({ kind: 'invalid-utf8' }) },
  { weight: 1, arbitrary: fc.constant<FuzzFrame>({ kind: 'oversize' }) },
);

/** `count` WebSocket frames, the same ones for the same seed. */
export function fuzzFrames(seed: number, count: number): FuzzFrame[] {
  return fc.sample(wsFrame, { seed, numRuns: count });
}

/** An HTTP request body as the fuzz test sends it. */
export interface FuzzBody {
  body: Uint8Array | string;
  contentType: string;
}

const json = 'application/json';
const encoder = new TextEncoder();

const httpBody: fc.Arbitrary<FuzzBody> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(
        chatFields,
        fc.record(
          {
            stream: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, anyJson),
            n: fc.oneof(fc.integer({ min: 0, max: 3 }), anyJson),
            tool_choice: fc.oneof(fc.constant('auto'), anyJson),
          },
          { requiredKeys: [] },
        ),
      )
      .map(([fields, openAiFields]) => ({
        body: JSON.stringify({ ...fields, ...openAiFields }),
        contentType: json,
      })),
  },
  { weight: 2, arbitrary: anyJson.map((value) => ({ body: JSON.stringify(value), contentType: json })) },
  {
    weight: 2,
    arbitrary: fc
      .string({ maxLength: 300, unit: 'binary' })
      .map((text) => ({ body: text, contentType: json })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 65, max: 5000 }).map((depth) => ({
      body: `{"model":"demo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"a":${nestedArrays(depth)}}}}]}`,
      contentType: json,
    })),
  },
  {
    // A string holding bytes that are not UTF-8.
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => {
      const head = encoder.encode('{"model":"demo","messages":[{"role":"user","content":"');
      const tail = encoder.encode('"}]}');
      const invalid = Uint8Array.from([0xc3, 0x28, ...bytes]);
      return { body: Uint8Array.from([...head, ...invalid, ...tail]), contentType: json };
    }),
  },
  {
    // Over the fuzz target's 64 KiB body limit.
    weight: 1,
    arbitrary: fc.integer({ min: 70_000, max: 100_000 }).map((size) => ({
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'x'.repeat(size) }] }),
      contentType: json,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data')
      .map((contentType) => ({
        body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
        contentType,
      })),
  },
);

/** `count` HTTP bodies, the same ones for the same seed. */
export function fuzzBodies(seed: number, count: number): FuzzBody[] {
  return fc.sample(httpBody, { seed, numRuns: count });
}
