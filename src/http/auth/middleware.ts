import type { MiddlewareHandler } from "hono";
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
}

export interface Auth {
  mode: "off" | "keys";
  /** Sets `c.get("auth")` ({keyId, tenant, scopes}) or throws 401. */
  middleware: MiddlewareHandler;
  /** Throws 403 unless the caller's key has `scope` (or admin). Use after `middleware`. */
  requireScope(scope: Scope): MiddlewareHandler;
  /** The key store (keys mode), e.g. to force a reload in tests. */
  store: KeyStore | undefined;
  /** Stops watching the keys file. */
  close(): void;
}

/**
 * The one 401: the same status, body and headers whether the key is missing,
 * malformed or unknown, so a response never tells whether a key exists.
 */
export const unauthorized = () =>
  new ApiError(
    401,
    "unauthorized",
    "Unauthorized",
    "This endpoint needs a valid API key.",
    "Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are created with `npm run keys -- create --tenant <tenant> --scopes read`.",
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

/**
 * API-key authentication. With mode "keys", every request must present a key
 * from the keys file; its tenant becomes the request's Loki tenant
 * (`deps.loki.withTenant(c.get("auth").tenant)`). With mode "off", every
 * request runs as `defaultTenant` with all scopes — loudly logged.
 */
export function createAuth(options: AuthOptions): Auth {
  const { logger } = options;
  const requireScope = (scope: Scope): MiddlewareHandler => {
    return async (c, next) => {
      const auth = c.get("auth") as AuthInfo | undefined;
      if (!auth) throw unauthorized(); // auth middleware not run on this route: fail closed
      if (!hasScope(auth.scopes, scope)) throw forbidden(scope);
      await next();
    };
  };

  if (options.mode === "off") {
    const local: AuthInfo = { keyId: "local", tenant: options.defaultTenant, scopes: [...SCOPES] };
    logger.warn(
      "AUTH IS OFF: every request is accepted without an API key and served as one tenant with every scope. " +
        "Use this only on a trusted machine; set API_KEYS_FILE to require API keys.",
      { auth: "off", tenant: options.defaultTenant ?? "(none: single-tenant Loki)" },
    );
    return {
      mode: "off",
      middleware: async (c, next) => {
        c.set("auth", local);
        await next();
      },
      requireScope,
      store: undefined,
      close: () => {},
    };
  }

  const publicPaths = new Set(options.publicPaths ?? []);
  if (!options.keysFile) throw new Error('createAuth: mode "keys" needs keysFile (API_KEYS_FILE)');
  const store = new KeyStore({
    file: options.keysFile,
    logger,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  });
  logger.info("auth on: API keys required", { file: options.keysFile, keys: store.keys.size });
  return {
    mode: "keys",
    middleware: async (c, next) => {
      if (publicPaths.has(c.req.path)) return next();
      const key = presentedKey((name) => c.req.header(name));
      const entry = key ? store.keys.find(key) : undefined;
      if (!entry) throw unauthorized();
      c.set("auth", { keyId: entry.id, tenant: entry.tenant, scopes: entry.scopes });
      await next();
    },
    requireScope,
    store,
    close: () => store.close(),
  };
}
