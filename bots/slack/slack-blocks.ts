import type { types } from '@slack/bolt';
import { pickReply, replyTargetOf, type AnswerOption, type BotEvent, type ReplyTarget } from '../../src/conversation/conversation-types.js';
import { whereWhenLabels } from '../../src/conversation/tile-label.js';
import { clip, escapeMrkdwn } from './slack-text.js';

// BotEvents as Block Kit messages. Every button carries the reply text in its `value` (and its action id
// starts with ACTION_PREFIX), and its actions block's id names the question or gallery it answers
// (REPLY_BLOCK_PREFIX + reply target), so a click needs no state on the bot's side and a button left over from
// an earlier question cannot answer the current one. All text Slack renders, the fallback `text` included,
// is escaped: user text must not become `<!channel>` or a disguised link.

type KnownBlock = types.KnownBlock;
type Question = Extract<BotEvent, { kind: 'question' }>;
type Gallery = Extract<BotEvent, { kind: 'gallery' }>;
type Timeline = Extract<BotEvent, { kind: 'timeline' }>;

/** Every ctgi action id starts with this; `ctgi_reply:<i>` for buttons, `ctgi_pick` for the "#n is them" select. */
export const ACTION_PREFIX = 'ctgi_';
export const PICK_ACTION = 'ctgi_pick';
/** Actions blocks are `ctgi_r_<reply target>`, e.g. `ctgi_r_q:1.2` or `ctgi_r_g:0`. */
export const REPLY_BLOCK_PREFIX = 'ctgi_r_';
const REPLY_BLOCK = /^ctgi_r_([qg]:[^\s]{1,100})$/;

/** A message body for chat.postMessage / chat.update: fallback text plus optional blocks. */
export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

// Block Kit limits: 75 characters of button text, 25 elements per actions block, 3000 characters of section text.
const BUTTON_TEXT_MAX = 75;
const ACTIONS_MAX = 25;
const SECTION_MAX = 3000;

const TONE_PREFIX = { info: '', notice: ':information_source: ', error: ':warning: ' } as const;

/** A plain `text` or `done` event. */
export function textMessage(event: Extract<BotEvent, { kind: 'text' | 'done' }>): SlackMessage {
  const prefix = event.kind === 'done' ? (event.reason === 'confirmed' ? ':white_check_mark: ' : ':checkered_flag: ') : TONE_PREFIX[event.tone];
  return { text: `${prefix}${escapeMrkdwn(event.text)}` };
}

/** A question with one button per option (and a hint when free text is accepted too). */
export function questionMessage(event: Question): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'section', block_id: blockId('q', event.id), text: { type: 'mrkdwn', text: clip(`*${escapeMrkdwn(event.text)}*`, SECTION_MAX) } }];
  if (event.options.length > 0) blocks.push({ type: 'actions', block_id: replyBlockId(replyTargetOf(event)!), elements: buttonElements(event.options).slice(0, ACTIONS_MAX) });
  const hints: string[] = [];
  if (event.freeText) hints.push(event.options.length > 0 ? 'Or reply in this thread in your own words.' : 'Reply in this thread in your own words.');
  if (event.timeoutSeconds > 0) hints.push(`If nobody answers within ${formatDuration(event.timeoutSeconds)}, the search carries on without it.`);
  if (hints.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: hints.join(' ') }] });
  return { text: escapeMrkdwn(event.text), blocks };
}

