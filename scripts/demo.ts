/**
 * `npm run demo`: the whole thing on embedded defaults. Gets the pinned Loki
 * (built once), starts it in a temp dir, seeds a realistic multi-service
 * dataset, serves the API (Redis when REDIS_URL is set, memory otherwise) and
 * prints calls to try. Ctrl-C stops everything it started.
 */
import { loadConfig } from "../src/config.ts";
import { main } from "../src/index.ts";
import { LokiClient } from "../src/loki/client.ts";
import { demoScenarios, seedLoki } from "./datagen/seed.ts";
import { freePort } from "./lib/free-port.ts";
import { resolveLokiBin, startLoki } from "./lib/local-loki.ts";

const say = (msg: string) => process.stdout.write(`[demo] ${msg}\n`);

async function run() {
  say("getting Loki 3.7.8 (the first run builds it from source: ~9 minutes, then it is cached)");
  const bin = resolveLokiBin();
  say("starting Loki in a temporary directory (about 15-20 s)…");
  const loki = await startLoki({ bin });
  say(`Loki ready at ${loki.url}`);

  let stopApi: (() => Promise<void>) | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping the API and Loki…");
    await stopApi?.().catch(() => {});
    await loki.dispose();
    say("stopped");
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));

  try {
    const client = new LokiClient({ url: loki.url, timeoutMs: 60_000 });
    const scenarios = demoScenarios();
    const lines = await seedLoki(client, scenarios);
    await client.close();
    say(`seeded ${lines} log lines from ${scenarios.length} systems (the last hour, two incidents)`);

    const env: Record<string, string | undefined> = {
      ...process.env,
      LOKI_URL: loki.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    };
    const wanted = Number(env.PORT ?? 8080);
    const port = wanted === 0 || (await portFree(wanted)) ? wanted : await freePort();
    if (port !== wanted) say(`port ${wanted} is busy; using ${port} (set PORT to choose)`);
    const config = loadConfig({ ...env, PORT: String(port) });
    const api = await main(config);
    stopApi = api.stop;
    const base = `http://${config.HOST}:${api.port}`;
    say(`Logsleuth API ready at ${base} (cache: ${config.REDIS_URL ? "redis" : "memory"}, auth off)`);
    say("try:");
    for (const line of [
      `curl -s ${base}/api/v1/ai_logs/health`,
      `curl -s '${base}/api/v1/ai_logs/services?since=1h'`,
      `curl -s '${base}/api/v1/ai_logs/query?mode=troubleshoot&since=1h&max_tokens=2000'   # likely_origin: inventory-db (keystore next)`,
      `curl -s '${base}/api/v1/ai_logs/query?mode=performance&service=checkout&since=1h'`,
      `curl -s '${base}/api/v1/ai_logs/patterns?service=inventory-db&since=1h'`,
      `curl -s ${base}/api/v1/openapi.json`,
      `open ${base}/api/v1/reference   # API reference page`,
      `curl -s -G ${loki.url}/loki/api/v1/query_range --data-urlencode 'query={service_name="gateway"} |= "502"' --data-urlencode limit=5`,
    ]) {
      process.stdout.write(`  ${line}\n`);
    }
    say("press Ctrl-C to stop");
  } catch (err) {
    process.stderr.write(`[demo] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await shutdown(1);
  }
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

run().catch((err: unknown) => {
  process.stderr.write(`[demo] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
