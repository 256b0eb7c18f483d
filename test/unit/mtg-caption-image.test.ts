import { describe, expect, it } from 'vitest';
import type { Mllm } from '../../src/mllm/mllm.js';
import { PROMPT_MARKERS } from '../../src/mllm/prompts.js';
import { CallMeter } from '../../src/mtg/call-meter.js';
import { captionImage, cleanCaption, type MtgPipeline } from '../../src/mtg/caption-image.js';
import { DEFAULT_MTG_PROMPTS, promptsFromFile } from '../../src/mtg/mtg-prompts.js';
import { buildQuestionPool } from '../../src/mtg/question-pool.js';
import { ScriptedMllm } from '../fakes/scripted-mllm.js';

/** A scripted model that answers `ask` by the first rule whose key the prompt contains. */
function scripted(rules: Array<[string, string]>): ScriptedMllm {
  return new ScriptedMllm(rules.map(([match, reply]) => ({ match, method: 'ask' as const, reply })));
}

const IMAGE = Buffer.from('fake image bytes');

function pipeline(mllm: Mllm, reconstructor: Mllm, rounds = 6, prompts = DEFAULT_MTG_PROMPTS): MtgPipeline {
  return { mllm, reconstructor, prompts, pool: buildQuestionPool(prompts), rounds };
}

const vqa = scripted([
  [PROMPT_MARKERS.caption, 'A man in a red jacket.'],
  ['accessories', 'A black backpack; no hat; no glasses.'],
  ['type of pants', 'Not visible.'],
  ['carrying any objects', "I'm sorry, I can't help with that."],
  ['background', 'A plain street.'],
  ['performing any action', 'Walking.'],
  ['hair short or long', 'Short.'],
  ["colour is the person's hair", 'Black.'],
  ['shoes', 'White.'],
  ['trousers, shorts, a skirt or a dress', 'The sky is clear.'],
  ['lower body', 'Blue.'],
  ['holding anything', 'No, nothing in the hands.'],
  ['colour is the bag', 'Black.'],
  ['man or a woman', 'A man.'],
]);

