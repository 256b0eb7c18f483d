// The front-end-neutral contract of the MTI conversation service (DESIGN.md flow 3). Every front end (web,
// Slack, Discord, terminal) turns platform input into start/answer calls and renders the BotEvents it gets
// back; none holds dialogue state of its own.

/** One conversation: `platform:channel:thread`, e.g. `slack:C024BE91L:1700000000.000100` or `web:local:3f2a…`. */
export type ThreadKey = string;

/** Who sent a message, as the platform identifies them. */
export interface BotUser {
  /** Platform user id (Slack U…, Discord snowflake, web session id, OS user for the terminal). */
  id: string;
  /** Display name, for the audit trail only. */
  name?: string;
  /** How the reply came: through the witness's one-time link; absent for someone in the thread (the operator). */
  via?: 'witness-link';
}

/** A one-click answer: `label` is shown, `value` is sent back as the reply text. */
export interface AnswerOption {
  label: string;
  value: string;
}

/** One gallery tile. */
export interface GalleryItem {
  /** 1-based rank. */
  rank: number;
  /** The gallery's image id (stable within an index). */
  imageId: number;
  /** Image path as stored in the index (relative to its images root when relative). */
  path: string;
  /**
   * Calibrated score in [0, 1], on one scale in every gallery: softmax(100 · similarity) over the candidates,
   * the model's probability that this image rather than another is the one described. After a re-rank the
   * similarity is the fused Ŝ = λ·S(q,v) + (1−λ)·S(q̂,v); anchors and picks keep their own score (`mark`).
   */
  score: number;
  /** Cosine similarity to the original description. */
  cosine: number;
  /** True when this image leads the ranking: an MLLM anchor or the witness's pick. */
  anchor: boolean;
  /** Why it leads: the witness picked it, or the MLLM confirmed it (an anchor); absent for ranked images. */
  mark?: 'picked' | 'anchor';
  camera?: string;
  takenAt?: string;
}

/** What the bot says. Front ends render each kind natively (buttons, grids, numbered lists). */
export type BotEvent =
  | {
      kind: 'text';
      text: string;
      tone: 'info' | 'notice' | 'error';
      /** Why a reply was refused, for front ends that react to it (e.g. disable a stale button). */
      code?: ReplyRefusal;
    }
  | {
      kind: 'question';
      /** Stable within the thread; answers may quote it back (`answer` also accepts plain text). */
      id: string;
      text: string;
      /** One-click answers; empty when only free text makes sense. */
      options: AnswerOption[];
      /** Whether a typed free-text reply is accepted too. */
      freeText: boolean;
      /** Seconds after which silence counts as "no answer". */
      timeoutSeconds: number;
    }
  | {
      kind: 'gallery';
      /** Dialogue round that produced it (0 = plain retrieval before any refinement). */
      round: number;
      items: GalleryItem[];
      /** The description the ranking used (q̂ after refinement). */
      query: string;
      /** True over the synthetic demo world, so front ends label it. */
      demo: boolean;
      /** Buttons under the gallery ("None of these", "Refine", "Done"); each tile's "#n is them" reply is `pickReply(n)`. */
      options: AnswerOption[];
    }
  | { kind: 'done'; reason: 'confirmed' | 'stopped' | 'no-results' | 'refused'; text: string; imageId?: number }
  | {
      kind: 'timeline';
      /** The confirmed image the timeline is about. */
      imageId: number;
      /** Its footage track first, then likely sightings on other cameras; each group in capture-time order. */
      items: GalleryItem[];
      /** One line on what the strip shows. */
      text: string;
      /** True over the synthetic demo world. */
      demo: boolean;
    };

/** Machine-readable reasons the service refuses a reply or a start. */
export type ReplyRefusal = 'stale-reply' | 'not-owner';

/**
 * What a one-click reply answers: `q:<question id>` or `g:<gallery round>`. Buttons carry it so that a
 * button left over from an earlier question cannot answer the current one.
 */
export type ReplyTarget = string;

/** The reply target of a question or gallery event; undefined for other events. */
export function replyTargetOf(event: BotEvent): ReplyTarget | undefined {
  if (event.kind === 'question') return `q:${event.id}`;
  if (event.kind === 'gallery') return `g:${event.round}`;
  return undefined;
}

/** Events a call produced, in order. */
export type BotEvents = BotEvent[];

/** The reply text that names gallery rank n as the person ("#4 is them"). */
export function pickReply(rank: number): string {
  return `#${rank} is them`;
}

/** Where a conversation stands: never started (or pruned), in progress, or finished. */
export type ConversationStatus = 'none' | 'active' | 'done';

/**
 * An operator's request about the thread's search, from a button, a short command (`by time`, `like #4`) or
 * the operator agent's tool calls. Ranks are the 1-based ranks of the gallery now shown.
 */
