import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts object members by key at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x', { d: 2, c: 'y' }] })).toBe('{"a":[true,null,"x",{"c":"y","d":2}],"b":1}');
  });

  it('gives the same text for the same value however it was built', () => {
    const one = { products: [{ quantity: 3, product: 'terminal-connection' }], customer: 'ACME' };
    const two = JSON.parse('{"customer":"ACME","products":[{"product":"terminal-connection","quantity":3}]}');
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('orders keys by UTF-16 code units and escapes strings as JSON.stringify does (RFC 8785)', () => {
    expect(canonicalJson({ é: 1, z: 2, Z: 3, '1': 4 })).toBe('{"1":4,"Z":3,"z":2,"é":1}');
    expect(canonicalJson('line\n"quoted"\u0001')).toBe('"line\\n\\"quoted\\"\\u0001"');
  });

  it('refuses values that have no canonical encoding', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow(/undefined/);
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
    expect(() => canonicalJson(new Date(0))).toThrow();
  });
});
