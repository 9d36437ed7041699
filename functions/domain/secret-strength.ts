/**
 * How strong a secret given in the environment must be (an admin or peer token): it guards
 * the whole API, so guessing it must be out of reach. Made tokens (`tdm_` and 43 random
 * characters) and `openssl rand -base64 32` pass easily.
 */
export const MIN_SECRET_LENGTH = 32;
/** Fewer different characters than this is a repeated pattern, not a random value. */
const MIN_DISTINCT_CHARACTERS = 8;

/** Why `secret` is too weak, in words that do not repeat it; null when it will do. */
export function secretWeakness(secret: string): string | null {
  if (secret.length < MIN_SECRET_LENGTH) return `it has ${secret.length} characters, fewer than ${MIN_SECRET_LENGTH}`;
  const distinct = new Set(secret).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) return distinct === 1 ? 'it repeats one character' : `it uses only ${distinct} different characters`;
  return null;
}
