import { describe, expect, it } from 'vitest';
import { generateToken } from './token';
import { secretWeakness } from './secret-strength';

describe('the strength of a secret from the environment', () => {
  it('refuses short values and repeated characters, without repeating the secret', () => {
    expect(secretWeakness('admin')).toBe('it has 5 characters, fewer than 32');
    expect(secretWeakness('a'.repeat(40))).toBe('it repeats one character');
    expect(secretWeakness('admin'.repeat(8))).toBe('it uses only 5 different characters');
  });

  it('takes a made token and a random value of 32 characters', () => {
    expect(secretWeakness(generateToken())).toBeNull();
    expect(secretWeakness('Zt4vq9XkP2mW7rLs0bHn3cJd8fGy5aEu')).toBeNull();
  });
});
