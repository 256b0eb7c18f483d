import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWitnessToken, parseWitnessToken, secretMatches } from '../../src/witness/witness-token.js';
import { parseWitnessCommand } from '../../bots/common/witness-commands.js';

describe('witness tokens', () => {
  it('are <64-bit id>.<256-bit secret>, with only the secret\'s SHA-256 kept', () => {
    const { token, id, secretHash } = newWitnessToken();
    const parsed = parseWitnessToken(token)!;
    expect(parsed.id).toBe(id);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(secretHash).toBe(createHash('sha256').update(parsed.secret).digest('hex'));
    expect(secretHash).not.toContain(parsed.secret);
    expect(secretMatches(parsed.secret, secretHash)).toBe(true);
    expect(secretMatches(`${parsed.secret.slice(0, -1)}A` === parsed.secret ? `${parsed.secret.slice(0, -1)}B` : `${parsed.secret.slice(0, -1)}A`, secretHash)).toBe(false);
  });

  it('never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newWitnessToken().token));
    expect(tokens.size).toBe(1000);
  });

  it('refuse anything malformed', () => {
    for (const bad of ['', 'abc', `${'0'.repeat(16)}.${'A'.repeat(42)}`, `${'G'.repeat(16)}.${'A'.repeat(43)}`, `${'0'.repeat(16)}/${'A'.repeat(43)}`, `${'0'.repeat(16)}.${'A'.repeat(43)}/x`]) {
      expect(parseWitnessToken(bad)).toBeUndefined();
    }
    expect(secretMatches('x', 'not-hex')).toBe(false);
  });
});

describe('witness commands', () => {
  it('recognise the operator\'s words and nothing else', () => {
    expect(parseWitnessCommand('witness')).toBe('create');
    expect(parseWitnessCommand('  Witness   Revoke ')).toBe('revoke');
    expect(parseWitnessCommand('witness gallery')).toBe('show-gallery');
    expect(parseWitnessCommand('witness hide gallery')).toBe('hide-gallery');
    expect(parseWitnessCommand('the witness wore a hat')).toBeUndefined();
    expect(parseWitnessCommand('yes')).toBeUndefined();
  });
});
