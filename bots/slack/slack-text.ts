import type { ThreadKey } from '../../src/conversation/conversation-types.js';

// Small pure helpers for Slack's identifiers and mrkdwn.

/** The conversation key of a Slack thread: `slack:<channel>:<thread_ts>`. */
export function slackThreadKey(channel: string, threadTs: string): ThreadKey {
  return `slack:${channel}:${threadTs}`;
}

/** Channel and thread ts of a `slack:` thread key, or undefined for other platforms' keys. */
export function parseSlackThreadKey(thread: ThreadKey): { channel: string; threadTs: string } | undefined {
  const m = /^slack:([^:]+):(.+)$/.exec(thread);
  return m ? { channel: m[1], threadTs: m[2] } : undefined;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Removes `<@U…>` mentions (of the bot or anyone) and surrounding whitespace from a message. */
export function stripMentions(text: string): string {
  return text.replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Shortens `text` to at most `max` characters, ending with an ellipsis when cut (Block Kit has hard limits). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
