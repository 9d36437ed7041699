import { copyFileSync, existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { OpenResult, ServedFile } from '../boot/served-file';
import { DEBIAN_IPXE_DIR, DEFAULT_BOOT_FILES } from '../dhcp/architectures';
import type { MemoryCache } from './memory-cache';
import { safeRelativePath } from './safe-path';

/**
 * The files of RELAY_BOOT_DIR served as they are. Nothing that resolves outside the tree
 * (through `..` or a symbolic link) is served.
 */
export class BootTree {
  private rootReal: Promise<string> | null = null;

  constructor(
    readonly root: string,
    private readonly memory: MemoryCache,
  ) {}

  async open(requested: string): Promise<OpenResult> {
    const safe = safeRelativePath(requested);
    if (!safe.ok) return { ok: false, reason: 'forbidden', message: safe.message };
    let root: string;
    try {
      root = await (this.rootReal ??= realpath(this.root));
    } catch {
      this.rootReal = null;
      return { ok: false, reason: 'not_found', message: 'boot directory missing' };
    }
    return serveFileAt(join(root, safe.path), root, this.memory);
  }
}

/** Serves the regular file at path, if it resolves inside root. */
export async function serveFileAt(path: string, root: string, memory: MemoryCache): Promise<OpenResult> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return { ok: false, reason: 'not_found', message: 'file not found' };
  }
  if (real !== root && !real.startsWith(root + sep)) return { ok: false, reason: 'forbidden', message: 'outside the served tree' };
  const info = await stat(real).catch(() => null);
  if (!info) return { ok: false, reason: 'not_found', message: 'file not found' };
  if (!info.isFile()) return { ok: false, reason: 'not_found', message: 'not a file' };
  const etag = `"${info.ino.toString(36)}-${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
  const file: ServedFile = { size: info.size, etag, mtimeMs: info.mtimeMs, contentType: contentTypeFor(real), path: real };
  if (memory.fits(info.size)) {
    try {
      const buffer = await memory.load(`${real}\0${etag}`, real);
      if (buffer.length === info.size) file.buffer = buffer;
    } catch {
      return { ok: false, reason: 'not_found', message: 'file vanished' };
    }
  }
  return { ok: true, file };
}

function contentTypeFor(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  switch (ext) {
    case 'json':
      return 'application/json';
    case 'ipxe':
    case 'cfg':
    case 'txt':
    case 'conf':
      return 'text/plain; charset=utf-8';
    default:
      return 'application/octet-stream';
  }
}

/**
 * Puts the boot loaders Debian's `ipxe` package ships (undionly.kpxe, snponly.efi: the files proxyDHCP
 * offers by default) into a boot tree that lacks them; answers the names copied. For `npm start` and
 * the tests' sites; an install does the same with cp (relay/README.md).
 */
export function installDebianLoaders(root: string, from = DEBIAN_IPXE_DIR): string[] {
  const copied: string[] = [];
  for (const name of new Set(DEFAULT_BOOT_FILES.values())) {
    if (existsSync(join(root, name)) || !existsSync(join(from, name))) continue;
    copyFileSync(join(from, name), join(root, name));
    copied.push(name);
  }
  return copied;
}

/** The files named that the tree does not hold as regular files inside it. */
export async function missingFromTree(root: string, files: Iterable<string>): Promise<string[]> {
  const rootReal = await realpath(root).catch(() => null);
  const missing: string[] = [];
  for (const file of files) {
    const real = rootReal ? await realpath(join(rootReal, file)).catch(() => null) : null;
    const inside = real !== null && real.startsWith(rootReal + sep);
    if (!inside || !(await stat(real).catch(() => null))?.isFile()) missing.push(file);
  }
  return missing;
}

/**
 * Which boot loaders proxyDHCP would offer the tree lacks, looked at again at most every refreshMs.
 * proxyDHCP must answer at once, so it reads the last look (`has`), which starts the next one when it
 * is old: a loader copied in is offered within seconds, one deleted is no longer offered.
 */
export class BootLoaderPresence {
  private missing = new Set<string>();
  private lookedAt = -Infinity;
  private looking: Promise<string[]> | null = null;

  constructor(
    private readonly root: string,
    private readonly files: readonly string[],
    private readonly refreshMs = 5000,
  ) {}

  /** The loaders missing now (looked at again when the last look is old). */
  async lacking(): Promise<string[]> {
    if (Date.now() - this.lookedAt > this.refreshMs) await this.look();
    return [...this.missing];
  }

  has(file: string): boolean {
    if (Date.now() - this.lookedAt > this.refreshMs) void this.look();
    return !this.missing.has(file);
  }

  private look(): Promise<string[]> {
    this.looking ??= missingFromTree(this.root, this.files)
      .then((missing) => {
        this.missing = new Set(missing);
        this.lookedAt = Date.now();
        return missing;
      })
      .finally(() => (this.looking = null));
    return this.looking;
  }
}
