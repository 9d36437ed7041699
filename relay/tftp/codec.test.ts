import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodeRequest,
  negotiateOptions,
} from './codec';

const limits = { maxBlksize: 1468, maxWindowsize: 64 };
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('decodePacket', () => {
  it('reads a UEFI PXE read request captured on the wire (tsize probe with blksize)', () => {
    // 00 01 "bootx64.efi" 00 "octet" 00 "tsize" 00 "0" 00 "blksize" 00 "1468" 00
    const packet = hex('0001 626f6f747836342e656669 00 6f63746574 00 7473697a65 00 30 00 626c6b73697a65 00 31343638 00');
    expect(decodePacket(packet)).toEqual({
      op: 'rrq',
      filename: 'bootx64.efi',
      mode: 'octet',
      options: [
        ['tsize', '0'],
        ['blksize', '1468'],
      ],
    });
  });

  it('lower-cases mode and option names and tolerates NUL padding', () => {
    const packet = Buffer.concat([encodeRequest('rrq', 'pxelinux.0', 'OCTET', [['BlkSize', '512']]), Buffer.alloc(7)]);
    expect(decodePacket(packet)).toEqual({ op: 'rrq', filename: 'pxelinux.0', mode: 'octet', options: [['blksize', '512']] });
  });

  it('drops an option without a value', () => {
    expect(decodePacket(hex('0001 6100 6f6374657400 7473697a6500'))).toMatchObject({ op: 'rrq', options: [] });
  });

  it('reads write requests, data, ack, error and oack', () => {
    expect(decodePacket(encodeRequest('wrq', 'x', 'octet'))).toMatchObject({ op: 'wrq', filename: 'x' });
    const data = decodePacket(encodeData(65535, Buffer.from('hi')));
    expect(data).toMatchObject({ op: 'data', block: 65535 });
    expect(data.op === 'data' && Buffer.from(data.data).toString()).toBe('hi');
    expect(decodePacket(encodeAck(70000))).toEqual({ op: 'ack', block: 70000 & 0xffff });
    expect(decodePacket(encodeError(8, 'size probe'))).toEqual({ op: 'error', code: 8, message: 'size probe' });
    expect(decodePacket(encodeOack([['tsize', '42']]))).toEqual({ op: 'oack', options: [['tsize', '42']] });
  });

  it.each([
    ['empty', ''],
    ['one byte', '00'],
    ['unknown opcode', '0009 0000'],
    ['opcode zero', '0000'],
    ['truncated ack', '0004 00'],
    ['truncated data', '0003'],
    ['truncated error', '0005 00'],
    ['request without mode', '0001 6100'],
    ['request without terminator', '0001 61'],
    ['request with empty filename', '0001 00 6f6374657400'],
  ])('marks %s as malformed', (_name, bytes) => {
    expect(decodePacket(hex(bytes)).op).toBe('malformed');
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.alloc(Math.floor(random() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      if (bytes.length > 1) bytes[0] = 0;
      expect(() => decodePacket(bytes)).not.toThrow();
    }
  });
});

describe('negotiateOptions', () => {
  it('sends no OACK when no option is asked for', () => {
    expect(negotiateOptions([], 100, limits)).toEqual({ blksize: 512, windowsize: 1, timeoutSeconds: null, oack: [] });
  });

  it('answers only the options asked for, in their order', () => {
    const result = negotiateOptions([['tsize', '0'], ['blksize', '1024']], 4096, limits);
    expect(result.oack).toEqual([
      ['tsize', '4096'],
      ['blksize', '1024'],
    ]);
    expect(result.blksize).toBe(1024);
  });

  it('caps blksize at the configured maximum, also for values beyond the RFC range', () => {
    expect(negotiateOptions([['blksize', '9000']], 1, limits).oack).toEqual([['blksize', '1468']]);
    expect(negotiateOptions([['blksize', '70000']], 1, limits)).toMatchObject({ blksize: 1468, oack: [['blksize', '1468']] });
  });

  it('leaves out a blksize below 8 and keeps 512', () => {
    expect(negotiateOptions([['blksize', '1']], 1, limits)).toMatchObject({ blksize: 512, oack: [] });
  });

  it('grants windowsize up to the maximum and ignores nonsense', () => {
    expect(negotiateOptions([['windowsize', '16']], 1, limits)).toMatchObject({ windowsize: 16, oack: [['windowsize', '16']] });
    expect(negotiateOptions([['windowsize', '1000']], 1, limits)).toMatchObject({ windowsize: 64 });
    expect(negotiateOptions([['windowsize', '0']], 1, limits)).toMatchObject({ windowsize: 1, oack: [] });
    expect(negotiateOptions([['windowsize', 'x']], 1, limits)).toMatchObject({ windowsize: 1, oack: [] });
  });

  it('accepts timeout 1..255 seconds only', () => {
    expect(negotiateOptions([['timeout', '3']], 1, limits)).toMatchObject({ timeoutSeconds: 3, oack: [['timeout', '3']] });
    expect(negotiateOptions([['timeout', '0']], 1, limits).oack).toEqual([]);
    expect(negotiateOptions([['timeout', '256']], 1, limits).oack).toEqual([]);
  });

  it('leaves out a timeout above the relay’s maximum, keeping its own interval', () => {
    const capped = { ...limits, maxTimeoutSeconds: 5 };
    expect(negotiateOptions([['timeout', '5'], ['blksize', '1024']], 1, capped)).toMatchObject({ timeoutSeconds: 5, oack: [['timeout', '5'], ['blksize', '1024']] });
    expect(negotiateOptions([['timeout', '255'], ['blksize', '1024']], 1, capped)).toMatchObject({ timeoutSeconds: null, oack: [['blksize', '1024']] });
  });

  it('ignores unknown and repeated options', () => {
    const result = negotiateOptions([['multicast', ''], ['blksize', '1024'], ['blksize', '512'], ['utimeout', '9']], 1, limits);
    expect(result.oack).toEqual([['blksize', '1024']]);
  });

  it('omits tsize when the size is unknown', () => {
    expect(negotiateOptions([['tsize', '0']], null, limits).oack).toEqual([]);
  });
});
