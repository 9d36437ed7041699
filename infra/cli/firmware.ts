/**
 * `tandem firmware upload <file> --name <name> --version <version>` and `tandem firmware list`.
 * The image is streamed to the handler's upload route, which streams it on to the object store;
 * the CLI hashes what it sends and checks the handler's sha256 against it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { fail, listAll, request } from './connection';
import { bytes, table } from './output';

export async function firmwareCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'upload') return upload(rest);
  if (sub === 'list' || sub === undefined) {
    const items = await listAll('/api/v1/firmware-packages');
    return table(
      items.map((p) => ({ ...p, version: p.packageVersion, size: bytes(Number(p.size)), sha256: String(p.sha256).slice(0, 16) })),
      ['name', 'version', 'size', 'sha256', 'objectKey', 'id'],
    );
  }
  fail('firmware list | firmware upload <file> --name <name> --version <version>');
}

async function upload(args: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseUpload>;
  try {
    parsed = parseUpload(args);
  } catch (err) {
    fail(`${(err as Error).message}\nusage: firmware upload <file> --name <name> --version <version>`);
  }
  const { file, name, version } = parsed;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(file).pipe(hashing)) as ReadableStream<Uint8Array>;
  const started = performance.now();
  const res = await request('PUT', `/api/v1/firmware-packages/upload?name=${encodeURIComponent(name)}&version=${encodeURIComponent(version)}`, {
    body,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
  });
  const record = (await res.json()) as { id: string; sha256: string; size: number; objectKey: string };
  const seconds = (performance.now() - started) / 1000;
  const sent = hash.digest('hex');
  if (record.sha256 !== sent || record.size !== size)
    fail(`the handler registered sha256 ${record.sha256} (${record.size} bytes), but this file is ${sent} (${size} bytes): the image changed on the way`);
  console.error(
    res.status === 201
      ? `uploaded ${name} ${version}: ${bytes(size)} in ${seconds.toFixed(1)} s (${(size / 1e6 / seconds).toFixed(1)} MB/s), sha256 ${sent}`
      : `${name} ${version} is already registered with these bytes (sha256 ${sent}); nothing changed`,
  );
  console.log(JSON.stringify(record, null, 2));
}

function parseUpload(args: string[]) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, version: { type: 'string' } } });
  if (positionals.length !== 1) throw new Error('name one image file');
  if (!values.name || !values.version) throw new Error('--name and --version are required');
  return { file: positionals[0], name: values.name, version: values.version };
}
