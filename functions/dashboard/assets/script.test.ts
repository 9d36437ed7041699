import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { script } from './script';

describe('the dashboard script', () => {
  it('is JavaScript a browser can parse, served as it is', () => {
    expect(() => new Script(script)).not.toThrow();
    // No build step: nothing that needs one (imports, TypeScript) is in it.
    expect(script).not.toMatch(/^\s*import\s/m);
  });
});
