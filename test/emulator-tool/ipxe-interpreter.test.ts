import { describe, expect, it } from 'vitest';
import { expandSettings, type Image, type IpxeHost, runIpxeScript, scriptLines } from '../../infra/emulator/ipxe-interpreter';
import { firmwareArgs } from '../../infra/emulator/kernel-args';
import { bootScript } from '../../relay/http/ipxe-script';

/** A host whose URLs answer from a table: a script, a binary, or nothing (a dead relay). */
function hostFor(served: Record<string, string | 'binary'>) {
  const log: string[] = [];
  const slept: number[] = [];
  const host: IpxeHost = {
    fetch: async (url) => {
      log.push(`fetch ${url}`);
      const body = served[url];
      if (body === undefined) return { ok: false, error: `ECONNREFUSED ${url}` };
      const image: Image = body === 'binary' ? { kind: 'binary', url, handle: null } : { kind: 'script', url, text: body };
      return { ok: true, image };
    },
    boot: async (image, args) => {
      log.push(`boot ${image.url} ${args.join(' ')}`);
      return { ok: true };
    },
    sleep: async (seconds) => void slept.push(seconds),
    echo: (text) => void log.push(`echo ${text}`),
  };
  return { host, log, slept };
}

const run = (script: string, served: Record<string, string | 'binary'> = {}, settings = new Map<string, string>()) => {
  const h = hostFor(served);
  return runIpxeScript(script, h.host, settings).then((outcome) => ({ outcome, ...h }));
};

describe('the iPXE script interpreter', () => {
  it('runs the next chain of an || list when a download fails, and stops at the one that boots', async () => {
    const { outcome, log } = await run('#!ipxe\nchain http://a/fw x=1 || chain http://b/fw x=2 || goto failed\n:failed\necho failed\n', { 'http://b/fw': 'binary' });
    expect(outcome).toEqual({ kind: 'booted', url: 'http://b/fw', args: ['x=2'] });
    expect(log).toEqual(['fetch http://a/fw', 'echo Could not boot image: ECONNREFUSED http://a/fw', 'fetch http://b/fw', 'boot http://b/fw x=2']);
  });

  it('jumps to a label when every chain fails, and reboots where the script says so', async () => {
    const { outcome, log, slept } = await run('#!ipxe\nchain http://a/fw || goto failed\necho not here\n:failed\necho giving up\nsleep 10\nreboot\n');
    expect(outcome).toEqual({ kind: 'reboot' });
    expect(log.filter((l) => l.startsWith('echo ') && !l.includes('Could not'))).toEqual(['echo giving up']);
    expect(slept).toEqual([10]);
  });

  it('ends the script at the first failing line that has no ||', async () => {
    const { outcome, log } = await run('#!ipxe\nchain http://a/fw\necho unreachable\n');
    expect(outcome).toMatchObject({ kind: 'failed', line: 'chain http://a/fw' });
    expect(log).not.toContain('echo unreachable');
  });

  it('runs && only after success and ; always, and skips what a comment token follows', async () => {
    const { log } = await run('#!ipxe\niseq a b && echo equal ; echo always # echo comment\nisset ${unset} || echo unset\nexit\necho after exit\n');
    expect(log).toEqual(['echo always', 'echo unset']);
  });

  it('expands settings after splitting, innermost first; an unset one is empty', async () => {
    expect(expandSettings('${a}-${b:string}-${net0/mac}', new Map([['a', '1'], ['b', 'two'], ['net0/mac', 'aa']]))).toBe('1-two-aa');
    expect(expandSettings('${x${n}}', new Map([['n', '1'], ['x1', 'nested']]))).toBe('nested');
    expect(expandSettings('<${missing}>', new Map())).toBe('<>');
    const { outcome } = await run('#!ipxe\nset base http://a\nset args x=1 y=2\nchain ${base}/fw ${args}\n', { 'http://a/fw': 'binary' });
    // A value with a space stays one argument: expansion happens after the line is split.
    expect(outcome).toEqual({ kind: 'booted', url: 'http://a/fw', args: ['x=1 y=2'] });
  });

  it('runs a chained script in place, keeping its settings', async () => {
    const { outcome } = await run('#!ipxe\nset who terminal\nchain http://a/next.ipxe\n', { 'http://a/next.ipxe': '#!ipxe\nchain http://a/fw ${who}\n', 'http://a/fw': 'binary' });
    expect(outcome).toEqual({ kind: 'booted', url: 'http://a/fw', args: ['terminal'] });
  });

  it('bounds scripts that chain each other', async () => {
    const { outcome } = await run('#!ipxe\nchain http://a/loop.ipxe\n', { 'http://a/loop.ipxe': '#!ipxe\nchain http://a/loop.ipxe\n' });
    expect(outcome.kind).toBe('failed');
  });

  it('skips chain options, joins continued lines and drops CRs', async () => {
    expect(scriptLines('#!ipxe\r\n:start  echo hi\r\nchain --autofree \\\n --timeout 5000 http://a/fw\n')).toEqual([
      { label: null, command: '#!ipxe' },
      { label: 'start', command: 'echo hi' },
      { label: null, command: 'chain --autofree  --timeout 5000 http://a/fw' },
      { label: null, command: '' },
    ]);
    const { outcome } = await run('#!ipxe\nchain --autofree --timeout 5000 --name fw http://a/fw k=v\n', { 'http://a/fw': 'binary' });
    expect(outcome).toEqual({ kind: 'booted', url: 'http://a/fw', args: ['k=v'] });
  });

  it('fails an unknown command, a missing label and a text that is not a script', async () => {
    expect((await run('#!ipxe\nfrobnicate\n')).outcome.kind).toBe('failed');
    expect((await run('#!ipxe\ngoto nowhere\n')).outcome.kind).toBe('failed');
    expect((await run('<html>')).outcome).toMatchObject({ kind: 'failed', error: 'not an iPXE script (no #!ipxe line)' });
  });
});

