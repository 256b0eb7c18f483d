import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditSink, ConversationService } from '../../src/conversation/conversation-types.js';
import { slackAccessPolicy } from '../../src/access/allow-list.js';
import type { SlackConfig } from '../../src/config/config.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { ThreadQueue } from '../common/thread-queue.js';
import { chatLimiters, type RateLimits } from '../common/user-rate-limiter.js';
import { deliveryId, DeliveryDedupe } from './delivery-dedupe.js';
import { ACTION_PREFIX, answeredMessage, replyTargetOfBlock, staleMessage } from './slack-blocks.js';
import { createSlackApp, postEphemeralFallback } from './slack-app.js';
import { SlackConversations, subject, type Place } from './slack-conversations.js';
import { SlackRenderer, slackErrorSentence } from './slack-renderer.js';
import { parseSlackThreadKey, slackThreadKey, stripMentions } from './slack-text.js';
import { WitnessFrontEnd, type WitnessFrontEndOptions } from '../common/witness-front-end.js';
import { startWitnessRelay } from '../../src/witness/witness-relay.js';

/** What the Slack front end needs; everything else comes from the conversation service. */
export interface SlackBotOptions {
  config: SlackConfig;
  service: ConversationService;
  /** Receives a `refusal` record for every request outside the allow-list (the service audits the rest). */
  audit?: AuditSink;
  /** One line per notable event (start-up, refusals, Slack failures); never receives tokens. */
  log?: (line: string) => void;
  /** Web API base URL, e.g. a local fake's (default https://slack.com/api/). */
  slackApiUrl?: string;
  /** HTTP mode only: the port to listen on (default `config.port`; 0 picks a free one). */
  port?: number;
  /** The slash command that starts a search (default `/ctgi`, as in bots/slack/manifest.yaml). */
  command?: string;
  /** Per-user limits on starting searches and answering (defaults in bots/common/user-rate-limiter.ts). */
  limits?: { starts?: RateLimits; answers?: RateLimits };
  /** Witness links: `/ctgi witness` and `witness` in a search thread (the link goes to the operator only). */
  witness?: WitnessFrontEndOptions;
}

