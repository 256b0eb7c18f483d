import { ButtonStyle, ComponentType, escapeMarkdown, Routes, type APIActionRowComponent, type APIButtonComponent, type REST } from 'discord.js';
import { pickReply, replyTargetOf, type AnswerOption, type BotEvent, type BotEvents, type ConversationService, type ThreadKey } from '../../src/conversation/conversation-types.js';
import { whereWhenLabels } from '../../src/conversation/tile-label.js';
import { renderContactSheetFrom } from '../../src/vision/contact-sheet.js';
import { LiveButtons } from '../common/live-buttons.js';
import { TIMELINE_TILES, timelineSheet } from '../common/timeline-sheet.js';
import { customIdFor } from './discord-custom-id.js';

// BotEvents as Discord messages, posted through the REST API (so nothing depends on the channel cache): text
// and questions as messages with button rows; a gallery as one message with up to ten full images, then the
// contact sheet with the ranked list and the buttons. Nothing posted pings anyone (allowed_mentions: none).

type Question = Extract<BotEvent, { kind: 'question' }>;
type Gallery = Extract<BotEvent, { kind: 'gallery' }>;
type Timeline = Extract<BotEvent, { kind: 'timeline' }>;
type ButtonRow = APIActionRowComponent<APIButtonComponent>;

/** A message body for POST /channels/{id}/messages or an interaction response. */
export interface DiscordMessageBody {
  content: string;
  components?: ButtonRow[];
}

/** A file for a multipart message. */
interface Attachment {
  name: string;
  data: Buffer;
  contentType: string;
}

/** Mentions in what the bot posts never ping: descriptions and answers are user text. */
export const NO_MENTIONS = { parse: [] as [] };

// Discord limits: 80-character labels, 5 buttons per row, 5 rows, 2000-character messages, 10 attachments
// per message; bots get 10 MiB per message on unboosted servers.
const LABEL_MAX = 80;
const ROW_SIZE = 5;
const MAX_ROWS = 5;
const CONTENT_MAX = 2000;
const MAX_ATTACHMENTS = 10;
const MAX_MESSAGE_BYTES = 9 * 1024 * 1024;

/** The conversation key of a Discord thread: `discord:<parent channel>:<thread>`. */
export function discordThreadKey(channelId: string, threadId: string): ThreadKey {
  return `discord:${channelId}:${threadId}`;
}

/** Parent channel and thread id of a `discord:` key, or undefined for other platforms. */
export function parseDiscordThreadKey(thread: ThreadKey): { channelId: string; threadId: string } | undefined {
  const m = /^discord:([^:]+):([^:]+)$/.exec(thread);
  return m ? { channelId: m[1], threadId: m[2] } : undefined;
}

/** The replies behind a pending question's or gallery's buttons, in button order. */
export function buttonReplies(event: BotEvent): AnswerOption[] {
  if (event.kind === 'question') return event.options;
  if (event.kind === 'gallery') return [...event.items.map((item) => ({ label: `#${item.rank}`, value: pickReply(item.rank) })), ...event.options];
  return [];
}

/** A `text` or `done` event. */
export function textBody(event: Extract<BotEvent, { kind: 'text' | 'done' }>): DiscordMessageBody {
  const prefix = event.kind === 'done' ? (event.reason === 'confirmed' ? '✅ ' : '🏁 ') : event.tone === 'error' ? '⚠️ ' : event.tone === 'notice' ? 'ℹ️ ' : '';
  return { content: clip(`${prefix}${escapeMarkdown(event.text)}`, CONTENT_MAX) };
}

/** A question: bold text, a hint, and its options as button rows. */
export function questionBody(event: Question, freeTextAccepted: boolean): DiscordMessageBody {
  const hint = event.freeText && freeTextAccepted ? (event.options.length > 0 ? '\n-# Or type your answer in this thread.' : '\n-# Type your answer in this thread.') : '';
  return { content: clip(`**${escapeMarkdown(event.text)}**${hint}`, CONTENT_MAX), components: buttonRows(event, () => ButtonStyle.Secondary) };
}

