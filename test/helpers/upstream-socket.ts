import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';

/** The client's socket of the next request undici sends. */
export function nextRequestSocket(): Promise<Socket> {
  const sent = Promise.withResolvers<Socket>();
  const onSend = (message: unknown) => {
    diagnostics.unsubscribe('undici:client:sendHeaders', onSend);
    sent.resolve((message as { socket: Socket }).socket);
  };
  diagnostics.subscribe('undici:client:sendHeaders', onSend);
  return sent.promise;
}

/** Runs `write` and waits until what it wrote has reached `socket` and undici has had its turn to read it. */
export async function arrivesIn(socket: Socket, write: () => void): Promise<void> {
  const before = socket.bytesRead;
  write();
  while (socket.bytesRead === before) await turn();
}
