/** How large a free-form JSON value (a terminal's `options`, a display client's `settings`) may be. */
export const JSON_BOUNDS = { maxDepth: 8, maxKeys: 256, maxBytes: 16 * 1024 } as const;

/**
 * Why a free-form JSON value is too large to store, or null when it fits: nesting deeper than
 * `maxDepth`, more than `maxKeys` keys and items in all, or more than `maxBytes` as JSON. Such
 * values are copied into every boot document that inherits them, so one must not grow without
 * bound.
 */
export function jsonTooLarge(value: unknown, bounds: { maxDepth: number; maxKeys: number; maxBytes: number } = JSON_BOUNDS): string | null {
  let keys = 0;
  // Iterative, so that a deeply nested value cannot exhaust the stack while it is measured.
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > bounds.maxDepth) return `nests deeper than ${bounds.maxDepth} levels`;
    const children = Array.isArray(node) ? node : Object.values(node);
    keys += children.length;
    if (keys > bounds.maxKeys) return `holds more than ${bounds.maxKeys} keys and items`;
    for (const child of children) stack.push([child, depth + 1]);
  }
  if (new TextEncoder().encode(JSON.stringify(value)).length > bounds.maxBytes) return `is larger than ${bounds.maxBytes} bytes as JSON`;
  return null;
}
