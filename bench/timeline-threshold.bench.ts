// node bin/run-ts.js bench/timeline-threshold.bench.ts [-- --peopleSeeds 11,12 --people 6 --frames 30]
// How well "the nearest images on other cameras above a cosine threshold" finds the same person: demo
// footage of three cameras watching one set of people (demo detector, demo encoder), every labelled crop as
// the confirmed image, every crop on another camera above the threshold as a sighting; precision and
// recall against the scenes' identities per threshold. DEFAULT_TIMELINE_MIN_COSINE was chosen from this.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoFootage } from '../src/demo/footage-world.js';
import { openGallery } from '../src/gallery/open-gallery.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const PEOPLE_SEEDS = arg('peopleSeeds', '11,12').split(',').map(Number);
const PEOPLE = Number(arg('people', '6'));
const FRAMES = Number(arg('frames', '30'));
const THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98];

const root = await mkdtemp(join(tmpdir(), 'ctgi-bench-timeline-'));
try {
  const tally = THRESHOLDS.map(() => ({ tp: 0, fp: 0, fn: 0 }));
  for (const peopleSeed of PEOPLE_SEEDS) {
    const built = await buildDemoFootage(join(root, `world-${peopleSeed}`), {
      peopleSeed,
      people: PEOPLE,
      frames: FRAMES,
      cameras: [
        { camera: 'cam1', seed: peopleSeed * 10 + 1, start: '2026-12-04T09:00:00.000Z' },
        { camera: 'cam2', seed: peopleSeed * 10 + 2, start: '2026-12-04T11:00:00.000Z' },
        { camera: 'cam3', seed: peopleSeed * 10 + 3, start: '2026-12-04T13:00:00.000Z' },
      ],
    });
    const g = await openGallery(built.indexDir);
    const ids = [...built.identityOf.keys()];
    const records = await g.getMany(ids);
    const vectors = await g.embeddingsOf(ids);
    for (const a of ids) {
      for (const b of ids) {
        if (records.get(a)!.camera === records.get(b)!.camera) continue;
        const va = vectors.get(a)!;
        const vb = vectors.get(b)!;
        let cos = 0;
        for (let i = 0; i < va.length; i++) cos += va[i] * vb[i];
        const same = built.identityOf.get(a) === built.identityOf.get(b);
        THRESHOLDS.forEach((t, i) => {
          if (cos >= t) same ? tally[i].tp++ : tally[i].fp++;
          else if (same) tally[i].fn++;
        });
      }
    }
    console.log(`people seed ${peopleSeed}: ${ids.length} labelled crops on 3 cameras`);
    await g.close({ save: false });
  }
  console.log('threshold\tprecision\trecall\tpairs');
  THRESHOLDS.forEach((t, i) => {
    const { tp, fp, fn } = tally[i];
    console.log(`${t.toFixed(2)}\t${(tp / Math.max(1, tp + fp)).toFixed(3)}\t${(tp / Math.max(1, tp + fn)).toFixed(3)}\t${tp + fp}`);
  });
} finally {
  await rm(root, { recursive: true, force: true });
}
