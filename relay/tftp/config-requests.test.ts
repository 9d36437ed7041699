import { describe, expect, it } from 'vitest';
import { isConfigRequest } from './config-requests';

describe('configuration requests', () => {
  it.each(['config/aa:bb:cc:dd:ee:ff.json', './config/x.json', 'config//x.json', 'config\\x.json', '/config/x.json', 'config/not-a-mac'])('%j asks the handlers', (name) => {
    expect(isConfigRequest(name)).toBe(true);
  });

  it.each(['undionly.kpxe', 'firmware/config/x.json', 'configs/x.json', 'CONFIG/x.json'])('%j does not', (name) => {
    expect(isConfigRequest(name)).toBe(false);
  });
});
