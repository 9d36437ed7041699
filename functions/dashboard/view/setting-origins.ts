import type { TerminalGroup } from '../../../db/schema';

/** Where a resolved setting comes from: the terminal itself, a group of its chain, or nowhere. */
export type Origin = { kind: 'terminal' } | { kind: 'group'; id: string; name: string } | { kind: 'unset' };

export interface Traced<T> {
  value: T;
  origin: Origin;
}

type Inheritable = Pick<TerminalGroup, 'hardwareModel' | 'videoResolution' | 'firmwarePackageId' | 'displayClientIds' | 'options'>;

export interface TracedSettings {
  hardwareModel: Traced<string | null>;
  videoResolution: Traced<string | null>;
  firmwarePackageId: Traced<string | null>;
  displayClientIds: Traced<string[] | null>;
  /** Each option key with the level that sets it (the nearest), and the farther levels it overrides. */
  options: { key: string; value: unknown; origin: Origin; overrides: Origin[] }[];
}

/**
 * The rule of `domain/resolve.ts` (`inheritSettings`), traced: each setting a terminal leaves
 * unset comes from the nearest group of its chain that sets it; option keys merge, the nearest
 * value winning. `setting-origins.test.ts` holds the two to the same answers.
 */
export function traceSettings(terminal: Inheritable, chain: TerminalGroup[]): TracedSettings {
  const levels: { level: Inheritable; origin: Origin }[] = [
    { level: terminal, origin: { kind: 'terminal' } },
    ...chain.map((g) => ({ level: g as Inheritable, origin: { kind: 'group', id: g.id, name: g.name } as Origin })),
  ];
  const first = <K extends keyof Inheritable>(key: K): Traced<Inheritable[K]> => {
    for (const { level, origin } of levels) if (level[key] !== null && level[key] !== undefined) return { value: level[key], origin };
    return { value: null as Inheritable[K], origin: { kind: 'unset' } };
  };
  const options = new Map<string, { key: string; value: unknown; origin: Origin; overrides: Origin[] }>();
  for (const { level, origin } of levels)
    for (const [key, value] of Object.entries(level.options ?? {})) {
      const nearer = options.get(key);
      if (nearer) nearer.overrides.push(origin);
      else options.set(key, { key, value, origin, overrides: [] });
    }
  return {
    hardwareModel: first('hardwareModel'),
    videoResolution: first('videoResolution'),
    firmwarePackageId: first('firmwarePackageId'),
    displayClientIds: first('displayClientIds'),
    options: [...options.values()].sort((a, b) => a.key.localeCompare(b.key)),
  };
}

/** How an origin reads on the page. */
export function originText(origin: Origin): string {
  if (origin.kind === 'terminal') return 'this terminal';
  if (origin.kind === 'group') return `group ${origin.name}`;
  return 'not set anywhere';
}
