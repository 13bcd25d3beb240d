import type { TestProject } from "vitest/node";
import { type LocalLoki, resolveLokiBin, startLoki } from "../../scripts/lib/local-loki.ts";
import { type LocalRedis, startRedis } from "../../scripts/lib/local-redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Single-tenant Loki (auth_enabled: false). */
    lokiUrl: string;
    /** Multi-tenant Loki (auth_enabled: true). */
    lokiMtUrl: string;
    redisUrl: string;
    lokiBin: string;
  }
}

/**
 * Starts the real services for the integration project, on free ports: Loki
 * single-tenant, Loki multi-tenant and redis-server. Everything is stopped in
 * the teardown, and killed on any exit or interrupt of the runner.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const lokiBin = resolveLokiBin();
  const started_: Array<LocalLoki | LocalRedis> = [];
  const keep = <T extends LocalLoki | LocalRedis>(s: T): T => {
    started_.push(s);
    return s;
  };
  try {
    const [loki, lokiMt, redis] = await Promise.all([
      startLoki({ bin: lokiBin }).then(keep),
      startLoki({ bin: lokiBin, authEnabled: true }).then(keep),
      startRedis().then(keep),
    ]);
    process.stderr.write(
      `[harness] Loki ${loki.url}, Loki (multi-tenant) ${lokiMt.url}, Redis ${redis.url} ready in ${Date.now() - started} ms\n`,
    );
    project.provide("lokiUrl", loki.url);
    project.provide("lokiMtUrl", lokiMt.url);
    project.provide("redisUrl", redis.url);
    project.provide("lokiBin", lokiBin);
  } catch (err) {
    await Promise.allSettled(started_.map((s) => ("dispose" in s ? s.dispose() : s.stop())));
    throw err;
  }
  return async () => {
    await Promise.allSettled(started_.map((s) => ("dispose" in s ? s.dispose() : s.stop())));
  };
}