/** The ranked list under the contact sheet, a "#n is them" select and the gallery's buttons. */
export function galleryListMessage(event: Gallery): SlackMessage {
  const heading =
    `*Top ${event.items.length}*${event.round > 0 ? ` after round ${event.round}` : ''} for “${escapeMrkdwn(clip(event.query, 300))}”` +
    (event.demo ? ' _(demo data)_' : '');
  const labels = whereWhenLabels(event.items);
  const lines = event.items.map((item, i) => {
    const where = labels[i] ? `  ·  ${escapeMrkdwn(labels[i])}` : '';
    return `*#${item.rank}*${item.anchor ? ' :star:' : ''}  \`${item.score.toFixed(3)}\`  image ${item.imageId}${where}`;
  });
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip([heading, ...lines].join('\n'), SECTION_MAX) } }];
  const elements: types.ActionsBlockElement[] = [];
  if (event.items.length > 0) {
    elements.push({
      type: 'static_select',
      action_id: PICK_ACTION,
      placeholder: { type: 'plain_text', text: 'That is them: pick #n' },
      options: event.items.slice(0, 100).map((item) => ({ text: { type: 'plain_text', text: pickReply(item.rank) }, value: pickReply(item.rank) })),
    });
  }
  elements.push(...buttonElements(event.options).slice(0, ACTIONS_MAX - elements.length));
  if (elements.length > 0) blocks.push({ type: 'actions', block_id: replyBlockId(replyTargetOf(event)!), elements });
  return { text: `Top ${event.items.length} for “${escapeMrkdwn(clip(event.query, 300))}”`, blocks };
}

/** A timeline strip's list: one line per sighting, in the strip's order (own track, then other cameras, by time). */
export function timelineMessage(event: Timeline): SlackMessage {
  const labels = whereWhenLabels(event.items);
  const lines = event.items.map((item, i) => `*${i + 1}.*  ${escapeMrkdwn(labels[i] || 'unknown place and time')}  ·  image ${item.imageId}${item.imageId === event.imageId ? '  :white_check_mark:' : `  \`${item.cosine.toFixed(2)}\``}`);
  const heading = `*Timeline*${event.demo ? ' _(demo data)_' : ''}: ${escapeMrkdwn(event.text)}`;
  return { text: `Timeline of image ${event.imageId}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip([heading, ...lines].join('\n'), SECTION_MAX) } }] };
}

/**
 * The clicked message with its buttons replaced by "<user> answered <label>", so a question cannot be
 * answered twice and the thread shows who answered what.
 */
export function answeredMessage(original: { text?: string; blocks?: unknown[] }, userId: string, label: string): SlackMessage {
  const kept = ((original.blocks ?? []) as KnownBlock[]).filter((b) => b.type !== 'actions' && b.type !== 'context');
  return {
    // Slack hands the message's text back as it stored it, i.e. already escaped.
    text: original.text ?? escapeMrkdwn(label),
    blocks: [...kept, { type: 'context', elements: [{ type: 'mrkdwn', text: `:ballot_box_with_check: <@${userId}> answered *${escapeMrkdwn(clip(label, 200))}*` }] }],
  };
}

/** A message whose buttons went out of date (its question was answered by typing, or a newer gallery came). */
export function retiredMessage(original: SlackMessage): SlackMessage {
  return { text: original.text, blocks: (original.blocks ?? []).filter((b) => b.type !== 'actions' && b.type !== 'context') };
}

/** The clicked message of an earlier question: its buttons removed, with a note that they are out of date. */
export function staleMessage(original: { text?: string; blocks?: unknown[] }): SlackMessage {
  const kept = ((original.blocks ?? []) as KnownBlock[]).filter((b) => b.type !== 'actions' && b.type !== 'context');
  return { text: original.text ?? 'Out of date', blocks: [...kept, { type: 'context', elements: [{ type: 'mrkdwn', text: ':no_entry_sign: These buttons belonged to an earlier question.' }] }] };
}

/** The reply target an actions block id names, or undefined for anything else (other apps', old or forged). */
export function replyTargetOfBlock(blockId: string | undefined): ReplyTarget | undefined {
  return blockId ? REPLY_BLOCK.exec(blockId)?.[1] : undefined;
}

function replyBlockId(target: ReplyTarget): string {
  return `${REPLY_BLOCK_PREFIX}${target}`.slice(0, 255);
}

function buttonElements(options: AnswerOption[]): types.Button[] {
  return options.map((o, i) => ({
    type: 'button',
    action_id: `${ACTION_PREFIX}reply:${i}`,
    text: { type: 'plain_text', text: clip(o.label, BUTTON_TEXT_MAX) },
    value: o.value.slice(0, 2000),
  }));
}

/** Block ids must be unique within a message and at most 255 characters. */
function blockId(kind: string, id: string): string {
  return `ctgi_${kind}_${id}`.slice(0, 255);
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
