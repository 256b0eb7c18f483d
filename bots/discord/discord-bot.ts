import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, Partials, type Interaction } from 'discord.js';
import type { AuditSink, ConversationService } from '../../src/conversation/conversation-types.js';
import { discordAccessPolicy } from '../../src/access/allow-list.js';
import type { DiscordConfig } from '../../src/config/config.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { ThreadQueue } from '../common/thread-queue.js';
import { chatLimiters, type RateLimits } from '../common/user-rate-limiter.js';
import { SEARCH_COMMAND, WITNESS_COMMAND } from './discord-commands.js';
import { onWitnessCommand } from './discord-witness.js';
import { WitnessFrontEnd, type WitnessFrontEndOptions } from '../common/witness-front-end.js';
import { startWitnessRelay } from '../../src/witness/witness-relay.js';
import { DiscordConversations } from './discord-conversations.js';
import { DiscordHandlers } from './discord-interactions.js';
import { DiscordRenderer, parseDiscordThreadKey } from './discord-renderer.js';

export interface DiscordBotOptions {
  config: DiscordConfig;
  service: ConversationService;
  /** Receives a `refusal` record for every request outside the allow-list (the service audits the rest). */
  audit?: AuditSink;
  /** One line per notable event (start-up, refusals, Discord failures); never receives the token. */
  log?: (line: string) => void;
  /** REST base URL, e.g. a local fake's `http://127.0.0.1:PORT/api` (default Discord's). */
  restApi?: string;
  /** Per-member limits on starting searches and answering (defaults in bots/common/user-rate-limiter.ts). */
  limits?: { starts?: RateLimits; answers?: RateLimits };
  /** Witness links: `/witness` in a search thread (the link goes to the operator only, as an ephemeral reply). */
  witness?: WitnessFrontEndOptions;
}

/** A running Discord bot. */
export interface DiscordBot {
  /** Whether the privileged MessageContent intent was granted, i.e. typed answers in threads work. */
  readonly messageContent: boolean;
  readonly client: Client;
  stop(): Promise<void>;
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
  const conversations = new DiscordConversations(service, renderer, options.audit, log);
  const witness = options.witness ? new WitnessFrontEnd(options.witness, service) : undefined;
  const handlers = new DiscordHandlers({ client, service, policy, conversations, renderer, queue, limiters: chatLimiters(options.limits), log });
  const failed = (what: string) => (err: unknown) => log(`Discord: ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);

  client.on(Events.InteractionCreate, (i: Interaction) => {
    if (i.isChatInputCommand() && i.commandName === SEARCH_COMMAND) void handlers.onSearch(i).catch(failed('interaction'));
    else if (i.isChatInputCommand() && i.commandName === WITNESS_COMMAND && witness) void onWitnessCommand(i, { client, policy, witness, conversations }).catch(failed('interaction'));
    else if (i.isButton()) void handlers.onButton(i).catch(failed('interaction'));
  });
  client.on(Events.MessageCreate, (m) => void handlers.onMessage(m).catch(failed('message handling')));
  client.on(Events.Error, (err) => log(`Discord: ${err.message}`));

  const unsubscribe = service.onEvents((thread, events, delivery) => {
    if (!parseDiscordThreadKey(thread)) return;
    // Every process sharing the conversations hears a timeout's events: one of them posts.
    void queue.run(thread, async () => {
      if (delivery && !(await delivery.claim().catch(() => false))) return;
      await renderer.render(thread, events);
    });
  });
  // A witness's answers (taken by ctgi serve, perhaps in another process) appear in the thread like any answer.
  const relay = witness
    ? startWitnessRelay(witness.options.links.store, 'discord:', (thread, events) => queue.run(thread, () => renderer.render(thread, events)), { intervalMs: witness.options.relayMs, log })
    : undefined;
  log(`Discord bot connected as ${client.user?.tag ?? 'unknown'}${messageContent ? '' : ' (buttons only)'}.`);

  return {
    messageContent,
    client,
    async stop() {
      unsubscribe();
      await relay?.stop();
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
