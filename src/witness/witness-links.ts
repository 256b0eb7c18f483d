import { pickReply, replyTargetOf, type AuditRecord, type AuditSink, type BotEvent, type BotEvents, type BotUser, type ConversationService, type ThreadKey } from '../conversation/conversation-types.js';
import type { WitnessLink, WitnessLinkStore } from './witness-link-store.js';
import { newBrowserSecret, newWitnessToken, parseWitnessToken, secretMatches, sha256Hex } from './witness-token.js';

// The witness link flow: an operator hands a conversation's questions to a witness outside the team's chat.
// A link is one-time in this sense: the first browser that opens it is bound to it (an HttpOnly cookie whose
// hash is stored); any other browser is refused "already in use". It expires (default 2 hours), can be
// revoked, and dies with its conversation. Answers go through the conversation service's own answer path as
// user `witness-link:<id>`, and are relayed to the operator's thread as "witness (link): …".

/** Default lifetime of a link. */
export const DEFAULT_WITNESS_LINK_TTL_MS = 2 * 3_600_000;

/** Why a link was refused; each has its own plain page. */
export type WitnessRefusal = 'unknown' | 'expired' | 'revoked' | 'in-use' | 'closed';

/** The one-sentence explanation of each refusal, as the witness reads it. */
export const WITNESS_REFUSALS: Record<WitnessRefusal, string> = {
  unknown: 'This link is not valid. Ask the person who sent it for a new one.',
  expired: 'This link has expired. Ask the person who sent it for a new one.',
  revoked: 'This link was withdrawn by the person who sent it.',
  'in-use': 'This link is already in use on another device. Each link works in one browser only; ask for a new one if you need it here.',
  closed: 'This search is finished; there is nothing left to answer. Thank you.',
};

export interface WitnessLinksOptions {
  store: WitnessLinkStore;
  service: ConversationService;
  audit?: AuditSink;
  /** Lifetime of new links (default 2 hours). */
  ttlMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** What the operator gets back from a link action: one sentence, and the token of a new link. */
export interface OperatorOutcome {
  ok: boolean;
  message: string;
  /** A new link's token (shown once; `/w/<token>` on the public address). */
  token?: string;
  expiresAt?: number;
}

/** An opened link: the link and, for a browser seen for the first time, the cookie secret to set. */
export type OpenOutcome = { ok: true; link: WitnessLink; newBrowserSecret?: string } | { ok: false; refusal: WitnessRefusal };

/** What the witness page shows: the pending question, and the gallery only when the operator allowed it. */
export interface WitnessView {
  status: 'waiting' | 'question' | 'gallery' | 'closed';
  question?: Extract<BotEvent, { kind: 'question' }>;
  gallery?: { target: string; items: Array<{ rank: number; imageId: number }>; options: Array<{ label: string; value: string }> };
}

/** What became of a witness's answer. */
export interface WitnessAnswerOutcome {
  status: 'accepted' | 'already-answered' | 'closed' | 'empty';
}

/** The witness-link flow over a store and the conversation service. */
export class WitnessLinks {
  readonly #o: WitnessLinksOptions;
  readonly #now: () => number;
  /** Gallery rounds already audited as seen per link, so polling does not flood the audit trail. */
  readonly #seen = new Map<string, Set<string>>();

