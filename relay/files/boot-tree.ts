import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { OpenResult, ServedFile } from '../boot/served-file';
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