describe('MTG on one image', () => {
  it('asks N rounds about what T_s leaves open, records why answers are dropped, and rewrites with the kept ones', async () => {
    const recon = scripted([[PROMPT_MARKERS.reconstruction, 'Final caption: "A man in a red jacket with a black backpack."']]);
    const result = await captionImage(IMAGE, pipeline(vqa, recon));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const questions = result.turns.filter((t) => t.kind === 'question');
    expect(questions).toHaveLength(6);
    // T_s states gender, the top's type and colour: nothing asks about them again.
    expect(questions.map((t) => t.question).join('\n')).not.toMatch(/man or a woman|upper body clothing|kind of top/);
    // Open weights after T_s: accessories 2.2, pants (type + colour) 2.0, then the lower colour template
    // (1.2), the lower type template (0.8), hair colour (0.7) and the paper's objects question (held, 0.6).
    expect(questions.map((t) => [t.round, t.question, t.kept, t.reason])).toEqual([
      [1, 'Is the person wearing any accessories (e.g., hat, bag, glasses)?', true, null],
      [2, 'What type of pants is the person wearing?', false, 'unanswerable'],
      [3, "What colour is the person's lower body clothing?", true, null],
      [4, 'Is the person wearing trousers, shorts, a skirt or a dress?', false, 'irrelevant'],
      [5, "What colour is the person's hair?", true, null],
      [6, 'Is the person carrying any objects?', false, 'refused'],
    ]);
    expect(questions[0].facts.map((f) => f.attribute).sort()).toEqual(['bag', 'bagColour', 'glasses', 'hat']);
    expect(result.turns[0]).toMatchObject({ kind: 'caption', round: 0, answer: 'A man in a red jacket.' });
    // The Reconstructor gets text only: T_s and the kept answers, never a dropped one or the image.
    expect(recon.calls).toHaveLength(1);
    expect(recon.calls[0].images).toHaveLength(0);
    expect(recon.calls[0].prompt).toContain('"A man in a red jacket."');
    expect(recon.calls[0].prompt).toContain('"A black backpack; no hat; no glasses."');
    expect(recon.calls[0].prompt).not.toContain('Not visible');
    expect(recon.calls[0].prompt).not.toContain('sorry');
    expect(result.caption).toBe('A man in a red jacket with a black backpack.');
    expect(result.initialCaption).toBe('A man in a red jacket.');
    // Every VQA call carried the image.
    expect(vqa.calls.every((c) => c.images.length === 1 && c.images[0] === IMAGE)).toBe(true);
    vqa.verify();
    recon.verify();
  });

  it('stores per-attribute answers: T_s values as mtg-caption, kept answers as mtg', async () => {
    const recon = scripted([[PROMPT_MARKERS.reconstruction, 'Rewritten.']]);
    const result = await captionImage(IMAGE, pipeline(vqa, recon, 1));
    if (!result.ok) throw new Error('expected a caption');
    const byAttr = Object.fromEntries(result.answers.map((a) => [`${a.attribute}/${a.source}`, a]));
    expect(byAttr['gender/mtg-caption']).toMatchObject({ answer: 'A man in a red jacket.', question: PROMPT_MARKERS.caption });
    expect(byAttr['upperColour/mtg-caption']).toBeDefined();
    expect(byAttr['bag/mtg']).toMatchObject({ question: 'Is the person wearing any accessories (e.g., hat, bag, glasses)?', answer: 'A black backpack; no hat; no glasses.' });
    expect(byAttr['lowerType/mtg']).toBeUndefined();
  });

  it('skips the Reconstructor when no answer was kept, and stops early when the pool runs dry', async () => {
    const recon = scripted([]);
    const none = scripted([
      [PROMPT_MARKERS.caption, 'A man in a red jacket.'],
      [PROMPT_MARKERS.vqa, "I can't tell."],
    ]);
    const result = await captionImage(IMAGE, pipeline(none, recon, 3));
    expect(result).toMatchObject({ ok: true, caption: 'A man in a red jacket.' });
    expect(recon.calls).toHaveLength(0);
    const onlyOne = promptsFromFile({ questions: ['Is the person wearing glasses?'], attributeQuestions: false });
    const short = await captionImage(IMAGE, pipeline(none, recon, 6, onlyOne));
    expect(short.turns.filter((t) => t.kind === 'question')).toHaveLength(1);
  });

  it('returns a skip, not a throw, when the caption is refused', async () => {
    const refusing = scripted([[PROMPT_MARKERS.caption, "I'm sorry, I can't help with identifying people."]]);
    const result = await captionImage(IMAGE, pipeline(refusing, scripted([])));
    expect(result).toMatchObject({ ok: false, reason: 'the MLLM refused to describe the image' });
    expect(result.turns).toHaveLength(1);
    expect(refusing.calls).toHaveLength(1);
  });

  it('keeps T_s when the Reconstructor refuses', async () => {
    const recon = scripted([[PROMPT_MARKERS.reconstruction, 'I apologize, but I cannot help with that.']]);
    const result = await captionImage(IMAGE, pipeline(vqa, recon, 1));
    expect(result).toMatchObject({ ok: true, caption: 'A man in a red jacket.' });
    if (result.ok) expect(result.turns.at(-1)).toMatchObject({ kind: 'reconstruct', kept: false, reason: 'refused' });
  });

  it('attributes reported tokens to the call that used them, even with calls of many images interleaved', async () => {
    const meter = new CallMeter();
    let n = 0;
    // The client reports usage from inside the call (as OpenAiMllm's onCall does), after an await.
    const delayed: Mllm = new ScriptedMllm([
      {
        match: PROMPT_MARKERS.caption,
        reply: async () => {
          const mine = ++n;
          setTimeout(() => meter.record({ promptTokens: mine, completionTokens: 1 }), 0);
          await new Promise((r) => setTimeout(r, 5));
          return 'A man.';
        },
      },
    ]);
    const runs = await Promise.all([1, 2, 3].map(() => meter.measure(() => delayed.ask(PROMPT_MARKERS.caption))));
    expect(runs.map((r) => r.cost.tokens?.prompt).sort()).toEqual([1, 2, 3]);
    const unmetered = await meter.measure(async () => 'x');
    expect(unmetered.cost.tokens).toBeNull();
  });

  it('cleans a rewrite into one caption line', () => {
    expect(cleanCaption('New description: "A man\nin red."')).toBe('A man in red.');
    expect(cleanCaption('  A woman   with a bag. ')).toBe('A woman with a bag.');
  });
});
