import { signatureSimilarity } from './appearance.js';
import { iou, type Box, type Detection } from './box.js';

// Multi-object tracking by box association, ByteTrack-style: confident detections are matched to tracks
// first, weak ones only to tracks left unmatched, and only confident ones start tracks. At a few frames per
// second a walking person can move more than a box width between frames, so besides IoU against the
// constant-velocity prediction a nearby box of similar height also matches, ranked below any IoU match.

/** Tracker thresholds (all optional). */
export interface TrackerOptions {
  /** Score at or above which a detection may start a track and is matched first (default 0.5). */
  highScore?: number;
  /** IoU with the predicted box that counts as a match (default 0.3). */
  matchIou?: number;
  /** Centre distance, in track box heights, within which a similar-height box still matches (default 0.8). */
  maxJump?: number;
  /** Frames a track survives unseen before it ends (default 4). */
  maxLostFrames?: number;
  /** Colour similarity below which a detection with a signature never joins a track that has one (default 0.5). */
  minAppearance?: number;
}

/** A live track, serialisable (a resumed run restores it). */
export interface TrackState {
  id: number;
  box: Box;
  /** Centre displacement per frame. */
  vx: number;
  vy: number;
  hits: number;
  lastFrame: number;
  /** Running colour signature of the person, when detections carry one. */
  signature?: number[];
}

/** What a tracker holds between frames. */
export interface TrackerSnapshot {
  nextId: number;
  tracks: TrackState[];
}

/** The outcome of one frame: which track each detection joined (new tracks included) and which tracks ended. */
export interface TrackUpdate {
  assigned: Array<{ trackId: number; detection: Detection }>;
  ended: number[];
}

/** Associates detections frame by frame into tracks. */
export class BoxTracker {
  private readonly highScore: number;
  private readonly matchIou: number;
  private readonly maxJump: number;
  private readonly maxLost: number;
  private readonly minAppearance: number;
  private nextId: number;
  private tracks: TrackState[];

  constructor(options: TrackerOptions = {}, snapshot?: TrackerSnapshot) {
    this.highScore = options.highScore ?? 0.5;
    this.matchIou = options.matchIou ?? 0.3;
    this.maxJump = options.maxJump ?? 0.8;
    this.maxLost = options.maxLostFrames ?? 4;
    this.minAppearance = options.minAppearance ?? 0.5;
    this.nextId = snapshot?.nextId ?? 1;
    this.tracks = snapshot ? snapshot.tracks.map((t) => ({ ...t, box: { ...t.box } })) : [];
  }

  /** A copy of the state, to persist. */
  snapshot(): TrackerSnapshot {
    return { nextId: this.nextId, tracks: this.tracks.map((t) => ({ ...t, box: { ...t.box }, ...(t.signature ? { signature: [...t.signature] } : {}) })) };
  }

  /** Ids of the live tracks. */
  activeIds(): number[] {
    return this.tracks.map((t) => t.id);
  }

  /** Feeds the detections of frame `frame` (frame numbers increase; gaps are allowed). */
  update(frame: number, detections: readonly Detection[]): TrackUpdate {
    const assigned: TrackUpdate['assigned'] = [];
    const free = new Set(this.tracks);
    const high = detections.filter((d) => d.score >= this.highScore);
    const low = detections.filter((d) => d.score < this.highScore);
    for (const [track, det] of this.associate(frame, [...free], high)) {
      this.follow(track, det, frame);
      free.delete(track);
      assigned.push({ trackId: track.id, detection: det });
    }
    const matchedHigh = new Set(assigned.map((a) => a.detection));
    for (const [track, det] of this.associate(frame, [...free], low)) {
      this.follow(track, det, frame);
      free.delete(track);
      assigned.push({ trackId: track.id, detection: det });
    }
    for (const det of high) {
      if (matchedHigh.has(det)) continue;
      const track: TrackState = { id: this.nextId++, box: { ...det.box }, vx: 0, vy: 0, hits: 1, lastFrame: frame, ...(det.signature ? { signature: [...det.signature] } : {}) };
      this.tracks.push(track);
      assigned.push({ trackId: track.id, detection: det });
    }
    const ended = this.tracks.filter((t) => frame - t.lastFrame > this.maxLost).map((t) => t.id);
    this.tracks = this.tracks.filter((t) => frame - t.lastFrame <= this.maxLost);
    return { assigned, ended };
  }