/** A running Slack bot. */
export interface SlackBot {
  readonly mode: 'socket' | 'http';
  /** HTTP mode: the port events are posted to (path `/slack/events`). */
  readonly port: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the Slack front end: `/ctgi <description>` or an @mention starts a search in a thread, buttons and
 * thread replies answer, galleries arrive as a contact sheet plus a ranked list. Socket Mode by default; HTTP
 * mode (signed requests) when `config.mode` is `http`.
 * @throws CtgiError CONFIG_INVALID when a token the mode needs is missing; UPSTREAM_FAILED when Slack refuses to connect.
 */
export async function startSlackBot(options: SlackBotOptions): Promise<SlackBot> {
  const { config, service } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  assertSlackConfig(config);
  const policy = slackAccessPolicy(config);
  log(policy.startupNotice());

  const app = createSlackApp(config, log, options.slackApiUrl);
  const renderer = new SlackRenderer(app.client, service, log);
  const queue = new ThreadQueue((err) => log(`Slack: unexpected failure: ${err instanceof Error ? err.stack : String(err)}`));
  const conversations = new SlackConversations(service, renderer, options.audit, log);
  const command = options.command ?? '/ctgi';
  const dedupe = new DeliveryDedupe(2000);
  const limiters = chatLimiters(options.limits);
  const witness = options.witness ? new WitnessFrontEnd(options.witness, service) : undefined;

  app.use(async (args) => {
    const id = deliveryId(args.body as Record<string, unknown>, args.context.envelopeId as string | undefined);
    if (id !== undefined && dedupe.isDuplicate(id)) {
      log(`Slack: ignored a repeated delivery (${id}, retry ${args.context.retryNum ?? 0}).`);
      // Events were acknowledged by Bolt already; commands and actions still need their ack.
      if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
      return;
    }
    await args.next();
  });

  app.command(command, async ({ command: cmd, ack }) => {
    const place: Place = { team: cmd.team_id, channel: cmd.channel_id, user: { id: cmd.user_id, name: cmd.user_name } };
    const text = cmd.text.trim();
    const decision = policy.check(subject(place));
    if (!decision.allowed) {
      await ack({ response_type: 'ephemeral', text: decision.refusal });
      await conversations.refused(slackThreadKey(cmd.channel_id, '-'), place, decision.reason, text);
      return;
    }
    if (!text) {
      await ack({ response_type: 'ephemeral', text: `Describe the person after the command, e.g. \`${command} woman in a red coat with a black backpack\`.` });
      return;
    }
    const witnessAction = witness?.parse(text);
    if (witness && witnessAction) {
      // Slash commands do not say which thread they were typed in: the operator's latest search here is meant.
      const thread = witness.latest(cmd.channel_id, place.user);
      const reply = thread
        ? await witness.run(thread, place.user, witnessAction)
        : 'No search of yours in this channel yet (since the bot started): type `witness` in the search\'s thread instead; only you will see the link.';
      await ack({ response_type: 'ephemeral', text: reply });
      return;
    }
    const slot = limiters.starts.tryAcquire(place.user.id);
    if (!slot.ok) {
      await ack({ response_type: 'ephemeral', text: slot.message });
      return;
    }
    try {
      await ack();
      let threadTs: string;
      try {
        // The search lives in a thread under this message, so its images stay out of the channel itself.
        const starter = await app.client.chat.postMessage({ channel: cmd.channel_id, text: `:mag: <@${cmd.user_id}> started a person search. Answer the bot's questions in this thread.` });
        threadTs = starter.ts!;
      } catch (err) {
        log(`Slack: could not start a thread in ${cmd.channel_id}: ${err instanceof Error ? err.message : String(err)}`);
        await postEphemeralFallback(cmd.response_url, slackErrorSentence(err));
        return;
      }
      const thread = slackThreadKey(cmd.channel_id, threadTs);
      witness?.started(cmd.channel_id, place.user, thread);
      await queue.run(thread, () => conversations.start(thread, place, text));
    } finally {
      slot.release();
    }
  });

  app.event('app_mention', async ({ event, body, context }) => {
    const e = event as { channel: string; user?: string; ts: string; thread_ts?: string; text: string; team?: string };
    if (!e.user) return;
    const place: Place = { team: e.team ?? (body as { team_id?: string }).team_id ?? context.teamId, channel: e.channel, user: { id: e.user } };
    const thread = slackThreadKey(e.channel, e.thread_ts ?? e.ts);
    const text = stripMentions(e.text);
    await queue.run(thread, async () => {
      const decision = policy.check(subject(place));
      if (!decision.allowed) return conversations.refuse(thread, place, decision.refusal, decision.reason, text);
      if (e.thread_ts && (await witnessCommand(thread, place, text))) return;
      // Inside a thread that has a question pending, a mention is an answer ("@ctgi yes"), not a new search.
      if (e.thread_ts && (await conversations.hasPending(thread))) return answerTyped(thread, place, text);
      if (!text) return renderer.say(thread, `Describe the person after mentioning me, e.g. "<@${context.botUserId ?? 'ctgi'}> man in a grey hoodie".`);
      // A search thread belongs to the user who started it: nobody else restarts it as their own.
      const owner = e.thread_ts ? await conversations.owner(thread) : undefined;
      if (owner !== undefined && owner !== place.user.id) {
        await conversations.refused(thread, place, 'not the owner of this search thread', text);
        return renderer.tell(thread, place.user.id, `This search belongs to <@${owner}>. Start your own with ${command} in the channel, or mention me outside this thread.`);
      }
      const slot = limiters.starts.tryAcquire(place.user.id);
      if (!slot.ok) return renderer.tell(thread, place.user.id, slot.message);
      try {
        witness?.started(e.channel, place.user, thread);
        await conversations.start(thread, place, text);
      } finally {
        slot.release();
      }
    });
  });

  app.event('message', async ({ event, body, context }) => {
    const e = event as { subtype?: string; bot_id?: string; channel: string; user?: string; thread_ts?: string; text?: string; team?: string };
    // Only plain human replies inside a thread; the bot's own messages and edits are ignored, and messages
    // that mention the bot are handled as app_mention.
    if (e.subtype !== undefined || e.bot_id || !e.user || !e.thread_ts || !e.text) return;
    if (e.user === context.botUserId || (context.botUserId && e.text.includes(`<@${context.botUserId}>`))) return;
    const thread = slackThreadKey(e.channel, e.thread_ts);
    const place: Place = { team: e.team ?? (body as { team_id?: string }).team_id ?? context.teamId, channel: e.channel, user: { id: e.user } };
    await queue.run(thread, async () => {
      if (witness?.parse(e.text!) && (await witness.isConversation(thread))) {
        const decision = policy.check(subject(place));
        if (!decision.allowed) return conversations.refuse(thread, place, decision.refusal, decision.reason, e.text);
        await witnessCommand(thread, place, e.text!);
        return;
      }
      if (!(await conversations.hasPending(thread))) return; // not a ctgi conversation, or nothing to answer
      const decision = policy.check(subject(place));
      if (!decision.allowed) return conversations.refuse(thread, place, decision.refusal, decision.reason, e.text);
      return answerTyped(thread, place, e.text!);
    });
  });

  app.action(new RegExp(`^${ACTION_PREFIX}`), async ({ ack, body, action }) => {
    await ack();
    const b = body as { team?: { id?: string } | null; user: { id: string; name?: string; username?: string }; channel?: { id: string }; message?: { ts: string; thread_ts?: string; text?: string; blocks?: unknown[] }; container?: { thread_ts?: string } };
    const a = action as { block_id?: string; value?: string; selected_option?: { value: string; text?: { text: string } }; text?: { text: string } };
    const reply = a.selected_option?.value ?? a.value;
    const channel = b.channel?.id;
    const threadTs = b.message?.thread_ts ?? b.container?.thread_ts;
    if (!reply || !channel || !threadTs || !b.message) return;
    const message = b.message;
    const thread = slackThreadKey(channel, threadTs);
    const place: Place = { team: b.team?.id ?? undefined, channel, user: { id: b.user.id, name: b.user.name ?? b.user.username } };
    // The actions block names the question or gallery the button answers; buttons without one are not ours.
    const target = replyTargetOfBlock(a.block_id);
    await queue.run(thread, async () => {
      const decision = policy.check(subject(place));
      if (!decision.allowed) return conversations.refuse(thread, place, decision.refusal, decision.reason, reply);
      if (!target) {
        log(`Slack: ignored a button with an unknown block id from ${place.user.id}: ${JSON.stringify(String(a.block_id).slice(0, 120))}.`);
        return renderer.tell(thread, place.user.id, 'This button is not valid.');
      }
      const slot = limiters.answers.tryAcquire(place.user.id);
      if (!slot.ok) return renderer.tell(thread, place.user.id, slot.message);
      const label = a.selected_option?.text?.text ?? a.text?.text ?? reply;
      renderer.forget(thread, message.ts);
      try {
        await conversations.answer(thread, place, reply, target, async (events) => {
          // A stale button's message loses its buttons with a note; an answered one says who answered what.
          const stale = events.some((e) => e.kind === 'text' && e.code === 'stale-reply');
          try {
            await app.client.chat.update({ channel, ts: message.ts, ...(stale ? staleMessage(message) : answeredMessage(message, b.user.id, label)) });
          } catch (err) {
            log(`Slack: could not update the clicked message in ${thread}: ${err instanceof Error ? err.message : String(err)}`);
          }
        });
      } finally {
        slot.release();
      }
    });
  });

  /** `witness …` typed in a search thread: the outcome (and a new link) goes to that user only. */
  async function witnessCommand(thread: string, place: Place, text: string): Promise<boolean> {
    const action = witness?.parse(text);
    if (!witness || !action) return false;
    await renderer.tell(thread, place.user.id, await witness.run(thread, place.user, action));
    return true;
  }

  /** A typed reply (message or mention) answers whatever is pending, within the user's answer limits. */
  async function answerTyped(thread: string, place: Place, text: string): Promise<void> {
    const slot = limiters.answers.tryAcquire(place.user.id);
    if (!slot.ok) return renderer.tell(thread, place.user.id, slot.message);
    try {
      await conversations.answer(thread, place, text);
    } finally {
      slot.release();
    }
  }

  app.error(async (err) => {
    log(`Slack: ${err.message}`);
  });

  const unsubscribe = service.onEvents((thread, events, delivery) => {
    if (!parseSlackThreadKey(thread)) return;
    // Every process sharing the conversations hears a timeout's events: one of them posts.
    void queue.run(thread, async () => {
      if (delivery && !(await delivery.claim().catch(() => false))) return;
      await renderer.render(thread, events);
    });
  });
  // A witness's answers (taken by ctgi serve, perhaps in another process) appear in the thread like any answer.
  const relay = witness
    ? startWitnessRelay(witness.options.links.store, 'slack:', (thread, events) => queue.run(thread, () => renderer.render(thread, events)), { intervalMs: witness.options.relayMs, log })
    : undefined;

  let server: Server | undefined;
  try {
    const started = await (config.mode === 'socket' ? app.start() : app.start(options.port ?? config.port));
    if (config.mode === 'http') server = started as Server;
  } catch (err) {
    unsubscribe();
    await relay?.stop();
    await app.stop().catch(() => undefined);
    throw new CtgiError('UPSTREAM_FAILED', `Cannot connect to Slack (${slackErrorSentence(err)}); check SLACK_BOT_TOKEN${config.mode === 'socket' ? ' and SLACK_APP_TOKEN' : ''}.`, { cause: err });
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
  log(config.mode === 'socket' ? 'Slack bot connected (Socket Mode).' : `Slack bot listening for signed requests on port ${port} (/slack/events).`);

  return {
    mode: config.mode,
    port,
    async stop() {
      unsubscribe();
      await relay?.stop();
      await queue.idle();
      await app.stop();
    },
  };
}

/**
 * Checks that the tokens the configured mode needs are set (before any slow start-up work).
 * @throws CtgiError CONFIG_INVALID naming the missing variable.
 */
export function assertSlackConfig(config: SlackConfig): void {
  if (!config.botToken) throw new CtgiError('CONFIG_INVALID', 'Set SLACK_BOT_TOKEN to the app\'s Bot User OAuth Token (xoxb-…) from the Slack app settings, "OAuth & Permissions".');
  if (config.mode === 'socket' && !config.appToken) {
    throw new CtgiError('CONFIG_INVALID', 'Set SLACK_APP_TOKEN to an app-level token (xapp-…) with the connections:write scope, or use CTGI_SLACK_MODE=http with SLACK_SIGNING_SECRET.');
  }
  if (config.mode === 'http' && !config.signingSecret) {
    throw new CtgiError('CONFIG_INVALID', 'CTGI_SLACK_MODE=http needs SLACK_SIGNING_SECRET (Slack app settings, "Basic Information") to verify requests.');
  }
}
