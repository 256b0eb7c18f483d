// The SQLite audit trail and `ctgi audit export`.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../src/audit/audit-store.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let temp: { dir: string; cleanup: () => Promise<void> };
let home: string;

beforeAll(async () => {
  temp = await makeTempDir('audit');
  home = join(temp.dir, 'home');
  await mkdir(home);
  const store = AuditStore.open(join(home, 'audit.sqlite'));
  store.record({ at: '2024-05-01T09:00:00Z', thread: 'web:s1:c1', userId: 's1', kind: 'description', text: 'a man, "tall", in red' });
  store.record({ at: '2024-05-01T09:00:01.500Z', thread: 'web:s1:c1', userId: 's1', kind: 'gallery', imageIds: [7, 3, 9] });
  store.record({ at: '2024-05-02T10:00:00+02:00', thread: 'slack:C1:1.2', userId: 'U1', userName: 'Ann', kind: 'answer', text: '=1+2' });
  store.record({ at: 'not a date', thread: 'web:unauthenticated', userId: 'ip:127.0.0.1', kind: 'refusal', text: '401 GET /' });
  store.close();
});

afterAll(async () => {
  await temp.cleanup();
});

describe('audit store', () => {
  it('keeps records in time order with UTC instants, filtered by since/until', () => {
    const store = AuditStore.openReadOnly(join(home, 'audit.sqlite'));
    try {
      const all = [...store.records()];
      expect(all.map((r) => r.kind)).toEqual(['description', 'gallery', 'answer', 'refusal']);
      expect(all[2]).toEqual({ at: '2024-05-02T08:00:00.000Z', thread: 'slack:C1:1.2', userId: 'U1', userName: 'Ann', kind: 'answer', text: '=1+2' });
      expect(all[1]!.imageIds).toEqual([7, 3, 9]);
      // A malformed timestamp was replaced by the time of recording (now, i.e. after the others).
      expect(Date.parse(all[3]!.at)).toBeGreaterThan(Date.parse('2025-01-01'));
      expect([...store.records({ since: '2024-05-01T09:00:01Z', until: '2024-05-03' })].map((r) => r.kind)).toEqual(['gallery', 'answer']);
      expect(() => [...store.records({ since: 'yesterday' })]).toThrow(/ISO 8601/);
      expect(() => [...store.records({ until: '2024-02-31' })]).toThrow('--until "2024-02-31" is not an ISO 8601 date or time (February 2024 has no day 31)');
      expect(() => store.recordSync({ at: '2024-01-01', thread: 't', userId: 'u', kind: 'done' })).toThrow(/not open for writing/);
    } finally {
      store.close();
    }
  });

  it('is readable by its owner only, WAL files included', async () => {
    const file = join(temp.dir, 'fresh.sqlite');
    const store = AuditStore.open(file);
    try {
      store.record({ at: '2024-01-01T00:00:00Z', thread: 't:a:b', userId: 'u', kind: 'done' });
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(((await stat(path)).mode & 0o777).toString(8), path).toBe('600');
    } finally {
      store.close();
    }
  });

  it('refuses to open a missing trail read-only, with a sentence', () => {
    try {
      AuditStore.openReadOnly(join(temp.dir, 'nope.sqlite'));
      expect.unreachable();
    } catch (err) {
      expect(isCtgiError(err, 'NOT_FOUND')).toBe(true);
      expect((err as Error).message).toContain('no audit trail');
    }
  });
});

describe('ctgi audit export', () => {
  it('writes JSON lines since an instant', async () => {
    const r = await spawnCtgi(['audit', 'export', '--since', '2024-05-01T09:00:01Z'], { CTGI_HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.kind)).toEqual(['gallery', 'answer', 'refusal']);
    expect(lines[0]).toEqual({ at: '2024-05-01T09:00:01.500Z', thread: 'web:s1:c1', userId: 's1', kind: 'gallery', imageIds: [7, 3, 9] });
  });

  it('writes spreadsheet-safe CSV to a private file', async () => {
    const out = join(temp.dir, 'audit.csv');
    const r = await spawnCtgi(['audit', 'export', '--since', '2024-05-01', '--until', '2024-05-03', '--format', 'csv', '--out', out], { CTGI_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Wrote 3 audit records');
    expect(await readFile(out, 'utf8')).toBe(
      [
        'at,thread,user_id,user_name,kind,text,image_ids',
        '2024-05-01T09:00:00.000Z,web:s1:c1,s1,,description,"a man, ""tall"", in red",',
        '2024-05-01T09:00:01.500Z,web:s1:c1,s1,,gallery,,"[7,3,9]"',
        "2024-05-02T08:00:00.000Z,slack:C1:1.2,U1,Ann,answer,'=1+2,",
        '',
      ].join('\r\n'),
    );
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('explains a bad --since, a bad --format and a missing trail', async () => {
    const badSince = await spawnCtgi(['audit', 'export', '--since', 'last week'], { CTGI_HOME: home });
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since "last week" is not an ISO 8601 date or time');
    // Junk after a date and impossible days are refused, not shifted to another day (issue 17 item 11).
    const junk = await spawnCtgi(['audit', 'export', '--since', '2026-12-04 junk'], { CTGI_HOME: home });
    expect(junk.code).toBe(2);
    expect(junk.stdout).toBe('');
    expect(junk.stderr).toContain('--since "2026-12-04 junk" is not an ISO 8601 date or time (unexpected " junk" after the date)');
    const impossible = await spawnCtgi(['audit', 'export', '--since', '2024-01-01', '--until', '2024-02-31'], { CTGI_HOME: home });
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toContain('(February 2024 has no day 31)');
    const badFormat = await spawnCtgi(['audit', 'export', '--since', '2024-01-01', '--format', 'xml'], { CTGI_HOME: home });
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format must be one of: jsonl, csv');
    const missing = await spawnCtgi(['audit', 'export', '--since', '2024-01-01'], { CTGI_HOME: join(temp.dir, 'empty-home') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ctgi: There is no audit trail at .*audit\.sqlite yet/);
  });
});
