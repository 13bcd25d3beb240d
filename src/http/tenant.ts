import type { Context } from "hono";
import type { Deps } from "../deps.ts";
import type { LokiClient } from "../loki/client.ts";
import type { AuthInfo } from "./auth/types.ts";

/**
 * The tenant of a request: its API key's tenant, or LOKI_TENANT when auth is
 * off. Every Loki call of a request goes through `lokiFor`, so the tenant
 * becomes X-Scope-OrgID on every path (HTTP, WebSocket, export, MCP).
 */
export function tenantOf(c: Context, deps: Pick<Deps, "config">): string | undefined {
  const auth = c.get("auth") as AuthInfo | undefined;
  return auth ? auth.tenant : deps.config.LOKI_TENANT;
}

export const lokiFor = (c: Context, deps: Pick<Deps, "config" | "loki">): LokiClient =>
  deps.loki.withTenant(tenantOf(c, deps));
