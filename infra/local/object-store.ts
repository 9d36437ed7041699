/**
 * The local S3-compatible object store of `npm start` (MinIO stands here in
 * production). Run with `node --openssl-legacy-provider --import tsx`: the server
 * uses DES for its listing continuation tokens (docs/architecture.md, "Stack facts").
 */
import S3rver from '@20minutes/s3rver';

export const localObjectStore = {
  endpoint: 'http://127.0.0.1:4569',
  bucket: 'tandem-firmware',
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

export async function startObjectStore(options: { directory: string; port?: number; address?: string; buckets?: string[] }) {
  const server = new S3rver({
    address: options.address ?? '127.0.0.1',
    port: options.port ?? 4569,
    directory: options.directory,
    silent: true,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? [localObjectStore.bucket]).map((name) => ({ name })),
  });
  const address = await server.run();
  return { url: `http://${address.address}:${address.port}`, close: () => server.close() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.S3_PORT ?? 4569);
  const directory = process.env.S3_DIRECTORY ?? './data/s3';
  startObjectStore({ directory, port }).then(
    (store) => {
      console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'object-store', msg: 'listening', url: store.url, directory }));
      const stop = () => store.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err) => {
      console.error(JSON.stringify({ level: 'fatal', component: 'object-store', msg: String(err?.message ?? err) }));
      process.exit(1);
    },
  );
}
