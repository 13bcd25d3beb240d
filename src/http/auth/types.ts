/** What an API key may do. `admin` implies every other scope. */
export const SCOPES = ["read", "stream", "export", "ingest", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, set by the auth middleware as `c.get("auth")`. */
export interface AuthInfo {
  /** The key's id from the keys file ("local" when auth is off); safe to log and to rate-limit by. */
  keyId: string;
  /** Loki tenant (X-Scope-OrgID) every Loki call of this request must use; undefined = single-tenant Loki. */
  tenant: string | undefined;
  scopes: readonly Scope[];
}

declare module "hono" {
  interface ContextVariableMap {
    auth: AuthInfo;
  }
}

/** Same rule as LOKI_TENANT: a Loki tenant id. */
export const TENANT_PATTERN = /^[A-Za-z0-9!\-_.*'()]{1,150}$/;
