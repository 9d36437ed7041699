import { variableReader, type VariableDeclaration } from './settings-table';
import { isLoopbackHost } from './transport';

/**
 * The S3-compatible object store firmware lives in, as the relays (which read it) and the Node
 * handler (which streams uploads into it) are told: S3_ENDPOINT, S3_BUCKET, S3_REGION,
 * S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, with the local object store of `npm start` by default.
 */
export interface ObjectStoreSettings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The local object store (`npm start`), whose well-known credentials are used on this host only. */
export const LOCAL_OBJECT_STORE: ObjectStoreSettings = {
  endpoint: 'http://127.0.0.1:4569',
  bucket: 'tandem-firmware',
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

/** The object store's variables, as relays and the Node handler read them (docs/configuration.md is generated from here). */
export const objectStoreVariables = [
  { name: 'S3_ENDPOINT', default: LOCAL_OBJECT_STORE.endpoint, description: 'the S3-compatible object store firmware lives in (MinIO in production); the default is the local object store of `npm start`' },
  { name: 'S3_BUCKET', default: LOCAL_OBJECT_STORE.bucket, description: 'the firmware bucket (`npm run s3:setup` creates it)' },
  { name: 'S3_REGION', default: LOCAL_OBJECT_STORE.region, description: 'the region the requests are signed for' },
  {
    name: 'S3_ACCESS_KEY_ID',
    default: null,
    shown: 'the local object store\'s, on this host only',
    description:
      'the access key: required with any store but the local one (the relays a read-only key, the handler one that may write). Set with `S3_SECRET_ACCESS_KEY`, both or neither',
  },
  { name: 'S3_SECRET_ACCESS_KEY', default: null, shown: 'the local object store\'s, on this host only', description: 'its secret key' },
] as const satisfies readonly VariableDeclaration[];

const read = variableReader(objectStoreVariables);

/**
 * The object store from the environment. Any store but the local one needs credentials of its
 * own: it is refused (`refuse` throws the caller's settings error), never tried with the local ones.
 */
export function objectStoreSettings(env: Record<string, string | undefined>, refuse: (message: string) => never): ObjectStoreSettings {
  const endpoint = read(env, 'S3_ENDPOINT')!;
  const accessKeyId = read(env, 'S3_ACCESS_KEY_ID');
  const secretAccessKey = read(env, 'S3_SECRET_ACCESS_KEY');
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    refuse(`S3_ENDPOINT: ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (!accessKeyId !== !secretAccessKey) refuse('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both or neither');
  if (!accessKeyId && !isLoopbackHost(host))
    refuse(`S3_ENDPOINT ${endpoint} is not the local object store: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (the local store's default credentials are used on this host only)`);
  return {
    endpoint,
    bucket: read(env, 'S3_BUCKET')!,
    region: read(env, 'S3_REGION')!,
    accessKeyId: accessKeyId || LOCAL_OBJECT_STORE.accessKeyId,
    secretAccessKey: secretAccessKey || LOCAL_OBJECT_STORE.secretAccessKey,
  };
}

/**
 * The AWS SDK's S3 client settings that work against MinIO, R2 and the local object store alike
 * (`new S3Client(s3ClientConfig(settings))`). Non-AWS servers mishandle the SDK's default
 * checksums: one stored a streamed body with its chunked-upload framing.
 */
export function s3ClientConfig(s3: ObjectStoreSettings) {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
}

/** The AWS SDK's documented switch for its Node-version warning. */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Turns the AWS SDK's Node-version warning off in `env` and says instead, as a line of the
 * program's own log, what it would have said. The SDK prints it as plain text on stderr when a
 * client is built, which breaks a log of one JSON object a line; the release pins its SDK, so
 * the warning is about later SDK releases only. Null when there is nothing to say.
 */
export function quietSdkNodeWarning(env: Record<string, string | undefined>, nodeVersion: string): string | null {
  if (env[SDK_NODE_WARNING_SWITCH] !== undefined) return null;
  env[SDK_NODE_WARNING_SWITCH] = 'true';
  const major = Number(/^v(\d+)/.exec(nodeVersion)?.[1] ?? 0);
  return major < 22
    ? `Node ${nodeVersion}: AWS SDK releases after early 2027 need Node 22; this release pins its SDK and runs on Node 20, and new installs should run Node 22`
    : null;
}
