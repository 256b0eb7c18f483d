import { describe, expect, it } from 'vitest';
import { decodeVectorSend } from '../../src/gallery/postgres-gallery-rows.js';

// Golden bytes printed by pgvector 0.8.6 itself (psql: SELECT vector_send('[…]'::vector), halfvec_send(…),
// and the halfvec's text output for the values it rounded to).
const hex = (h: string) => Buffer.from(h.replace(/^\\x/, ''), 'hex');

describe('decodeVectorSend: pgvector binary send format', () => {
  it('reads vector_send as big-endian float32 values', () => {
    expect([...decodeVectorSend(hex('\\x000200003f80000040200000'), 'vector')]).toEqual([1, 2.5]);
    expect([...decodeVectorSend(hex('\\x00030000bf0000003dcccccd7f7fc99e'), 'vector')]).toEqual([-0.5, Math.fround(0.1), Math.fround(3.4e38)]);
  });

  it('reads halfvec_send as IEEE halves, subnormals and signs included, equal to what pgvector prints', () => {
    expect([...decodeVectorSend(hex('\\x000200003c004100'), 'halfvec')]).toEqual([1, 2.5]);
    // pgvector prints these as [-0.5,1.001358e-05,65504,-0.000100016594].
    const got = [...decodeVectorSend(hex('\\x00040000b80000a87bff868e'), 'halfvec')];
    expect(got[0]).toBe(-0.5);
    expect(got[1]).toBeCloseTo(1.001358e-5, 11);
    expect(got[2]).toBe(65504);
    expect(got[3]).toBeCloseTo(-0.000100016594, 12);
    expect(got.map((v) => Math.fround(v))).toEqual(got);
  });
});
