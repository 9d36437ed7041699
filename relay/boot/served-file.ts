/**
 * What the protocol servers (TFTP, HTTP) serve, and the one seam they ask for it; relay/files/
 * answers. They never know whether a file came from the boot tree, the firmware cache or a handler.
 */
export interface ServedFile {
  size: number;
  /** Strong validator for HTTP (and for telling cached copies apart). */
  etag: string;
  mtimeMs: number;
  contentType: string;
  /** The whole content, when it is held in memory. */
  buffer?: Buffer;
  /** Otherwise the file on disk to read; it is never rewritten in place (atomic replacement). */
  path?: string;
  /** Extra response headers (HTTP), e.g. where a configuration came from. */
  headers?: Record<string, string>;
}

export type OpenFailure = {
  ok: false;
  /** not_found: nothing there; forbidden: outside the tree or not allowed; unavailable: try later. */
  reason: 'not_found' | 'forbidden' | 'unavailable';
  message: string;
};

export type OpenResult = { ok: true; file: ServedFile } | OpenFailure;

export interface RequestContext {
  protocol: 'tftp' | 'http';
  remoteAddress: string;
}

export interface FileResolver {
  open(path: string, context: RequestContext): Promise<OpenResult>;
}
