import { parseMac } from '../../functions/domain/mac';
import { configRefusal } from '../boot/config-refusal';
import type { FileResolver, OpenResult, RequestContext } from '../boot/served-file';
import type { FirmwareStore } from '../firmware/firmware-store';
import type { TerminalBoot } from '../terminal-boot';
import type { BootTree } from './boot-tree';
import { safeRelativePath } from './safe-path';

/**
 * The served namespace, the same over TFTP and HTTP:
 *   config/{mac}.json   the terminal's configuration (from the handlers or the last-known-good cache)
 *   firmware/{key}      verified firmware from the local cache of the object store
 *   anything else       a file of the boot tree
 */
export class ServedFiles implements FileResolver {
  constructor(
    private readonly tree: BootTree,
    private readonly boot: TerminalBoot,
    private readonly firmware: FirmwareStore,
  ) {}

  async open(requested: string, _context: RequestContext): Promise<OpenResult> {
    const safe = safeRelativePath(requested);
    if (!safe.ok) return { ok: false, reason: 'forbidden', message: safe.message };
    const path = safe.path;
    const config = /^config\/([^/]+)\.json$/.exec(path);
    if (config) return this.config(config[1]);
    if (path.startsWith('firmware/')) return this.firmware.open(path.slice('firmware/'.length));
    return this.tree.open(path);
  }

  private async config(macText: string): Promise<OpenResult> {
    if (!parseMac(macText)) return { ok: false, reason: 'not_found', message: 'not a MAC address' };
    try {
      const info = await this.boot.config(macText);
      const buffer = Buffer.from(JSON.stringify(info.document));
      return {
        ok: true,
        file: {
          size: buffer.length,
          etag: info.etag,
          mtimeMs: Date.parse(info.fetchedAt),
          contentType: 'application/json',
          buffer,
          headers: { 'x-tandem-config-source': info.source },
        },
      };
    } catch (error) {
      const refused = configRefusal(error);
      return { ok: false, reason: refused.fileReason, message: refused.detail };
    }
  }
}
