import { countMessageTokens } from '../../src/usage/count-tokens.ts';
import type { ServerEvent, TestClient } from './ws-test-client.ts';

/** The request the budget tests send: its reply (from the metered upstream) is `maxTokens` long. */
export const meteredMessages = [{ role: 'user' as const, content: 'Write one short line.' }];
export const meteredInputTokens = countMessageTokens(meteredMessages);
export const meteredMaxTokens = 50;
/** What one request reserves and, answered in full, is billed. */
export const meteredRequestTokens = meteredInputTokens + meteredMaxTokens;

/**
 * Fires `count` concurrent requests for the model `metered`, spread over the clients in turn (one
 * user, one connection or instance after another), returns each one's terminal event and closes
 * the clients.
 */
export async function fireMeteredRequests(clients: TestClient[], count: number): Promise<ServerEvent[]> {
  const ids = Array.from({ length: count }, (_, index) => `q${index}`);
  const clientOf = (index: number) => clients[index % clients.length]!;
  ids.forEach((id, index) => {
    clientOf(index).send({
      type: 'chat',
      id,
      model: 'metered',
      messages: meteredMessages,
      max_tokens: meteredMaxTokens,
    });
  });
  const terminals = await Promise.all(
    ids.map(async (id, index) => (await clientOf(index).collect(id)).at(-1)!),
  );
  await Promise.all(clients.map((client) => client.close()));
  return terminals;
}
