import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../src/audit/audit-store.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Witness-link rows (kind `witness`) in an audit trail created before that kind existed: the old CHECK
// constraint would refuse them, so opening the trail widens it and keeps every earlier row.

describe('audit trail: the witness kind', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    tmp = await makeTempDir('audit-witness');
  });
  afterAll(() => tmp.cleanup());

  it('widens a trail written with the old list of kinds and keeps its rows', () => {
    const path = join(tmp.dir, 'old.sqlite');
    const db = openSqlite(path);
    db.exec(`CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, thread TEXT NOT NULL, user_id TEXT NOT NULL, user_name TEXT,
      kind TEXT NOT NULL CHECK (kind IN ('description', 'answer', 'question', 'gallery', 'refusal', 'done')), text TEXT, image_ids TEXT);
      CREATE INDEX audit_at ON audit (at);
      INSERT INTO audit (at, thread, user_id, kind, text, image_ids) VALUES ('2026-01-01T00:00:00.000Z', 'web:local:a', 'u1', 'gallery', 'q', '[1,2]');`);
    expect(() => db.prepare("INSERT INTO audit (at, thread, user_id, kind) VALUES ('2026-01-01T00:00:01.000Z', 't', 'u', 'witness')").run()).toThrow(/CHECK/);
    db.close();

    const audit = AuditStore.open(path);
    try {
      audit.record({ at: '2026-01-02T00:00:00.000Z', thread: 'web:local:a', userId: 'web-op', kind: 'witness', text: 'link 0123456789abcdef created' });
      expect([...audit.records()]).toEqual([
        { at: '2026-01-01T00:00:00.000Z', thread: 'web:local:a', userId: 'u1', kind: 'gallery', text: 'q', imageIds: [1, 2] },
        { at: '2026-01-02T00:00:00.000Z', thread: 'web:local:a', userId: 'web-op', kind: 'witness', text: 'link 0123456789abcdef created' },
      ]);
    } finally {
      audit.close();
    }
    // Opening again is a no-op.
    AuditStore.open(path).close();
  });
});
