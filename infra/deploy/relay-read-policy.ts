/**
 * What a relay may do in the firmware bucket: read objects (GetObject, which HeadObject also
 * needs) and list the bucket (without it a missing object answers 403 instead of 404). Nothing
 * that writes or deletes: firmware goes in through `npx tandem firmware upload`, with other keys.
 */
const bucketActions = ['s3:ListBucket'];
const objectActions = ['s3:GetObject'];

interface Statement {
  Sid: string;
  Effect: 'Allow';
  Principal?: { AWS: string[] };
  Action: string[];
  Resource: string[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

function relayReadStatements(bucket: string, principal?: string): Statement[] {
  const who = principal ? { Principal: { AWS: [principal] } } : {};
  return [
    { Sid: 'TandemRelaysList', Effect: 'Allow', ...who, Action: bucketActions, Resource: [`arn:aws:s3:::${bucket}`] },
    { Sid: 'TandemRelaysRead', Effect: 'Allow', ...who, Action: objectActions, Resource: [`arn:aws:s3:::${bucket}/*`] },
  ];
}

/** The bucket policy (PutBucketPolicy) granting the relays' principal read access to the bucket. */
export const relayBucketPolicy = (bucket: string, principal: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: relayReadStatements(bucket, principal),
});

/**
 * The same rights as an identity policy, to attach to the relays' user. MinIO judges signed
 * requests by the user's IAM policies only (its bucket policies apply to anonymous requests),
 * so there this is the grant that counts: `mc admin policy create` and `mc admin policy attach`.
 */
export const relayIamPolicy = (bucket: string): PolicyDocument => ({ Version: '2012-10-17', Statement: relayReadStatements(bucket) });

/** Whether a policy read back from the store grants what `expected` grants (stores reorder and reformat). */
export function samePolicy(stored: string, expected: PolicyDocument): boolean {
  const canonical = (statements: Statement[]) =>
    statements
      .map((s) => JSON.stringify([s.Effect, [s.Principal?.AWS ?? []].flat().sort(), [...[s.Action].flat()].sort(), [...[s.Resource].flat()].sort()]))
      .sort();
  try {
    const parsed = JSON.parse(stored) as { Statement?: Statement[] };
    return JSON.stringify(canonical(parsed.Statement ?? [])) === JSON.stringify(canonical(expected.Statement));
  } catch {
    return false;
  }
}
