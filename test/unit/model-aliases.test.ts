import { describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { MODEL_ALIASES, resolveModelRef } from '../../src/models/store/model-aliases.js';

function badInput(input: string): string {
  try {
    resolveModelRef(input);
  } catch (err) {
    expect(isCtgiError(err, 'BAD_INPUT')).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected ${input} to be refused`);
}

describe('model aliases', () => {
  it.each([
    ['clip-vit-b16', 'Xenova/clip-vit-base-patch16'],
    ['clip-vit-b32', 'Xenova/clip-vit-base-patch32'],
    ['clip-vit-l14', 'Xenova/clip-vit-large-patch14'],
    ['immich-clip-vit-b16', 'immich-app/ViT-B-16__openai'],
    ['immich-clip-vit-b32', 'immich-app/ViT-B-32__openai'],
    ['immich-clip-vit-l14', 'immich-app/ViT-L-14__openai'],
  ])('%s → %s', (alias, repo) => {
    const ref = resolveModelRef(alias);
    expect(ref.repo).toBe(repo);
    expect(ref.alias).toBe(alias);
    expect(`${ref.owner}/${ref.name}`).toBe(repo);
  });

  it('names a person detector by repository and file', () => {
    expect(resolveModelRef('yolov8n')).toEqual({ repo: 'cabelo/yolov8', owner: 'cabelo', name: 'yolov8', alias: 'yolov8n', file: 'yolov8n.onnx' });
    expect(badInput('yolov9')).toContain('yolov8n (person detector, cabelo/yolov8/yolov8n.onnx)');
  });

  it('passes a valid owner/name through', () => {
    expect(resolveModelRef('openai/clip-vit-base-patch32')).toEqual({ repo: 'openai/clip-vit-base-patch32', owner: 'openai', name: 'clip-vit-base-patch32', alias: undefined });
    expect(resolveModelRef('  immich-app/XLM-Roberta-Large-Vit-B-16Plus ').name).toBe('XLM-Roberta-Large-Vit-B-16Plus');
    expect(resolveModelRef('a_b/c.d-e').repo).toBe('a_b/c.d-e');
  });

  it('refuses unknown names, listing every alias', () => {
    const message = badInput('clip-vit-h14');
    for (const alias of Object.keys(MODEL_ALIASES)) expect(message).toContain(alias);
    expect(message).toContain('owner/name');
  });

  it.each(['', '/', '../etc', 'a/..', '../../x', 'a/../b', '/abs/path', 'a/b/c', 'owner/', '/name', 'a\\b/c', 'a/b c', '.hidden/x', 'a/.x', 'a/b..c', 'a/b.', 'a/b%2F..', 'a/b\u0000'])(
    'refuses %j',
    (input) => {
      expect(badInput(input)).toContain('clip-vit-b16');
    },
  );

  it('does not treat Object prototype keys as aliases', () => {
    badInput('constructor');
    badInput('__proto__');
  });
});
