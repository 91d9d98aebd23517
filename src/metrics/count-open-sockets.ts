import { WebSocket } from 'ws';

/**
 * Counts the sockets that are open, leaving out those already closing: a connection stops counting
 * as soon as either side has started the close handshake, not once its TCP socket is gone.
 */
export function countOpenSockets(sockets: Iterable<Pick<WebSocket, 'readyState'>>): number {
  let open = 0;
  for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) open++;
  return open;
}
