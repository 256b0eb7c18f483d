import { once } from 'node:events';
import {
  Client,
  escapeMarkdown,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  Routes,
  type APIChannel,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type GuildMember,
  type APIInteractionGuildMember,
  type Interaction,
  type Message,
} from 'discord.js';
import type { AuditSink, BotEvents, BotUser, ConversationService, ThreadKey } from '../../agent/service/conversation-types.js';
import { discordAccessPolicy, type AccessDecision } from '../../src/access/allow-list.js';
import type { DiscordConfig } from '../../src/config/config.js';
import { CtgiError, userMessage } from '../../src/errors/ctgi-error.js';
import { DESCRIPTION_OPTION, SEARCH_COMMAND } from './discord-commands.js';
import { buttonReplies, parseCustomId } from './discord-render.js';
import { DiscordRenderer, discordErrorSentence, discordThreadKey, parseDiscordThreadKey } from './discord-renderer.js';
import { ThreadQueue } from '../common/thread-queue.js';

export interface DiscordBotOptions {
  config: DiscordConfig;
  service: ConversationService;
  /** Receives a `refusal` record for every request outside the allow-list (the service audits the rest). */
  audit?: AuditSink;
  /** One line per notable event (start-up, refusals, Discord failures); never receives the token. */
  log?: (line: string) => void;
  /** REST base URL, e.g. a local fake's `http://127.0.0.1:PORT/api` (default Discord's). */
  restApi?: string;
}

/** A running Discord bot. */
export interface DiscordBot {
  /** Whether the privileged MessageContent intent was granted, i.e. typed answers in threads work. */
  readonly messageContent: boolean;
  readonly client: Client;
  stop(): Promise<void>;
}

interface Place {
  guild: string | null;
  /** The channel the conversation's thread hangs off. */
  channel: string;
  roles: string[];
  user: BotUser;
}

const BASE_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];

/**
 * Starts the Discord front end: `/search description:<text>` opens a thread per conversation, buttons (and,
 * with the MessageContent intent, typed replies in the thread) answer, galleries arrive as full images plus a
 * contact sheet. When the MessageContent intent is not enabled for the application the bot connects without
 * it and works with buttons alone.
 * @throws CtgiError CONFIG_INVALID without DISCORD_TOKEN; UPSTREAM_FAILED when Discord refuses the login.
 */
