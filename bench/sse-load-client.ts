import { Agent, request } from 'node:http';
import type { RequestTracker } from './stream-measurements.ts';

interface ChunkEvent {
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: { completion_tokens?: number } | null;
  error?: { message?: string };
}

/**
 * A client for OpenAI's streaming Chat Completions over HTTP/1.1 keep-alive, as Sluice's own upstream
 * client is: it measures the fake upstream directly (the baseline) and Sluice's HTTP door alike.
 */
export function createSseLoadClient(baseUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const url = new URL(`${baseUrl}/chat/completions`);

  return {
    /** Posts one streaming completion and reports its chunks to `tracker`. */
    chat(model: string, prompt: string, tracker: RequestTracker): void {
      const body = JSON.stringify({
        model,
        messages: [{ role: 'user', content: prompt }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const outgoing = request(url, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      outgoing.on('error', (error) => tracker.failed(error.message));
      outgoing.on('response', (response) => {
        response.setEncoding('utf8');
        if (response.statusCode !== 200) {
          let text = '';
          response.on('data', (part: string) => {
            text += part;
          });
          response.on('end', () => tracker.failed(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
          return;
        }
        let buffered = '';
        let outputTokens: number | undefined;
        let sawDone = false;
        response.on('data', (part: string) => {
          buffered += part;
          let end = buffered.indexOf('\n\n');
          while (end !== -1) {
            const line = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            end = buffered.indexOf('\n\n');
            if (!line.startsWith('data: ')) continue;
            const data = line.slice(6);
            if (data === '[DONE]') {
              sawDone = true;
              continue;
            }
            const chunk = JSON.parse(data) as ChunkEvent;
            if (chunk.error) tracker.failed(`stream error: ${chunk.error.message}`);
            if (chunk.choices?.[0]?.delta?.content) tracker.output();
            if (chunk.usage) outputTokens = chunk.usage.completion_tokens;
          }
        });
        response.on('end', () => {
          if (sawDone) tracker.finished(outputTokens ?? 0);
          else tracker.failed('stream ended without [DONE]');
        });
        response.on('error', (error) => tracker.failed(error.message));
      });
      outgoing.end(body);
    },
    close: () => agent.destroy(),
  };
}
