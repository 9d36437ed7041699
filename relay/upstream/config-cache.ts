import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type BootDocument, bootDocumentSchema } from '../../functions/domain/boot-document';

export interface CachedConfig {
  mac: string;
  etag: string;
  /** When a handler last confirmed this document (ISO time). */
  fetchedAt: string;
  handler: string;
  document: BootDocument;
}

/** Writes a file so that readers see the old or the new content, never a part. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** The last-known-good configuration of every terminal, one JSON file each. */
export class ConfigCache {
  private ready: Promise<unknown> | null = null;

  constructor(readonly dir: string) {}

  private file(mac: string): string {
    return join(this.dir, `${mac.replace(/:/g, '-')}.json`);
  }

  async read(mac: string): Promise<CachedConfig | null> {
    try {
      const raw = JSON.parse(await readFile(this.file(mac), 'utf8')) as CachedConfig;
      const document = bootDocumentSchema.safeParse(raw.document);
      if (!document.success || typeof raw.etag !== 'string') return null;
      return { ...raw, document: document.data };
    } catch {
      return null;
    }
  }

  async write(entry: CachedConfig): Promise<void> {
    await (this.ready ??= mkdir(this.dir, { recursive: true }));
    await writeFileAtomic(this.file(entry.mac), JSON.stringify(entry));
  }

  async remove(mac: string): Promise<void> {
    await unlink(this.file(mac)).catch(() => {});
  }

  async macs(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^([0-9a-f]{2}-){5}[0-9a-f]{2}\.json$/.test(n)).map((n) => n.slice(0, 17).replace(/-/g, ':'));
  }
}
