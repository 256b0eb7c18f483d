import { escapeMarkdown, MessageFlags, Routes, type APIActionRowComponent, type APIButtonComponent, type APIChannel, type ButtonInteraction, type ChatInputCommandInteraction, type Client, type Message } from 'discord.js';
import { replyTargetOf, type ConversationService, type ThreadKey } from '../../src/conversation/conversation-types.js';
import type { AccessPolicy } from '../../src/access/allow-list.js';
import type { ChatLimiters } from '../common/user-rate-limiter.js';
import type { ThreadQueue } from '../common/thread-queue.js';
import { DESCRIPTION_OPTION } from './discord-commands.js';
import { parentOf, roleIds, subject, type DiscordConversations, type Place } from './discord-conversations.js';
import { parseCustomId } from './discord-custom-id.js';
import { buttonReplies, disabledRows, discordErrorSentence, discordThreadKey, NO_MENTIONS, type DiscordRenderer } from './discord-renderer.js';

type ButtonRow = APIActionRowComponent<APIButtonComponent>;

/** What the handlers share with the bot. */
export interface DiscordHandlerDeps {
  client: Client;
  service: ConversationService;
  policy: AccessPolicy;
  conversations: DiscordConversations;
  renderer: DiscordRenderer;
  queue: ThreadQueue;
  limiters: ChatLimiters;
  log: (line: string) => void;
}

const INVALID_BUTTON = 'This button is not valid.';

/** The three things a member does: `/search`, press a button, type in a search thread. */
export class DiscordHandlers {
  constructor(private readonly d: DiscordHandlerDeps) {}

  /** `/search description:<text>`: a new thread under a starter message, or (inside a thread its user owns) a restart there. */
  async onSearch(i: ChatInputCommandInteraction): Promise<void> {
    const description = (i.options.getString(DESCRIPTION_OPTION) ?? '').trim();
    const channel = i.channel;
    const inThread = channel?.isThread() === true;
    const parent = inThread ? (channel.parentId ?? i.channelId) : i.channelId;
    const place: Place = { guild: i.guildId, channel: parent, roles: roleIds(i.member), user: { id: i.user.id, name: i.user.username } };
    const privately = (content: string) => i.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    const decision = this.d.policy.check(subject(place));
    if (!decision.allowed) {
      await this.d.conversations.refused(discordThreadKey(parent, '-'), place, decision.reason, description);
      await privately(decision.refusal);
      return;
    }
    if (!i.inGuild()) {
      await privately('Use /search in a server channel: each search gets its own thread there.');
      return;
    }
    if (!description) {
      await privately('Describe the person, e.g. `/search description: woman in a red coat with a black backpack`.');
      return;
    }
    if (inThread) {
      // A search thread belongs to the member who started it: nobody else restarts it as their own.
      const thread = discordThreadKey(parent, i.channelId);
      const owner = await this.d.conversations.owner(thread);
      if (owner !== undefined && owner !== place.user.id) {
        await this.d.conversations.refused(thread, place, 'not the owner of this search thread', description);
        await privately(`This search belongs to <@${owner}>. Start your own with /search in the channel.`);
        return;
      }
    }
    const slot = this.d.limiters.starts.tryAcquire(place.user.id);
    if (!slot.ok) {
      this.d.log(`Discord: slowed down ${place.user.id} (${slot.reason}).`);
      await privately(slot.message);
      return;
    }
    try {
      await this.#startSearch(i, place, description, inThread, parent);
    } finally {
      slot.release();
    }
  }

