import { describe, expect, it } from 'vitest';
import { readSettings, SettingsError } from './settings';

describe('readSettings', () => {
  it('has working defaults for the local system', () => {
    const s = readSettings({}, 'plant-relay-1', [0, 1]);
    expect(s).toMatchObject({
      relayId: 'plant-relay-1',
      handlers: ['http://127.0.0.1:8787'],
      token: undefined,
      host: '0.0.0.0',
      tftpPort: 69,
      httpPort: 8080,
      proxyDhcp: false,
      bootDir: './boot',
      cacheDir: 'data/relay-plant-relay-1',
      workers: 2,
      s3: { endpoint: 'http://127.0.0.1:4569', bucket: 'tandem-firmware', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      tftp: { maxBlksize: 1468, io: 'thread', busyPollUs: 100, threadCpus: [0, 1] },
      dhcp: { port: 67, pxePort: 4011, advertiseAddress: null },
    });
  });

  it('reads the contract variables', () => {
    const s = readSettings(
      {
        RELAY_ID: 'relay-b',
        RELAY_HANDLERS: 'http://a:8787/, https://b:8787',
        RELAY_TOKEN: 'tok',
        RELAY_HOST: '10.0.0.2',
        RELAY_TFTP_PORT: '1069',
        RELAY_HTTP_PORT: '18080',
        RELAY_PROXYDHCP: 'on',
        RELAY_BOOT_DIR: '/srv/boot',
        RELAY_CACHE_DIR: '/var/lib/relay',
        RELAY_TFTP_MAX_BLKSIZE: '8192',
        RELAY_TFTP_IO: 'Node',
        RELAY_TFTP_BUSY_POLL_US: '0',
      },
      'host',
    );
    expect(s).toMatchObject({
      relayId: 'relay-b',
      handlers: ['http://a:8787', 'https://b:8787'],
      token: 'tok',
      tftpPort: 1069,
      httpPort: 18080,
      proxyDhcp: true,
      bootDir: '/srv/boot',
      cacheDir: '/var/lib/relay',
      tftp: { maxBlksize: 8192, io: 'node', busyPollUs: 0 },
      dhcp: { advertiseAddress: '10.0.0.2' },
    });
  });

  it('runs a transfer thread on each usable core, kept to it, unless told otherwise', () => {
    expect(readSettings({}, 'h', [2, 5, 7]).tftp.threadCpus).toEqual([2, 5, 7]);
    expect(readSettings({}, 'h', [2, 5, 7]).workers).toBe(3);
    expect(readSettings({ RELAY_TFTP_THREADS: '2' }, 'h', [2, 5, 7]).tftp.threadCpus).toEqual([2, 5]);
    expect(readSettings({ RELAY_TFTP_THREADS: '4' }, 'h', [0, 1]).tftp.threadCpus).toEqual([0, 1, 0, 1]);
    // One thread, or no pinning: the threads go where the scheduler puts them.
    expect(readSettings({ RELAY_TFTP_THREADS: '1' }, 'h', [0, 1]).tftp.threadCpus).toEqual([null]);
    expect(readSettings({ RELAY_CPU_AFFINITY: 'off' }, 'h', [0, 1]).tftp.threadCpus).toEqual([null, null]);
  });

  it('limits what an unauthenticated TFTP client may hold, with defaults', () => {
    expect(readSettings({}, 'h').tftp).toMatchObject({ maxTransfersPerSource: 16, maxTimeoutSeconds: 5, firstAckTimeoutMs: 2000, configBurst: 10, configPerMinute: 60 });
    const s = readSettings(
      {
        RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE: '4',
        RELAY_TFTP_MAX_TIMEOUT_S: '10',
        RELAY_TFTP_FIRST_ACK_TIMEOUT_MS: '500',
        RELAY_TFTP_CONFIG_BURST: '3',
        RELAY_TFTP_CONFIG_PER_MINUTE: '6',
      },
      'h',
    );
    expect(s.tftp).toMatchObject({ maxTransfersPerSource: 4, maxTimeoutSeconds: 10, firstAckTimeoutMs: 500, configBurst: 3, configPerMinute: 6 });
  });

  it('limits /config and /boot.ipxe per source, except from the relay’s own host', () => {
    expect(readSettings({}, 'h').http).toEqual({
      configBurst: 10,
      configPerMinute: 60,
      unlimitedSources: [
        { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
      ],
    });
    const s = readSettings({ RELAY_HTTP_CONFIG_BURST: '3', RELAY_HTTP_CONFIG_PER_MINUTE: '0', RELAY_HTTP_UNLIMITED_SOURCES: '10.9.0.0/16' }, 'h');
    expect(s.http).toEqual({ configBurst: 3, configPerMinute: 0, unlimitedSources: [{ address: '10.9.0.0', prefix: 16, family: 'ipv4' }] });
  });

  it('reads the peer relays the boot scripts name', () => {
    expect(readSettings({}, 'h').peers).toEqual([]);
    expect(readSettings({ RELAY_PEERS: 'http://10.20.0.6:8080/, http://10.20.0.7:8080' }, 'h').peers).toEqual(['http://10.20.0.6:8080', 'http://10.20.0.7:8080']);
  });

  it('reads a plant CA for handler certificates', () => {
    expect(readSettings({}, 'h').upstream.caFile).toBeUndefined();
    expect(readSettings({ RELAY_CA_FILE: '/etc/tandem/plant-ca.pem' }, 'h').upstream.caFile).toBe('/etc/tandem/plant-ca.pem');
  });

  it('guards /metrics with a token only when one is set, and a strong one', () => {
    expect(readSettings({}, 'h').http.metricsToken).toBeUndefined();
    const token = 'mT7q2VxL9pR4wZ8kB3nF6hJ1sD5gC0aE';
    expect(readSettings({ RELAY_METRICS_TOKEN: token }, 'h').http.metricsToken).toBe(token);
    expect(() => readSettings({ RELAY_METRICS_TOKEN: 'a'.repeat(40) }, 'h')).toThrow('repeats one character');
  });

  it('uses the local object store’s credentials on this host only', () => {
    expect(readSettings({ S3_ENDPOINT: 'http://127.0.0.1:9000' }, 'h').s3).toMatchObject({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    expect(readSettings({ S3_ENDPOINT: 'http://localhost:9000' }, 'h').s3.accessKeyId).toBe('S3RVER');
    const remote = readSettings({ S3_ENDPOINT: 'https://minio.plant.example:9000', S3_ACCESS_KEY_ID: 'relay', S3_SECRET_ACCESS_KEY: 'k3y' }, 'h');
    expect(remote.s3).toMatchObject({ endpoint: 'https://minio.plant.example:9000', accessKeyId: 'relay', secretAccessKey: 'k3y' });
    expect(() => readSettings({ S3_ENDPOINT: 'https://minio.plant.example:9000' }, 'h')).toThrow(
      'S3_ENDPOINT https://minio.plant.example:9000 is not the local object store: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    );
  });

  it('advertises the relay’s address on each request’s link unless told one address', () => {
    expect(readSettings({}, 'h').dhcp.advertiseAddress).toBeNull();
    expect(readSettings({ RELAY_HOST: '0.0.0.0' }, 'h').dhcp.advertiseAddress).toBeNull();
    expect(readSettings({ RELAY_HOST: '10.0.0.2' }, 'h').dhcp.advertiseAddress).toBe('10.0.0.2');
    expect(readSettings({ RELAY_HOST: '10.0.0.2', RELAY_ADVERTISE_ADDRESS: '10.0.0.9' }, 'h').dhcp.advertiseAddress).toBe('10.0.0.9');
  });

  it('offers Debian’s iPXE builds by default and a site’s boot file per architecture', () => {
    expect([...readSettings({}, 'h').dhcp.bootFiles]).toEqual([
      [0, 'undionly.kpxe'],
      [7, 'snponly.efi'],
      [9, 'snponly.efi'],
      [16, 'snponly.efi'],
    ]);
    const site = readSettings({ RELAY_BOOT_FILES: '11=arm64/snponly.efi, 27=riscv64/ipxe.efi,0=' }, 'h').dhcp.bootFiles;
    expect(site.get(11)).toBe('arm64/snponly.efi');
    expect(site.get(27)).toBe('riscv64/ipxe.efi');
    expect(site.has(0)).toBe(false);
    const shorthands = readSettings({ RELAY_PXE_BIOS_FILE: 'ipxe.pxe', RELAY_PXE_EFI_FILE: 'ipxe.efi' }, 'h').dhcp.bootFiles;
    expect([0, 7, 9, 16].map((arch) => shorthands.get(arch))).toEqual(['ipxe.pxe', 'ipxe.efi', 'ipxe.efi', 'ipxe.efi']);
  });

  it('reads the networks proxyDHCP answers on', () => {
    expect(readSettings({}, 'h').dhcp.networks).toBeNull();
    expect(readSettings({ RELAY_DHCP_NETWORKS: '10.20.0.0/24, 10.30.4.1' }, 'h').dhcp.networks).toEqual([
      { address: '10.20.0.0', prefix: 24, family: 'ipv4' },
      { address: '10.30.4.1', prefix: 32, family: 'ipv4' },
    ]);
  });

  it.each([
    ['RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE', '0'],
    ['RELAY_TFTP_MAX_TIMEOUT_S', '256'],
    ['RELAY_TFTP_FIRST_ACK_TIMEOUT_MS', '5'],
    ['RELAY_TFTP_CONFIG_BURST', '0'],
    ['RELAY_TFTP_CONFIG_PER_MINUTE', '-1'],
    ['RELAY_TFTP_THREADS', '0'],
    ['RELAY_TFTP_PORT', 'sixty-nine'],
    ['RELAY_TFTP_MAX_BLKSIZE', '70000'],
    ['RELAY_PROXYDHCP', 'maybe'],
    ['RELAY_HANDLERS', 'ftp://x'],
    ['RELAY_PEERS', '10.20.0.6:8080'],
    ['RELAY_TFTP_IO', 'uring'],
    ['RELAY_TFTP_BUSY_POLL_US', '-5'],
    ['RELAY_DHCP_NETWORKS', '10.20.0.0/33'],
    ['RELAY_ADVERTISE_ADDRESS', 'relay-a.plant'],
    ['RELAY_BOOT_FILES', '11:arm64/snponly.efi'],
    ['RELAY_BOOT_FILES', '11=../etc/passwd'],
    ['RELAY_BOOT_FILES', '70000=ipxe.efi'],
    ['RELAY_PXE_EFI_FILE', '/srv/ipxe.efi'],
    ['RELAY_HTTP_CONFIG_BURST', '0'],
    ['RELAY_HTTP_CONFIG_PER_MINUTE', '-1'],
    ['RELAY_HTTP_UNLIMITED_SOURCES', 'localhost'],
    ['RELAY_METRICS_TOKEN', 'metrics'],
    ['S3_ENDPOINT', 'http://10.20.0.9:9000'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['S3_ACCESS_KEY_ID', 'relay'],
    ['S3_SECRET_ACCESS_KEY', 'k3y'],
    ['RELAY_DHCP_NETWORKS', '10.20.0/24'],
    ['RELAY_DHCP_NETWORKS', '10.20.0.0/24/1'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => readSettings({ [name]: value }, 'h')).toThrow(SettingsError);
    expect(() => readSettings({ [name]: value }, 'h')).toThrow(name);
  });
});
