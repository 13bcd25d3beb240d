import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../../log.ts";
import { ApiError } from "../problem.ts";
import { hasScope, MAX_KEY_LENGTH } from "./keys.ts";
import { KeyStore } from "./store.ts";
import { type AuthInfo, SCOPES, type Scope } from "./types.ts";

export interface AuthOptions {
  /** "off": single tenant, every request has every scope (local use only). "keys": API keys from `keysFile`. */
  mode: "off" | "keys";
  /** The keys file (YAML or JSON); required with mode "keys". */
  keysFile?: string | undefined;
  /** Tenant used when auth is off (LOKI_TENANT; undefined for a single-tenant Loki). */
  defaultTenant?: string | undefined;
  logger: Logger;
  /** Keys file mtime poll interval (fallback to fs.watch). Default 2 s. */
  pollMs?: number;
  /** Exact paths served without a key (e.g. the health check for load balancers); `c.get("auth")` stays unset there. */
  publicPaths?: readonly string[];
  /**
   * Paths whose own credential is in the path (a signed export link): a key is optional there. With a key
   * headers, the caller is the key's (an unknown key is still a 401); without, `c.get("auth")` stays unset and
   * the route checks its credential.
   */
  linkPaths?: readonly RegExp[];
}

export interface Auth {
  mode: "off" | "keys";
  /** Sets `c.get("auth")` ({keyId, tenant, scopes}) or throws 401. */
  middleware: MiddlewareHandler;
  /** Throws 403 unless the caller's key has `scope` (or admin). Use after `middleware`. */
  requireScope(scope: Scope): MiddlewareHandler;
  /**
   * `middleware`, except on `tokens.paths`, where a single-use `?token=` may stand in for the key headers
   * (browsers cannot send headers with a WebSocket upgrade). Use it in place of `middleware`.
   */
  withTokens(tokens: TokenPaths): MiddlewareHandler;
  /** The key store (keys mode), e.g. to force a reload in tests. */
  store: KeyStore | undefined;
  /** Stops watching the keys file. */
  close(): void;
}

/** Who a token says it stands for (as the token service verified it). */
export interface TokenCaller {
  keyId: string;
  tenant: string | undefined;
  scopes: readonly string[];
}

/** Paths that accept a token in the query instead of a key header (see `Auth.withTokens`). */
export interface TokenPaths {
  /** Exact request paths. Everywhere else a token is not looked at. */
  paths: readonly string[];
  /**
   * The caller of a valid token, using it up; undefined for a forged, expired, used or garbled one (each gets the
   * same 401). May throw (e.g. a 503 when it cannot tell whether the token was used).
   */
  redeem(token: string): Promise<TokenCaller | undefined>;
  /** Added to the 401 hint on these paths: how to get a token. */
  hint: string;
}

/**
 * The one 401: the same status, body and headers whether the key is missing,
 * malformed or unknown, so a response never tells whether a key exists.
 */
export const unauthorized = (moreHint?: string) =>
  new ApiError(
    401,
    "unauthorized",
    "Unauthorized",
    "This endpoint needs a valid API key.",
    `Send the key as \`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`. Keys are created with \`npm run keys -- create --tenant <tenant> --scopes read\`.${moreHint ? ` ${moreHint}` : ""}`,
    { headers: { "WWW-Authenticate": 'Bearer realm="logsleuth"' } },
  );

export const forbidden = (scope: Scope) =>
  new ApiError(
    403,
    "forbidden",
    "Missing scope",
    `This API key does not have the "${scope}" scope this endpoint needs.`,
    `Use a key created with the ${scope} scope (npm run keys -- create --tenant <tenant> --scopes ${scope}), or one with admin.`,
  );

/** The key a request presents (Authorization: Bearer, or X-API-Key), "" when malformed, undefined when absent. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const authorization = header("authorization");
  const apiKey = header("x-api-key")?.trim();
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization.trim());
    bearer = m?.[1] ?? "";
  }
  if (bearer !== undefined && apiKey !== undefined && apiKey !== bearer) return ""; // two different keys
  const key = bearer ?? apiKey;
  if (key === undefined) return undefined;
  return key.length > MAX_KEY_LENGTH ? "" : key;
}

/** How one auth mode finds the caller of a request. */
interface Mode {
  /** The caller of the request's key headers; throws the 401 (with `hint` added) when there is none. */
  byKey(c: Context, hint?: string): AuthInfo;
  /** The caller a verified token stands for, or undefined when its key no longer allows it. */
  byToken(claims: TokenCaller): AuthInfo | undefined;
  store: KeyStore | undefined;
}

