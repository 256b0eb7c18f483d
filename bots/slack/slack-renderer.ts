import type { webApi } from '@slack/bolt';
import type { BotEvent, BotEvents, ConversationService, ThreadKey } from '../../src/conversation/conversation-types.js';
import { renderContactSheetFrom } from '../../src/vision/contact-sheet.js';
import { LiveButtons } from '../common/live-buttons.js';
import { galleryListMessage, questionMessage, retiredMessage, textMessage, timelineMessage, type SlackMessage } from './slack-blocks.js';
import { TIMELINE_TILES, timelineSheet } from '../common/timeline-sheet.js';
import { parseSlackThreadKey } from './slack-text.js';

type WebClient = webApi.WebClient;
type Gallery = Extract<BotEvent, { kind: 'gallery' }>;

/** Tiles on one contact sheet (5×2). */
const SHEET_TILES = 10;

/**
 * Posts BotEvents into their Slack thread, in order: text and questions as messages, a gallery as one
 * contact-sheet PNG (files.uploadV2) followed by the ranked list with its buttons. Nothing is ever posted
 * outside the conversation's own thread.
 */
export class SlackRenderer {
  readonly #client: WebClient;
  readonly #service: Pick<ConversationService, 'readImage'>;
  readonly #log: (line: string) => void;
  readonly #live = new LiveButtons<{ ts: string; message: SlackMessage }>();

  constructor(client: WebClient, service: Pick<ConversationService, 'readImage'>, log: (line: string) => void) {
    this.#client = client;
    this.#service = service;
    this.#log = log;
  }

  /**
   * Renders every event; a failure on one is reported in the thread (one sentence) and the rest still go out.
   * Buttons the events make out of date (an earlier question's, or all at a new gallery) are removed first.
   */
  async render(thread: ThreadKey, events: BotEvents): Promise<void> {
    await this.#retire(thread, this.#live.staleAfter(thread, events));
    for (const event of events) {
      try {
        await this.#renderOne(thread, event);
      } catch (err) {
        this.#log(`Slack: could not post a ${event.kind} event to ${thread}: ${describeError(err)}`);
        await this.say(thread, `:warning: ${slackErrorSentence(err)}`).catch(() => undefined);
      }
    }
  }

  /** Posts one message into the thread. */
  async say(thread: ThreadKey, text: string): Promise<void> {
    await this.#post(thread, { text });
  }

  /** Shows one message in the thread to `userId` only (refusals and "slow down" concern nobody else). */
  async tell(thread: ThreadKey, userId: string, text: string): Promise<void> {
    const { channel, threadTs } = where(thread);
    await this.#client.chat.postEphemeral({ channel, user: userId, thread_ts: threadTs, text });
  }

  /** Stops tracking a message whose button was just pressed (the action handler updates it itself). */
  forget(thread: ThreadKey, ts: string): void {
    this.#live.forget(thread, ts);
  }

  async #renderOne(thread: ThreadKey, event: BotEvent): Promise<void> {
    switch (event.kind) {
      case 'text':
      case 'done':
        await this.#post(thread, textMessage(event));
        return;
      case 'question': {
        const message = questionMessage(event);
        const ts = await this.#post(thread, message);
        if (event.options.length > 0) this.#live.add(thread, 'question', ts, { ts, message });
        return;
      }
      case 'gallery':
        return this.#gallery(thread, event);
      case 'timeline':
        return this.#timeline(thread, event);
    }
  }

  /** The strip as one contact sheet (time order left to right), then its list; no buttons. */
  async #timeline(thread: ThreadKey, event: Extract<BotEvent, { kind: 'timeline' }>): Promise<void> {
    const { channel, threadTs } = where(thread);
    const items = event.items.slice(0, TIMELINE_TILES);
    if (items.length > 0) {
      try {
        const sheet = await timelineSheet(items, event.imageId, (id) => this.#service.readImage(id));
        await this.#client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file: sheet, filename: `ctgi-timeline-${event.imageId}.png`, title: `Timeline of image ${event.imageId}`, alt_text: `The ${items.length} sightings of the timeline, in order` });
      } catch (err) {
        this.#log(`Slack: timeline upload to ${thread} failed: ${describeError(err)}`);
        await this.say(thread, `:warning: The timeline picture could not be uploaded (${slackErrorSentence(err)}); the list follows.`);
      }
    }
    await this.#post(thread, timelineMessage({ ...event, items }));
  }

  async #retire(thread: ThreadKey, stale: Array<{ ts: string; message: SlackMessage }>): Promise<void> {
    if (stale.length === 0) return;
    const { channel } = where(thread);
    for (const m of stale) {
      await this.#client.chat.update({ channel, ts: m.ts, ...retiredMessage(m.message) }).catch((err: unknown) => {
        this.#log(`Slack: could not remove out-of-date buttons in ${thread}: ${describeError(err)}`);
      });
    }
  }

  async #gallery(thread: ThreadKey, event: Gallery): Promise<void> {
    const { channel, threadTs } = where(thread);
    const shown = { ...event, items: event.items.slice(0, SHEET_TILES) };
    if (shown.items.length > 0) {
      try {
        const sheet = await renderContactSheetFrom(shown.items, (id) => this.#service.readImage(id));
        await this.#client.filesUploadV2({
          channel_id: channel,
          thread_ts: threadTs,
          file: sheet,
          filename: `ctgi-gallery-round-${event.round}.png`,
          title: `Top ${shown.items.length}${event.round > 0 ? `, round ${event.round}` : ''}`,
          alt_text: `Contact sheet of the top ${shown.items.length} images, numbered by rank`,
        });
      } catch (err) {
        // The ranked list and its buttons still work without the picture, so carry on.
        this.#log(`Slack: contact sheet upload to ${thread} failed: ${describeError(err)}`);
        await this.say(thread, `:warning: The gallery picture could not be uploaded (${slackErrorSentence(err)}); the ranked list follows.`);
      }
    }
    const list = galleryListMessage(shown);
    const ts = await this.#post(thread, list);
    this.#live.add(thread, 'gallery', ts, { ts, message: list });
  }

  /** Posts a message into the thread; returns its ts. */
  async #post(thread: ThreadKey, message: SlackMessage): Promise<string> {
    const { channel, threadTs } = where(thread);
    const posted = await this.#client.chat.postMessage({ channel, thread_ts: threadTs, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}), unfurl_links: false, unfurl_media: false });
    return posted.ts ?? '';
  }
}

function where(thread: ThreadKey): { channel: string; threadTs: string } {
  const place = parseSlackThreadKey(thread);
  if (!place) throw new Error(`Not a Slack thread key: ${thread}`);
  return place;
}

/** One sentence for the user about a Slack Web API failure. */
export function slackErrorSentence(err: unknown): string {
  const data = (err as { data?: { error?: unknown; needed?: unknown } } | null)?.data;
  const code = typeof data?.error === 'string' ? data.error : undefined;
  if (code === 'not_in_channel' || code === 'channel_not_found') return 'The bot is not a member of this channel: invite it with /invite and try again.';
  if (code === 'missing_scope') return `The Slack app lacks the ${typeof data?.needed === 'string' ? data.needed : 'required'} scope: reinstall it from bots/slack/manifest.yaml.`;
  if (code) return `Slack refused the request (${code}).`;
  return 'Slack could not be reached; try again in a moment.';
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
