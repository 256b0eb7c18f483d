import { describe, expect, it } from 'vitest';
import { auditCsvHeader, auditCsvLine, auditJsonLine, csvCell } from '../../src/audit/audit-format.js';

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
