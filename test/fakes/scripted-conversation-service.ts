// A scripted ConversationService for front-end tests (web, terminal, Slack, Discord). It follows the real
// service's contract without any model: description → a Yes/No/Not sure question → a gallery of 10 small
// PNGs → "#n is them" → done. "none of these" and "refine" ask another question and then show the next 10
// images; "stop" ends the search. Every call is recorded in `calls` and, like the real service, written to an
// optional AuditSink.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { parseOperatorCommand } from '../../agent/operator/operator-commands.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  pickReply,
  replyTargetOf,
  type AnswerOption,
  type AuditRecord,
  type AuditSink,
  type BotEvent,
  type BotEvents,
  type BotUser,
  type ConversationService,
  type ConversationStatus,
  type EventListener,
  type GalleryItem,
  type OperatorAction,
  type ReplyTarget,
  type ThreadKey,
} from '../../src/conversation/conversation-types.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { writeSolid, type Rgb } from '../fixtures/images.js';

export interface ScriptedServiceOptions {
  /** Where the gallery PNGs are written; default a fresh temp dir that `close()` removes. */
  imagesDir?: string;
  /** Reported as `service.demo` and on every gallery (default true). */
  demo?: boolean;
  /** Number of gallery images; each round shows the next 10 (default 30). */
  imageCount?: number;
  /** Id of the first image (default 101), so ids never look like ranks. */
  firstImageId?: number;
  /** Side of the square PNGs in pixels (default 16). */
  imageSize?: number;
  /** `timeoutSeconds` on every question (default 120). */
  questionTimeoutSeconds?: number;
  audit?: AuditSink;
}

/** One call the fake received, in order. */
export interface ScriptedCall {
  method: 'start' | 'answer' | 'act' | 'pending' | 'readImage';
  thread?: ThreadKey;
  user?: BotUser;
  text?: string;
  /** The reply target an answer named (buttons), if any. */
  inReplyTo?: ReplyTarget;
  imageId?: number;
  /** The operator action `act` was called with. */
  action?: OperatorAction;
}

interface ThreadState {
  round: number;
  /** What is pending: the events that re-render it. */
  pending: BotEvent[];
  questionCount: number;
  /** The last gallery shown: still answerable while a question is pending. */
  shown?: BotEvent;
  /** The description, which every gallery's query repeats (as q̂ does). */
  description: string;
}

export const GALLERY_SIZE = 10;
export const GALLERY_OPTIONS: AnswerOption[] = [
  { label: 'None of these', value: 'none of these' },
  { label: 'Refine', value: 'refine' },
  { label: 'Done', value: 'stop' },
  { label: 'By time', value: 'by time' },
  { label: 'Export', value: 'export' },
];
export const QUESTION_OPTIONS: AnswerOption[] = [
  { label: 'Yes', value: 'yes' },
  { label: 'No', value: 'no' },
  { label: 'Not sure', value: "don't know" },
];
const QUESTIONS = ['Was the person carrying a bag?', 'Was the person wearing a hat?', 'Did the person have long hair?', 'Was the jacket dark?'];

/** The fake service; create it with `ScriptedConversationService.create()` (the PNGs are written first). */
export class ScriptedConversationService implements ConversationService {
  readonly demo: boolean;
  readonly imagesDir: string;
  /** Image ids in gallery order. */
  readonly imageIds: number[];
  readonly calls: ScriptedCall[] = [];
  closed = false;
  readonly #ownsDir: boolean;
  readonly #options: Required<Omit<ScriptedServiceOptions, 'imagesDir' | 'audit'>> & { audit: AuditSink | undefined };
  readonly #threads = new Map<ThreadKey, ThreadState>();
  readonly #listeners = new Set<EventListener>();
  readonly #owners = new Map<ThreadKey, string>();
  readonly #finished = new Set<ThreadKey>();

