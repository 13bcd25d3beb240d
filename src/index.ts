import { pathToFileURL } from "node:url";
import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { buildDeps, closeDeps } from "./deps.ts";
import { serveApp } from "./http/serve.ts";
import { createLogger } from "./log.ts";
import { warmTokenizer } from "./query/tokens.ts";
import { apiVersion } from "./version.ts";

/** Process entry: config → deps → app → serve, with graceful shutdown. */
export async function main(config: Config): Promise<{ stop(): Promise<void>; port: number }> {
  const logger = createLogger(config.LOG_LEVEL);
  const deps = buildDeps(config, logger);
  const app = createApp(deps);
  // Learned templates survive restarts: restore the miners' snapshots in the background.
  deps.learned.restoreAll().then(
    (n) => logger.info("learned templates restored", { miners: n }),
    (err: unknown) => logger.warn("could not restore learned templates", { err }),
  );
  if (!config.LOKI_TENANT) logger.info("single-tenant mode: Loki is called without X-Scope-OrgID");
  logger.info("cache", { kind: deps.cache.kind });

  warmTokenizer(); // ~150 ms once, before the first request rather than inside it
  const served = await serveApp(app, deps, { port: config.PORT, hostname: config.HOST });
  const port = served.port;
  logger.info("logsleuth listening", {
    url: `http://${config.HOST}:${port}`,
    version: apiVersion(),
    loki: config.LOKI_URL,
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("shutting down: finishing in-flight requests");
      await served.close(config.SHUTDOWN_TIMEOUT_MS);
      await closeDeps(deps);
      logger.info("stopped");
    })();
    return stopping;
  };
  return { stop, port };
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  main(config).then(
    ({ stop }) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
          stop().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        });
      }
    },
    (err: unknown) => {
      process.stderr.write(`logsleuth failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
