import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Box } from '../footage/box.js';
import { encodeFramesToVideo } from '../footage/ffmpeg-frames.js';
import { renderSvg } from '../vision/sharp-adapter.js';
import { decodeRgb } from '../vision/rgb-decode.js';
import { sampleJitter } from './appearance.js';
import { FIGURE_HEIGHT } from './figure-geometry.js';
import { figureSvg } from './figure-svg.js';
import { deriveSeed, Rng } from './rng.js';
import { n, rect, shade, stroke } from './svg-paint.js';
import { generateWorld, type DemoIdentity } from './world.js';

// Demo footage: people of the demo world walking across a street seen by one fixed camera, sampled at
// `fps`, with ground-truth boxes (the full figure, also where another person hides it), how visible each
// figure is, and who it is. Written as PNG frames plus `scene.json`; the background alone is `background.png`.

/** Scene options. */
export interface SceneOptions {
  seed?: number;
  /** Seed of who walks by (default `seed`): scenes of several cameras with one `peopleSeed` show the same people. */
  peopleSeed?: number;
  camera?: string;
  /** People walking through (default 5). */
  people?: number;
  /** Frames (default 40) at `fps` (default 2). */
  frames?: number;
  fps?: number;
  width?: number;
  height?: number;
  start?: string;
  /** Also write the frames as `<camera>_<start>.mp4` when ffmpeg exists (default false). */
  mp4?: boolean;
}

/** One person in one frame. */
export interface SceneTruth {
  identity: number;
  /** Full figure box in frame pixels, clipped to the frame. */
  box: Box;
  /** Share of the figure's box inside the frame and not covered by nearer people (0–1). */
  visible: number;
}

/** A scene's ground truth. */
export interface SceneFile {
  camera: string;
  fps: number;
  start: string;
  width: number;
  height: number;
  /** The MP4 of the frames, when written. */
  video: string | null;
  frames: Array<{ file: string; timeMs: number; people: SceneTruth[] }>;
}

interface Walker {
  person: DemoIdentity;
  enter: number;
  dir: 1 | -1;
  feetY: number;
  scale: number;
  speed: number;
  startX: number;
  poses: [string, string];
  /** The figure's extent around its origin (feet centre is x 0; top is y 0), per pose, in figure units. */
  extents: [Box, Box];
}

/** Writes a scene's frames, background and ground truth into `dir`; returns the ground truth. */
export async function writeScene(dir: string, options: SceneOptions = {}): Promise<SceneFile> {
  const seed = options.seed ?? 1;
  const W = options.width ?? 640;
  const H = options.height ?? 360;
  const frames = options.frames ?? 40;
  const fps = options.fps ?? 2;
  const camera = options.camera ?? 'street';
  const rng = new Rng(deriveSeed(seed, 7001));
  const horizon = Math.round(H * rng.range(0.38, 0.48));
  const world = generateWorld({ identities: options.people ?? 5, seed: deriveSeed(options.peopleSeed ?? seed, 7002), imagesPerIdentity: [1, 1] });
  const walkers: Walker[] = [];
  for (const person of world.identities) {
    const feetY = rng.range(horizon + 0.3 * (H - horizon), H - 4);
    const scale = (0.3 + 0.55 * ((feetY - horizon) / (H - horizon))) * (H / 360);
    const dir = rng.chance(0.5) ? 1 : -1;
    const speed = 0.3 * FIGURE_HEIGHT * scale * rng.range(0.8, 1.2);
    const jitter = sampleJitter(new Rng(deriveSeed(seed, 7003, person.id)), 'c1');
    const stride = { ...jitter, legLeft: 6, legRight: 6 };
    const poses: [string, string] = [figureSvg(person.attributes, person.appearance, jitter), figureSvg(person.attributes, person.appearance, stride)];
    const extents: [Box, Box] = [await figureExtent(poses[0]), await figureExtent(poses[1])];
    walkers.push({ person, enter: rng.int(0, Math.max(0, frames - 10)), dir, feetY, scale, speed, startX: dir === 1 ? -40 * scale : W + 40 * scale, poses, extents });
  }
  // Nearer people (lower feet) are drawn last, over the others.
  walkers.sort((a, b) => a.feetY - b.feetY);
  const background = backgroundSvg(W, H, horizon, rng);
  await mkdir(join(dir, 'frames'), { recursive: true });
  await writeFile(join(dir, 'background.png'), await renderSvg(svgDoc(W, H, background), 72));
  const start = options.start ?? '2024-05-06T14:00:00.000Z';
  const out: SceneFile = { camera, fps, start, width: W, height: H, video: null, frames: [] };
  for (let f = 0; f < frames; f++) {
    const placed = walkers.flatMap((w) => {
      if (f < w.enter) return [];
      const x = w.startX + w.dir * w.speed * (f - w.enter);
      const pose = (f - w.enter) % 2 as 0 | 1;
      const e = w.extents[pose];
      const top = w.feetY - FIGURE_HEIGHT * w.scale;
      const full = { x1: x + e.x1 * w.scale, y1: top + e.y1 * w.scale, x2: x + e.x2 * w.scale, y2: top + e.y2 * w.scale };
      if (full.x2 < 0 || full.x1 > W) return [];
      return [{ w, x, top, pose, full }];
    });
    const people: SceneTruth[] = placed.map((p, i) => {
      const box = clip(p.full, W, H);
      const nearer = placed.slice(i + 1).map((q) => q.full);
      return { identity: p.w.person.id, box: round(box), visible: visibleShare(p.full, box, nearer) };
    });
    const figures = placed.map((p) => `<g transform="translate(${n(p.x)} ${n(p.top)}) scale(${n(p.w.scale)})">${p.w.poses[p.pose]}</g>`).join('');
    const file = `frames/${camera}_${String(f).padStart(4, '0')}.png`;
    await writeFile(join(dir, file), await renderSvg(svgDoc(W, H, background + figures), 72));
    out.frames.push({ file, timeMs: (f * 1000) / fps, people });
  }
  if (options.mp4) {
    // The start time in the name, as cameras and exporters name their files.
    const video = `${camera}_${start.replace(/[-:]/g, '').replace(/\.\d+Z$/, '')}.mp4`;
    if (await encodeFramesToVideo(join(dir, 'frames', `${camera}_%04d.png`), fps, join(dir, video))) out.video = video;
  }
  await writeFile(join(dir, 'scene.json'), JSON.stringify(out, null, 1));
  return out;
}

