import { appendFile, mkdir, open, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

/** What the cached vectors were computed with; a cache made by another model is discarded. */
export interface CacheIdentity {
  modelSha256: string;
  dim: number;
}

const META = 'meta.json';

/**
 * Append-only store of frozen-tower embeddings keyed by image path or caption text, in a folder next to the
 * training output: `KIND.f32` holds the vectors, `KIND.keys.jsonl` one JSON key per line, written after its
 * vector. A run killed mid-write leaves at most a torn tail, which `open` cuts back to the last whole pair,
 * so a resumed run recomputes nothing it already stored.
 */
export class EmbeddingCache {
  private constructor(
    readonly dir: string,
    readonly identity: CacheIdentity,
  ) {}

  /** Opens (or starts) the cache in `dir`; a cache of another model or dimension is emptied first. */
  static async open(dir: string, identity: CacheIdentity): Promise<EmbeddingCache> {
    const meta = await readFile(join(dir, META), 'utf8').then(
      (t) => JSON.parse(t) as Partial<CacheIdentity>,
      () => undefined,
    );
    if (!meta || meta.modelSha256 !== identity.modelSha256 || meta.dim !== identity.dim) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(join(dir, META), JSON.stringify(identity) + '\n');
    }
    return new EmbeddingCache(dir, identity);
  }

  /** Every whole (key, vector) pair stored for `kind`, after cutting a torn tail. */
  async load(kind: string): Promise<Map<string, Float32Array>> {
    const { vectorsPath, keysPath } = this.paths(kind);
    const dim = this.identity.dim;
    const keysText = await readFile(keysPath, 'utf8').catch(() => '');
    const lines = keysText.split('\n');
    lines.pop(); // the text after the last newline is empty or a torn line
    const bytes = await stat(vectorsPath).then((s) => s.size, () => 0);
    const n = Math.min(lines.length, Math.floor(bytes / (dim * 4)));
    if (n < lines.length || bytes !== n * dim * 4) await this.cut(kind, lines.slice(0, n), n);
    const out = new Map<string, Float32Array>();
    if (n === 0) return out;
    const raw = await readFile(vectorsPath);
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + n * dim * 4));
    for (let i = 0; i < n; i++) out.set(JSON.parse(lines[i]) as string, all.subarray(i * dim, (i + 1) * dim));
    return out;
  }

  /** Appends vectors, then their keys (so a key on disk always has its vector). */
  async append(kind: string, keys: string[], vectors: Float32Array[]): Promise<void> {
    if (keys.length === 0) return;
    const { vectorsPath, keysPath } = this.paths(kind);
    const packed = new Float32Array(vectors.length * this.identity.dim);
    vectors.forEach((v, i) => packed.set(v, i * this.identity.dim));
    await appendFile(vectorsPath, new Uint8Array(packed.buffer));
    await appendFile(keysPath, keys.map((k) => JSON.stringify(k)).join('\n') + '\n');
  }

  private paths(kind: string): { vectorsPath: string; keysPath: string } {
    return { vectorsPath: join(this.dir, `${kind}.f32`), keysPath: join(this.dir, `${kind}.keys.jsonl`) };
  }

  private async cut(kind: string, lines: string[], n: number): Promise<void> {
    const { vectorsPath, keysPath } = this.paths(kind);
    await writeFileAtomic(keysPath, lines.map((l) => l + '\n').join(''));
    const handle = await open(vectorsPath, 'a').catch(() => undefined);
    await handle?.close();
    await truncate(vectorsPath, n * this.identity.dim * 4);
  }
}
