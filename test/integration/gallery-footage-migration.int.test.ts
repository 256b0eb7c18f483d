import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteGalleryStore } from '../../src/gallery/sqlite.gallery-store.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// A gallery written before footage crops existed (schema 1) opens read-only as it is and gains the footage
// columns when opened for writing.

const V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL, person_id TEXT, camera TEXT,
  captured_at TEXT, width INTEGER, height INTEGER, bytes INTEGER NOT NULL, mtime_ms REAL NOT NULL, added_at TEXT NOT NULL, embedding BLOB NOT NULL);
INSERT INTO images VALUES (7, 'a.jpg', 'abc', 'p1', 'lobby', NULL, 10, 20, 100, 1.5, '2024-01-01T00:00:00.000Z', x'0000803f');
`;

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('gallery-migration');
});
afterAll(() => tmp.cleanup());

describe('gallery schema 1 → 2', () => {
  it('reads a schema-1 file read-only, then migrates it on a writable open and stores footage facts', () => {
    const path = join(tmp.dir, 'v1.db');
    const raw = openSqlite(path, { mustExist: false, readonly: false });
    raw.exec(V1);
    raw.close();
    const ro = SqliteGalleryStore.open(path, { readonly: true });
    expect(ro.get(7)).toMatchObject({ path: 'a.jpg', camera: 'lobby', footage: null });
    ro.close();
    const rw = SqliteGalleryStore.open(path);
    expect(rw.get(7)?.footage).toBeNull();
    const [id] = rw.insertImages([
      {
        path: 'crops/b.png', sha256: 'def', personId: null, camera: 'lobby', capturedAt: '2024-01-01T10:00:00.000Z', width: 5, height: 9, bytes: 50, mtimeMs: 2,
        embedding: new Float32Array([1]), footage: { source: 'lobby.mp4', frameTimeMs: 1500, trackId: 'lobby.mp4#3', box: [1, 2, 6, 11] },
      },
    ]);
    rw.close();
    const again = SqliteGalleryStore.open(path);
    expect(again.get(id)?.footage).toEqual({ source: 'lobby.mp4', frameTimeMs: 1500, trackId: 'lobby.mp4#3', box: [1, 2, 6, 11] });
    again.close();
  });
});
