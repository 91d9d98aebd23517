import assert from 'node:assert/strict';
import { it } from 'node:test';
import { WebSocket } from 'ws';
import { countOpenSockets } from '../../../src/metrics/count-open-sockets.ts';

it('counts open sockets only, not those connecting, closing or closed', () => {
  const states = [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED];
  assert.equal(countOpenSockets(states.map((readyState) => ({ readyState }))), 2);
});
