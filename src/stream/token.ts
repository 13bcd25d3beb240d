import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Cache } from "../cache/types.ts";
import { DomainError } from "../errors.ts";
import { signToken, verifyToken } from "../signing.ts";
import type { StreamCaller } from "./types.ts";

/**
 * Stream tokens: a browser cannot send headers with a WebSocket upgrade, so it
 * asks `POST /stream/token` (with its key) for a short-lived token and opens
 * `WS /stream?token=<token>`. A token is `<payload>.<mac>` (both base64url):
 * the payload names the key, its tenant and scopes, the expiry and a random
 * nonce; the MAC is HMAC-SHA256 under a key derived from each cursor secret
 * (`HMAC(secret, "logsleuth:stream-token:v1")`), so it never verifies as a
 * cursor or anything else signed with the same secrets. The first secret
 * signs, every secret verifies (rotation). A token is used once, across API
 * instances: redeeming takes a lock on its nonce in the shared cache.
 */

/** How long a token can be used (s); the contract's `expires_in`. */
export const STREAM_TOKEN_TTL_S = 60;
/** Longer `?token=` values are refused before any work. */
export const MAX_STREAM_TOKEN_LENGTH = 1024;

const CONTEXT = "logsleuth:stream-token:v1";
/** The nonce lock outlives the token by this much (clock skew between API instances). */
const LOCK_MARGIN_MS = 30_000;

const payloadSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().min(1).max(64),
  ten: z.string().min(1).max(150).nullable(),
  sc: z.array(z.string().min(1).max(32)).max(16),
  exp: z.number().int().positive(),
  n: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});
type Payload = z.infer<typeof payloadSchema>;

/** What a verified token says. Scopes are the issuing key's names, checked again against the key at use. */
export interface StreamTokenClaims {
  keyId: string;
  tenant: string | undefined;
  scopes: readonly string[];
  /** ms since epoch */
  expiresAt: number;
  nonce: string;
}

/** The answer of POST /stream/token (exact contract). */
export interface IssuedStreamToken {
  token: string;
  expires_in: number;
}

/** A token for `caller`, valid until `now + ttlS`, signed with the first secret. */
export function signStreamToken(
  caller: StreamCaller,
  secrets: readonly [string, ...string[]],
  now: number,
  options: { ttlS?: number; nonce?: string } = {},
): string {
  const payload: Payload = {
    v: 1,
    kid: caller.keyId,
    ten: caller.tenant ?? null,
    sc: [...caller.scopes],
    exp: now + (options.ttlS ?? STREAM_TOKEN_TTL_S) * 1000,
    n: options.nonce ?? randomBytes(16).toString("base64url"),
  };
  return signToken(CONTEXT, payload, secrets);
}

/**
 * The claims of a token that one of the secrets signed and that has not
 * expired at `now`; undefined for anything else (forged, garbled, too long,
 * expired) — the caller answers each the same way.
 */
export function readStreamToken(token: string, secrets: readonly string[], now: number): StreamTokenClaims | undefined {
  const parsed = payloadSchema.safeParse(verifyToken(CONTEXT, token, secrets, MAX_STREAM_TOKEN_LENGTH));
  if (!parsed.success || parsed.data.exp <= now) return undefined;
  const p = parsed.data;
  return { keyId: p.kid, tenant: p.ten ?? undefined, scopes: p.sc, expiresAt: p.exp, nonce: p.n };
}

export interface StreamTokens {
  /** A new token for the caller (POST /stream/token). */
  issue(caller: StreamCaller): IssuedStreamToken;
  /**
   * The claims of a valid token, using it up: a second use, on any API
   * instance sharing the cache, resolves undefined. Throws a 503 DomainError
   * when the cache cannot say whether the token was used (it stays unused).
   */
  redeem(token: string): Promise<StreamTokenClaims | undefined>;
}

export interface StreamTokensOptions {
  /** The cursor secrets (CURSOR_KEYS): the first signs, all verify. */
  secrets: readonly [string, ...string[]];
  /** The shared cache whose locks make a token single-use across instances. */
  cache: Pick<Cache, "tryLock">;
  now?: () => number;
}

export const streamTokenLockKey = (nonce: string) => `stream-token:${nonce}`;

export function createStreamTokens(options: StreamTokensOptions): StreamTokens {
  const now = options.now ?? Date.now;
  return {
    issue: (caller) => ({
      token: signStreamToken(caller, options.secrets, now()),
      expires_in: STREAM_TOKEN_TTL_S,
    }),
    async redeem(token) {
      const at = now();
      const claims = readStreamToken(token, options.secrets, at);
      if (!claims) return undefined;
      let lock: string | undefined;
      try {
        lock = await options.cache.tryLock(streamTokenLockKey(claims.nonce), claims.expiresAt - at + LOCK_MARGIN_MS);
      } catch {
        throw tokenStoreUnavailable();
      }
      return lock === undefined ? undefined : claims;
    },
  };
}

const tokenStoreUnavailable = () =>
  new DomainError(
    "unavailable",
    "stream-token-unavailable",
    "Cannot check the stream token",
    "The shared store that makes stream tokens single-use is unreachable; the token was not used.",
    "Retry in a few seconds with the same token, or open the WebSocket with the API key in the Authorization or X-API-Key header.",
  );
