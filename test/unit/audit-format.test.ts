import { describe, expect, it } from 'vitest';
import { auditCsvHeader, auditCsvLine, auditJsonLine, csvCell, isFormulaLike } from '../../src/audit/audit-format.js';

describe('audit CSV cells (RFC 4180 + formula guard)', () => {
  it('leaves plain text alone', () => {
    expect(csvCell('a man in a red coat')).toBe('a man in a red coat');
    expect(csvCell('')).toBe('');
  });

  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    expect(csvCell('red, black')).toBe('"red, black"');
    expect(csvCell('she said "hi"')).toBe('"she said ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
  });

  it('defuses cells a spreadsheet would evaluate', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    // Not at the start: harmless.
    expect(csvCell('a=b')).toBe('a=b');
  });

  // Issue 17 item 14: a formula sign hidden behind white space or invisible characters, or in full width.
  it('defuses a formula sign after any white space, control or format character (Unicode-aware)', () => {
    expect(csvCell('\n=1+2')).toBe(`"'\n=1+2"`);
    expect(csvCell('\r\n@SUM(A1)')).toBe(`"'\r\n@SUM(A1)"`);
    expect(csvCell('\u00a0=1+2')).toBe("'\u00a0=1+2");
    expect(csvCell('\u200b=1+2')).toBe("'\u200b=1+2");
    expect(csvCell('\ufeff+1')).toBe("'\ufeff+1");
    expect(csvCell('  -1')).toBe("'  -1");
    for (const lead of ['\u2003', '\u3000', '\u2028', '\u2060', '\u200e', '\u00ad', '\v', '\f', '\u0000', ' \u200b\u00a0\n']) {
      expect(isFormulaLike(`${lead}=HYPERLINK("http://x")`), JSON.stringify(lead)).toBe(true);
    }
  });

  it('defuses full-width and small-form formula signs', () => {
    expect(csvCell('＝1+2')).toBe("'＝1+2");
    expect(csvCell('＋1')).toBe("'＋1");
    expect(csvCell('－1')).toBe("'－1");
    expect(csvCell('＠SUM(A1)')).toBe("'＠SUM(A1)");
    expect(csvCell('\u00a0＝1')).toBe("'\u00a0＝1");
    for (const sign of ['\ufe66', '\ufe62', '\ufe63', '\ufe6b']) expect(isFormulaLike(`${sign}1`)).toBe(true);
  });

  it('leaves text whose first visible character is not a formula sign alone', () => {
    expect(csvCell(' a man')).toBe(' a man');
    expect(csvCell('\u00a0tall, =thin')).toBe('"\u00a0tall, =thin"');
    expect(csvCell('\n')).toBe('"\n"');
    expect(csvCell('\u200b')).toBe('\u200b');
    expect(csvCell('1-2')).toBe('1-2');
    expect(csvCell('女性＝赤')).toBe('女性＝赤');
  });
});

describe('audit export lines', () => {
  const record = { at: '2024-05-01T12:00:00.000Z', thread: 'web:s1:c1', userId: 'u1', kind: 'gallery' as const, imageIds: [3, 1] };

  it('writes one JSON object per line without absent fields', () => {
    expect(auditJsonLine(record)).toBe('{"at":"2024-05-01T12:00:00.000Z","thread":"web:s1:c1","userId":"u1","kind":"gallery","imageIds":[3,1]}\n');
    expect(JSON.parse(auditJsonLine({ ...record, userName: 'Ann', text: 'x', imageIds: undefined }))).toEqual({
      at: record.at,
      thread: record.thread,
      userId: 'u1',
      userName: 'Ann',
      kind: 'gallery',
      text: 'x',
    });
  });

  it('writes a CRLF-terminated header and rows with image ids as one quoted JSON cell', () => {
    expect(auditCsvHeader()).toBe('at,thread,user_id,user_name,kind,text,image_ids\r\n');
    expect(auditCsvLine(record)).toBe('2024-05-01T12:00:00.000Z,web:s1:c1,u1,,gallery,,"[3,1]"\r\n');
    expect(auditCsvLine({ ...record, kind: 'description', text: '=cmd|x', imageIds: undefined, userName: 'O\'Neil, J' })).toBe(
      `2024-05-01T12:00:00.000Z,web:s1:c1,u1,"O'Neil, J",description,'=cmd|x,\r\n`,
    );
  });
});
