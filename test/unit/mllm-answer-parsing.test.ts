import { describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { imageDataUrl, OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { parseYesNo } from '../../src/mllm/yes-no.js';

describe('parseYesNo', () => {
  it.each([
    ['Yes', 'yes'], ['yes.', 'yes'], ['Yes, the person matches the description.', 'yes'], ['**Yes**', 'yes'], ['"Yes."', 'yes'],
    ['YES', 'yes'], ['Yeah', 'yes'], ['Correct.', 'yes'], ['The answer is yes.', 'yes'], ['It matches the description.', 'yes'],
    ['No', 'no'], ['no.', 'no'], ['No, the jacket is blue, not red.', 'no'], ['Nope', 'no'], ['The answer is no.', 'no'],
    ['The image does not match the description.', 'no'], ["It doesn't match.", 'no'],
    ['', 'unsure'], ['I cannot tell from this image.', 'unsure'], ['Maybe.', 'unsure'], ['Yes and no.', 'unsure'], ['Not sure', 'unsure'],
  ])('%j → %s', (answer, expected) => {
    expect(parseYesNo(answer)).toBe(expected);
  });

  it('does not read "yes" out of words that contain it', () => {
    expect(parseYesNo('Eyes are hidden by sunglasses.')).toBe('unsure');
    expect(parseYesNo('Nothing in the hands.')).toBe('unsure');
  });
});

describe('imageDataUrl', () => {
  it('names the image type by its magic bytes and encodes base64', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]);
    expect(imageDataUrl(png)).toBe(`data:image/png;base64,${png.toString('base64')}`);
    expect(imageDataUrl(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toMatch(/^data:image\/jpeg;base64,/);
    expect(imageDataUrl(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toMatch(/^data:image\/webp;base64,/);
  });
});

describe('OpenAiMllm configuration', () => {
  it.each(['not a url', 'ftp://host/v1', 'http://user:secret@host/v1'])('refuses the base URL %j with CONFIG_INVALID', (baseUrl) => {
    try {
      new OpenAiMllm({ baseUrl, model: 'm' });
      expect.unreachable();
    } catch (err) {
      expect(isCtgiError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).not.toContain('secret');
    }
  });

  it('refuses an empty model name and trims a trailing slash from the base URL', () => {
    expect(() => new OpenAiMllm({ baseUrl: 'http://127.0.0.1:1/v1', model: ' ' })).toThrow(/model name/);
    expect(new OpenAiMllm({ baseUrl: 'http://127.0.0.1:1/v1/', model: 'm' }).baseUrl).toBe('http://127.0.0.1:1/v1');
  });
});
