import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectStoreSettings, objectStoreVariables } from '../../functions/domain/object-store';
import type { VariableDeclaration } from '../../functions/domain/settings-table';
import { handlerSettings, handlerVariables } from '../../functions/settings';
import { configurationDoc, configurationDocFile } from '../../infra/build/configuration-doc';
import { repoRoot } from '../../infra/local/processes';
import { readSettings, relayVariables } from '../../relay/settings';

const declared = new Set<string>([...handlerVariables, ...relayVariables, ...objectStoreVariables].map((v) => v.name));
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** Source files of the programs (tests aside). */
function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(repoRoot, path)).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Variables Node or the runtime own, read by name but not Tandem's to declare. */
const notOurs = new Set(['NODE_TLS_REJECT_UNAUTHORIZED']);

describe('the configuration reference', () => {
  it('is what `npm run docs:config` writes from the settings declarations', () => {
    expect(read(relative(repoRoot, configurationDocFile)), 'docs/configuration.md is stale: run `npm run docs:config`').toBe(configurationDoc());
  });

  it('declares every variable the handler and the relay read', () => {
    const undeclared = new Set<string>();
    for (const file of [...sources('functions'), ...sources('relay'), ...sources('db')]) {
      const text = read(file);
      for (const match of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) {
        const name = match[1] ?? match[2];
        if (!declared.has(name) && !notOurs.has(name)) undeclared.add(`${name} (${file})`);
      }
    }
    // The readers name their variables as strings: each must be in the table.
    for (const file of ['functions/settings.ts', 'relay/settings.ts', 'functions/domain/object-store.ts']) {
      for (const [, name] of read(file).matchAll(/'((?:RELAY|TANDEM|S3|DATABASE)_[A-Z0-9_]+|HOST|PORT)'/g)) if (!declared.has(name)) undeclared.add(`${name} (${file})`);
    }
    expect([...undeclared]).toEqual([]);
  });

  it('states each default as the readers apply it: setting a variable to its declared default changes nothing', () => {
    const cpus = [0, 1];
    const checks: Array<[readonly VariableDeclaration[], (env: Record<string, string>) => unknown]> = [
      [handlerVariables, (env) => handlerSettings(env)],
      [relayVariables, (env) => readSettings(env, 'relay-host', cpus)],
      [objectStoreVariables, (env) => objectStoreSettings(env, (message) => { throw new Error(message); })],
    ];
    for (const [table, settingsOf] of checks) {
      const unset = settingsOf({});
      for (const v of table.filter((v) => v.default !== null)) expect(settingsOf({ [v.name]: v.default! }), v.name).toEqual(unset);
    }
  });

  it('is read: a value other than the default changes the settings', () => {
    expect(handlerSettings({ PORT: '9999' }).port).toBe(9999);
    expect(readSettings({ RELAY_TFTP_PORT: '6969' }, 'relay-host', [0]).tftpPort).toBe(6969);
    expect(readSettings({}, 'relay-host', [0]).tftpPort).toBe(Number(relayVariables.find((v) => v.name === 'RELAY_TFTP_PORT')!.default));
  });
});

/** What a unit sets with Environment= (%S: /var/lib), which the environment file may repeat. */
function unitEnvironment(unit: string): Map<string, string> {
  const set = new Map<string, string>();
  for (const [, name, value] of read(`infra/systemd/${unit}`).matchAll(/^Environment=([A-Z0-9_]+)=(.*)$/gm)) set.set(name, value.replace('%S', '/var/lib'));
  return set;
}

describe('the environment-file templates', () => {
  const templates: Array<[string, string, readonly VariableDeclaration[]]> = [
    ['handler.env.example', 'tandem-handler.service', [...handlerVariables, ...objectStoreVariables]],
    ['relay.env.example', 'tandem-relay.service', [...relayVariables, ...objectStoreVariables]],
  ];
  for (const [template, unit, variables] of templates) {
    it(`${template} lists every production variable, commented out with its default unless set`, () => {
      const lines = read(`infra/systemd/${template}`).split('\n');
      const fromUnit = unitEnvironment(unit);
      const missing: string[] = [];
      const wrongDefault: string[] = [];
      for (const v of variables.filter((v) => v.production !== false)) {
        const line = lines.find((l) => l.startsWith(`${v.name}=`) || l.startsWith(`#${v.name}=`));
        if (!line) {
          missing.push(v.name);
          continue;
        }
        const shown = line.slice(line.indexOf('=') + 1).replace(/\s+#.*$/, '');
        const expected = fromUnit.get(v.name) ?? v.default;
        if (line.startsWith('#') && expected !== null && shown !== expected) wrongDefault.push(`${v.name}: shows ${shown}, default ${expected}`);
      }
      expect(missing, `missing from ${template}`).toEqual([]);
      expect(wrongDefault).toEqual([]);
    });
  }
});
