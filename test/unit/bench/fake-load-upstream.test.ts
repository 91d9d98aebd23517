import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatLoadPrompt,
  parseLoadPrompt,
  startFakeLoadUpstream,
} from '../../../bench/fake-load-upstream.ts';
import { openAiCompatibleProvider } from '../../../providers/openai-compatible/index.ts';
import { callOptions, collectParts } from '../../providers/openai/openai-test-kit.ts';

async function streamOf(baseUrl: string, prompt: string) {
  const adapter = openAiCompatibleProvider.create(
    openAiCompatibleProvider.configSchema.parse({ type: 'openai-compatible', base_url: baseUrl }),
    { name: 'load' },
  );
  const request = { model: 'bench-model', messages: [{ role: 'user' as const, content: prompt }] };
  return collectParts(await adapter.stream(request, callOptions()));
}

describe('the fake load upstream', () => {
  it('reads back the reply shape a prompt asks for, and nothing from other prompts', () => {
    const shape = { tokens: 100, minGapMs: 20, maxGapMs: 40 };
    assert.deepEqual(parseLoadPrompt(formatLoadPrompt(shape)), shape);
    const large = { tokens: 2000, minGapMs: 1, maxGapMs: 1, tokenChars: 1000 };
    assert.deepEqual(parseLoadPrompt(formatLoadPrompt(large)), large);
    assert.equal(parseLoadPrompt('tokens=5 gap_ms=0-1 token_chars=0'), undefined);
    assert.equal(parseLoadPrompt('Hello'), undefined);
    assert.equal(parseLoadPrompt('tokens=0 gap_ms=0-5'), undefined);
    assert.equal(parseLoadPrompt('tokens=5 gap_ms=5-1'), undefined);
  });

  it("streams the asked number of tokens in OpenAI's chunk format, usage included, as Sluice's adapter reads it", async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const parts = await streamOf(upstream.baseUrl, formatLoadPrompt({ tokens: 5, minGapMs: 0, maxGapMs: 1 }));
    assert.deepEqual(
      parts.map((part) => part.type),
      ['text-delta', 'text-delta', 'text-delta', 'text-delta', 'text-delta', 'finish'],
    );
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 24, outputTokens: 5 },
    });
  });

  it('sizes every token as the prompt asks', async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const prompt = formatLoadPrompt({ tokens: 3, minGapMs: 0, maxGapMs: 1, tokenChars: 1000 });
    const texts = (await streamOf(upstream.baseUrl, prompt)).flatMap((part) =>
      part.type === 'text-delta' ? [part.text] : [],
    );
    assert.deepEqual(
      texts.map((text) => text.length),
      [1000, 1000, 1000],
    );
  });

  it('refuses a request whose prompt names no reply shape', async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const response = await fetch(`${upstream.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /tokens=<n> gap_ms=<min>-<max>/);
  });
});
