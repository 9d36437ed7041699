import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type BootDocument, bootDocumentSchema } from '../../functions/domain/boot-document';
import { writeFileAtomic } from '../files/atomic-write';

export interface CachedConfig {
  mac: string;
  etag: string;
  /** When a handler last confirmed this document (ISO time). */
  fetchedAt: string;
  handler: string;
  document: BootDocument;
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
