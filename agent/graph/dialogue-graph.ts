import { setMaxListeners } from 'node:events';
import { Annotation, Command, END, interrupt, START, StateGraph, type BaseCheckpointSaver, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { recordAnswer } from '../core/answers.js';
import type { RankedQuestion } from '../core/question-selection.js';
import type { CandidateChecks } from '../round/candidate-checks.js';
import { checkRound, finishRound, isEarlyStop, prepareRound, routeRound, settleAnchors } from '../round/round-steps.js';
import type { BotEvent, GalleryItem } from '../../src/conversation/conversation-types.js';
import type { ToolContext } from '../tools/mti-tools.js';
import { createMtiTools } from '../tools/mti-tools.js';
import { parseReply } from './reply-parser.js';
import { galleryItems } from '../round/gallery-items.js';
import { operatorOptions, orderTiles, type GalleryOrder } from '../operator/gallery-order.js';
import { decodeResume, filterChanged } from './operator-resume.js';
import type { ImageFilter } from '../../src/gallery/gallery-store.js';
import { type DialogueMemory, type PreparedRound } from '../round/round-state.js';
import { readResume, type TranscriptEntry } from './transcript.js';

// The MTI dialogue (DESIGN.md flow 3) as a LangGraph state graph, one thread per conversation:
//
//   retrieve → check → ask ⟲ → refine → feedback ─┬→ retrieve (refine / none of these / more details)
//        (MLLM wave)  (witness)  (q̂, Eq. 7)  (gallery) ├→ refine   (a picked image is pinned)
//                                                    ├→ feedback (no reply in time: one reminder, then wait)
//                                                    └→ finish   (done / stop)
//
// Questions to the witness and the gallery feedback are interrupts; the state is checkpointed after every
// node, so a conversation survives a restart. A node that interrupts is re-run from its start on resume,
// so `ask` and `feedback` do nothing before their interrupt except reading the state.

/** Replies shown under a gallery (each tile's "#n is them" comes from pickReply). */
export const GALLERY_OPTIONS = [
  { label: 'None of these', value: 'none of these' },
  { label: 'Refine', value: 'refine' },
  { label: 'Done', value: 'done' },
];

/** Tiles per gallery. */
export const GALLERY_SIZE = 10;

const FREE_TEXT_QUESTION = 'Anything else about the person?';

/** The resume value of a question or gallery nobody answered in time (LangGraph refuses an empty resume). */
export const TIMED_OUT = { timedOut: true } as const;

/** What a gallery left unanswered says, once: the dialogue then waits for a human instead of running rounds. */
export const GALLERY_REMINDER = 'Still there? Pick a tile ("#n is them") or answer above, or say "refine" or "done".';

export const DialogueState = Annotation.Root({
  memory: Annotation<DialogueMemory>(),
  /** Refinement rounds completed (0 = the plain retrieval gallery). */
  round: Annotation<number>(),
  prepared: Annotation<PreparedRound | null>(),
  checks: Annotation<CandidateChecks | null>(),
  /** Questions still to put to the witness this round. */
  pending: Annotation<RankedQuestion[]>(),
  /** This round's MLLM anchors. */
  anchors: Annotation<number[]>(),
  /** The round stopped early: the top image is confident and the MLLM confirmed it (the paper's ξ rule). */
  earlyStop: Annotation<boolean>(),
  /** The last re-ranked pool, best first (image ids): what the gallery's tiles are the top of. */
  ranking: Annotation<number[]>(),
  /** The gallery last shown: what "#n" refers to. */
  shown: Annotation<GalleryItem[]>(),
  /** Everything the bot said, in order; the service hands out the new tail after each call. */
  outbox: Annotation<BotEvent[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  status: Annotation<'active' | 'done'>(),
  /** The gallery now shown timed out once and its reminder was sent; further timeouts are silent. */
  reminded: Annotation<boolean>(),
  /** What was shown, asked and answered, and by whom (transcript.ts): the case export's record. */
  transcript: Annotation<TranscriptEntry[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  /** How the operator wants the gallery's tiles ordered (unset: by score). */
  order: Annotation<GalleryOrder | undefined>(),
  /** A where/when statement to post with a gallery at once (the first search, or after a filter change). */
  announce: Annotation<string | null>(),
});

export type DialogueValues = typeof DialogueState.State;
type Update = Partial<typeof DialogueState.Update>;

/** Everything the graph's nodes use besides the state. */
export interface DialogueDeps extends ToolContext {
  /** The gallery is the synthetic demo world. */
  demo: boolean;
  witnessTimeoutSeconds: number;
}

/** The initial state of a conversation about `query`, searched within `where.filter` (stated by `where.statement`). */
export function initialDialogue(query: string, where: { filter?: ImageFilter; statement?: string } = {}): Update {
  return {
    memory: { query, current: query, answers: [], asked: [], followUps: [], rejected: [], picked: [], ...(where.filter ? { filter: where.filter } : {}) },
    announce: where.statement ?? null,
    round: 0,
    prepared: null,
    checks: null,
    pending: [],
    anchors: [],
    earlyStop: false,
    ranking: [],
    shown: [],
    status: 'active',
    reminded: false,
  };
}

/** Compiles the dialogue graph over one gallery with a checkpointer. */
export function compileDialogue(deps: DialogueDeps, checkpointer: BaseCheckpointSaver) {
  const tools = createMtiTools(deps);
  const text = (t: string, tone: 'info' | 'notice' | 'error' = 'info'): BotEvent => ({ kind: 'text', text: t, tone });

  const retrieve = async (s: DialogueValues): Promise<Command> => {
    const prepared = await prepareRound(deps, s.memory);
    if (prepared.topK.length === 0) {
      const done: BotEvent = s.memory.filter
        ? { kind: 'done', reason: 'no-results', text: 'No gallery images match the camera and time filter. Say "any camera" or "any time" to search wider, or start a new search.' }
        : { kind: 'done', reason: 'no-results', text: 'No gallery images are left to show (all were ruled out). Start a new search with another description.' };
      return new Command({ update: { prepared, status: 'done', outbox: [done] }, goto: END });
    }
    const outbox: BotEvent[] = [];
    let shown = s.shown;
    const transcript: TranscriptEntry[] = [];
    // The first search, and a search after a filter change, show their gallery at once.
    const post = s.round === 0 || !!s.announce;
    if (post) {
      shown = orderTiles(await items(prepared.topK.slice(0, GALLERY_SIZE).map((c) => ({ id: c.id, score: c.score, cosine: c.cosine, leading: false })), s.memory.picked), s.order);
      if (s.announce) outbox.push(text(s.announce));
      if (s.round === 0) outbox.push(text(`Best matches for your description among ${await deps.gallery.count()} images. I'll ask a few questions to narrow it down; pick a tile ("#n is them") at any time.`));
      outbox.push(gallery(s.round, shown, s.memory.current, s.order));
      if (s.round === 0) transcript.push({ kind: 'description', round: 0, text: s.memory.current });
      transcript.push({ kind: 'gallery', round: s.round, query: s.memory.current, items: shown });
    }
    return new Command({ update: { prepared, checks: null, pending: [], anchors: [], earlyStop: false, ...(post ? { ranking: prepared.topK.map((c) => c.id) } : {}), shown, announce: null, outbox, transcript }, goto: 'check' });
  };

  const check = async (s: DialogueValues, config: LangGraphRunnableConfig): Promise<Command> => {
    // K checks in flight each listen on the run's abort signal; more than Node's default 10 is expected here.
    if (config.signal) setMaxListeners(0, config.signal);
    const prepared = s.prepared!;
    const checks = await checkRound(deps, s.memory, prepared, (c) => deps.readImage(c.id), {
      check: (c, questions) => tools.verifyAnchor.invoke({ description: s.memory.current, imageId: c.id, questions: [...questions] }),
      propose: async (c, max) => (await tools.proposeFollowUps.invoke({ description: s.memory.current, imageId: c.id, max })).questions,
    });
    const outbox: BotEvent[] = checks.notices.map((n) => text(n, 'notice'));
    if (isEarlyStop(deps, prepared, checks)) {
      // The paper's early stop: the interaction ends here — no questions, no rewrite; the confirmed image leads.
      outbox.push(text('The best match is a confident one and the image checker confirms it. Say "done" to close, or "refine" to keep asking.'));
      return new Command({ update: { checks, anchors: [prepared.topK[0].id], pending: [], earlyStop: true, outbox }, goto: 'refine' });
    }
    const witness = routeRound(deps, s.memory, prepared, checks);
    if (deps.mllm && checks.failures < checks.calls && checks.anchors.length === 0) {
      outbox.push(text(`None of the top ${prepared.topK.length} clearly matches your description, so I'll ask you instead.`, 'notice'));
    }
    const memory: DialogueMemory = { ...s.memory, followUps: unique([...s.memory.followUps, ...checks.followUps]).filter((f) => !witness.some((q) => q.text === f)) };
    return new Command({ update: { checks, anchors: checks.anchors, pending: witness, memory, outbox }, goto: witness.length > 0 ? 'ask' : 'refine' });
  };

  const ask = async (s: DialogueValues, config: LangGraphRunnableConfig): Promise<Command> => {
    const [q, ...rest] = s.pending;
    const id = `${s.round + 1}.${s.memory.asked.length + 1}`;
    const { reply, by } = await tools.askWitness.invoke({ id, text: q.text, options: q.options, ...(q.slot ? { slot: q.slot } : {}), timeoutSeconds: deps.witnessTimeoutSeconds }, config);
    const action = decodeResume(reply);
    if (action) return filterChanged(s, action);
    const parsed = parseReply(reply);
    const memory = s.memory;
    const transcript: TranscriptEntry[] = [
      { kind: 'question', round: s.round + 1, id, text: q.text, options: q.options },
      { kind: 'answer', round: s.round + 1, to: id, question: q.text, text: reply ?? '', by },
    ];
    switch (parsed.kind) {
      case 'pick': {
        const item = s.shown.find((i) => i.rank === parsed.rank);
        if (!item) return new Command({ update: { outbox: [text(`There is no #${parsed.rank} in the gallery; pick a number from 1 to ${s.shown.length}.`, 'error')], transcript }, goto: 'ask' });
        return new Command({ update: { memory: pin(memory, item.imageId), pending: [], outbox: [text(`Pinned #${parsed.rank} as the person.`)], transcript }, goto: 'refine' });
      }
      case 'none':
        return new Command({ update: { memory: reject(memory, s.shown), outbox: [text(`Noted: none of those ${s.shown.length}. They are left out from now on.`)], transcript }, goto: 'ask' });
      case 'refine':
        return new Command({ update: { pending: [], transcript }, goto: 'refine' });
      case 'stop':
        return new Command({ update: { pending: [], transcript }, goto: 'finish' });
      default: {
        const answer = recordAnswer({ ...(q.slot ? { slot: q.slot } : {}), question: q.text, source: 'witness', reply: parsed.kind === 'timeout' ? null : parsed.text });
        const outbox = parsed.kind === 'timeout' ? [text('No answer in time; I skipped that question.', 'notice')] : [];
        const next: DialogueMemory = { ...memory, answers: [...memory.answers, answer], asked: [...memory.asked, q.text], followUps: memory.followUps.filter((f) => f !== q.text) };
        return new Command({ update: { memory: next, pending: rest, outbox, transcript }, goto: rest.length > 0 ? 'ask' : 'refine' });
      }
    }
  };

  const refine = async (s: DialogueValues): Promise<Command> => {
    // The MLLM's anchors are settled against the witness's answers now, and their answers recorded once.
    const settled = s.checks && s.prepared && !s.earlyStop ? settleAnchors(deps, s.prepared, s.checks, s.memory.answers) : { anchors: s.anchors, mllmAnswers: [] };
    const memory: DialogueMemory = { ...s.memory, answers: [...settled.mllmAnswers, ...s.memory.answers] };
    const finished = await finishRound(deps, memory, settled.anchors, { refine: !s.earlyStop });
    const round = s.round + 1;
    const shown = orderTiles(await items(finished.ranking.slice(0, GALLERY_SIZE), memory.picked), s.order, finished.ranking.map((r) => r.id));
    const outbox: BotEvent[] = finished.notices.map((n) => text(n, 'notice'));
    if (finished.refinedQuery !== s.memory.current) outbox.push(text(`Refined description: ${finished.refinedQuery}`));
    const transcript: TranscriptEntry[] = [
      ...settled.mllmAnswers.map((a): TranscriptEntry => ({ kind: 'answer', round, to: 'mllm', question: a.question, text: a.text, by: 'mllm' })),
      { kind: 'description', round, text: finished.refinedQuery },
      { kind: 'gallery', round, query: finished.refinedQuery, items: shown },
    ];
    // The checks are used up: a later refine (after a pick) must not record their answers again.
    return new Command({ update: { memory: { ...memory, current: finished.refinedQuery }, round, shown, anchors: settled.anchors, ranking: finished.ranking.map((r) => r.id), checks: null, reminded: false, outbox, transcript }, goto: 'feedback' });
  };

  const feedback = async (s: DialogueValues): Promise<Command> => {
    const { text: reply, by } = readResume(interrupt<BotEvent, unknown>(gallery(s.round, s.shown, s.memory.current, s.order)));
    const action = decodeResume(reply);
    if (action) return filterChanged(s, action);
    const parsed = parseReply(reply);
    const transcript: TranscriptEntry[] = [{ kind: 'answer', round: s.round, to: `gallery ${s.round}`, question: 'Gallery', text: reply ?? '', by }];
    switch (parsed.kind) {
      case 'pick': {
        const item = s.shown.find((i) => i.rank === parsed.rank);
        if (!item) return new Command({ update: { outbox: [text(`There is no #${parsed.rank} in the gallery; pick a number from 1 to ${s.shown.length}.`, 'error')], transcript }, goto: 'feedback' });
        // Picking the image that is already pinned first confirms it.
        if (s.memory.picked[0] === item.imageId) return new Command({ update: { transcript }, goto: 'finish' });
        return new Command({ update: { memory: pin(s.memory, item.imageId), outbox: [text(`Pinned #${parsed.rank} as the person; images most like the description follow it. Say "done" when finished.`)], transcript }, goto: 'refine' });
      }
      case 'none':
        return new Command({ update: { memory: reject(s.memory, s.shown), outbox: [text(`Noted: none of those ${s.shown.length}. Looking again without them.`)], transcript }, goto: 'retrieve' });
      case 'timeout':
        // Nobody is there: a new round would spend MLLM calls for no one. Wait for a human, reminding once.
        return new Command({ update: s.reminded ? { transcript } : { reminded: true, outbox: [text(GALLERY_REMINDER, 'notice')], transcript }, goto: 'feedback' });
      case 'refine':
        return new Command({ update: { transcript }, goto: 'retrieve' });
      case 'stop':
        return new Command({ update: { transcript }, goto: 'finish' });
      default: {
        // Free text under a gallery adds to the description.
        const answer = recordAnswer({ question: FREE_TEXT_QUESTION, source: 'witness', reply: parsed.text });
        return new Command({ update: { memory: { ...s.memory, answers: [...s.memory.answers, answer] }, transcript }, goto: 'retrieve' });
      }
    }
  };

  const finish = async (s: DialogueValues): Promise<Update> => {
    const picked = s.memory.picked[0];
    const done: BotEvent =
      picked !== undefined
        ? { kind: 'done', reason: 'confirmed', text: `Search closed with image ${picked} confirmed as the person. Say "timeline" to see where else they were seen, in time order.`, imageId: picked }
        : { kind: 'done', reason: 'stopped', text: 'Search closed. Describe someone again to start a new one.' };
    return { status: 'done', outbox: [done] };
  };

  function items(ranking: ReadonlyArray<{ id: number; score: number; cosine: number; leading: boolean }>, picked: readonly number[]): Promise<GalleryItem[]> {
    return galleryItems(deps.gallery, ranking, picked);
  }

  function gallery(round: number, shown: GalleryItem[], query: string, order: GalleryOrder | undefined): BotEvent {
    return { kind: 'gallery', round, items: shown, query, demo: deps.demo, options: [...GALLERY_OPTIONS, ...operatorOptions(order)] };
  }

  return new StateGraph(DialogueState)
    .addNode('retrieve', retrieve, { ends: ['check', END] })
    .addNode('check', check, { ends: ['ask', 'refine'] })
    .addNode('ask', ask, { ends: ['ask', 'refine', 'finish', 'retrieve'] })
    .addNode('refine', refine, { ends: ['feedback'] })
    .addNode('feedback', feedback, { ends: ['feedback', 'retrieve', 'refine', 'finish'] })
    .addNode('finish', finish)
    .addEdge(START, 'retrieve')
    .addEdge('finish', END)
    .compile({ checkpointer });
}

export type DialogueGraph = ReturnType<typeof compileDialogue>;

function pin(memory: DialogueMemory, imageId: number): DialogueMemory {
  return { ...memory, picked: [imageId, ...memory.picked.filter((id) => id !== imageId)], rejected: memory.rejected.filter((id) => id !== imageId) };
}

function reject(memory: DialogueMemory, shown: readonly GalleryItem[]): DialogueMemory {
  const out = shown.map((i) => i.imageId).filter((id) => !memory.picked.includes(id));
  return { ...memory, rejected: unique([...memory.rejected, ...out]) };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

