import type { WebSocket } from 'ws';

/**
 * Pings every connection on one shared timer and drops those that did not answer the previous ping,
 * so dead peers (a vanished phone, a half-open TCP connection) free their requests. One timer for all
 * connections keeps idle connections cheap.
 */
export function startHeartbeat(connections: ReadonlySet<WebSocket>, intervalMs: number): () => void {
  const awaitingPong = new WeakSet<WebSocket>();
  const markAlive = function (this: WebSocket) {
    awaitingPong.delete(this);
  };
  const watched = new WeakSet<WebSocket>();
  const timer = setInterval(() => {
    for (const socket of connections) {
      if (!watched.has(socket)) {
        watched.add(socket);
        socket.on('pong', markAlive);
      }
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
