/** The most characters of a string a log line keeps: a client's string can be up to a frame (1 MiB) long. */
export const loggedTextLimit = 200;

/**
 * `text` cut to `limit` characters with a marker saying how many were left out (`…(+N chars)`), or
 * itself when it fits. A cut never splits a surrogate pair, so the kept part is still valid UTF-16.
 */
export function boundText(text: string, limit: number = loggedTextLimit): string {
  if (text.length <= limit) return text;
  const code = text.charCodeAt(limit - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
  return `${text.slice(0, end)}…(+${text.length - end} chars)`;
}
