import { applyMatches, type TextMatch } from '../hold-back-window.ts';

/** The kinds of personal data and secrets the redactor knows, each replaced by `[kind]`. */
export const piiKinds = ['email', 'phone', 'card', 'key'] as const;

/** One of {@link piiKinds}. */
export type PiiKind = (typeof piiKinds)[number];

/** Where in a candidate the sensitive part is (`[start, end]`), or `undefined` when it holds none. */
type Pick = (found: string) => [number, number] | undefined;

interface Detector {
  kind: PiiKind;
  /** Global. */
  pattern: RegExp;
  /** Judges a candidate the pattern alone cannot; without it the whole candidate is redacted. */
  pick?: Pick;
  continues: RegExp;
}

/** The Luhn checksum every payment card number passes, so ordinary long numbers are left alone. */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The ways card numbers are written: unbroken, in fours (Visa, Mastercard, Discover), or 4-6-5 and 4-6-4 (Amex, Diners). */
const cardShape = /^(?:\d{13,19}|\d{4}(?: \d{4}){3}(?: \d{1,3})?|\d{4} \d{6} \d{4,5})$/;

/** The first digits the card networks use (Amex and Diners 3, Visa 4, Mastercard 5 and 22-27, Discover 6). */
const cardPrefix = /^(?:[3-6]|2[2-7])/;

/**
 * The card number in a run of digit groups: the longest stretch of whole groups, from the earliest
 * group, that is written like a card and passes Luhn. Searching inside the run keeps a card found when
 * an expiry date or another number follows it (`4111 1111 1111 1111 12/25`).
 */
const pickCard: Pick = (found) => {
  const groups = Array.from(found.matchAll(/\d+/g), (group) => ({
    start: group.index,
    end: group.index + group[0].length,
    digits: group[0],
  }));
  for (const [first, { start }] of groups.entries()) {
    for (let last = groups.length - 1; last >= first; last -= 1) {
      const stretch = groups.slice(first, last + 1).map((group) => group.digits);
      const digits = stretch.join('');
      if (cardShape.test(stretch.join(' ')) && cardPrefix.test(digits) && passesLuhn(digits)) {
        return [start, groups[last]!.end];
      }
    }
  }
  return undefined;
};

/** A phone number has 10 to 15 digits (E.164 allows 15). */
const pickPhone: Pick = (found) => {
  const count = found.replace(/\D/g, '').length;
  return count >= 10 && count <= 15 ? [0, found.length] : undefined;
};

/** Only the token after `Bearer ` is secret. */
const pickBearerToken: Pick = (found) => [found.search(/\S+$/), found.length];

const keyCharacters = /[A-Za-z0-9_-]/;

/** Where two candidates overlap, the one that starts first wins, and at the same start the one listed first. */
const detectors: Detector[] = [
  // OpenAI (`sk-`, `sk-proj-`) and Anthropic (`sk-ant-`) keys.
  { kind: 'key', pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g, continues: keyCharacters },
  // AWS access key ids (long-lived and temporary).
  {
    kind: 'key',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    continues: /[A-Za-z0-9]/,
  },
  // GitHub tokens: personal, OAuth, user-to-server, server-to-server, refresh, fine-grained.
  {
    kind: 'key',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
    continues: /[A-Za-z0-9_]/,
  },
  // Any long token sent as a bearer credential (JWTs, opaque tokens); `Bearer ` itself stays.
  {
    kind: 'key',
    pattern: /\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*/g,
    pick: pickBearerToken,
    continues: /[A-Za-z0-9._~+/=-]/,
  },
  {
    kind: 'email',
    pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    continues: /[A-Za-z0-9.-]/,
  },
  {
    kind: 'card',
    pattern: /(?<![\d.])\d(?:[ -]?\d){12,}(?!\d)/g,
    pick: pickCard,
    continues: /[\d -]/,
  },
  // International numbers with a leading `+`, the North American 3-3-4 shape, and national numbers with a trunk 0.
  {
    kind: 'phone',
    pattern:
      /(?<![\w+.])(?:\+\d{1,3}(?:[ .-]?(?:\(\d{1,5}\)|\d{1,5})){2,5}|(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]\d{4}|0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4})(?!\w)/g,
    pick: pickPhone,
    continues: /[\d ().-]/,
  },
];

/** Finds every email, phone number, card number and API key in `text` of the given kinds, in order. */
export function findPii(text: string, kinds: ReadonlySet<PiiKind>): TextMatch[] {
  const candidates: Array<TextMatch & { rank: number }> = [];
  for (const [rank, detector] of detectors.entries()) {
    if (!kinds.has(detector.kind)) continue;
    for (const match of text.matchAll(detector.pattern)) {
      const span: [number, number] | undefined = detector.pick
        ? detector.pick(match[0])
        : [0, match[0].length];
      if (!span) continue;
      const [from, to] = span;
      candidates.push({
        start: match.index + from,
        end: match.index + to,
        replacement: `[${detector.kind}]`,
        continues: detector.continues,
        rank,
      });
    }
  }
  candidates.sort((first, second) => first.start - second.start || first.rank - second.rank);
  const chosen: TextMatch[] = [];
  let reached = 0;
  for (const { rank: _rank, ...candidate } of candidates) {
    if (candidate.start < reached) continue;
    chosen.push(candidate);
    reached = candidate.end;
  }
  return chosen;
}

/** Replaces every match of the given kinds in a whole text (a message, not a stream). */
export function redactPii(text: string, kinds: ReadonlySet<PiiKind>): string {
  return applyMatches(text, findPii(text, kinds));
}