function svgDoc(W: number, H: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${body}</svg>`;
}

function backgroundSvg(W: number, H: number, horizon: number, rng: Rng): string {
  const wall = rng.pick([[196, 188, 172], [170, 176, 184], [150, 140, 128], [206, 200, 190]] as const);
  const floor = rng.pick([[110, 110, 112], [128, 122, 116], [96, 100, 104]] as const);
  const out = [rect(0, 0, W, horizon, 0, wall)];
  for (let x = rng.int(0, 40); x < W; x += rng.int(70, 140)) {
    const w = rng.int(40, 90);
    out.push(rect(x, rng.int(10, horizon / 2), w, horizon, 0, shade(wall, rng.chance(0.5) ? 0.9 : 1.08), shade(wall, 0.8), 1));
    out.push(rect(x + w * 0.2, horizon - rng.int(30, 50), w * 0.3, rng.int(30, 50), 1, shade(wall, 0.55)));
  }
  out.push(rect(0, horizon, W, H - horizon, 0, floor));
  for (let y = horizon + 10; y < H; y += rng.int(14, 26)) out.push(stroke([[0, y], [W, y]], shade(floor, 0.92), 1, 'butt'));
  return out.join('');
}

const KEY = [255, 0, 255] as const;

/** The pixel extent of a figure drawn with its feet centre at x 0 and its top at y 0 (figure units). */
async function figureExtent(svg: string): Promise<Box> {
  const W = 260;
  const H = FIGURE_HEIGHT + 40;
  const ox = W / 2;
  const oy = 20;
  const png = await renderSvg(svgDoc(W, H, rect(0, 0, W, H, 0, KEY) + `<g transform="translate(${ox} ${oy})">${svg}</g>`), 72);
  const img = await decodeRgb(png, 'figure');
  let x1 = W;
  let y1 = H;
  let x2 = 0;
  let y2 = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 3;
      if (Math.abs(img.data[i] - KEY[0]) + Math.abs(img.data[i + 1] - KEY[1]) + Math.abs(img.data[i + 2] - KEY[2]) < 60) continue;
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x + 1);
      y2 = Math.max(y2, y + 1);
    }
  }
  return { x1: x1 - ox, y1: y1 - oy, x2: x2 - ox, y2: y2 - oy };
}

function clip(b: Box, W: number, H: number): Box {
  return { x1: Math.max(0, b.x1), y1: Math.max(0, b.y1), x2: Math.min(W, b.x2), y2: Math.min(H, b.y2) };
}

function round(b: Box): Box {
  return { x1: Math.round(b.x1 * 10) / 10, y1: Math.round(b.y1 * 10) / 10, x2: Math.round(b.x2 * 10) / 10, y2: Math.round(b.y2 * 10) / 10 };
}

/** Share of `full` inside the frame (`clipped`) and not under any `nearer` box, on a 20×20 grid. */
function visibleShare(full: Box, clipped: Box, nearer: Box[]): number {
  let seen = 0;
  const steps = 20;
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      const x = full.x1 + ((i + 0.5) / steps) * (full.x2 - full.x1);
      const y = full.y1 + ((j + 0.5) / steps) * (full.y2 - full.y1);
      const inside = x >= clipped.x1 && x <= clipped.x2 && y >= clipped.y1 && y <= clipped.y2;
      if (inside && !nearer.some((b) => x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2)) seen++;
    }
  }
  return Math.round((seen / (steps * steps)) * 100) / 100;
}

