import type { BotEvents } from '../../src/conversation/conversation-types.js';

// Buttons left on earlier messages invite stale answers. The service refuses those, but the front ends also
// retire them as soon as they are out of date, by the rule the service applies: a new question retires the
// earlier questions' buttons (the gallery above stays pickable), a new gallery or the end retires all.
// Kept in memory: after a restart older buttons are only refused on click, never disabled ahead.

type Kind = 'question' | 'gallery';

/** The messages of each thread that still carry live buttons. */
export class LiveButtons<Ref> {
  readonly #byThread = new Map<string, Array<{ kind: Kind; id: string; ref: Ref }>>();

  /** Records a posted message with buttons; `id` is the platform's message id. */
  add(thread: string, kind: Kind, id: string, ref: Ref): void {
    const list = this.#byThread.get(thread) ?? [];
    list.push({ kind, id, ref });
    this.#byThread.set(thread, list);
  }

  /** Stops tracking a message (its buttons were just pressed and the click handler updates it). */
  forget(thread: string, id: string): void {
    const list = this.#byThread.get(thread)?.filter((m) => m.id !== id);
    this.#set(thread, list ?? []);
  }

  /** Removes and returns the messages that `events`, about to be posted, make stale. */
  staleAfter(thread: string, events: BotEvents): Ref[] {
    const list = this.#byThread.get(thread);
    if (!list) return [];
    const all = events.some((e) => e.kind === 'gallery' || e.kind === 'done');
    const questions = events.some((e) => e.kind === 'question');
    if (!all && !questions) return [];
    const stale = list.filter((m) => all || m.kind === 'question');
    this.#set(thread, list.filter((m) => !stale.includes(m)));
    return stale.map((m) => m.ref);
  }

  /** Threads with live buttons (bounded by the open searches). */
  get threads(): number {
    return this.#byThread.size;
  }

  #set(thread: string, list: Array<{ kind: Kind; id: string; ref: Ref }>): void {
    if (list.length > 0) this.#byThread.set(thread, list);
    else this.#byThread.delete(thread);
  }
}
