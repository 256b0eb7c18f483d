import type { APIInteractionGuildMember, Client, GuildMember } from 'discord.js';
import type { AuditSink, BotEvents, BotUser, ConversationService, ThreadKey } from '../../src/conversation/conversation-types.js';
import { userMessage } from '../../src/errors/ctgi-error.js';
import type { DiscordRenderer } from './discord-renderer.js';

/** Where a Discord request comes from. */
export interface Place {
  guild: string | null;
  /** The channel the conversation's thread hangs off. */
  channel: string;
  roles: string[];
  user: BotUser;
}

/** Turns checked Discord requests into service calls and renders the results; access checks are the caller's. */
export class DiscordConversations {
  constructor(
    private readonly service: ConversationService,
    private readonly renderer: DiscordRenderer,
    private readonly audit: AuditSink | undefined,
    private readonly log: (line: string) => void,
  ) {}

  async start(thread: ThreadKey, place: Place, text: string): Promise<void> {
    const events = await this.#call(thread, () => this.service.start(thread, place.user, text));
    if (events) await this.renderer.render(thread, events);
  }

  /**
   * Answers (with the button's reply target, if any) and renders the result; `beforeRender` sees the events
   * first, e.g. to update the clicked message. Returns the events, or undefined when the service failed.
   */
  async answer(thread: ThreadKey, place: Place, reply: string, inReplyTo?: string, beforeRender?: (events: BotEvents) => Promise<void>): Promise<BotEvents | undefined> {
    const events = await this.#call(thread, () => this.service.answer(thread, place.user, reply, inReplyTo));
    if (!events) return undefined;
    await beforeRender?.(events);
    await this.renderer.render(thread, events);
    return events;
  }

  async hasPending(thread: ThreadKey): Promise<boolean> {
    try {
      return (await this.service.pending(thread)).length > 0;
    } catch (err) {
      this.log(`Discord: pending(${thread}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  /** The user who started the search in `thread`, when the service keeps owners. */
  async owner(thread: ThreadKey): Promise<string | undefined> {
    try {
      return await this.service.owner?.(thread);
    } catch (err) {
      this.log(`Discord: owner(${thread}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** Audits and logs a refusal (the caller tells the user). */
  async refused(thread: ThreadKey, place: Place, reason: string, text: string | undefined): Promise<void> {
    this.log(`Discord: refused ${place.user.id} in ${place.channel}: ${reason}.`);
    try {
      await this.audit?.record({ at: new Date().toISOString(), thread, userId: place.user.id, userName: place.user.name, kind: 'refusal', text: `${reason}${text ? ` — ${text}` : ''}` });
    } catch (err) {
      // The refusal itself stands; a broken audit trail is the operator's to see.
      this.log(`Discord: could not write the audit trail: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async #call(thread: ThreadKey, call: () => Promise<BotEvents>): Promise<BotEvents | undefined> {
    try {
      return await call();
    } catch (err) {
      this.log(`Discord: conversation ${thread} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      await this.renderer.say(thread, `⚠️ ${userMessage(err)}`);
      return undefined;
    }
  }
}

/** The allow-list subject of a place. */
export function subject(place: Place): Record<string, string | string[] | null> {
  return { guild: place.guild, channel: place.channel, role: place.roles };
}

/** Role ids of a member, whether discord.js resolved it or not. */
export function roleIds(member: GuildMember | APIInteractionGuildMember | null): string[] {
  if (!member) return [];
  if (Array.isArray(member.roles)) return member.roles as string[];
  return [...(member as GuildMember).roles.cache.keys()];
}

/** The parent channel of a thread, from the cache or the API; undefined when `channelId` is not a thread. */
export async function parentOf(client: Client, channelId: string): Promise<string | undefined> {
  let channel = client.channels.cache.get(channelId);
  if (!channel || channel.partial) channel = (await client.channels.fetch(channelId).catch(() => null)) ?? undefined;
  return channel?.isThread() ? (channel.parentId ?? undefined) : undefined;
}
