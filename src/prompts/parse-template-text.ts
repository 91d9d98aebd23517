/** A piece of a message template: literal text, or a variable to insert. */
export type TemplateSegment =
  | { kind: 'text'; text: string }
  | {
      kind: 'variable';
      name: string;
      /** Where the placeholder starts in the template text. */
      offset: number;
    };

/** A template text that cannot be parsed; `offset` says where in the text. */
export class TemplateSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
    this.offset = offset;
  }
}

const tokenPattern = /\{\{\{\{|\}\}\}\}|\{\{/g;
const placeholderPattern = /\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/y;

function nextToken(text: string, from: number): RegExpExecArray | null {
  tokenPattern.lastIndex = from;
  return tokenPattern.exec(text);
}

function snippetAt(text: string, offset: number): string {
  const lineEnd = text.indexOf('\n', offset);
  const rest = text.slice(offset, lineEnd === -1 ? undefined : lineEnd);
  const close = rest.indexOf('}}');
  return close === -1 ? rest.slice(0, 40) : rest.slice(0, Math.min(close + 2, 40));
}

/**
 * Splits a template text into literal text and `{{name}}` placeholders (spaces or tabs allowed inside the
 * braces). `{{{{` and `}}}}` write a literal `{{` and `}}`; any other `{{` must open a placeholder, so a
 * typo is caught when the file loads rather than sent to a model.
 */
export function parseTemplateText(text: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let literal = '';
  let position = 0;
  // The search restarts where the last token ended, so text inside a placeholder is never read as a token.
  for (let token = nextToken(text, 0); token; token = nextToken(text, position)) {
    literal += text.slice(position, token.index);
    if (token[0] === '{{{{') {
      literal += '{{';
      position = token.index + 4;
    } else if (token[0] === '}}}}') {
      literal += '}}';
      position = token.index + 4;
    } else {
      placeholderPattern.lastIndex = token.index;
      const placeholder = placeholderPattern.exec(text);
      if (!placeholder) {
        throw new TemplateSyntaxError(
          `malformed placeholder "${snippetAt(text, token.index)}"; a placeholder is {{name}}, and {{{{ writes a literal {{`,
          token.index,
        );
      }
      if (literal) segments.push({ kind: 'text', text: literal });
      literal = '';
      segments.push({ kind: 'variable', name: placeholder[1]!, offset: token.index });
      position = placeholderPattern.lastIndex;
    }
  }
  literal += text.slice(position);
  if (literal) segments.push({ kind: 'text', text: literal });
  return segments;
}
