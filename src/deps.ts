import { type Cache, createCache } from "./cache/index.ts";
import type { Config } from "./config.ts";
import { type Auth, createAuth } from "./http/auth/index.ts";
import { API_PREFIX, EXPORT_LINK_PATH } from "./http/paths.ts";
import type { Logger } from "./log.ts";
import { LokiClient } from "./loki/client.ts";
import { DEFAULT_PATTERN_DIR, loadPatternLibrarySync, type PatternLibrary } from "./patterns/library/index.ts";
import { createPatternsService, type PatternsService } from "./patterns/service.ts";
import { cursorKeysFrom } from "./query/cursor.ts";
import { ServiceDiscovery } from "./query/discovery.ts";
import type { QuerySettings } from "./query/types.ts";
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from "./stream/limits.ts";
import { createStreamService } from "./stream/service.ts";
import type { StreamService } from "./stream/types.ts";

/** Everything a service needs from the outside, built once in index.ts and passed down. */
export interface Deps {
  config: Config;
  loki: LokiClient;
  cache: Cache;
  auth: Auth;
  logger: Logger;
  discovery: ServiceDiscovery;
  /** The failure pattern library (patterns/*.yaml), validated at start-up. */
  patterns: PatternLibrary;
  /** Learned templates: one miner per tenant + service, snapshots in the cache. */
  learned: PatternsService;
  querySettings: QuerySettings;
  /** The live stream: shared Loki tails fanned out to WebSocket clients. */
  stream: StreamService;
  /** ms since epoch when the process started serving. */
  startedAt: number;
}

export function buildDeps(config: Config, logger: Logger): Deps {
  const loki = new LokiClient({
    url: config.LOKI_URL,
    tenant: config.LOKI_TENANT,
    timeoutMs: config.LOKI_TIMEOUT_MS,
    maxResponseBytes: config.LOKI_MAX_RESPONSE_BYTES,
  });
  const cache = createCache({
    redisUrl: config.REDIS_URL,
    memoryBytes: config.MEMORY_CACHE_BYTES,
    redisCommandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    onRedisStateChange: (up, error) =>
      up
        ? logger.info("redis reachable again; cache in use")
        : logger.warn("redis unreachable; serving uncached", { error }),
  });
  const auth = createAuth({
    mode: config.AUTH_MODE,
    keysFile: config.API_KEYS_FILE,
    defaultTenant: config.LOKI_TENANT,
    logger,
    publicPaths: [`${API_PREFIX}/health`],
    linkPaths: [EXPORT_LINK_PATH],
  });
  const discovery = new ServiceDiscovery(config.SERVICE_LABEL);
  const patterns = patternLibrary(config.PATTERNS_DIR);
  const querySettings = {
    maxRangeMs: config.MAX_QUERY_RANGE,
    scanCap: config.QUERY_SCAN_CAP,
    pageSize: config.QUERY_PAGE_SIZE,
    concurrency: config.QUERY_CONCURRENCY,
    defaultMaxTokens: config.DEFAULT_MAX_TOKENS,
    maxBytes: config.QUERY_MAX_BYTES,
    cursorKeys: cursorKeysFrom(config.CURSOR_KEYS, (message) => logger.warn(message)),
  };
  const learned = createPatternsService({ cache, discovery, querySettings, patterns, logger });
  const stream = createStreamService({
    loki,
    discovery,
    library: patterns,
    learned: learned.store,
    logger,
    limits: streamLimits(config),
  });
  return {
    config,
    loki,
    cache,
    auth,
    logger,
    discovery,
    patterns,
    learned,
    querySettings,
    stream,
    startedAt: Date.now(),
  };
}

function streamLimits(config: Config): StreamLimits {
  return {
    ...DEFAULT_STREAM_LIMITS,
    maxTailsPerTenant: config.STREAM_MAX_TAILS_PER_TENANT,
    maxSubscriptions: config.STREAM_MAX_SUBSCRIPTIONS,
    replayEntries: config.STREAM_REPLAY_ENTRIES,
    queueEntries: config.STREAM_CLIENT_QUEUE,
    slowClientMs: config.STREAM_SLOW_CLIENT_MS,
    resumeGraceMs: config.STREAM_RESUME_GRACE_MS,
    heartbeatMs: config.STREAM_HEARTBEAT_MS,
    statsMs: config.STREAM_STATS_MS,
    alertWindowMs: config.STREAM_ALERT_WINDOW_MS,
    delayFor: config.STREAM_DELAY_FOR,
    reconcileMs: config.STREAM_RECONCILE_MS,
  };
}

const libraries = new Map<string, PatternLibrary>();
/** The library of a folder, loaded once per process (it is immutable data). */
function patternLibrary(dir: string | undefined): PatternLibrary {
  const key = dir ?? DEFAULT_PATTERN_DIR;
  let lib = libraries.get(key);
  if (!lib) {
    lib = loadPatternLibrarySync(key);
    libraries.set(key, lib);
  }
  return lib;
}

export async function closeDeps(deps: Deps): Promise<void> {
  deps.auth.close();
  await deps.stream.close().catch(() => {});
  await deps.learned.close().catch(() => {});
  await Promise.allSettled([deps.loki.close(), deps.cache.close()]);
}
