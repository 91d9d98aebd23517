import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { chatJsonWith, nestedSchema, threeThousandLevels } from '../../helpers/nested-json.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { authWithKey, sluiceApiKey } from './http-door-test-kit.ts';

const hello = [{ role: 'user', content: 'Hi there' }];

/** A body's text with `nested` (raw JSON) spliced in as a tool's parameters or as `tool_choice`. */
function bodyWith(field: 'parameters' | 'tool_choice', nested: string): string {
  return chatJsonWith(`{"model":"demo","messages":${JSON.stringify(hello)}`, field, nested);
}

interface Answer {
  status: number;
  body: { error?: { code: string; type: string; message: string; param: string | null } };
  /** Whether the request went out on a connection an earlier request had used. */
  reusedConnection: boolean;
}

describe('HTTP door: hostile bodies', () => {
  let sluice: TestSluice;
  // One kept-alive connection, so a test can see Sluice still serves on it after refusing a body.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  before(async () => {
    sluice = await startTestSluice({ auth: authWithKey() });
  });
  after(async () => {
    agent.destroy();
    await sluice.close();
  });

  /** Posts raw bytes to chat completions on the shared connection. */
  function post(body: string | Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${sluice.url}/v1/chat/completions`, {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${sluiceApiKey}`, 'content-type': 'application/json' },
      });
      outgoing.on('error', reject);
      outgoing.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(text),
            reusedConnection: outgoing.reusedSocket,
          }),
        );
      });
      outgoing.end(body);
    });
  }

  for (const field of ['parameters', 'tool_choice'] as const) {
    it(`answers 3,000 levels in ${field} with 400 bad_request, and the connection keeps serving`, async () => {
      const refused = await post(bodyWith(field, threeThousandLevels));
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, {
        error: {
          message: 'the request body nests deeper than 64 levels',
          type: 'bad_request',
          param: null,
          code: 'bad_request',
        },
      });
      const next = await post(JSON.stringify({ model: 'demo', messages: hello }));
      assert.equal(next.status, 200);
      assert.equal(next.reusedConnection, true);
    });
  }

  it('accepts a tool whose JSON schema nests 12 objects deep', async () => {
    const tools = [{ type: 'function', function: { name: 'fill_form', parameters: nestedSchema(12) } }];
    const answer = await post(JSON.stringify({ model: 'demo', messages: hello, tools }));
    assert.equal(answer.status, 200);
  });

  it('refuses a body that is not valid UTF-8 with 400 bad_request rather than reading it with U+FFFD', async () => {
    const text = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'XX' }] });
    const bytes = Buffer.from(text, 'utf8');
    // 0xC3 opens a two-byte sequence, and 0x28 ("(") cannot continue it.
    bytes.set([0xc3, 0x28], bytes.indexOf('XX'));
    const answer = await post(bytes);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error?.code, 'bad_request');
    assert.equal(answer.body.error?.message, 'the request body is not valid UTF-8');
  });
});
