// The terminal front end (`ctgi chat`): the same dialogue over readline. Options are numbered (type 1/2/3 or
// free text), galleries are a numbered list with rank, score and image path; "#4 is them", "none", "refine"
// and "stop" work as typed. "new" starts another search; "quit" or Ctrl-D leaves.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { AnswerOption, BotEvent, BotEvents, BotUser, ConversationService, GalleryItem, ThreadKey } from '../../src/conversation/conversation-types.js';
import { whereWhenLabels } from '../../src/conversation/tile-label.js';
import { userMessage } from '../../src/errors/ctgi-error.js';

export interface TerminalChatOptions {
  service: ConversationService;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Who is typing (the OS user by default in `ctgi chat`). */
  user: BotUser;
  /** How an image is shown; default its path as stored in the index. */
  describeImage?: (item: GalleryItem) => string;
}

type Pending = { kind: 'question' | 'gallery'; options: AnswerOption[] } | undefined;

/** Runs the dialogue until "quit" or the end of input. Service errors are printed and the chat goes on. */
export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const chat = new TerminalChat(options);
  await chat.run();
}

class TerminalChat {
  readonly #o: TerminalChatOptions;
  #thread: ThreadKey | undefined;
  #pending: Pending;

  constructor(options: TerminalChatOptions) {
    this.#o = options;
  }

  async run(): Promise<void> {
    const { input, output, service } = this.#o;
    const interactive = (input as { isTTY?: boolean }).isTTY === true;
    const rl = createInterface({ input, output: interactive ? output : undefined, terminal: interactive, prompt: '> ' });
    const unsubscribe = service.onEvents((thread, events) => {
      if (thread !== this.#thread) return;
      this.#render(events);
      if (interactive) rl.prompt(true);
    });
    try {
      this.#say(service.demo ? 'ctgi chat — searching the synthetic demo world (demo data).' : 'ctgi chat — searching the configured gallery.');
      this.#say('Describe the person you are looking for ("quit" or Ctrl-D to leave).');
      if (interactive) rl.prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === 'quit' || line === 'exit') break;
        if (line.length > 0) await this.#handle(line);
        if (interactive) rl.prompt();
      }
    } finally {
      unsubscribe();
      rl.close();
    }
    this.#say('Bye.');
  }

  async #handle(line: string): Promise<void> {
    const { service, user } = this.#o;
    try {
      if (line.toLowerCase() === 'new') {
        this.#thread = undefined;
        this.#pending = undefined;
        this.#say('Describe the person you are looking for.');
        return;
      }
      // After a confirmation the thread is kept: "timeline" asks for the confirmed person's timeline there.
      if (this.#thread !== undefined && this.#pending === undefined && /^(?:show\s+(?:me\s+)?)?(?:the\s+)?timeline\b/i.test(line)) {
        this.#render(await service.answer(this.#thread, user, line));
        return;
      }
      if (this.#thread === undefined || this.#pending === undefined) {
        this.#thread = `terminal:${safeId(user.id)}:${randomBytes(6).toString('hex')}`;
        this.#render(await service.start(this.#thread, user, line));
        return;
      }
      this.#render(await service.answer(this.#thread, user, this.#reply(line)));
    } catch (err) {
      this.#say(`error: ${userMessage(err)}`);
    }
  }

  /** What to send for a typed line: an option's value for its number or label, else the text as typed. */
  #reply(line: string): string {
    const options = this.#pending?.options ?? [];
    if (this.#pending?.kind === 'question' && /^\d+$/.test(line)) {
      const option = options[Number(line) - 1];
      if (option) return option.value;
    }
    const lower = line.toLowerCase();
    const named = options.find((o) => o.label.toLowerCase() === lower || o.value.toLowerCase() === lower);
    if (named) return named.value;
    if (lower === 'none' && this.#pending?.kind === 'gallery') return options.find((o) => o.value.toLowerCase().startsWith('none'))?.value ?? 'none of these';
    return line;
  }

  #render(events: BotEvents): void {
    for (const event of events) this.#renderOne(event);
  }

  #renderOne(event: BotEvent): void {
    switch (event.kind) {
      case 'text':
        this.#say(event.tone === 'info' ? event.text : `${event.tone}: ${event.text}`);
        return;
      case 'question':
        this.#pending = { kind: 'question', options: event.options };
        this.#say(`? ${event.text}`);
        if (event.options.length > 0) this.#say(`  ${event.options.map((o, i) => `${i + 1}) ${o.label}`).join('   ')}${event.freeText ? '   (or type an answer)' : ''}`);
        return;
      case 'gallery': {
        this.#pending = { kind: 'gallery', options: event.options };
        this.#say(`Top ${event.items.length}${event.round > 0 ? ` after round ${event.round}` : ''}${event.demo ? ' [demo data]' : ''} for: ${event.query}`);
        const describe = this.#o.describeImage ?? ((item: GalleryItem) => item.path);
        const labels = whereWhenLabels(event.items);
        for (const [i, item] of event.items.entries()) {
          const extra = [`image ${item.imageId}`, labels[i] || undefined, item.anchor ? 'anchor' : undefined].filter(Boolean).join(', ');
          this.#say(`  #${String(item.rank).padEnd(3)} ${item.score.toFixed(2)}  ${describe(item)}  (${extra})`);
        }
        const named = event.options.map((o) => `"${o.value}"`).join(', ');
        this.#say(`Reply "#n is them"${named ? `, ${named}` : ''}.`);
        return;
      }
      case 'timeline': {
        this.#say(`Timeline${event.demo ? ' [demo data]' : ''}: ${event.text}`);
        const describe = this.#o.describeImage ?? ((item: GalleryItem) => item.path);
        const labels = whereWhenLabels(event.items);
        event.items.forEach((item, i) => this.#say(`  ${String(i + 1).padStart(2)}. ${(labels[i] || 'unknown place and time').padEnd(16)} ${item.imageId === event.imageId ? 'confirmed' : item.cosine.toFixed(2).padStart(9)}  ${describe(item)}  (image ${item.imageId})`));
        return;
      }
      case 'done':
        this.#pending = undefined;
        this.#say(`✔ ${event.text}`);
        this.#say('Describe another person, or type "quit".');
        return;
    }
  }

  #say(text: string): void {
    this.#o.output.write(`${text}\n`);
  }
}

/** A user id fit for a thread key (no colons). */
function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'user';
}