  /** Ends every live track (the end of a source). */
  finish(): number[] {
    const ids = this.activeIds();
    this.tracks = [];
    return ids;
  }

  private associate(frame: number, tracks: TrackState[], dets: readonly Detection[]): Array<[TrackState, Detection]> {
    const pairs: Array<{ track: TrackState; det: Detection; sim: number }> = [];
    for (const track of tracks) {
      const predicted = predict(track, frame);
      const justSeen = frame - track.lastFrame === 1;
      for (const det of dets) {
        let sim = this.similarity(predicted, det.box, justSeen && !reverses(track, det.box));
        if (sim > 0 && track.signature && det.signature) {
          const look = signatureSimilarity(track.signature, det.signature);
          // Motion proposes, appearance vetoes and re-ranks: two people crossing swap places, not clothes.
          sim = look < this.minAppearance ? 0 : sim * look * look;
        }
        if (sim > 0) pairs.push({ track, det, sim });
      }
    }
    pairs.sort((a, b) => b.sim - a.sim);
    const usedT = new Set<TrackState>();
    const usedD = new Set<Detection>();
    const out: Array<[TrackState, Detection]> = [];
    for (const p of pairs) {
      if (usedT.has(p.track) || usedD.has(p.det)) continue;
      usedT.add(p.track);
      usedD.add(p.det);
      out.push([p.track, p.det]);
    }
    return out;
  }

  /**
   * IoU in (matchIou, 1] ranks first; a near box of similar height gets a similarity in (0, matchIou), but
   * only for a track seen in the previous frame: after a gap, distance says little (someone else may have
   * entered where a person left).
   */
  private similarity(predicted: Box, box: Box, justSeen: boolean): number {
    const overlap = iou(predicted, box);
    if (overlap >= this.matchIou) return overlap;
    if (!justSeen) return 0;
    const h1 = predicted.y2 - predicted.y1;
    const h2 = box.y2 - box.y1;
    if (h1 <= 0 || h2 <= 0 || h2 / h1 > 1.5 || h1 / h2 > 1.5) return 0;
    const d = Math.hypot(cx(box) - cx(predicted), cy(box) - cy(predicted));
    const reach = this.maxJump * h1;
    return d < reach ? this.matchIou * (1 - d / reach) * 0.99 : 0;
  }

  private follow(track: TrackState, det: Detection, frame: number): void {
    const gap = Math.max(1, frame - track.lastFrame);
    const vx = (cx(det.box) - cx(track.box)) / gap;
    const vy = (cy(det.box) - cy(track.box)) / gap;
    // The first displacement is taken as is; later ones are smoothed against detector jitter.
    const w = track.hits === 1 ? 1 : 0.5;
    track.vx = w * vx + (1 - w) * track.vx;
    track.vy = w * vy + (1 - w) * track.vy;
    track.box = { ...det.box };
    if (det.signature) track.signature = track.signature ? track.signature.map((v, i) => 0.7 * v + 0.3 * det.signature![i]) : [...det.signature];
    track.hits += 1;
    track.lastFrame = frame;
  }
}

function cx(b: Box): number {
  return (b.x1 + b.x2) / 2;
}
function cy(b: Box): number {
  return (b.y1 + b.y2) / 2;
}

/** True when reaching `box` would turn a moving track around (someone else coming the other way). */
function reverses(t: TrackState, box: Box): boolean {
  if (t.hits < 2) return false;
  const speed = Math.hypot(t.vx, t.vy);
  if (speed < 0.05 * (t.box.y2 - t.box.y1)) return false;
  return (cx(box) - cx(t.box)) * t.vx + (cy(box) - cy(t.box)) * t.vy < 0;
}

function predict(t: TrackState, frame: number): Box {
  const k = frame - t.lastFrame;
  const dx = t.vx * k;
  const dy = t.vy * k;
  return { x1: t.box.x1 + dx, y1: t.box.y1 + dy, x2: t.box.x2 + dx, y2: t.box.y2 + dy };
}
