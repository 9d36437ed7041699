/**
 * `npm run build`: the Node handler and the relay as plain JavaScript in dist/, so that a
 * production install starts them with `node`, without a TypeScript loader.
 *
 *   dist/handler/node.mjs                  functions/node.ts and everything it imports
 *   dist/handler/migrations/               db/migrations, where db/client.ts looks for them
 *                                          (beside the module that holds it: the bundle)
 *   dist/relay/main.mjs                    relay/main.ts (node:cluster forks this same file)
 *   dist/relay/transfer-thread.boot.mjs    the TFTP transfer thread, under the name the thread
 *                                          engine loads beside itself (thread-engine.ts)
 *
 * Native packages stay outside the bundles and are loaded from node_modules at run time: koffi
 * (the relay's system calls) and libsql (the database engine under @libsql/client).
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { repoRoot } from '../local/processes';

export const distDir = join(repoRoot, 'dist');

/** What a production install starts, relative to the repository. */
export const builtEntries = {
  handler: 'dist/handler/node.mjs',
  relay: 'dist/relay/main.mjs',
} as const;

/** Packages with native code: bundling cannot carry their binaries. */
const nativePackages = ['koffi', 'libsql'];

/** The thread file's name as relay/tftp/thread/thread-engine.ts asks for it. */
const transferThreadFile = 'transfer-thread.boot.mjs';

/**
 * Bundled CommonJS packages still call require() and read __dirname; an ES module has neither,
 * so each bundle defines them for itself, pointing at the bundle.
 */
const commonJsShim = [
  "import { createRequire as __tandemCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tandemFileURLToPath } from 'node:url';",
  'const require = __tandemCreateRequire(import.meta.url);',
  'const __filename = __tandemFileURLToPath(import.meta.url);',
  "const __dirname = __tandemFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

const common: BuildOptions = {
  absWorkingDir: repoRoot,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  external: nativePackages,
  banner: { js: commonJsShim },
  sourcemap: 'linked',
  // Stack traces in the logs stay readable without the source map.
  minify: false,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

/** Builds both programs into dist/ (dist/worker, the Workers bundle, is left alone). */
export async function buildProduction(): Promise<void> {
  for (const part of ['handler', 'relay']) rmSync(join(distDir, part), { recursive: true, force: true });
  await build({ ...common, entryPoints: { node: 'functions/node.ts' }, outdir: join(distDir, 'handler') });
  cpSync(join(repoRoot, 'db/migrations'), join(distDir, 'handler/migrations'), { recursive: true });
  await build({
    ...common,
    entryPoints: { main: 'relay/main.ts', [transferThreadFile.replace(/\.mjs$/, '')]: 'relay/tftp/thread/transfer-thread.ts' },
    outdir: join(distDir, 'relay'),
  });
  checkSelfContained();
}

/** The bundles must name no TypeScript file and find what they load beside themselves. */
function checkSelfContained(): void {
  const relay = readFileSync(join(repoRoot, builtEntries.relay), 'utf8');
  if (!relay.includes(`'./${transferThreadFile}'`) && !relay.includes(`"./${transferThreadFile}"`))
    throw new Error(`the relay bundle no longer loads ./${transferThreadFile}: relay/tftp/thread/thread-engine.ts changed the thread's file name; change it here too`);
  if (!existsSync(join(distDir, 'handler/migrations/meta/_journal.json'))) throw new Error('the migrations were not copied beside the handler bundle');
  for (const file of [builtEntries.handler, builtEntries.relay, `dist/relay/${transferThreadFile}`]) {
    const loadsTypeScript = /(?:\bfrom\s*|\bimport\(\s*)["']\.{1,2}\/[^"']+(?<!\.d)\.ts["']|\btsx\/esm\b/.exec(readFileSync(join(repoRoot, file), 'utf8'));
    if (loadsTypeScript) throw new Error(`${file} still loads TypeScript (${loadsTypeScript[0]})`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  buildProduction().then(
    () => console.log(`built ${Object.values(builtEntries).join(' and ')} in ${Date.now() - started} ms`),
    (error) => {
      console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