/** The ranked list that goes with the contact sheet, with "#n is them" buttons and the gallery's own buttons. */
export function galleryBody(event: Gallery): DiscordMessageBody {
  const heading =
    `**Top ${event.items.length}**${event.round > 0 ? ` after round ${event.round}` : ''} for “${escapeMarkdown(clip(event.query, 300))}”` +
    (event.demo ? ' *(demo data)*' : '');
  const labels = whereWhenLabels(event.items);
  const lines = event.items.map((item, i) => {
    const where = labels[i] ? ` · ${escapeMarkdown(labels[i])}` : '';
    return `**#${item.rank}**${item.anchor ? ' ★' : ''} \`${item.score.toFixed(3)}\` image ${item.imageId}${where}`;
  });
  const picks = event.items.length;
  const content = clip([heading, ...lines, '-# Press the number of the person you saw.'].join('\n'), CONTENT_MAX);
  return { content, components: buttonRows(event, (i) => (i < picks ? ButtonStyle.Primary : ButtonStyle.Secondary), picks) };
}

/** A timeline strip's list: one line per sighting in the order given (own track, then other cameras, by time). */
export function timelineBody(event: Timeline): DiscordMessageBody {
  const labels = whereWhenLabels(event.items);
  const lines = event.items.map((item, i) => `**${i + 1}.** ${escapeMarkdown(labels[i] || 'unknown place and time')} · image ${item.imageId}${item.imageId === event.imageId ? ' ✅' : ` · \`${item.cosine.toFixed(2)}\``}`);
  const heading = `**Timeline**${event.demo ? ' *(demo data)*' : ''} — ${escapeMarkdown(event.text)}`;
  return { content: clip([heading, ...lines].join('\n'), CONTENT_MAX) };
}

/** The same button rows with every button disabled (a stale question's buttons stay visible but inert). */
export function disabledRows(rows: readonly ButtonRow[]): ButtonRow[] {
  return rows.map((row) => ({ ...row, components: row.components.map((c) => ({ ...c, disabled: true })) }));
}

/**
 * Rows of at most five buttons, at most five rows. The first `breakAfter` buttons (gallery picks) fill their
 * own rows so the gallery's other buttons start on a fresh row.
 */
function buttonRows(event: Question | Gallery, style: (index: number) => ButtonStyle, breakAfter = 0): ButtonRow[] {
  const target = replyTargetOf(event)!;
  const rows: APIButtonComponent[][] = [];
  buttonReplies(event).forEach((reply, i) => {
    const last = rows[rows.length - 1];
    const newRow = !last || last.length >= ROW_SIZE || (breakAfter > 0 && i === breakAfter);
    if (newRow) rows.push([]);
    rows[rows.length - 1].push({ type: ComponentType.Button, style: style(i), label: clip(reply.label, LABEL_MAX), custom_id: customIdFor(target, i, reply.value) } as APIButtonComponent);
  });
  return rows.slice(0, MAX_ROWS).map((components) => ({ type: ComponentType.ActionRow, components }));
}

/** Posts BotEvents into their Discord thread. */
export class DiscordRenderer {
  readonly #rest: REST;
  readonly #service: Pick<ConversationService, 'readImage'>;
  readonly #log: (line: string) => void;
  readonly #live = new LiveButtons<{ messageId: string; components: ButtonRow[] }>();
  /** Whether typed replies reach the bot (the MessageContent intent); questions only hint at typing then. */
  freeTextAccepted = true;

  constructor(rest: REST, service: Pick<ConversationService, 'readImage'>, log: (line: string) => void) {
    this.#rest = rest;
    this.#service = service;
    this.#log = log;
  }

  /**
   * Renders every event in order; a failure on one is reported in the thread and the rest still go out.
   * Buttons the events make out of date (an earlier question's, or all at a new gallery) are disabled first.
   */
  async render(thread: ThreadKey, events: BotEvents): Promise<void> {
    await this.#retire(thread, this.#live.staleAfter(thread, events));
    for (const event of events) {
      try {
        await this.#renderOne(thread, event);
      } catch (err) {
        this.#log(`Discord: could not post a ${event.kind} event to ${thread}: ${err instanceof Error ? err.message : String(err)}`);
        await this.say(thread, `⚠️ ${discordErrorSentence(err)}`).catch(() => undefined);
      }
    }
  }

  /** Posts a plain message into the thread. */
  async say(thread: ThreadKey, content: string): Promise<void> {
    await this.#send(thread, { content });
  }

  /** Stops tracking a message whose button was just pressed (the click handler updates it itself). */
  forget(thread: ThreadKey, messageId: string): void {
    this.#live.forget(thread, messageId);
  }

  async #renderOne(thread: ThreadKey, event: BotEvent): Promise<void> {
    switch (event.kind) {
      case 'text':
      case 'done':
        await this.#send(thread, textBody(event));
        return;
      case 'question': {
        const body = questionBody(event, this.freeTextAccepted);
        return this.#track(thread, 'question', await this.#send(thread, body), body);
      }
      case 'gallery':
        return this.#gallery(thread, event);
      case 'timeline':
        return this.#timeline(thread, event);
    }
  }

  /** The strip as one contact sheet (time order left to right) with its list; no buttons. */
  async #timeline(thread: ThreadKey, event: Timeline): Promise<void> {
    const items = event.items.slice(0, TIMELINE_TILES);
    const sheet = items.length > 0 ? await timelineSheet(items, event.imageId, (id) => this.#service.readImage(id)) : undefined;
    const files = sheet ? [{ name: `ctgi-timeline-${event.imageId}.png`, data: sheet, contentType: 'image/png' }] : [];
    await this.#send(thread, timelineBody({ ...event, items }), files);
  }

  #track(thread: ThreadKey, kind: 'question' | 'gallery', messageId: string, body: DiscordMessageBody): void {
    if (body.components?.length) this.#live.add(thread, kind, messageId, { messageId, components: body.components });
  }

  async #retire(thread: ThreadKey, stale: Array<{ messageId: string; components: ButtonRow[] }>): Promise<void> {
    const place = parseDiscordThreadKey(thread);
    if (!place) return;
    for (const m of stale) {
      await this.#rest.patch(Routes.channelMessage(place.threadId, m.messageId), { body: { components: disabledRows(m.components), allowed_mentions: NO_MENTIONS } }).catch((err: unknown) => {
        this.#log(`Discord: could not disable out-of-date buttons in ${thread}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  }

  async #gallery(thread: ThreadKey, event: Gallery): Promise<void> {
    const items = event.items.slice(0, MAX_ATTACHMENTS);
    const images: Attachment[] = [];
    const ranks: number[] = [];
    let bytes = 0;
    for (const item of items) {
      const data = await this.#service.readImage(item.imageId).catch((err: unknown) => {
        this.#log(`Discord: image ${item.imageId} unavailable: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (!data || bytes + data.length > MAX_MESSAGE_BYTES) continue;
      bytes += data.length;
      const type = imageType(data);
      images.push({ name: `rank-${String(item.rank).padStart(2, '0')}-image-${item.imageId}.${type.ext}`, data, contentType: type.mime });
      ranks.push(item.rank);
    }
    if (images.length > 0) await this.#send(thread, { content: `Full-size images, by rank (${ranks.map((r) => `#${r}`).join(' ')}):` }, images);
    const sheet = items.length > 0 ? await renderContactSheetFrom(items, (id) => this.#service.readImage(id)) : undefined;
    const files = sheet ? [{ name: `ctgi-gallery-round-${event.round}.png`, data: sheet, contentType: 'image/png' }] : [];
    const body = galleryBody({ ...event, items });
    this.#track(thread, 'gallery', await this.#send(thread, body, files), body);
  }

  /** Posts a message; returns its id. */
  async #send(thread: ThreadKey, body: DiscordMessageBody, files: Attachment[] = []): Promise<string> {
    const place = parseDiscordThreadKey(thread);
    if (!place) throw new Error(`Not a Discord thread key: ${thread}`);
    const message = (await this.#rest.post(Routes.channelMessages(place.threadId), {
      body: { ...body, allowed_mentions: NO_MENTIONS, ...(files.length ? { attachments: files.map((f, i) => ({ id: i, filename: f.name })) } : {}) },
      ...(files.length ? { files } : {}),
    })) as { id: string };
    return message.id;
  }
}

/** One sentence for the user about a Discord API failure. */
export function discordErrorSentence(err: unknown): string {
  const status = (err as { status?: unknown } | null)?.status;
  const code = (err as { code?: unknown } | null)?.code;
  if (status === 403 || code === 50013 || code === 50001) {
    return 'The bot lacks a permission here: it needs View Channel, Send Messages, Send Messages in Threads, Create Public Threads, Attach Files and Read Message History.';
  }
  if (typeof status === 'number') return `Discord refused the request (HTTP ${status}).`;
  return 'Discord could not be reached; try again in a moment.';
}

/** File extension and MIME type from an image's magic bytes (the gallery keeps JPEG, PNG and WebP). */
function imageType(data: Buffer): { ext: string; mime: string } {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { ext: 'png', mime: 'image/png' };
  if (data[0] === 0xff && data[1] === 0xd8) return { ext: 'jpg', mime: 'image/jpeg' };
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return { ext: 'webp', mime: 'image/webp' };
  return { ext: 'bin', mime: 'application/octet-stream' };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
