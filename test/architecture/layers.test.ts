import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering of DESIGN.md, checked on every test run so it cannot drift: app (the composition root: the
// CLI and the service opener) → bots → agent → src; the demo world is a leaf the product opens only in a
// few deliberate places; each native module is imported by exactly one file; ports are imported from their
// own module, never through an adapter.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAYERS = ['app', 'bots', 'agent', 'src'] as const;

/** Files allowed to open the demo world (besides app/, the composition root). */
const DEMO_ENTRY_POINTS = new Set(['src/models/open-encoders.ts']);

/** The one module allowed to import each native dependency. */
const NATIVE_OWNERS: Record<string, string> = {
  'onnxruntime-node': 'src/models/onnx-runtime.ts',
  'hnswlib-node': 'src/retrieval/hnsw.vector-index.ts',
  sharp: 'src/vision/sharp-adapter.ts',
  'better-sqlite3': 'src/storage/sqlite.ts',
  pg: 'src/storage/postgres.ts',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return /\.ts$/.test(name) ? [rel] : [];
  });
}

interface Import {
  file: string;
  spec: string;
  /** Repository path of a relative import's target (with .ts), else undefined. */
  target?: string;
  line: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    const target = spec.startsWith('.') ? normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts') : undefined;
    out.push({ file, spec, ...(target ? { target } : {}), line: m[0].trim() });
  }
  return out;
}

const files = LAYERS.flatMap((l) => sourceFiles(l));
const imports = files.flatMap(importsOf);
const layerOf = (path: string) => LAYERS.find((l) => path === l || path.startsWith(`${l}/`));
const rank = (layer: string | undefined) => (layer ? LAYERS.indexOf(layer as (typeof LAYERS)[number]) : -1);

describe('the layers', () => {
  it('found the source tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.length).toBeGreaterThan(500);
  });

  it('point inward: app → bots → agent → src, never back', () => {
    const outward = imports.filter((i) => i.target && rank(layerOf(i.target)) >= 0 && rank(layerOf(i.target)) < rank(layerOf(i.file)));
    expect(outward.map((i) => `${i.file} imports ${i.target}`)).toEqual([]);
  });

  it('keep the demo world a leaf: only app/ and the encoder factory open it', () => {
    const intoDemo = imports.filter((i) => i.target?.startsWith('src/demo/') && !i.file.startsWith('src/demo/') && !i.file.startsWith('app/') && !DEMO_ENTRY_POINTS.has(i.file));
    expect(intoDemo.map((i) => `${i.file} imports ${i.target}`)).toEqual([]);
  });

  it('import each native module from exactly one file', () => {
    const wrong = imports.filter((i) => NATIVE_OWNERS[i.spec] !== undefined && NATIVE_OWNERS[i.spec] !== i.file);
    expect(wrong.map((i) => `${i.file} imports ${i.spec} (only ${NATIVE_OWNERS[i.spec]} may)`)).toEqual([]);
  });

  it('import the Mllm port from its own module, not through its OpenAI adapter', () => {
    const through = imports.filter((i) => i.target === 'src/mllm/openai-chat.ts' && /\b(Mllm|AskJsonOptions|YesNo|parseYesNo)\b/.test(i.line.replace(/OpenAiMllm(Options)?/g, '')));
    expect(through.map((i) => `${i.file}: ${i.line}`)).toEqual([]);
  });

  it('resolve every relative import to a file of the tree', () => {
    const known = new Set([...files, ...sourceFiles('test'), ...sourceFiles('bench')]);
    const missing = imports.filter((i) => i.target && !known.has(i.target) && !i.target.endsWith('.json'));
    expect(missing.map((i) => `${i.file} → ${i.spec}`)).toEqual([]);
  });
});

describe('the checker itself', () => {
  it('sees an outward import when one is there', () => {
    const fake: Import = { file: 'src/x.ts', spec: '../agent/y.js', target: 'agent/y.ts', line: '' };
    expect(rank(layerOf(fake.target!)) < rank(layerOf(fake.file))).toBe(true);
    expect(relative(ROOT, join(ROOT, 'src'))).toBe('src');
  });
});
