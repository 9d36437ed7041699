/**
 * Turns a requested name (TFTP filename, HTTP path) into a path relative to the served tree,
 * or refuses it. Pure: the boot tree also checks where the path resolves on disk (symlinks).
 */
export type SafePath = { ok: true; path: string } | { ok: false; message: string };

export function safeRelativePath(requested: string): SafePath {
  if (requested.length === 0) return { ok: false, message: 'empty file name' };
  if (requested.length > 1024) return { ok: false, message: 'file name too long' };
  if (/[\0-\x1f\x7f]/.test(requested)) return { ok: false, message: 'control character in file name' };
  // PXE ROMs written for Windows servers send backslashes.
  const slashed = requested.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return { ok: false, message: 'absolute paths are refused' };
  const parts = slashed.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return { ok: false, message: 'paths with .. are refused' };
  if (parts.length === 0) return { ok: false, message: 'empty file name' };
  return { ok: true, path: parts.join('/') };
}
