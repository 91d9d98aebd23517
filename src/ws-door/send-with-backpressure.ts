import { WebSocket } from 'ws';

/**
 * Sends a text frame. Below the high-water mark it returns nothing and the caller goes on; above it,
 * it returns a promise that resolves once this frame has reached the kernel, so the caller (a
 * request relaying its upstream) stops pulling from upstream until the slow client catches up.
 */
export function sendWithBackpressure(
  socket: WebSocket,
  text: string,
  highWaterBytes: number,
): Promise<void> | undefined {
  if (socket.readyState !== WebSocket.OPEN) return undefined;
  if (socket.bufferedAmount + text.length <= highWaterBytes) {
    socket.send(text);
    return undefined;
  }
  return new Promise((resolve) => socket.send(text, () => resolve()));
}
