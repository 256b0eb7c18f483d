import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDemoMllm } from '../../app/cli/commands/demo-mllm.command.js';
import type { CliContext } from '../../app/cli/cli-context.js';
import { loadConfig } from '../../src/config/config.js';
import { CAMERA_IDS, sampleAppearance, sampleJitter } from '../../src/demo/appearance.js';
import { sampleAttributes } from '../../src/demo/attribute-sampling.js';
import type { PersonAttributes, DemoSlotKey } from '../../src/demo/attributes.js';
import type { CaptionStyle } from '../../src/attributes/phrasing.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { Rng } from '../../src/demo/rng.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { initialCaptionPrompt } from '../../src/mllm/prompts.js';

const PEOPLE = 8;
const CLOTHES: DemoSlotKey[] = ['upperColour', 'upperType', 'lowerColour', 'lowerType'];
const ACCESSORIES: DemoSlotKey[] = ['bag', 'hat', 'glasses', 'held'];
/** Words only an accessory phrase uses, written here independently of the server's describer. */
const ACCESSORY_WORDS = /\b(bag|backpack|handbag|hat|glasses|umbrella|phone|bottle|holds|holding|carries)\b/i;

function top(text: string, key: DemoSlotKey): string | undefined {
  return Object.entries(parseDescription(text)[key] ?? {}).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0];
}

describe('the demo MLLM caption style, through the product client', () => {
  const servers: DemoMllmServer[] = [];
  const people: PersonAttributes[] = [];
  const captions: Record<CaptionStyle, string[]> = { full: [], concise: [] };

  beforeAll(async () => {
    const full = await startDemoMllmServer({ seed: 4 });
    servers.push(full);
    const concise = await startDemoMllmServer({ seed: 4, captionStyle: 'concise' });
    servers.push(concise);
    const clients = {
      full: new OpenAiMllm({ baseUrl: full.url, model: DEMO_MLLM_MODEL, maxRetries: 0, timeoutMs: 10_000 }),
      concise: new OpenAiMllm({ baseUrl: concise.url, model: DEMO_MLLM_MODEL, maxRetries: 0, timeoutMs: 10_000 }),
    };
    const rng = new Rng(31);
    for (let i = 0; i < PEOPLE; i++) {
      const person = sampleAttributes(rng);
      people.push(person);
      const image = await renderPersonPng(person, sampleAppearance(rng), sampleJitter(rng, rng.pick(CAMERA_IDS)));
      captions.full.push(await clients.full.ask(initialCaptionPrompt(), [image]));
      captions.concise.push(await clients.concise.ask(initialCaptionPrompt(), [image]));
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('states the clothes in both styles', () => {
    for (const style of ['full', 'concise'] as const) {
      let right = 0;
      for (let i = 0; i < PEOPLE; i++) for (const key of CLOTHES) if (top(captions[style][i], key) === people[i][key]) right++;
      expect(right, style).toBeGreaterThanOrEqual(Math.ceil(0.9 * PEOPLE * CLOTHES.length));
    }
  });

  it('states the accessories in the full caption and leaves them out of the concise one', () => {
    let fullRight = 0;
    for (let i = 0; i < PEOPLE; i++) {
      for (const key of ACCESSORIES) if (top(captions.full[i], key) === people[i][key]) fullRight++;
      expect(captions.full[i]).toMatch(ACCESSORY_WORDS);
      expect(captions.concise[i]).not.toMatch(ACCESSORY_WORDS);
      const concise = parseDescription(captions.concise[i]);
      for (const key of ACCESSORIES) expect(concise[key], `${key} in "${captions.concise[i]}"`).toBeUndefined();
      // One sentence, and shorter than the full caption of the same image.
      expect(captions.concise[i].match(/\./g)).toHaveLength(1);
      expect(captions.concise[i].length).toBeLessThan(captions.full[i].length);
    }
    expect(fullRight).toBeGreaterThanOrEqual(Math.ceil(0.9 * PEOPLE * ACCESSORIES.length));
  });

  it('refuses an unknown caption style before starting', async () => {
    const err = await startDemoMllmServer({ captionStyle: 'verbose' as CaptionStyle }).catch((e: unknown) => e);
    expect(isCtgiError(err, 'BAD_INPUT')).toBe(true);
    expect((err as Error).message).toMatch(/caption style "verbose" is not one of full, concise/);
  });
});

describe('ctgi demo mllm --caption-style', () => {
  it('refuses a value other than full or concise', async () => {
    const ctx = { config: () => loadConfig({}), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr } as CliContext;
    let written = '';
    const program = new Command('ctgi').exitOverride().configureOutput({ writeErr: () => {} });
    const demo = program.command('demo').exitOverride();
    registerDemoMllm(demo, ctx);
    demo.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => (written += s) }));
    const err = await program.parseAsync(['demo', 'mllm', '--caption-style', 'verbose'], { from: 'user' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect(written).toMatch(/--caption-style must be one of full, concise, not "verbose"/);
  });
});
