// npm run bench:train [-- --pairs 10000 --epochs 10 --dim 512 --batch 64 --rank 64]
// Training throughput of `ctgi train`'s loop (the frozen embeddings already cached): synthetic clustered
// 512-d caption and image embeddings of 2,000 people, every epoch run (no early stop), validation after each.
// Prints the backend, wall time, pairs/s of the training steps and the validation R1/mAP per epoch.
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../src/util/prng.js';
import { loadTf } from '../src/train/tf-backend.js';
import { runTrainingLoop, type LoopData } from '../src/train/train-loop.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const PAIRS = arg('pairs', 10_000);
const EPOCHS = arg('epochs', 10);
const DIM = arg('dim', 512);
const BATCH = arg('batch', 64);
const RANK = arg('rank', 64);
const PER_PERSON = 5;
const NOISE = arg('noise', 2.5);
const log = (s: string) => process.stdout.write(`${s}\n`);

/** Unit rows: a person's centre plus noise, with a fixed mixing of the text side (the gap an adapter can close). */
function synthetic(n: number, personOf: (row: number) => number, people: number, seed: number): { texts: Float32Array; images: Float32Array; person: Int32Array } {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Float32Array.from({ length: people * DIM }, gauss);
  const texts = new Float32Array(n * DIM);
  const images = new Float32Array(n * DIM);
  const person = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = personOf(i);
    person[i] = p;
    for (let d = 0; d < DIM; d++) {
      const c = centres[p * DIM + d];
      images[i * DIM + d] = c + NOISE * gauss();
      texts[i * DIM + d] = 0.7 * c + 0.7 * centres[p * DIM + ((d * 7 + 3) % DIM)] + NOISE * gauss();
    }
  }
  for (const m of [texts, images]) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < DIM; d++) s += m[i * DIM + d] ** 2;
      const k = 1 / Math.sqrt(s);
      for (let d = 0; d < DIM; d++) m[i * DIM + d] *= k;
    }
  }
  return { texts, images, person };
}

async function main(): Promise<void> {
  const people = Math.ceil(PAIRS / PER_PERSON);
  const valPairs = Math.round(PAIRS / 10);
  const valPeople = Math.ceil(valPairs / PER_PERSON);
  // Validation: other people than training (held out by person, as `ctgi train` does).
  const all = synthetic(PAIRS + valPairs, (i) => (i < PAIRS ? i % people : people + ((i - PAIRS) % valPeople)), people + valPeople, 1);
  const trainRows = Int32Array.from({ length: PAIRS }, (_, i) => i);
  const valRows = Array.from({ length: valPairs }, (_, i) => PAIRS + i);
  const data: LoopData = {
    dim: DIM,
    texts: all.texts,
    images: all.images,
    pairs: { textRows: trainRows, imageRows: trainRows, personCodes: Int32Array.from(trainRows, (r) => all.person[r]) },
    validation: { queryRows: valRows, queryIds: valRows.map((r) => String(all.person[r])), galleryRows: valRows, galleryIds: valRows.map((r) => String(all.person[r])) },
  };
  const tf = await loadTf();
  log(`backend ${tf.getBackend()}; ${PAIRS} pairs × ${EPOCHS} epochs, ${DIM}-d, batch ${BATCH}, rank ${RANK}; validation ${valRows.length} captions × ${valRows.length} images`);
  const t0 = performance.now();
  const result = await runTrainingLoop(tf, data, {
    epochs: EPOCHS,
    batchSize: BATCH,
    lr: 1e-3,
    seed: 1,
    rank: RANK,
    sides: ['image', 'text'],
    patience: EPOCHS,
    onEpoch: (r) => log(`epoch ${r.epoch}: ${r.loss === undefined ? 'base' : `loss ${r.loss.toFixed(4)}`}, R1 ${r.R1.toFixed(2)}, mAP ${r.mAP.toFixed(2)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`),
  });
  const wall = (performance.now() - t0) / 1000;
  log(`wall time ${wall.toFixed(1)} s (goal ≤ 300 s), training steps ${Math.round(result.pairsPerSecond)} pairs/s, ${result.steps} steps; best epoch ${result.bestEpoch}`);
}

await main();
