import type { BotUser, ConversationService, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { WitnessLinks } from '../../src/witness/witness-links.js';
import { parseWitnessCommand, runWitnessAction, type WitnessAction } from './witness-commands.js';

/** What a chat front end needs to offer witness links (`ctgi slack` / `ctgi discord` open it under CTGI_HOME). */
export interface WitnessFrontEndOptions {
  links: WitnessLinks;
  /** `CTGI_PUBLIC_URL`: where witnesses reach `ctgi serve`. */
  publicUrl?: string;
  /** Milliseconds between looks at the relay queue (default 500). */
  relayMs?: number;
}

// The witness-link actions of a chat front end whose threads are conversations (Slack, Discord): it remembers
// each operator's latest search per channel, so a command typed outside the thread still finds it.

/** Witness actions for one chat front end. */
export class WitnessFrontEnd {
  readonly #o: WitnessFrontEndOptions;
  readonly #service: ConversationService;
  readonly #latest = new Map<string, ThreadKey>();

  constructor(options: WitnessFrontEndOptions, service: ConversationService) {
    this.#o = options;
    this.#service = service;
  }

  get options(): WitnessFrontEndOptions {
    return this.#o;
  }

  /** Notes that `user` started a search in `thread` of `channel`. */
  started(channel: string, user: BotUser, thread: ThreadKey): void {
    if (this.#latest.size > 10_000) this.#latest.clear();
    this.#latest.set(`${channel}\u0000${user.id}`, thread);
  }

  /** `user`'s latest search in `channel` (since this process started), if any. */
  latest(channel: string, user: BotUser): ThreadKey | undefined {
    return this.#latest.get(`${channel}\u0000${user.id}`);
  }

  /** Whether `thread` is a ctgi conversation at all (typed `witness` elsewhere is ordinary chat). */
  async isConversation(thread: ThreadKey): Promise<boolean> {
    const status = await this.#service.status?.(thread);
    return status !== undefined ? status !== 'none' : (await this.#service.pending(thread)).length > 0;
  }

  /** Runs `action` for `user` on `thread`; returns the sentence for the operator's eyes only. */
  async run(thread: ThreadKey, user: BotUser, action: WitnessAction): Promise<string> {
    return (await runWitnessAction(this.#o.links, thread, user, action, this.#o.publicUrl)).message;
  }

  /** The action a typed text asks for (`witness`, `witness revoke`, …), or undefined. */
  parse(text: string): WitnessAction | undefined {
    return parseWitnessCommand(text);
  }
}