export type OperatorAction =
  /** Only these cameras and/or capture times; null clears that part of the filter. */
  | { kind: 'filter'; cameras?: string[] | null; from?: string | null; to?: string | null }
  /** The timeline of the person in gallery rank n (or of an image id). */
  | { kind: 'timeline'; rank?: number; imageId?: number }
  /** Gallery tiles by calibrated score (the default) or by capture time. */
  | { kind: 'order'; by: 'score' | 'time' }
  /** "More like #n": search with that image's embedding, fused with the description. */
  | { kind: 'like'; rank: number }
  /** Leave these gallery images out from now on. */
  | { kind: 'exclude'; ranks: number[] }
  /** Start over in this thread with another description. */
  | { kind: 'new-search'; description: string }
  /** Export the case (transcript, galleries, images, audit rows). */
  | { kind: 'export' };

/** Receives events that arrive outside a start/answer call, e.g. when a question times out. */
export type EventListener = (thread: ThreadKey, events: BotEvents, delivery?: EventDelivery) => void;

/**
 * How a pushed batch reaches the front ends: with a shared store every process hears it (the page's event
 * stream may be open on any server), so a front end that posts to a shared place (a Slack or Discord
 * thread) posts only when `claim()` is true, which it is for exactly one caller over all processes.
 */
export interface EventDelivery {
  claim(): Promise<boolean>;
}

/** The MTI conversation service every front end uses as is. */
export interface ConversationService {
  /**
   * Starts (or restarts) the conversation in `thread` with the witness's description. Never throws for
   * user mistakes: an empty or unusable description gets a `text` event saying why.
   */
  start(thread: ThreadKey, user: BotUser, text: string): Promise<BotEvents>;
  /**
   * Feeds the witness's reply to the pending question or gallery: an option value, free text, "#4 is them",
   * "none of these", "refine", "skip", "don't know", "stop". A thread with nothing pending gets a text hint.
   * `inReplyTo` (from a button) names the question or gallery the reply answers; a reply to anything but
   * what is pending (or the gallery still shown above a pending question) is refused with a `text` notice
   * whose code is `stale-reply`. Typed text omits it and answers whatever is pending.
   */
  answer(thread: ThreadKey, user: BotUser, reply: string, inReplyTo?: ReplyTarget): Promise<BotEvents>;
  /**
   * Carries out an operator's request on the thread's search (see OperatorAction): a filter change re-searches
   * and posts a new gallery; a timeline posts the confirmed person's sightings in time order, also after the
   * conversation is done. Only the thread's owner may act (others get a `not-owner` notice); a request that
   * cannot be carried out gets one sentence why, never a throw.
   */
  act(thread: ThreadKey, user: BotUser, action: OperatorAction): Promise<BotEvents>;
  /**
   * The platform user id that started the conversation in `thread`, or undefined when unknown. A thread
   * belongs to its starter: `start` by anyone else is refused (code `not-owner`).
   */
  owner?(thread: ThreadKey): Promise<string | undefined>;
  /** The encoded bytes of a gallery image, for contact sheets and attachments. @throws CtgiError NOT_FOUND. */
  readImage(imageId: number): Promise<Buffer>;
  /** The events that re-render the thread's pending question or gallery (after a page reload), or []. */
  pending(thread: ThreadKey): Promise<BotEvents>;
  /** Whether `thread` has no conversation, a live one, or a finished one (witness links die with it). */
  status?(thread: ThreadKey): Promise<ConversationStatus>;
  /** Registers a listener for asynchronous events (timeouts); returns an unsubscribe function. */
  onEvents(listener: EventListener): () => void;
  /**
   * Writes the case of `thread` (transcript, galleries, images, audit rows, report, SHA-256 manifest) as a
   * zip: to `out`, or under the service's case folder. Front ends export only their user's own threads; the
   * CLI (`anyOwner`) any thread. An unknown or foreign thread is refused with one sentence, and audited.
   */
  exportCase?(thread: ThreadKey, user: BotUser, options?: { out?: string; anyOwner?: boolean }): Promise<CaseExport>;
  /** Whether the gallery is the synthetic demo world. */
  readonly demo: boolean;
  /** Stops timers and closes the checkpoint database. */
  close(): Promise<void>;
}

/** One audit record: who did what, where, when (DESIGN.md: every search is audited). */
export interface AuditRecord {
  at: string;
  thread: ThreadKey;
  userId: string;
  userName?: string;
  /** `witness`: a witness link was created, opened, revoked, or its gallery shown or hidden. */
  kind: 'description' | 'answer' | 'question' | 'gallery' | 'refusal' | 'done' | 'witness';
  /** The description, question, or reply text. */
  text?: string;
  /** Image ids shown (gallery). */
  imageIds?: number[];
}

/** Where the service writes audit records (SQLite, or PostgreSQL when a database is configured). */
export interface AuditSink {
  /** Appends one record; resolves once it is stored (callers await it, so no record is lost on exit). */
  record(entry: AuditRecord): Promise<void>;
  /** The records of one thread, oldest first (for the case export); absent on write-only sinks. */
  threadRecords?(thread: ThreadKey): Promise<AuditRecord[]>;
}

/** A case export: the zip written, or one sentence why not. */
export type CaseExport = { ok: true; path: string; files: number; bytes: number } | { ok: false; text: string };
