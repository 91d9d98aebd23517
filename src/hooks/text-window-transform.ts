import type { OutputPart } from '../spec/stream-part.ts';
import type { HoldBackWindow } from './hold-back-window.ts';
import type { StreamTransform } from './hook-types.ts';

type TextPartType = 'text-delta' | 'reasoning-delta';

export interface TextWindowTransformOptions {
  /** Makes one window; each rewritten kind of text gets its own. */
  createWindow: () => HoldBackWindow;
  /** Whether `reasoning-delta` text is rewritten too (`text-delta` always is). */
  reasoning: boolean;
}

/**
 * A stream transform that runs text (and optionally reasoning) through hold-back windows and passes
 * tool-call parts on as they are. Before a part of another kind goes out, the held text is flushed,
 * so the client still sees every part in the order the model produced it.
 */
export function createTextWindowTransform({
  createWindow,
  reasoning,
}: TextWindowTransformOptions): StreamTransform {
  const windows = new Map<TextPartType, HoldBackWindow>();
  let current: TextPartType | undefined;

  const flushCurrent = (): OutputPart[] => {
    if (current === undefined) return [];
    const text = windows.get(current)!.flush();
    const type = current;
    current = undefined;
    return text === '' ? [] : [{ type, text }];
  };

  return {
    push(part) {
      const rewritten = part.type === 'text-delta' || (reasoning && part.type === 'reasoning-delta');
      if (!rewritten) return [...flushCurrent(), part];
      const earlier = current === part.type ? [] : flushCurrent();
      current = part.type;
      let window = windows.get(part.type);
      if (!window) {
        window = createWindow();
        windows.set(part.type, window);
      }
      const text = window.push(part.text);
      return text === '' ? earlier : [...earlier, { type: part.type, text }];
    },
    flush: flushCurrent,
  };
}
