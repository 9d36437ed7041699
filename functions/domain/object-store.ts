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

/**
 * The object store from the environment. Any store but the local one needs credentials of its
 * own: it is refused (`refuse` throws the caller's settings error), never tried with the local ones.
 */
export function objectStoreSettings(env: Record<string, string | undefined>, refuse: (message: string) => never): ObjectStoreSettings {
  const endpoint = env.S3_ENDPOINT || LOCAL_OBJECT_STORE.endpoint;
  const { S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = env;
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
    bucket: env.S3_BUCKET || LOCAL_OBJECT_STORE.bucket,
    region: env.S3_REGION || LOCAL_OBJECT_STORE.region,
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
