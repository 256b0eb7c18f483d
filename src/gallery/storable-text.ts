import { CtgiError } from '../errors/ctgi-error.js';
import type { NewAttributeAnswer, NewImage } from './gallery-store.js';

// Every gallery adapter refuses the same text: PostgreSQL cannot store a NUL character in `text` or `jsonb`,
// and no file path, camera name or caption legitimately holds one, so the folder refuses it too.

/** @throws CtgiError BAD_INPUT naming `field` when `value` holds a NUL character. */
export function assertStorableText(field: string, value: string | null | undefined): void {
  if (typeof value === 'string' && value.includes('\0')) {
    throw new CtgiError('BAD_INPUT', `The ${field} contains a NUL character (\\0), which a gallery cannot store; remove it and try again.`);
  }
}

/** Checks every text field of images about to be stored. @throws CtgiError BAD_INPUT naming the field. */
export function assertStorableImages(images: readonly NewImage[]): void {
  for (const img of images) {
    assertStorableText('image path', img.path);
    const of = ` of ${img.path}`;
    assertStorableText(`sha256${of}`, img.sha256);
    assertStorableText(`person id${of}`, img.personId);
    assertStorableText(`camera${of}`, img.camera);
    assertStorableText(`capture time${of}`, img.capturedAt);
    assertStorableText(`footage source${of}`, img.footage?.source);
    assertStorableText(`footage track id${of}`, img.footage?.trackId);
    for (const c of img.captions ?? []) assertStorableText(`caption${of}`, c);
  }
}

/** @throws CtgiError BAD_INPUT naming the field of the first answer with a NUL character. */
export function assertStorableAnswers(rows: readonly NewAttributeAnswer[]): void {
  for (const r of rows) {
    assertStorableText('attribute name', r.attribute);
    assertStorableText(`question about ${r.attribute}`, r.question);
    assertStorableText(`answer about ${r.attribute}`, r.answer);
    assertStorableText('answer source', r.source);
  }
}
