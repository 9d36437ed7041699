import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BootDocument, type BootFirmware, bootDocumentSchema } from '../../functions/domain/boot-document';
import { writeFileAtomic } from '../files/atomic-write';
import { libcFunction } from '../native';

export interface CachedConfig {
  mac: string;
  etag: string;
  /** When a handler last confirmed this document (ISO time). */
  fetchedAt: string;
  handler: string;
  document: BootDocument;
}

/** What the process knows of a cached configuration without reading its file. */
export interface HeldConfig {
  etag: string;
  firmware: BootFirmware | null;
}

const FILE_NAME = /^([0-9a-f]{2}-){5}[0-9a-f]{2}\.json$/;

type SyncFs = ((fd: number) => number) & { async(fd: number, done: (error: unknown, result: number) => void): void };
/**
 * syncfs(2), called on a thread of its own: one flush of the cache's file system for a whole
 * batch of files. An fsync a file costs about a millisecond each here, most of filling a new
 * relay's cache; where it is missing, every file is synced as it is written.
 */
const syncfs = libcFunction<SyncFs>('int syncfs(int fd)');

/**
 * The last-known-good configuration of every terminal, one JSON file each. The process that
 * keeps the cache filled also keeps an index of it in memory (`load`, then every write and
 * removal it makes): whether a terminal is held, and at which version, without a file read.
 */
export class ConfigCache {
  private ready: Promise<unknown> | null = null;
  private readonly held = new Map<string, HeldConfig>();
  /** Batched writes or removals not yet flushed to disk. */
  private unflushed = false;

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

  /**
   * Writes atomically: readers see the old or the new file. `batched`: durable only once `flush`
   * returns (a feed page is written so, and its position saved after the flush).
   */
  async write(entry: CachedConfig, options: { batched?: boolean } = {}): Promise<void> {
    await (this.ready ??= mkdir(this.dir, { recursive: true }));
    const path = this.file(entry.mac);
    if (options.batched && syncfs) {
      const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      this.unflushed = true;
      await writeFile(temp, JSON.stringify(entry));
      await rename(temp, path).catch(async (error) => {
        await unlink(temp).catch(() => {});
        throw error;
      });
    } else await writeFileAtomic(path, JSON.stringify(entry));
    this.held.set(entry.mac, { etag: entry.etag, firmware: entry.document.firmware });
  }

  async remove(mac: string, options: { batched?: boolean } = {}): Promise<void> {
    if (options.batched) this.unflushed = true;
    await unlink(this.file(mac)).catch(() => {});
    this.held.delete(mac);
  }

  /** Makes batched writes and removals durable. */
  async flush(): Promise<void> {
    if (!this.unflushed || !syncfs) return;
    this.unflushed = false;
    const dir = await open(this.dir, 'r');
    try {
      const result = await new Promise<number>((resolve, reject) => syncfs.async(dir.fd, (error, value) => (error ? reject(error) : resolve(value))));
      if (result !== 0) throw new Error(`syncfs on ${this.dir} failed`);
    } catch (error) {
      this.unflushed = true;
      throw error;
    } finally {
      await dir.close();
    }
  }

  async macs(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => FILE_NAME.test(n)).map((n) => n.slice(0, 17).replace(/-/g, ':'));
  }

  /** Reads every cached configuration into the index; returns the MACs whose file could not be read. */
  async load(): Promise<{ held: number; unreadable: string[] }> {
    const unreadable: string[] = [];
    this.held.clear();
    for (const mac of await this.macs()) {
      const cached = await this.read(mac);
      if (cached) this.held.set(mac, { etag: cached.etag, firmware: cached.document.firmware });
      else unreadable.push(mac);
    }
    return { held: this.held.size, unreadable };
  }

  /** Whether this process knows the terminal's configuration to be cached. */
  holds(mac: string): boolean {
    return this.held.has(mac);
  }

  heldConfig(mac: string): HeldConfig | undefined {
    return this.held.get(mac);
  }

  heldMacs(): string[] {
    return [...this.held.keys()];
  }

  get heldCount(): number {
    return this.held.size;
  }

  /**
   * The firmware every configuration on disk names, read from the files themselves (another
   * worker may have written one this process has not seen); `unreadable` counts files that
   * could not be read, which might name firmware still in use.
   */
  async firmwareOnDisk(): Promise<{ firmware: BootFirmware[]; unreadable: number }> {
    const firmware: BootFirmware[] = [];
    let unreadable = 0;
    for (const mac of await this.macs()) {
      const cached = await this.read(mac);
      if (!cached) unreadable++;
      else if (cached.document.firmware) firmware.push(cached.document.firmware);
    }
    return { firmware, unreadable };
  }
}
