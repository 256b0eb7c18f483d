import { describe, expect, it } from 'vitest';
import { parseJsonLoose } from '../../src/mllm/json-loose.js';

describe('parseJsonLoose', () => {
  it.each([
    ['strict JSON', '{"match": "yes", "answers": ["red"]}', { match: 'yes', answers: ['red'] }],
    ['a ```json fence after prose', 'Sure.\n```json\n{"match": "no", "answers": []}\n```\nHope that helps!', { match: 'no', answers: [] }],
    ['a bare ``` fence', '```\n[1, 2, 3]\n```', [1, 2, 3]],
    ['prose around the first balanced object', 'My answer is {"a": {"b": [1, {"c": "}"}]}} and that is all {"x": 1}.', { a: { b: [1, { c: '}' }] } }],
    ['trailing commas', '{"a": [1, 2,], "b": 3,}', { a: [1, 2], b: 3 }],
    ['single-quoted strings with a double quote inside', "{'said': 'a \"red\" coat', 'n': 1}", { said: 'a "red" coat', n: 1 }],
    ['an apostrophe inside a single-quoted word', "{'who': 'the person's bag'}", { who: "the person's bag" }],
    ['smart double quotes', '{“match”: “yes”, “answers”: [“blue”]}', { match: 'yes', answers: ['blue'] }],
    ['smart single quotes', '{‘match’: ‘no’}', { match: 'no' }],
    ['unquoted keys and Python literals', '{match: True, other: None, off: False}', { match: true, other: null, off: false }],
    ['an unquoted one-word value', '{"match": yes}', { match: 'yes' }],
    ['escapes in strings', '{"a": "line\\nbreak \\u00e9"}', { a: 'line\nbreak é' }],
    ['numbers with exponents', '{"n": 1e3, "m": -2.5E-1}', { n: 1000, m: -0.25 }],
    ['a smart quote inside a straight-quoted string', '{"q": "he said “hi”"}', { q: 'he said “hi”' }],
    ['a bracket in the prose before the JSON', 'Options [a] and (b): {"pick": "a"}', { pick: 'a' }],
  ])('reads %s', (_, text, expected) => {
    expect(parseJsonLoose(text)).toEqual(expected);
  });

  it.each([
    ['plain prose', 'Yes, that is the person.'],
    ['an empty answer', ''],
    ['a lone scalar', '"yes"'],
    ['an unbalanced object', '{"match": "yes", "answers": ["red"'],
    ['an unterminated string', '{"match": "yes}'],
  ])('returns undefined for %s', (_, text) => {
    expect(parseJsonLoose(text)).toBeUndefined();
  });

  it('stays fast on long prose full of brackets', () => {
    const text = `${'[not json] {nor this '.repeat(2000)}`;
    expect(parseJsonLoose(text)).toBeUndefined();
  });
});