  async #startSearch(i: ChatInputCommandInteraction, place: Place, description: string, inThread: boolean, parent: string): Promise<void> {
    // Within Discord's 3 s: everything after this may take longer.
    await i.deferReply();
    let threadId: string;
    try {
      const starter = await i.editReply({ content: `🔎 <@${i.user.id}> started a person search. Answer the questions in the thread.`, allowedMentions: NO_MENTIONS });
      if (inThread) {
        threadId = i.channelId;
      } else {
        const thread = (await this.d.client.rest.post(Routes.threads(i.channelId, starter.id), { body: { name: threadName(description), auto_archive_duration: 1440 } })) as APIChannel;
        threadId = thread.id;
      }
    } catch (err) {
      this.d.log(`Discord: could not open a thread in ${i.channelId}: ${err instanceof Error ? err.message : String(err)}`);
      await i.editReply({ content: `⚠️ ${discordErrorSentence(err)}`, allowedMentions: NO_MENTIONS }).catch(() => undefined);
      return;
    }
    const thread = discordThreadKey(parent, threadId);
    await this.d.queue.run(thread, () => this.d.conversations.start(thread, place, description));
  }

  /** A button: checked (custom id, thread, access, rate), retired at once, then answered with its reply target. */
  async onButton(i: ButtonInteraction): Promise<void> {
    const parsed = parseCustomId(i.customId);
    const privately = (content: string) => i.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    // A forged click can name any custom id: it must be ours and belong to a button on the message clicked.
    if (!parsed || !i.component) {
      this.d.log(`Discord: ignored a button with an unknown custom id from ${i.user.id}: ${JSON.stringify(i.customId.slice(0, 120))}.`);
      await privately(INVALID_BUTTON);
      return;
    }
    const parent = await parentOf(this.d.client, i.channelId);
    if (!parent) {
      await privately('This button belongs to a search thread that no longer exists.');
      return;
    }
    const thread = discordThreadKey(parent, i.channelId);
    const place: Place = { guild: i.guildId, channel: parent, roles: roleIds(i.member), user: { id: i.user.id, name: i.user.username } };
    const decision = this.d.policy.check(subject(place));
    if (!decision.allowed) {
      await this.d.conversations.refused(thread, place, decision.reason, parsed.reply);
      await privately(decision.refusal);
      return;
    }
    const slot = this.d.limiters.answers.tryAcquire(place.user.id);
    if (!slot.ok) {
      await privately(slot.message);
      return;
    }
    try {
      // Acknowledge within 3 s by disabling the buttons: a question is answered once.
      this.d.renderer.forget(thread, i.message.id);
      await i.update({ components: disabledRows(i.message.components.map((row) => row.toJSON() as ButtonRow)), allowedMentions: NO_MENTIONS }).catch((err: unknown) => {
        this.d.log(`Discord: could not update the clicked message in ${thread}: ${err instanceof Error ? err.message : String(err)}`);
      });
      const label = (i.component as { label?: string | null }).label ?? parsed.reply;
      await this.d.queue.run(thread, async () => {
        let reply = parsed.reply;
        if (!reply) {
          // The reply was too long for the custom id: take it from the pending event the button names.
          const pending = (await this.d.service.pending(thread)).find((e) => replyTargetOf(e) === parsed.target);
          reply = pending ? (buttonReplies(pending)[parsed.index]?.value ?? '') : '';
        }
        await this.d.conversations.answer(thread, place, reply, parsed.target, async (events) => {
          // A stale button stays disabled; an answered one gives way to who answered what.
          if (events.some((e) => e.kind === 'text' && e.code === 'stale-reply')) return;
          const answered = `\n☑️ <@${i.user.id}> answered **${escapeMarkdown(label)}**`;
          const content = i.message.content.length + answered.length <= 2000 ? i.message.content : `${i.message.content.slice(0, 1999 - answered.length)}…`;
          await i.editReply({ content: `${content}${answered}`, components: [], allowedMentions: NO_MENTIONS }).catch((err: unknown) => {
            this.d.log(`Discord: could not mark the answered message in ${thread}: ${err instanceof Error ? err.message : String(err)}`);
          });
        });
      });
    } finally {
      slot.release();
    }
  }

  /** A typed reply in a search thread answers whatever is pending. */
  async onMessage(m: Message): Promise<void> {
    if (m.author.bot || !m.inGuild() || !m.channel.isThread()) return;
    const text = m.content.replace(/<@!?\d+>/g, ' ').replace(/\s+/g, ' ').trim();
    if (!text) return; // without the MessageContent intent, content is empty unless the bot is mentioned
    const parent = m.channel.parentId ?? (await parentOf(this.d.client, m.channelId));
    if (!parent) return;
    const thread: ThreadKey = discordThreadKey(parent, m.channelId);
    const place: Place = { guild: m.guildId, channel: parent, roles: roleIds(m.member), user: { id: m.author.id, name: m.author.username } };
    await this.d.queue.run(thread, async () => {
      if (!(await this.d.conversations.hasPending(thread))) return; // not a search thread, or nothing to answer
      const decision = this.d.policy.check(subject(place));
      if (!decision.allowed) {
        await this.d.conversations.refused(thread, place, decision.reason, text);
        return this.d.renderer.say(thread, decision.refusal);
      }
      const slot = this.d.limiters.answers.tryAcquire(place.user.id);
      if (!slot.ok) return this.d.renderer.say(thread, `<@${place.user.id}> ${slot.message}`);
      try {
        await this.d.conversations.answer(thread, place, text);
      } finally {
        slot.release();
      }
    });
  }
}

/** Thread names are at most 100 characters. */
function threadName(description: string): string {
  const name = `Search: ${description}`;
  return name.length <= 100 ? name : `${name.slice(0, 99)}…`;
}
