import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signed, self-contained tokens: `<payload>.<mac>`, both base64url, the MAC an
 * HMAC-SHA256 under a key derived from each secret and a context string
 * (`HMAC(secret, context)`), so a token made for one purpose never verifies
 * for another even with the same secrets. The first secret signs, every
 * secret verifies (rotation); every secret is tried, each in constant time.
 */

const MAC_BYTES = 32;

const keyOf = (secret: string, context: string): Buffer => createHmac("sha256", secret).update(context).digest();
const macOf = (secret: string, context: string, payload: string): Buffer =>
  createHmac("sha256", keyOf(secret, context)).update(payload).digest();

export function signToken(context: string, payload: unknown, secrets: readonly [string, ...string[]]): string {
  const text = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${text}.${macOf(secrets[0], context, text).toString("base64url")}`;
}

/** The payload (parsed JSON) of a token one of the secrets signed for `context`; undefined for anything else. */
export function verifyToken(context: string, token: string, secrets: readonly string[], maxLength: number): unknown {
  if (token.length > maxLength || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const dot = token.indexOf(".");
  const text = token.slice(0, dot);
  const mac = Buffer.from(token.slice(dot + 1), "base64url");
  if (mac.length !== MAC_BYTES) return undefined;
  let ok = false;
  for (const secret of secrets) ok = timingSafeEqual(macOf(secret, context, text), mac) || ok;
  if (!ok) return undefined;
  try {
    return JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
