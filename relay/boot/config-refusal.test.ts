import { describe, expect, it } from 'vitest';
import { configRefusal } from './config-refusal';
import { ConfigError } from './config-source';

describe('configRefusal', () => {
  it('answers each refusal with its status, a title and the reason a file open gives', () => {
    const cases = [
      [new ConfigError('invalid_mac', 400, 'no MAC'), 'Not a MAC address', 'not_found'],
      [new ConfigError('unknown_terminal', 404, 'unknown'), 'Unknown terminal', 'not_found'],
      [new ConfigError('license_exhausted', 403, 'all taken'), 'No terminal licence available', 'forbidden'],
      [new ConfigError('no_configuration', 503, 'nothing'), 'No configuration available', 'unavailable'],
    ] as const;
    for (const [error, title, fileReason] of cases) {
      expect(configRefusal(error)).toMatchObject({ status: error.status, code: error.code, title, detail: error.message, fileReason });
    }
  });

  it('asks to retry only when no handler answered and nothing is cached', () => {
    expect(configRefusal(new ConfigError('no_configuration', 503, 'nothing')).retryAfterSeconds).toBe(10);
    expect(configRefusal(new ConfigError('unknown_terminal', 404, 'unknown')).retryAfterSeconds).toBeNull();
    expect(configRefusal(new ConfigError('license_exhausted', 403, 'all taken')).retryAfterSeconds).toBeNull();
  });

  it('throws anything that is not a refusal again', () => {
    const fault = new Error('disk on fire');
    expect(() => configRefusal(fault)).toThrow(fault);
  });
});
