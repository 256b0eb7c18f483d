import { describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { HubFile } from '../../src/models/store/hub-client.js';
import { nextLink } from '../../src/models/store/hub-client.js';
import { selectModelFiles } from '../../src/models/store/model-files.js';

const files = (...paths: string[]): HubFile[] => paths.map((path) => ({ path, size: 1, sha256: undefined }));
const picked = (listing: HubFile[]): string[] => selectModelFiles('o/n', listing).files.map((f) => f.path);

function invalid(listing: HubFile[]): string {
  try {
    selectModelFiles('o/n', listing);
  } catch (err) {
    expect(isCtgiError(err, 'MODEL_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected MODEL_INVALID');
}

describe('selectModelFiles', () => {
  it('picks the Xenova full-precision files and their external data, not the variants', () => {
    const listing = files(
      '.gitattributes', 'README.md', 'config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json',
      'special_tokens_map.json', 'vocab.json', 'merges.txt', 'quantize_config.json',
      'onnx/model.onnx', 'onnx/model_quantized.onnx', 'onnx/text_model.onnx', 'onnx/text_model_fp16.onnx',
      'onnx/text_model_quantized.onnx', 'onnx/text_model_q4.onnx', 'onnx/text_model.onnx_data', 'onnx/vision_model.onnx',
      'onnx/vision_model.onnx.data', 'onnx/vision_model_bnb4.onnx', 'onnx/vision_model_fp16.onnx_data',
    );
    const { layout } = selectModelFiles('o/n', listing);
    expect(layout).toBe('hf');
    expect(picked(listing)).toEqual([
      'config.json', 'merges.txt', 'onnx/text_model.onnx', 'onnx/text_model.onnx_data', 'onnx/vision_model.onnx',
      'onnx/vision_model.onnx.data', 'preprocessor_config.json', 'special_tokens_map.json', 'tokenizer.json',
      'tokenizer_config.json', 'vocab.json',
    ]);
  });

  it('picks the immich files, not ARM NN / RKNN / nested folders', () => {
    const listing = files(
      'README.md', 'config.json', 'textual/model.onnx', 'textual/model.onnx_data', 'textual/tokenizer.json',
      'textual/tokenizer_config.json', 'textual/vocab.txt', 'textual/fp16/model.armnn', 'textual/model.armnn',
      'textual/rknpu/rk3588/model.rknn', 'visual/model.onnx', 'visual/preprocess_cfg.json', 'visual/fp16/model.armnn',
      'visual/rknpu/rk3566/model.rknn', 'visual/notes.txt', 'rknpu/x.json',
    );
    expect(selectModelFiles('o/n', listing).layout).toBe('immich');
    expect(picked(listing)).toEqual([
      'config.json', 'textual/model.onnx', 'textual/model.onnx_data', 'textual/tokenizer_config.json', 'textual/tokenizer.json',
      'textual/vocab.txt', 'visual/model.onnx', 'visual/preprocess_cfg.json',
    ].sort());
  });

  it('accepts vocab.json + merges.txt instead of tokenizer.json', () => {
    const listing = files('config.json', 'preprocessor_config.json', 'vocab.json', 'merges.txt', 'onnx/text_model.onnx', 'onnx/vision_model.onnx');
    expect(picked(listing)).toHaveLength(6);
  });

  it('names the expected files when neither layout is there', () => {
    const message = invalid(files('README.md', 'pytorch_model.bin', 'onnx/model.onnx'));
    expect(message).toContain('onnx/text_model.onnx + onnx/vision_model.onnx');
    expect(message).toContain('textual/model.onnx + visual/model.onnx');
  });

  it('names the missing half of a layout and missing configs', () => {
    expect(invalid(files('config.json', 'preprocessor_config.json', 'tokenizer.json', 'onnx/text_model.onnx'))).toContain('not onnx/vision_model.onnx');
    expect(invalid(files('config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx'))).toMatch(/preprocessor_config\.json.*tokenizer\.json/);
    expect(invalid(files('textual/model.onnx', 'visual/model.onnx', 'config.json', 'textual/tokenizer.json'))).toContain('visual/preprocess_cfg.json');
  });
});

describe('nextLink', () => {
  it('finds rel="next" among several links', () => {
    expect(nextLink('<https://h/api?cursor=1>; rel="next"')).toBe('https://h/api?cursor=1');
    expect(nextLink('<https://h/a>; rel="prev", <https://h/b>; rel="next"')).toBe('https://h/b');
    expect(nextLink('<https://h/a>; rel=next')).toBe('https://h/a');
  });
  it('returns undefined without a next link', () => {
    expect(nextLink(null)).toBeUndefined();
    expect(nextLink('<https://h/a>; rel="prev"')).toBeUndefined();
    expect(nextLink('garbage')).toBeUndefined();
  });
});
