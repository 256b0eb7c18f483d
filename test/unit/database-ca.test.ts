import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { galleryRef, openGallery } from '../../src/gallery/open-gallery.js';
import { databaseCa, openDatabase } from '../../src/storage/open-database.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Every way of opening the shared database (its stores, galleries, the build queue, `db migrate`) reads the
// CA certificate of CTGI_DATABASE_CA_FILE the same way, and refuses an unreadable one before connecting.

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('database-ca'));
});
afterAll(() => cleanup());

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('the database CA certificate', () => {
  it('is the PEM given, else the file’s text, else absent', async () => {
    const file = join(dir, 'ca.pem');
    await writeFile(file, PEM);
    expect(await databaseCa({ ca: 'given', caFile: file })).toBe('given');
    expect(await databaseCa({ caFile: file })).toBe(PEM);
    expect(await databaseCa({})).toBeUndefined();
  });

  it('refuses an unreadable file with one sentence naming it, before any connection is tried', async () => {
    const missing = join(dir, 'nope.pem');
    // Port 9 on the loopback: nothing answers, so only a CA refusal can explain the error's code.
    const target = { url: 'postgres://u:secret@127.0.0.1:9/db', tls: 'verify-full' as const, caFile: missing };
    for (const attempt of [() => databaseCa(target), () => openDatabase(target), () => openGallery(galleryRef('lobby', target))]) {
      const err = await failure(attempt);
      expect(isCtgiError(err, 'CONFIG_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toBe(`Cannot read the database CA file ${missing} (CTGI_DATABASE_CA_FILE): ENOENT.`);
    }
  });
});
