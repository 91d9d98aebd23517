/** A stretch of text to replace, found by a window's `find`. */
export interface TextMatch {
  start: number;
  end: number;
  replacement: string;
  /**
   * The characters that could extend the match when more text arrives, as a one-character class
   * (`/[a-z0-9.-]/`). A match followed only by such characters up to the end of the text is held back
   * until it is known to be complete. Absent: the match is complete as soon as it is found.
   */
  continues?: RegExp;
}

/** Finds the stretches of `text` to replace, in order and not overlapping. */
export type FindMatches = (text: string) => TextMatch[];

export interface HoldBackWindowOptions {
  /** The most characters held back at any time. */
  windowChars: number;
  find: FindMatches;
}

/** Text in, rewritten text out, holding back no more than its window. */
export interface HoldBackWindow {
  /** Takes the next piece of text; returns the text that is now safe to pass on. */
  push(text: string): string;
  /** Rewrites and returns everything still held (the stream has ended). */
  flush(): string;
}

/**
 * How much already released text `find` sees before the held text: a match that began there still has
 * its held part rewritten, and a word boundary is judged by the character that really precedes it.
 */
const contextChars = 16;

/** Replaces the matches in `text` (up to `end`, which no match passes). */
export function applyMatches(text: string, matches: TextMatch[], end: number = text.length): string {
  let output = '';
  let position = 0;
  for (const match of matches) {
    output += text.slice(position, match.start) + match.replacement;
    position = match.end;
  }
  return output + text.slice(position, end);
}

/**
 * Rewrites a stream of text whose patterns may be split across pieces: the last `windowChars`
 * characters are held back until the next piece shows whether they begin a match. A complete match is
 * released at once (rewritten), a match still growing is held, and one that would outgrow the window is
 * rewritten now while the characters that continue it are dropped, so nothing held ever exceeds the window.
 */
export function createHoldBackWindow({ windowChars, find }: HoldBackWindowOptions): HoldBackWindow {
  let held = '';
  let released = '';
  let swallowing: RegExp | undefined;

  const remember = (output: string): string => {
    released = (released + output).slice(-contextChars);
    return output;
  };

  /** Finds matches in `buffer`, seeing the released context before it, in `buffer`'s positions. */
  const matchesIn = (buffer: string): TextMatch[] => {
    const offset = released.length;
    const matches: TextMatch[] = [];
    for (const match of find(released + buffer)) {
      if (match.end <= offset) continue;
      matches.push({ ...match, start: Math.max(match.start, offset) - offset, end: match.end - offset });
    }
    return matches;
  };

  const stripContinuation = (text: string): string => {
    if (!swallowing) return text;
    let index = 0;
    while (index < text.length && swallowing.test(text[index]!)) index += 1;
    if (index < text.length) swallowing = undefined;
    return text.slice(index);
  };

  return {
    push(text) {
      const buffer = held + stripContinuation(text);
      if (buffer === '') return '';
      const mustRelease = buffer.length - windowChars;
      const complete: TextMatch[] = [];
      let cut = Math.max(0, mustRelease);
      for (const match of matchesIn(buffer)) {
        const growing = match.continues !== undefined && isAllOf(buffer.slice(match.end), match.continues);
        if (!growing) {
          complete.push(match);
          cut = Math.max(cut, match.end);
          continue;
        }
        // It still fits in the window: hold it, with everything after it, until it stops growing.
        if (match.start >= mustRelease) break;
        // The match already fills the window: rewrite it now and drop whatever still extends it.
        complete.push(match);
        swallowing = match.continues;
        held = '';
        return remember(applyMatches(buffer, complete, match.end));
      }
      held = buffer.slice(cut);
      return remember(applyMatches(buffer, complete, cut));
    },
    flush() {
      const buffer = held;
      held = '';
      swallowing = undefined;
      const output = applyMatches(buffer, matchesIn(buffer));
      released = '';
      return output;
    },
  };
}

/** Whether every character of `text` is in the one-character class. */
function isAllOf(text: string, characterClass: RegExp): boolean {
  for (const character of text) if (!characterClass.test(character)) return false;
  return true;
}