  constructor(options: WitnessLinksOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get store(): WitnessLinkStore {
    return this.#o.store;
  }

  /** Creates a link for `thread`; earlier links of the thread are revoked (one live link per conversation). */
  async create(thread: ThreadKey, operator: BotUser): Promise<OperatorOutcome> {
    const refusal = await this.#operatorRefusal(thread, operator);
    if (refusal) return { ok: false, message: refusal };
    const now = this.#now();
    for (const old of await this.#o.store.activeFor(thread, now)) await this.#o.store.revoke(old.id, now);
    const { token, id, secretHash } = newWitnessToken();
    const expiresAt = now + (this.#o.ttlMs ?? DEFAULT_WITNESS_LINK_TTL_MS);
    await this.#o.store.insert({ id, secretHash, thread, createdBy: operator.id, createdAt: now, expiresAt, showGallery: false });
    this.#audit(thread, operator, `link ${id} created, expires ${new Date(expiresAt).toISOString()}, gallery hidden`);
    return { ok: true, message: 'Witness link created.', token, expiresAt };
  }

  /** Revokes the live links of `thread`. */
  async revoke(thread: ThreadKey, operator: BotUser): Promise<OperatorOutcome> {
    const refusal = await this.#operatorRefusal(thread, operator, true);
    if (refusal) return { ok: false, message: refusal };
    const now = this.#now();
    const live = await this.#o.store.activeFor(thread, now);
    for (const link of live) {
      await this.#o.store.revoke(link.id, now);
      this.#audit(thread, operator, `link ${link.id} revoked`);
    }
    return live.length > 0 ? { ok: true, message: 'Witness link revoked: it no longer opens.' } : { ok: false, message: 'This search has no live witness link.' };
  }

  /** Shows (or hides) the gallery to the witness on the live link of `thread`. */
  async showGallery(thread: ThreadKey, operator: BotUser, show: boolean): Promise<OperatorOutcome> {
    const refusal = await this.#operatorRefusal(thread, operator, true);
    if (refusal) return { ok: false, message: refusal };
    const live = await this.#o.store.activeFor(thread, this.#now());
    if (live.length === 0) return { ok: false, message: 'This search has no live witness link; create one first.' };
    for (const link of live) {
      await this.#o.store.setShowGallery(link.id, show);
      this.#audit(thread, operator, `link ${link.id}: gallery ${show ? 'shown' : 'hidden'} to the witness`);
    }
    return { ok: true, message: show ? 'The witness now sees the gallery and can pick the person; every picture they see is audited.' : 'The gallery is hidden from the witness again.' };
  }

  /**
   * Checks a presented token and the browser's cookie secret. The first browser binds the link; a link
   * bound to another browser, expired, revoked or of a finished search is refused.
   */
  async open(token: string, browserSecret: string | undefined): Promise<OpenOutcome> {
    const parsed = parseWitnessToken(token);
    const link = parsed ? await this.#o.store.get(parsed.id) : undefined;
    if (!parsed || !link || !secretMatches(parsed.secret, link.secretHash)) return { ok: false, refusal: 'unknown' };
    if (link.revokedAt !== undefined) return { ok: false, refusal: 'revoked' };
    if (link.expiresAt <= this.#now()) return { ok: false, refusal: 'expired' };
    if ((await this.#o.service.status?.(link.thread)) === 'done') return { ok: false, refusal: 'closed' };
    if (link.browserHash !== undefined) {
      return browserSecret !== undefined && secretMatches(browserSecret, link.browserHash) ? { ok: true, link } : { ok: false, refusal: 'in-use' };
    }
    const secret = newBrowserSecret();
    // Two browsers opening at once: the store binds only the first.
    if (!(await this.#o.store.bindBrowser(link.id, sha256Hex(secret)))) return { ok: false, refusal: 'in-use' };
    this.#audit(link.thread, witnessUser(link), `link ${link.id} opened by a browser (now bound to it)`);
    return { ok: true, link: { ...link, browserHash: sha256Hex(secret) }, newBrowserSecret: secret };
  }

  /** What the witness sees now; a gallery shown to the witness is audited once per round. */
  async view(link: WitnessLink): Promise<WitnessView> {
    if ((await this.#o.service.status?.(link.thread)) === 'done') return { status: 'closed' };
    const pending = await this.#o.service.pending(link.thread);
    const question = pending.find((e): e is Extract<BotEvent, { kind: 'question' }> => e.kind === 'question');
    const gallery = [...pending].reverse().find((e): e is Extract<BotEvent, { kind: 'gallery' }> => e.kind === 'gallery');
    const view: WitnessView = { status: question ? 'question' : gallery ? 'gallery' : 'waiting', ...(question ? { question } : {}) };
    if (gallery && link.showGallery) {
      view.gallery = { target: replyTargetOf(gallery)!, items: gallery.items.map((i) => ({ rank: i.rank, imageId: i.imageId })), options: gallery.options };
      this.#auditSeen(link, gallery);
    }
    return view;
  }

  /** Whether the witness of `link` may load image `imageId` (only from the gallery it was allowed to see). */
  async mayView(link: WitnessLink, imageId: number): Promise<boolean> {
    if (!link.showGallery) return false;
    const pending = await this.#o.service.pending(link.thread);
    const gallery = pending.find((e): e is Extract<BotEvent, { kind: 'gallery' }> => e.kind === 'gallery' && e.items.some((i) => i.imageId === imageId));
    // Audited here too, so a client that fetches pictures without loading the page is recorded as well.
    if (gallery) this.#auditSeen(link, gallery);
    return gallery !== undefined;
  }

  /**
   * Feeds the witness's reply through the service's answer path and relays it (and what followed) to the
   * operator's thread. A reply to a question someone already answered is refused as "already answered".
   */
  async answer(link: WitnessLink, reply: string, inReplyTo: string): Promise<WitnessAnswerOutcome> {
    const text = reply.trim();
    if (!text) return { status: 'empty' };
    if (inReplyTo.startsWith('g:') && !link.showGallery) return { status: 'already-answered' };
    const before = await this.#o.service.pending(link.thread);
    const events = await this.#o.service.answer(link.thread, witnessUser(link), text, inReplyTo);
    if (events.some((e) => e.kind === 'text' && e.code === 'stale-reply')) {
      return { status: (await this.#o.service.status?.(link.thread)) === 'done' ? 'closed' : 'already-answered' };
    }
    const said: BotEvent = { kind: 'text', tone: 'info', text: `witness (link): ${labelOf(before, inReplyTo, text)}` };
    await this.#o.store.enqueueRelay(link.thread, [said, ...events], this.#now());
    return { status: 'accepted' };
  }

  /** Why `operator` may not act on `thread`'s links, or undefined. */
  async #operatorRefusal(thread: ThreadKey, operator: BotUser, existingOnly = false): Promise<string | undefined> {
    const owner = await this.#o.service.owner?.(thread);
    if (owner !== undefined && owner !== operator.id) {
      this.#audit(thread, operator, 'refused: not the owner of this search', 'refusal');
      return 'Only the person who started this search can hand it to a witness.';
    }
    if (existingOnly) return undefined;
    const status = await this.#o.service.status?.(thread);
    if (status === 'done') return 'This search is closed; start a new one before handing it to a witness.';
    if (status === 'none' || (status === undefined && (await this.#o.service.pending(thread)).length === 0)) return 'Start a search first: the link hands its questions to the witness.';
    return undefined;
  }

  #auditSeen(link: WitnessLink, gallery: Extract<BotEvent, { kind: 'gallery' }>): void {
    const seen = this.#seen.get(link.id) ?? new Set<string>();
    const key = `${gallery.round}:${gallery.items.map((i) => i.imageId).join(',')}`;
    if (seen.has(key)) return;
    seen.add(key);
    this.#seen.set(link.id, seen);
    this.#audit(link.thread, witnessUser(link), `link ${link.id}: gallery round ${gallery.round} shown to the witness`, 'gallery', gallery.items.map((i) => i.imageId));
  }

  #audit(thread: ThreadKey, user: BotUser, text: string, kind: AuditRecord['kind'] = 'witness', imageIds?: number[]): void {
    try {
      this.#o.audit?.record({ at: new Date(this.#now()).toISOString(), thread, userId: user.id, ...(user.name ? { userName: user.name } : {}), kind, text, ...(imageIds ? { imageIds } : {}) });
    } catch (err) {
      this.#o.log?.(`ctgi: could not write the audit trail: ${(err as Error).message}`);
    }
  }
}

/** The user a link's answers are recorded under. */
export function witnessUser(link: Pick<WitnessLink, 'id'>): BotUser {
  return { id: `witness-link:${link.id}`, name: 'witness (link)', via: 'witness-link' };
}

/** The label of the option the reply chose (a button), else the reply itself. */
function labelOf(pending: BotEvents, target: string, reply: string): string {
  const event = pending.find((e) => replyTargetOf(e) === target);
  if (event?.kind === 'question') return event.options.find((o) => o.value === reply)?.label ?? reply;
  if (event?.kind === 'gallery') {
    const item = event.items.find((i) => pickReply(i.rank) === reply);
    if (item) return `#${item.rank} is the person`;
    return event.options.find((o) => o.value === reply)?.label ?? reply;
  }
  return reply;
}
