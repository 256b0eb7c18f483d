import type { AuditSink, BotEvents, BotUser, ConversationService, ThreadKey } from '../../src/conversation/conversation-types.js';
import { userMessage } from '../../src/errors/ctgi-error.js';
import type { SlackRenderer } from './slack-renderer.js';

/** Where a Slack request comes from. */
export interface Place {
  team: string | undefined;
  channel: string;
  user: BotUser;
}

/** Turns checked Slack requests into service calls and renders the results; access checks are the caller's. */
export class SlackConversations {
  constructor(
    private readonly service: ConversationService,
    private readonly renderer: SlackRenderer,
    private readonly audit: AuditSink | undefined,
    private readonly log: (line: string) => void,
  ) {}

  async start(thread: ThreadKey, place: Place, text: string): Promise<void> {
    await this.#converse(thread, () => this.service.start(thread, place.user, text));
  }

  /**
   * Answers (with the button's reply target, if any) and renders the result; `beforeRender` sees the events
   * first, e.g. to update the clicked message. Returns the events, or undefined when the service failed.
   */
  async answer(thread: ThreadKey, place: Place, reply: string, inReplyTo?: string, beforeRender?: (events: BotEvents) => Promise<void>): Promise<BotEvents | undefined> {
    return this.#converse(thread, () => this.service.answer(thread, place.user, reply, inReplyTo), beforeRender);
  }

  /** The user who started the search in `thread`, when the service keeps owners. */
  async owner(thread: ThreadKey): Promise<string | undefined> {
    try {
      return await this.service.owner?.(thread);
    } catch (err) {
      this.log(`Slack: owner(${thread}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  async hasPending(thread: ThreadKey): Promise<boolean> {
    try {
      return (await this.service.pending(thread)).length > 0;
    } catch (err) {
      this.log(`Slack: pending(${thread}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  /** Replies with the one-sentence refusal in the thread and audits it. */
  async refuse(thread: ThreadKey, place: Place, refusal: string, reason: string, text: string | undefined): Promise<void> {
    await this.refused(thread, place, reason, text);
    await this.renderer.say(thread, refusal);
  }

  /** Audits and logs a refusal (the caller has told the user). */
  async refused(thread: ThreadKey, place: Place, reason: string, text: string | undefined): Promise<void> {
    this.log(`Slack: refused ${place.user.id} in ${place.channel}: ${reason}.`);
    try {
      await this.audit?.record({ at: new Date().toISOString(), thread, userId: place.user.id, userName: place.user.name, kind: 'refusal', text: `${reason}${text ? ` — ${text}` : ''}` });
    } catch (err) {
      // The refusal itself stands; a broken audit trail is the operator's to see.
      this.log(`Slack: could not write the audit trail: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async #converse(thread: ThreadKey, call: () => Promise<BotEvents>, beforeRender?: (events: BotEvents) => Promise<void>): Promise<BotEvents | undefined> {
    let events: BotEvents;
    try {
      events = await call();
    } catch (err) {
      this.log(`Slack: conversation ${thread} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      await this.renderer.say(thread, `:warning: ${userMessage(err)}`);
      return undefined;
    }
    await beforeRender?.(events);
    await this.renderer.render(thread, events);
    return events;
  }
}

/** The allow-list subject of a place. */
export function subject(place: Place): Record<string, string | undefined> {
  return { team: place.team, channel: place.channel, user: place.user.id };
}
