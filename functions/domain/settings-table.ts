/**
 * A program's environment variables, declared once as a table (name, default, what it does):
 * the program's settings reader takes each default from it, and docs/configuration.md is
 * generated from it (`npm run docs:config`), so the reference cannot drift from the code.
 */
export interface VariableDeclaration {
  readonly name: string;
  /** The value read when the variable is unset or empty; null when there is none, or when it is worked out (`shown` says how). */
  readonly default: string | null;
  /** The default as the reference shows it, when it is not a plain value ("one per core, at most 8"). */
  readonly shown?: string;
  readonly description: string;
  /** false: for tests, benchmarks or demo systems; the environment-file templates leave it out. */
  readonly production?: false;
}

export type VariableName<T extends readonly VariableDeclaration[]> = T[number]['name'];

type Env = Record<string, string | undefined>;

/**
 * Reads declared variables only: the environment's value, or else the declared default
 * (undefined when there is none). An empty value counts as unset.
 */
export function variableReader<const T extends readonly VariableDeclaration[]>(table: T) {
  const defaults = new Map(table.map((v) => [v.name, v.default ?? undefined]));
  return (env: Env, name: VariableName<T>): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? defaults.get(name) : value;
  };
}