describe('the relay’s boot script, run as iPXE runs it', () => {
  const MAC = '02:00:00:00:00:01';
  const A = 'http://10.20.0.5:8080';
  const B = 'http://10.20.0.6:8080';
  const script = bootScript({
    baseUrl: A,
    peers: [B],
    via: null,
    relayId: 'relay-a',
    source: 'live',
    firmware: { objectKey: 'os/1.img', sha256: 'a'.repeat(64), size: 1, version: '1', name: 'os', verifiedAt: '' },
    document: {
      mac: MAC,
      terminalId: 't',
      name: 'station',
      groupPath: [],
      hardwareModel: null,
      videoResolution: null,
      firmware: { id: 'f', name: 'os', version: '1', objectKey: 'os/1.img', sha256: 'a'.repeat(64), size: 1 },
      displayClients: [],
      options: {},
      configVersion: 'v',
    },
  });

  it('boots the firmware from this relay, its own configuration URL first', async () => {
    const { outcome } = await run(script, { [`${A}/firmware/os/1.img`]: 'binary', [`${B}/firmware/os/1.img`]: 'binary' });
    expect(outcome.kind === 'booted' && firmwareArgs(outcome.args)).toEqual({ configUrls: [`${A}/config/${MAC}`, `${B}/config/${MAC}`], mac: MAC });
  });

  it('boots from the peer when this relay is gone, the peer’s configuration URL first', async () => {
    const { outcome } = await run(script, { [`${B}/firmware/os/1.img`]: 'binary' });
    expect(outcome).toMatchObject({ kind: 'booted', url: `${B}/firmware/os/1.img` });
    expect(outcome.kind === 'booted' && firmwareArgs(outcome.args).configUrls).toEqual([`${B}/config/${MAC}`, `${A}/config/${MAC}`]);
  });

  it('says so and reboots when neither relay serves the firmware', async () => {
    const { outcome, log, slept } = await run(script);
    expect(outcome).toEqual({ kind: 'reboot' });
    expect(log).toContain('echo Tandem: booting the firmware failed; retrying in 10 seconds');
    expect(slept).toEqual([10]);
  });
});

describe('the firmware’s command line', () => {
  it('joins every tandem.config list, without repeats, and reads the MAC', () => {
    expect(firmwareArgs(['quiet', 'tandem.config=http://a/c,http://b/c', 'tandem.config=http://b/c,http://c/c', 'tandem.mac=02:00:00:00:00:01'])).toEqual({
      configUrls: ['http://a/c', 'http://b/c', 'http://c/c'],
      mac: '02:00:00:00:00:01',
    });
    expect(firmwareArgs(['console=ttyS0'])).toEqual({ configUrls: [], mac: null });
  });
});
