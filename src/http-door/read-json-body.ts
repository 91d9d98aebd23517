import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';
import { maxJsonDepth, parseBoundedJson } from '../wire/parse-bounded-json.ts';

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('too_large', `the request body is over ${maxBytes} bytes (server.max_body_bytes)`);
}

/** Reads a request body of at most `maxBytes`, without holding more than that in memory. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = (error: GatewayError) => {
      request.off('data', onData);
      // The rest is read and thrown away, so the client gets the answer rather than a reset connection.
      request.resume();
      reject(error);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) refuse(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    if (Number(request.headers['content-length']) > maxBytes) {
      refuse(tooLarge(maxBytes));
      return;
    }
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    // After `end` this changes nothing; before it, the client left mid-body.
    request.once('close', () => reject(new GatewayError('bad_request', 'the request body was cut short')));
  });
}

// Fatal, so a body that is not UTF-8 is refused rather than read with U+FFFD in place of its bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and parses a JSON request body; over `maxBytes` is `too_large`; anything unparseable (not
 * UTF-8, not JSON, or nested deeper than `maxJsonDepth`) is `bad_request`.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const body = await readBody(request, maxBytes);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new GatewayError('bad_request', 'the request body is not valid UTF-8');
  }
  if (text.trim() === '')
    throw new GatewayError('bad_request', 'the request body is empty; send a JSON object');
  const parsed = parseBoundedJson(text);
  if (parsed.ok) return parsed.value;
  throw new GatewayError(
    'bad_request',
    parsed.problem === 'depth'
      ? `the request body nests deeper than ${maxJsonDepth} levels`
      : 'the request body is not valid JSON',
  );
}
