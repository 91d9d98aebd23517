import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

describe('WebSocket door: heartbeat', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ server: { heartbeat_ms: 100 } });
  });
  after(() => sluice.close());

  it('drops a peer that stops answering pings', async () => {
    const dead = await connectTestClient(sluice.wsUrl, 'sluice.v1', { autoPong: false });
    assert.equal(await dead.closed, 1006);
    assert.equal(sluice.server.listening, true);
  });

  it('keeps a peer that answers pings', async () => {
    const alive = await connectTestClient(sluice.wsUrl);
    let pings = 0;
    await new Promise<void>((resolve) => {
      alive.socket.on('ping', () => {
        pings++;
        if (pings === 3) resolve();
      });
    });
    assert.equal(alive.socket.readyState, alive.socket.OPEN);
    await alive.close();
  });
});
