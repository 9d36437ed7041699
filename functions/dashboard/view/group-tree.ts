/** A group as the tree needs it. */
export interface GroupNode {
  id: string;
  name: string;
  parentId: string | null;
}

export interface TreeEntry<G extends GroupNode> {
  group: G;
  depth: number;
  children: TreeEntry<G>[];
  /** The parent it names does not exist here (deleted on the peer meanwhile): shown at the top. */
  orphan: boolean;
}

/**
 * Groups as a tree, each level by name. A group whose parent is missing stands at the top, marked;
 * a loop (which writes refuse, but two servers may close together) is cut where it closes.
 */
export function groupTree<G extends GroupNode>(groups: G[]): TreeEntry<G>[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const children = new Map<string, G[]>();
  const roots: G[] = [];
  for (const g of groups) {
    if (g.parentId && byId.has(g.parentId)) children.set(g.parentId, [...(children.get(g.parentId) ?? []), g]);
    else roots.push(g);
  }
  const byName = (a: G, b: G) => a.name.localeCompare(b.name);
  const placed = new Set<string>();
  const build = (g: G, depth: number): TreeEntry<G> => {
    placed.add(g.id);
    const kids = (children.get(g.id) ?? []).filter((k) => !placed.has(k.id)).sort(byName);
    return { group: g, depth, orphan: g.parentId !== null && !byId.has(g.parentId), children: kids.map((k) => build(k, depth + 1)) };
  };
  const tree = roots.sort(byName).map((g) => build(g, 0));
  // Groups only reachable through a loop: shown at the top too.
  for (const g of groups.filter((g) => !placed.has(g.id)).sort(byName)) if (!placed.has(g.id)) tree.push(build(g, 0));
  return tree;
}

/** The tree depth-first, for a select's options: each group once, indented by depth. */
export function flattenTree<G extends GroupNode>(tree: TreeEntry<G>[]): { group: G; depth: number }[] {
  return tree.flatMap((entry) => [{ group: entry.group, depth: entry.depth }, ...flattenTree(entry.children)]);
}

/** A group's name under its ancestors: `site › hall › line`. */
export function groupPath(id: string | null, groups: Map<string, GroupNode>): string {
  const names: string[] = [];
  const seen = new Set<string>();
  for (let at = id; at && !seen.has(at); at = groups.get(at)?.parentId ?? null) {
    const g = groups.get(at);
    if (!g) break;
    seen.add(at);
    names.unshift(g.name);
  }
  return names.join(' › ');
}
