import { describe, expect, it } from 'vitest';
import { startHandler } from '../support/handler';

/** A token in the environment opens the API to whoever guesses it: a handler does not start with a weak one. */
describe('tokens given in the environment', () => {
  it('a handler refuses to start with TANDEM_ADMIN_TOKEN=admin', async () => {
    await expect(startHandler({ env: { TANDEM_ADMIN_TOKEN: 'admin' } })).rejects.toThrow(
      /TANDEM_ADMIN_TOKEN is too weak: it has 5 characters, fewer than 32. Use a random value of at least 32 characters/,
    );
  });

  it('a handler refuses to start with a long TANDEM_ADMIN_TOKEN of one repeated character, and does not print it', async () => {
    const weak = 'x'.repeat(40);
    const refusal = await startHandler({ env: { TANDEM_ADMIN_TOKEN: weak } }).catch((err: Error) => err.message);
    expect(refusal).toMatch(/TANDEM_ADMIN_TOKEN is too weak: it repeats one character/);
    // The message is the start-up log; TANDEM_ADMIN_TOKEN appears in it, the value does not.
    expect(refusal).not.toContain(weak);
  });

  it('a handler refuses to start with a short TANDEM_PEER_TOKEN', async () => {
    await expect(startHandler({ env: { TANDEM_PEER_TOKEN: 'peer-secret' } })).rejects.toThrow(/TANDEM_PEER_TOKEN is too weak: it has 11 characters, fewer than 32/);
  });
});
