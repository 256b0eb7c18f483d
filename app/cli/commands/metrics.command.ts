import type { Command } from 'commander';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import { rankingMetrics, type PersonId } from '../../../src/retrieval/metrics.js';
import type { CliContext } from '../cli-context.js';
import { readJsonObject, writeJson } from '../io.js';

const EXAMPLE = '{"similarity": [[0.9, 0.1]], "queryIds": [1], "galleryIds": [1, 2]}';

/** `ctgi metrics`: R1/R5/R10/mAP/mINP (percent) of a similarity matrix read from stdin. */
export function registerMetrics(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .summary('Retrieval metrics (R1/R5/R10, mAP, mINP) of a similarity matrix read as JSON on stdin.')
    .description(
      'Read {"similarity": queries×gallery, "queryIds", "galleryIds"} as JSON on stdin; print {"R1","R5","R10","mAP","mINP"} in percent ' +
        '(IRRA/RDE definitions; ties broken by gallery order; ids 1 and "1" are the same person).',
    )
    .action(async () => {
      const input = await readJsonObject(ctx.stdin, EXAMPLE);
      for (const key of ['similarity', 'queryIds', 'galleryIds']) {
        if (!Array.isArray(input[key])) {
          throw new CtgiError('BAD_INPUT', `The input needs "${key}" as a JSON array, e.g. ${EXAMPLE}.`);
        }
      }
      const m = rankingMetrics(input.similarity as number[][], input.queryIds as PersonId[], input.galleryIds as PersonId[]);
      // Exactly these five keys: other tools parse this shape.
      writeJson(ctx.stdout, { R1: m.R1, R5: m.R5, R10: m.R10, mAP: m.mAP, mINP: m.mINP });
    });
}