export async function startDiscordBot(options: DiscordBotOptions): Promise<DiscordBot> {
  const { config, service } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  assertDiscordConfig(config);
  const policy = discordAccessPolicy(config);
  log(policy.startupNotice());

  let messageContent = true;
  let client: Client;
  try {
    client = await connect(config.token!, [...BASE_INTENTS, GatewayIntentBits.MessageContent], options.restApi);
  } catch (err) {
    if (!/disallowed intents/i.test(err instanceof Error ? err.message : String(err))) throw loginError(err);
    log('Discord: the Message Content intent is not enabled for this application, so typed answers are ignored; buttons still work (enable it under "Bot" → "Privileged Gateway Intents").');
    messageContent = false;
    client = await connect(config.token!, BASE_INTENTS, options.restApi).catch((e: unknown) => {
      throw loginError(e);
    });
  }

  const renderer = new DiscordRenderer(client.rest, service, log);
  renderer.freeTextAccepted = messageContent;
  const queue = new ThreadQueue((err) => log(`Discord: unexpected failure: ${err instanceof Error ? err.stack : String(err)}`));

  const refuse = (thread: ThreadKey, place: Place, decision: Extract<AccessDecision, { allowed: false }>, text: string): void => {
    log(`Discord: refused ${place.user.id} in ${place.channel}: ${decision.reason}.`);
    options.audit?.record({ at: new Date().toISOString(), thread, userId: place.user.id, userName: place.user.name, kind: 'refusal', text: `${decision.reason}${text ? ` — ${text}` : ''}` });
  };

  const converse = async (thread: ThreadKey, call: () => Promise<BotEvents>): Promise<void> => {
    let events: BotEvents;
    try {
      events = await call();
    } catch (err) {
      log(`Discord: conversation ${thread} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      await renderer.say(thread, `⚠️ ${userMessage(err)}`);
      return;
    }
    await renderer.render(thread, events);
  };

  const hasPending = async (thread: ThreadKey): Promise<boolean> => {
    try {
      return (await service.pending(thread)).length > 0;
    } catch {
      return false;
    }
  };

  async function onSearch(i: ChatInputCommandInteraction): Promise<void> {
    const description = (i.options.getString(DESCRIPTION_OPTION) ?? '').trim();
    const channel = i.channel;
    const inThread = channel?.isThread() === true;
    const parent = inThread ? (channel.parentId ?? i.channelId) : i.channelId;
    const place: Place = { guild: i.guildId, channel: parent, roles: roleIds(i.member), user: { id: i.user.id, name: i.user.username } };
    const decision = policy.check(subject(place));
    if (!decision.allowed) {
      refuse(discordThreadKey(parent, '-'), place, decision, description);
      await i.reply({ content: decision.refusal, flags: MessageFlags.Ephemeral });
      return;
    }
    if (!i.inGuild()) {
      await i.reply({ content: 'Use /search in a server channel: each search gets its own thread there.', flags: MessageFlags.Ephemeral });
      return;
    }
    if (!description) {
      await i.reply({ content: 'Describe the person, e.g. `/search description: woman in a red coat with a black backpack`.', flags: MessageFlags.Ephemeral });
      return;
    }
    // Within Discord's 3 s: everything after this may take longer.
    await i.deferReply();
    let threadId: string;
    try {
      const starter = await i.editReply({ content: `🔎 <@${i.user.id}> started a person search. Answer the questions in the thread.`, allowedMentions: { parse: [] } });
      if (inThread) {
        threadId = i.channelId;
      } else {
        const thread = (await client.rest.post(Routes.threads(i.channelId, starter.id), { body: { name: threadName(description), auto_archive_duration: 1440 } })) as APIChannel;
        threadId = thread.id;
      }
    } catch (err) {
      log(`Discord: could not open a thread in ${i.channelId}: ${err instanceof Error ? err.message : String(err)}`);
      await i.editReply({ content: `⚠️ ${discordErrorSentence(err)}` }).catch(() => undefined);
      return;
    }
    const thread = discordThreadKey(parent, threadId);
    await queue.run(thread, () => converse(thread, () => service.start(thread, place.user, description)));
  }

  async function onButton(i: ButtonInteraction, parsed: { index: number; reply: string }): Promise<void> {
    const parent = await parentOf(client, i.channelId);
    if (!parent) {
      await i.reply({ content: 'This button belongs to a search thread that no longer exists.', flags: MessageFlags.Ephemeral });
      return;
    }
    const thread = discordThreadKey(parent, i.channelId);
    const place: Place = { guild: i.guildId, channel: parent, roles: roleIds(i.member), user: { id: i.user.id, name: i.user.username } };
    const decision = policy.check(subject(place));
    if (!decision.allowed) {
      refuse(thread, place, decision, parsed.reply);
      await i.reply({ content: decision.refusal, flags: MessageFlags.Ephemeral });
      return;
    }
    const label = (i.component as { label?: string | null }).label ?? parsed.reply;
    // Acknowledge within 3 s by retiring the buttons: a question is answered once, and the thread shows by whom.
    const answered = `\n☑️ <@${i.user.id}> answered **${escapeMarkdown(label)}**`;
    const content = i.message.content.length + answered.length <= 2000 ? i.message.content : `${i.message.content.slice(0, 1999 - answered.length)}…`;
    await i.update({ content: `${content}${answered}`, components: [], allowedMentions: { parse: [] } }).catch((err: unknown) => {
      log(`Discord: could not update the answered message in ${thread}: ${err instanceof Error ? err.message : String(err)}`);
    });
    await queue.run(thread, async () => {
      let reply = parsed.reply;
      if (!reply) {
        // The reply was too long for the custom id: take it from the pending event by position.
        const pending = (await service.pending(thread)).find((e) => e.kind === 'question' || e.kind === 'gallery');
        reply = pending ? (buttonReplies(pending)[parsed.index]?.value ?? '') : '';
        if (!reply) return renderer.say(thread, 'ℹ️ That button is out of date; use the latest question.');
      }
      return converse(thread, () => service.answer(thread, place.user, reply));
    });
  }

  async function onMessage(m: Message): Promise<void> {
    if (m.author.bot || !m.inGuild() || !m.channel.isThread()) return;
    const text = m.content.replace(/<@!?\d+>/g, ' ').replace(/\s+/g, ' ').trim();
    if (!text) return; // without the MessageContent intent, content is empty unless the bot is mentioned
    const parent = m.channel.parentId ?? (await parentOf(client, m.channelId));
    if (!parent) return;
    const thread = discordThreadKey(parent, m.channelId);
    const place: Place = { guild: m.guildId, channel: parent, roles: roleIds(m.member), user: { id: m.author.id, name: m.author.username } };
    await queue.run(thread, async () => {
      if (!(await hasPending(thread))) return; // not a search thread, or nothing to answer
      const decision = policy.check(subject(place));
      if (!decision.allowed) {
        refuse(thread, place, decision, text);
        return renderer.say(thread, decision.refusal);
      }
      return converse(thread, () => service.answer(thread, place.user, text));
    });
  }

  client.on(Events.InteractionCreate, (i: Interaction) => {
    let work: Promise<void> | undefined;
    if (i.isChatInputCommand() && i.commandName === SEARCH_COMMAND) work = onSearch(i);
    else if (i.isButton()) {
      const parsed = parseCustomId(i.customId);
      if (parsed) work = onButton(i, parsed);
    }
    void work?.catch((err: unknown) => log(`Discord: interaction failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  });
  client.on(Events.MessageCreate, (m) => {
    void onMessage(m).catch((err: unknown) => log(`Discord: message handling failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  });
  client.on(Events.Error, (err) => log(`Discord: ${err.message}`));

  const unsubscribe = service.onEvents((thread, events) => {
    if (!parseDiscordThreadKey(thread)) return;
    void queue.run(thread, () => renderer.render(thread, events));
  });
  log(`Discord bot connected as ${client.user?.tag ?? 'unknown'}${messageContent ? '' : ' (buttons only)'}.`);

  return {
    messageContent,
    client,
    async stop() {
      unsubscribe();
      await queue.idle();
      await client.destroy();
    },
  };
}

/**
 * Checks that the bot token is set (before any slow start-up work).
 * @throws CtgiError CONFIG_INVALID naming DISCORD_TOKEN.
 */
export function assertDiscordConfig(config: DiscordConfig): void {
  if (!config.token) throw new CtgiError('CONFIG_INVALID', 'Set DISCORD_TOKEN to the bot token from the Discord developer portal ("Bot" → "Reset Token").');
}

/** Logs in and waits until every guild has arrived; destroys the client on failure. */
async function connect(token: string, intents: GatewayIntentBits[], restApi: string | undefined): Promise<Client> {
  // Partials.Channel lets interactions carry their (thread) channel, parent id included, without a cache hit.
  const client = new Client({ intents, partials: [Partials.Channel], ...(restApi ? { rest: { api: restApi } } : {}) });
  try {
    const ready = once(client, Events.ClientReady);
    await client.login(token);
    await ready;
    return client;
  } catch (err) {
    await client.destroy().catch(() => undefined);
    throw err;
  }
}

function loginError(err: unknown): CtgiError {
  return new CtgiError('UPSTREAM_FAILED', `Cannot connect to Discord (${err instanceof Error ? err.message : String(err)}); check DISCORD_TOKEN.`, { cause: err });
}

/** The parent channel of a thread, from the cache or the API; undefined when `channelId` is not a thread. */
async function parentOf(client: Client, channelId: string): Promise<string | undefined> {
  let channel = client.channels.cache.get(channelId);
  if (!channel || channel.partial) channel = (await client.channels.fetch(channelId).catch(() => null)) ?? undefined;
  return channel?.isThread() ? (channel.parentId ?? undefined) : undefined;
}

function roleIds(member: GuildMember | APIInteractionGuildMember | null): string[] {
  if (!member) return [];
  if (Array.isArray(member.roles)) return member.roles as string[];
  return [...(member as GuildMember).roles.cache.keys()];
}

function subject(place: Place): Record<string, string | string[] | null> {
  return { guild: place.guild, channel: place.channel, role: place.roles };
}

/** Thread names are at most 100 characters. */
function threadName(description: string): string {
  const name = `Search: ${description}`;
  return name.length <= 100 ? name : `${name.slice(0, 99)}…`;
}