/**
 * API-key authentication. With mode "keys", every request must present a key
 * from the keys file; its tenant becomes the request's Loki tenant
 * (`deps.loki.withTenant(c.get("auth").tenant)`). With mode "off", every
 * request runs as `defaultTenant` with all scopes — loudly logged.
 */
export function createAuth(options: AuthOptions): Auth {
  const mode = options.mode === "off" ? offMode(options) : keysMode(options);
  const publicPaths = new Set(options.mode === "off" ? [] : (options.publicPaths ?? []));
  const linkPaths = options.mode === "off" ? [] : (options.linkPaths ?? []);
  const keyless = (c: Context) =>
    publicPaths.has(c.req.path) ||
    (linkPaths.some((re) => re.test(c.req.path)) && presentedKey((name) => c.req.header(name)) === undefined);
  const middleware: MiddlewareHandler = async (c, next) => {
    if (!keyless(c)) c.set("auth", mode.byKey(c));
    await next();
  };
  const requireScope = (scope: Scope): MiddlewareHandler => {
    return async (c, next) => {
      const auth = c.get("auth") as AuthInfo | undefined;
      if (!auth) throw unauthorized(); // auth middleware not run on this route: fail closed
      if (!hasScope(auth.scopes, scope)) throw forbidden(scope);
      await next();
    };
  };
  const withTokens = (tokens: TokenPaths): MiddlewareHandler => {
    const paths = new Set(tokens.paths);
    return async (c, next) => {
      if (!paths.has(c.req.path)) return middleware(c, next);
      c.set("auth", await tokenPathCaller(c, mode, tokens));
      await next();
    };
  };
  return {
    mode: options.mode,
    middleware,
    requireScope,
    withTokens,
    store: mode.store,
    close: () => mode.store?.close(),
  };
}

/**
 * The caller on a token path: a key header decides when there is one (the
 * token is then left unused); otherwise exactly one `?token=` must redeem to
 * a caller. Neither key nor valid token → the one 401, with the path's hint.
 */
async function tokenPathCaller(c: Context, mode: Mode, tokens: TokenPaths): Promise<AuthInfo> {
  const given = c.req.queries("token");
  if (given === undefined || presentedKey((name) => c.req.header(name)) !== undefined) {
    return mode.byKey(c, tokens.hint);
  }
  const [token] = given;
  const claims = given.length === 1 && token ? await tokens.redeem(token) : undefined;
  const caller = claims ? mode.byToken(claims) : undefined;
  if (!caller) throw unauthorized(tokens.hint);
  return caller;
}

const knownScopes = (scopes: readonly string[]): Scope[] => SCOPES.filter((s) => scopes.includes(s));

function offMode(options: AuthOptions): Mode {
  const local: AuthInfo = { keyId: "local", tenant: options.defaultTenant, scopes: [...SCOPES] };
  options.logger.warn(
    "AUTH IS OFF: every request is accepted without an API key and served as one tenant with every scope. " +
      "Use this only on a trusted machine; set API_KEYS_FILE to require API keys.",
    { auth: "off", tenant: options.defaultTenant ?? "(none: single-tenant Loki)" },
  );
  return {
    byKey: () => local,
    byToken: (claims) => ({ keyId: claims.keyId, tenant: claims.tenant, scopes: knownScopes(claims.scopes) }),
    store: undefined,
  };
}

function keysMode(options: AuthOptions): Mode {
  if (!options.keysFile) throw new Error('createAuth: mode "keys" needs keysFile (API_KEYS_FILE)');
  const store = new KeyStore({
    file: options.keysFile,
    logger: options.logger,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  });
  options.logger.info("auth on: API keys required", { file: options.keysFile, keys: store.keys.size });
  return {
    byKey(c, hint) {
      const key = presentedKey((name) => c.req.header(name));
      const entry = key ? store.keys.find(key) : undefined;
      if (!entry) throw unauthorized(hint);
      return { keyId: entry.id, tenant: entry.tenant, scopes: entry.scopes };
    },
    byToken(claims) {
      // The key must still be there, for the same tenant; a scope it lost since is not granted.
      const entry = store.keys.byId(claims.keyId);
      if (!entry || entry.tenant !== claims.tenant) return undefined;
      return {
        keyId: entry.id,
        tenant: entry.tenant,
        scopes: knownScopes(claims.scopes).filter((s) => entry.scopes.includes(s)),
      };
    },
    store,
  };
}
