import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../relay/firmware/s3-client';

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: { total?: number } & Record<string, unknown> }>;

export interface S3Target {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The demo's terminal servers: `npm start` runs a TCP listener on each, standing in for RDP. */
export const demoTerminalServers = [
  { name: 'rds-a', host: '127.0.0.1', port: 13389 },
  { name: 'rds-b', host: '127.0.0.1', port: 13390 },
] as const;

/** A deterministic stand-in firmware image, so every fresh checkout gets the same sha256. */
export function demoFirmwareImage(size = 4 * 1024 * 1024): Buffer {
  const image = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    image.writeUInt32LE(x >>> 0, i);
  }
  return image;
}

/**
 * A small plant: two terminal servers in failover, a display client, a site
 * group with a line group below it, three terminals and a firmware package in
 * the object store. Does nothing when the server already has terminals.
 */
export async function seedDemoData(api: Api, s3: S3Target): Promise<{ seeded: boolean; macs: string[] }> {
  const existing = await api('GET', '/api/v1/terminals?limit=1');
  if (existing.status !== 200) throw new Error(`cannot list terminals: ${existing.status} ${JSON.stringify(existing.body)}`);
  if ((existing.body.total ?? 0) > 0) return { seeded: false, macs: [] };

  const image = demoFirmwareImage();
  const objectKey = 'tandem-os/1.0.0.img';
  const client = createS3Client(s3);
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey, Body: image, ContentLength: image.length }));
  client.destroy();

  const created = async (path: string, body: unknown) => {
    const res = await api('POST', path, body);
    if (res.status !== 201) throw new Error(`demo data: POST ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const [rdsA, rdsB] = [await created('/api/v1/terminal-servers', demoTerminalServers[0]), await created('/api/v1/terminal-servers', demoTerminalServers[1])];
  const desktop = await created('/api/v1/display-clients', { name: 'line-desktop', type: 'rdp', settings: { domain: 'PLANT', fullscreen: true }, terminalServerIds: [rdsA.id, rdsB.id], failoverMode: 'failover' });
  const firmware = await created('/api/v1/firmware-packages', {
    name: 'tandem-os',
    packageVersion: '1.0.0',
    objectKey,
    sha256: createHash('sha256').update(image).digest('hex'),
    size: image.length,
  });
  const site = await created('/api/v1/groups', { name: 'plant', videoResolution: '1920x1080', firmwarePackageId: firmware.id, options: { keyboard: 'en-us', timezone: 'Europe/Berlin' } });
  const line = await created('/api/v1/groups', { name: 'assembly-line-1', parentId: site.id, displayClientIds: [desktop.id] });
  const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
  for (const [i, mac] of macs.entries()) await created('/api/v1/terminals', { mac, name: `line1-station-${i + 1}`, groupId: line.id });
  return { seeded: true, macs };
}
