import { ButtonStyle, ComponentType, escapeMarkdown, type APIActionRowComponent, type APIButtonComponent } from 'discord.js';
import { pickReply, type AnswerOption, type BotEvent } from '../../agent/service/conversation-types.js';

// BotEvents as Discord message bodies. Each button's custom_id carries its reply (`ctgi:<i>:<reply>`), so a
// click needs no state on the bot's side; a reply too long for the 100-character custom_id is looked up by
// its index `i` in the thread's pending event instead.

type Question = Extract<BotEvent, { kind: 'question' }>;
type Gallery = Extract<BotEvent, { kind: 'gallery' }>;

/** A message body for POST /channels/{id}/messages or an interaction response. */
export interface DiscordMessageBody {
  content: string;
  components?: Array<APIActionRowComponent<APIButtonComponent>>;
}

export const CUSTOM_ID_PREFIX = 'ctgi:';
// Discord limits: 100-character custom ids, 80-character labels, 5 buttons per row, 5 rows, 2000-character messages.
const CUSTOM_ID_MAX = 100;
const LABEL_MAX = 80;
const ROW_SIZE = 5;
const MAX_ROWS = 5;
const CONTENT_MAX = 2000;

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
  return { content: clip(`**${escapeMarkdown(event.text)}**${hint}`, CONTENT_MAX), components: buttonRows(buttonReplies(event), () => ButtonStyle.Secondary) };
}

/** The ranked list that goes with the contact sheet, with "#n is them" buttons and the gallery's own buttons. */
export function galleryBody(event: Gallery): DiscordMessageBody {
  const heading =
    `**Top ${event.items.length}**${event.round > 0 ? ` after round ${event.round}` : ''} for “${escapeMarkdown(clip(event.query, 300))}”` +
    (event.demo ? ' *(demo data)*' : '');
  const lines = event.items.map((item) => {
    const where = [item.camera, item.takenAt].filter(Boolean).map((s) => escapeMarkdown(String(s)));
    return `**#${item.rank}**${item.anchor ? ' ★' : ''} \`${item.score.toFixed(3)}\` image ${item.imageId}${where.length ? ` · ${where.join(' · ')}` : ''}`;
  });
  const picks = event.items.length;
  const content = clip([heading, ...lines, '-# Press the number of the person you saw.'].join('\n'), CONTENT_MAX);
  return { content, components: buttonRows(buttonReplies(event), (i) => (i < picks ? ButtonStyle.Primary : ButtonStyle.Secondary), picks) };
}

/** The custom id of button `index` with `reply`. */
export function customIdFor(index: number, reply: string): string {
  const full = `${CUSTOM_ID_PREFIX}${index}:${reply}`;
  return full.length <= CUSTOM_ID_MAX ? full : `${CUSTOM_ID_PREFIX}${index}:`;
}

/** Index and reply of a ctgi custom id (`reply` empty when it was too long to carry), or undefined. */
export function parseCustomId(customId: string): { index: number; reply: string } | undefined {
  const m = /^ctgi:(\d+):([\s\S]*)$/.exec(customId);
  return m ? { index: Number(m[1]), reply: m[2] } : undefined;
}

/**
 * Rows of at most five buttons, at most five rows. The first `breakAfter` buttons (gallery picks) fill their
 * own rows so the gallery's other buttons start on a fresh row.
 */
function buttonRows(replies: AnswerOption[], style: (index: number) => ButtonStyle, breakAfter = 0): Array<APIActionRowComponent<APIButtonComponent>> {
  const rows: APIButtonComponent[][] = [];
  replies.forEach((reply, i) => {
    const last = rows[rows.length - 1];
    const newRow = !last || last.length >= ROW_SIZE || (breakAfter > 0 && i === breakAfter);
    if (newRow) rows.push([]);
    rows[rows.length - 1].push({ type: ComponentType.Button, style: style(i), label: clip(reply.label, LABEL_MAX), custom_id: customIdFor(i, reply.value) } as APIButtonComponent);
  });
  return rows.slice(0, MAX_ROWS).map((components) => ({ type: ComponentType.ActionRow, components }));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
