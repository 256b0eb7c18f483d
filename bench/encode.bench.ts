// npm run bench:encode [-- --images 48 --rounds 5 --text-reps 15]
// On a ViT-B/16-sized model pair with random weights (generated under .bench/, never committed), measures
// side by side in one run:
//  (a) images/s of the full path (JPEG file → decode → preprocess → batched inference → vector) against raw
//      inference on pre-made tensors of the same batch size — goal ≥ 0.95;
//  (b) latency of a 20-token query on the 248-token (stretched) text encoder, trimmed to its real length
//      against padded to 248 — goal ≥ 3× faster, identical vectors.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OnnxClipImageEncoder } from '../src/models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../src/models/clip-text-encoder.js';
import { stretchModel } from '../src/models/pes/stretch-model.js';
import { preprocessImageFile } from '../src/vision/clip-preprocess.js';
import { writeJpeg } from '../test/fixtures/images.js';
import { VITB16_PERSON, writeTinyClipModel } from '../test/fixtures/tiny-clip.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const IMAGES = arg('images', 48);
const ROUNDS = arg('rounds', 5);
const TEXT_REPS = arg('text-reps', 15);
const BATCH = 16;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (s: string) => process.stdout.write(`${s}\n`);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const work = resolve('.bench');
  const modelDir = join(work, 'vitb16-hf');
  const longDir = join(work, 'vitb16-hf-pes248');
  await mkdir(work, { recursive: true });
  if (!existsSync(join(modelDir, 'config.json'))) {
    log('generating a ViT-B/16-sized model pair (random weights) …');
    await writeTinyClipModel(modelDir, { layout: 'hf', ...VITB16_PERSON });
  }
  if (!existsSync(longDir)) {
    log('stretching its text encoder to 248 tokens …');
    await stretchModel({ modelDir, outDir: longDir });
  }
  const imageDir = join(work, 'images');
  await mkdir(imageDir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const p = join(imageDir, `person-${i}.jpg`);
    // Camera crops are larger than the model input and not of its aspect: 180×420 here.
    if (!existsSync(p)) await writeJpeg(p, 180, 420, (x, y) => [(x * 7 + i * 31) % 256, (y * 3 + i * 17) % 256, ((x ^ y) + i) % 256]);
    paths.push(p);
  }
  log(`machine: ${cpus().length} cores; images: ${IMAGES} JPEGs 180×420, batch ${BATCH}; rounds: ${ROUNDS}`);

  // (a) Full path vs raw inference.
  const image = await OnnxClipImageEncoder.open(modelDir, { batchSize: BATCH });
  const pixels = new Float32Array(image.imageSize * BATCH);
  for (let i = 0; i < BATCH; i++) pixels.set(await preprocessImageFile(paths[i % paths.length], image.model.preprocess), i * image.imageSize);
  const raw = async () => {
    for (let done = 0; done < IMAGES; done += BATCH) await image.runTensor(pixels, Math.min(BATCH, IMAGES - done));
  };
  await image.embedImageFiles(paths.slice(0, BATCH)); // warm-up
  await raw();
  // Rounds alternate the two paths (raw first in even rounds, full first in odd ones); the ratio of each
  // round's pair is taken and the median reported, so machine-wide drift cancels out.
  const fullRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let f = 0;
    let w = 0;
    if (r % 2 === 0) w = IMAGES / (await timed(raw));
    f = IMAGES / (await timed(() => image.embedImageFiles(paths)));
    if (r % 2 === 1) w = IMAGES / (await timed(raw));
    fullRates.push(f);
    rawRates.push(w);
    ratios.push(f / w);
  }
  await image.close();
  log(
    `(a) full path ${median(fullRates).toFixed(2)} images/s, raw session.run ${median(rawRates).toFixed(2)} images/s; ` +
      `ratio per round ${ratios.map((x) => x.toFixed(3)).join(' ')} → median ${median(ratios).toFixed(3)}  (goal ≥ 0.95)`,
  );

  // (b) 20-token query on the stretched text encoder: trimmed vs padded.
  const text = await OnnxClipTextEncoder.open(longDir);
  const ids = text.tokenizer.encode('a young woman with long black hair wearing a red hooded jacket, blue jeans, white sneakers and a grey backpack', 20);
  const trimmedMs: number[] = [];
  const paddedMs: number[] = [];
  let maxDiff = 0;
  for (let r = 0; r < TEXT_REPS + 1; r++) {
    let a: Float32Array[] = [];
    let b: Float32Array[] = [];
    const tt = await timed(async () => (a = await text.embedTokenIds([ids], { trim: true })));
    const tp = await timed(async () => (b = await text.embedTokenIds([ids], { trim: false })));
    if (r === 0) continue; // warm-up
    trimmedMs.push(tt * 1000);
    paddedMs.push(tp * 1000);
    a[0].forEach((x, d) => (maxDiff = Math.max(maxDiff, Math.abs(x - b[0][d]))));
  }
  await text.close();
  const t = median(trimmedMs);
  const p = median(paddedMs);
  log(
    `(b) ${ids.length}-token query on the ${text.contextLength}-token model: trimmed ${t.toFixed(1)} ms  padded ${p.toFixed(1)} ms  speed-up ${(p / t).toFixed(1)}×  (goal ≥ 3×)  max |Δ| ${maxDiff.toExponential(1)}`,
  );
}

await main();