  private constructor(imagesDir: string, ownsDir: boolean, options: ScriptedServiceOptions) {
    this.imagesDir = imagesDir;
    this.#ownsDir = ownsDir;
    this.#options = {
      demo: options.demo ?? true,
      imageCount: options.imageCount ?? 30,
      firstImageId: options.firstImageId ?? 101,
      imageSize: options.imageSize ?? 16,
      questionTimeoutSeconds: options.questionTimeoutSeconds ?? 120,
      audit: options.audit,
    };
    this.demo = this.#options.demo;
    this.imageIds = Array.from({ length: this.#options.imageCount }, (_, i) => this.#options.firstImageId + i);
  }

  /** Writes one distinct solid-colour PNG per image id, then returns the service. */
  static async create(options: ScriptedServiceOptions = {}): Promise<ScriptedConversationService> {
    const ownsDir = options.imagesDir === undefined;
    const dir = options.imagesDir ?? (await mkdtemp(join(tmpdir(), 'ctgi-scripted-service-')));
    await mkdir(dir, { recursive: true });
    const service = new ScriptedConversationService(dir, ownsDir, options);
    const size = service.#options.imageSize;
    await Promise.all(service.imageIds.map((id) => writeSolid(service.imagePath(id), size, size, colourOf(id))));
    return service;
  }

  /** The file behind an image id. */
  imagePath(imageId: number): string {
    return join(this.imagesDir, imageFileName(imageId));
  }

  /** The image ids round `round` shows (ranks 1..10). */
  galleryIds(round: number): number[] {
    const n = this.imageIds.length;
    return Array.from({ length: Math.min(GALLERY_SIZE, n) }, (_, i) => this.imageIds[(round * GALLERY_SIZE + i) % n]!);
  }

  async start(thread: ThreadKey, user: BotUser, text: string): Promise<BotEvents> {
    this.#live();
    this.calls.push({ method: 'start', thread, user, text });
    const description = text.trim();
    // As the real service does, "timeline" in a thread that had a search asks for the timeline.
    if (description.toLowerCase() === 'timeline' && this.#owners.has(thread)) return this.act(thread, user, { kind: 'timeline' });
    if (description.length === 0) {
      return [{ kind: 'text', tone: 'error', text: 'Please describe the person first, e.g. "a woman in a red coat with a black bag".' }];
    }
    const owner = this.#owners.get(thread);
    if (owner !== undefined && owner !== user.id) {
      this.#audit(thread, user, 'refusal', 'not the owner of this search');
      return [{ kind: 'text', tone: 'notice', code: 'not-owner', text: 'This search belongs to the person who started it; start your own search outside this thread.' }];
    }
    this.#owners.set(thread, user.id);
    this.#finished.delete(thread);
    this.#audit(thread, user, 'description', description);
    const state: ThreadState = { round: 0, pending: [], questionCount: 0, description };
    this.#threads.set(thread, state);
    return [{ kind: 'text', tone: 'info', text: `Searching for "${description}".` }, this.#ask(thread, user, state)];
  }

  async answer(thread: ThreadKey, user: BotUser, reply: string, inReplyTo?: ReplyTarget): Promise<BotEvents> {
    this.#live();
    this.calls.push({ method: 'answer', thread, user, text: reply, ...(inReplyTo !== undefined ? { inReplyTo } : {}) });
    // As the real service: the owner's short commands (and the operator buttons) act; a pressed button's
    // pending gallery is posted again when the action posted nothing to answer.
    const action = parseOperatorCommand(reply);
    if (action && this.#owners.get(thread) !== undefined) {
      const acted = await this.act(thread, user, action);
      return inReplyTo !== undefined && this.#owners.get(thread) === user.id ? [...acted, ...(await this.pending(thread))] : acted;
    }
    const state = this.#threads.get(thread);
    if (this.#owners.has(thread) && inReplyTo === undefined && reply.trim().toLowerCase() === 'timeline') return this.act(thread, user, { kind: 'timeline' });
    if (!state || state.pending.length === 0) {
      if (inReplyTo !== undefined) return [{ kind: 'text', tone: 'notice', code: 'stale-reply', text: 'This search is closed, so its buttons answer nothing.' }];
      return [{ kind: 'text', tone: 'notice', text: 'Nothing is pending here: describe the person to start a new search.' }];
    }
    if (inReplyTo !== undefined) {
      const answerable = [replyTargetOf(state.pending[0]!), ...(state.pending[0]!.kind === 'question' && state.shown ? [replyTargetOf(state.shown)] : [])];
      if (!answerable.includes(inReplyTo)) {
        this.#audit(thread, user, 'refusal', `stale reply to ${inReplyTo}: ${reply}`);
        return [{ kind: 'text', tone: 'notice', code: 'stale-reply', text: 'That button belongs to an earlier question; answer the current one.' }];
      }
    }
    this.#audit(thread, user, 'answer', reply);
    return this.#step(thread, user, state, reply.trim().toLowerCase());
  }

  /** Records the action: not the owner → refused; a timeline → the first three images (cameras and times set); else a notice. */
  async act(thread: ThreadKey, user: BotUser, action: OperatorAction): Promise<BotEvents> {
    this.#live();
    this.calls.push({ method: 'act', thread, user, action });
    if (this.#owners.get(thread) !== user.id) return [{ kind: 'text', tone: 'notice', code: 'not-owner', text: 'This search belongs to the person who started it; start your own search outside this thread.' }];
    if (action.kind !== 'timeline') return [{ kind: 'text', tone: 'info', text: `Action ${action.kind} noted.` }];
    const ids = this.imageIds.slice(0, 3);
    const items: GalleryItem[] = ids.map((imageId, i) => ({ rank: i + 1, imageId, path: imageFileName(imageId), score: 1, cosine: 1 - i * 0.1, anchor: i === 0, camera: `cam-${(imageId % 3) + 1}`, takenAt: `2026-12-04T13:0${i}:00.000Z` }));
    return [{ kind: 'timeline', imageId: action.imageId ?? ids[0]!, items, text: `Seen ${items.length} times.`, demo: this.demo }];
  }

  async owner(thread: ThreadKey): Promise<string | undefined> {
    return this.#owners.get(thread);
  }

  async pending(thread: ThreadKey): Promise<BotEvents> {
    this.calls.push({ method: 'pending', thread });
    return [...(this.#threads.get(thread)?.pending ?? [])];
  }

  async status(thread: ThreadKey): Promise<ConversationStatus> {
    const state = this.#threads.get(thread);
    return this.#finished.has(thread) ? 'done' : state ? 'active' : 'none';
  }

  async readImage(imageId: number): Promise<Buffer> {
    this.calls.push({ method: 'readImage', imageId });
    if (!this.imageIds.includes(imageId)) throw new CtgiError('NOT_FOUND', `No gallery image has id ${imageId}.`);
    return readFile(this.imagePath(imageId));
  }

  onEvents(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Pushes events to the listeners, as the real service does on a timeout. */
  emit(thread: ThreadKey, events: BotEvents): void {
    for (const listener of this.#listeners) listener(thread, events);
  }

  /** Simulates the witness staying silent: a pending question counts as "no answer" and the gallery is emitted. */
  async expire(thread: ThreadKey): Promise<BotEvents> {
    const state = this.#threads.get(thread);
    if (!state || state.pending[0]?.kind !== 'question') return [];
    const events: BotEvents = [{ kind: 'text', tone: 'notice', text: 'No answer in time; carrying on without it.' }, this.#gallery(thread, { id: 'system' }, state)];
    this.emit(thread, events);
    return events;
  }

  /** Number of registered event listeners (front ends must unsubscribe on close). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#listeners.clear();
    if (this.#ownsDir) await rm(this.imagesDir, { recursive: true, force: true });
  }

  #step(thread: ThreadKey, user: BotUser, state: ThreadState, reply: string): BotEvents {
    if (state.pending[0]?.kind === 'question') {
      if (reply === 'stop') return this.#finish(thread, user, { kind: 'done', reason: 'stopped', text: 'Search stopped.' });
      return [this.#gallery(thread, user, state)];
    }
    const pick = /^#?\s*(\d+)(\s+is\s+them)?$/.exec(reply);
    if (pick) {
      const rank = Number(pick[1]);
      const items = (state.pending[0] as Extract<BotEvent, { kind: 'gallery' }>).items;
      const item = items.find((i) => i.rank === rank);
      if (!item) return [{ kind: 'text', tone: 'notice', text: `There is no #${rank} in this gallery: pick 1 to ${items.length}.` }];
      return this.#finish(thread, user, { kind: 'done', reason: 'confirmed', text: `Confirmed: #${rank} (image ${item.imageId}).`, imageId: item.imageId });
    }
    if (reply === 'stop' || reply === 'done') return this.#finish(thread, user, { kind: 'done', reason: 'stopped', text: 'Search stopped.' });
    if (reply.startsWith('none') || reply === 'refine') {
      state.round++;
      return [this.#ask(thread, user, state)];
    }
    return [{ kind: 'text', tone: 'notice', text: `Reply "${pickReply(1)}" (any rank), "none of these", "refine" or "stop".` }];
  }

  #ask(thread: ThreadKey, user: BotUser, state: ThreadState): BotEvent {
    const text = QUESTIONS[state.questionCount % QUESTIONS.length]!;
    state.questionCount++;
    const question: BotEvent = {
      kind: 'question',
      id: `q${state.questionCount}`,
      text,
      options: QUESTION_OPTIONS.map((o) => ({ ...o })),
      freeText: true,
      timeoutSeconds: this.#options.questionTimeoutSeconds,
    };
    state.pending = [question];
    this.#audit(thread, user, 'question', text);
    return question;
  }

  #gallery(thread: ThreadKey, user: BotUser, state: ThreadState): BotEvent {
    const items: GalleryItem[] = this.galleryIds(state.round).map((imageId, i) => ({
      rank: i + 1,
      imageId,
      path: imageFileName(imageId),
      // Strictly decreasing scores, as a ranking has.
      score: Math.round((0.95 - i * 0.05) * 1000) / 1000,
      cosine: Math.round((0.4 - i * 0.01) * 1000) / 1000,
      anchor: false,
      camera: `cam-${(imageId % 3) + 1}`,
    }));
    const gallery: BotEvent = { kind: 'gallery', round: state.round, items, query: state.round === 0 ? state.description : `${state.description}, refined in round ${state.round}`, demo: this.demo, options: GALLERY_OPTIONS.map((o) => ({ ...o })) };
    state.pending = [gallery];
    state.shown = gallery;
    this.#audit(thread, user, 'gallery', undefined, items.map((i) => i.imageId));
    return gallery;
  }

  #finish(thread: ThreadKey, user: BotUser, done: Extract<BotEvent, { kind: 'done' }>): BotEvents {
    this.#threads.delete(thread);
    this.#finished.add(thread);
    this.#audit(thread, user, 'done', done.text);
    return [done];
  }

  #audit(thread: ThreadKey, user: BotUser, kind: AuditRecord['kind'], text?: string, imageIds?: number[]): void {
    void this.#options.audit?.record({ at: new Date().toISOString(), thread, userId: user.id, userName: user.name, kind, text, imageIds });
  }

  #live(): void {
    if (this.closed) throw new CtgiError('INTERNAL', 'The scripted conversation service is closed.');
  }
}

/** `person-0101.png`. */
export function imageFileName(imageId: number): string {
  return `person-${String(imageId).padStart(4, '0')}.png`;
}

/** A colour unique per id (for 4096 ids), so tests can tell images apart by their pixels. */
export function colourOf(imageId: number): Rgb {
  return [((imageId * 37) % 16) * 16, ((imageId >> 4) % 16) * 16, ((imageId >> 8) % 16) * 16];
}
