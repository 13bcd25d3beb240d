import { LRUCache } from "lru-cache";
import type { Logger } from "../log.ts";
import type { LokiClient } from "../loki/client.ts";
import { NS_PER_S, nowNs } from "../loki/time.ts";
import type { PatternLibrary } from "../patterns/library/index.ts";
import type { LearnedStore } from "../patterns/store.ts";
import type { ServiceDiscovery } from "../query/discovery.ts";
import { AlertGate } from "./alerts.ts";
import { StreamError } from "./errors.ts";
import { newFigures } from "./figures.ts";
import { compileFilter } from "./filter.ts";
import type { Hub } from "./hub.ts";
import type { StreamLimits } from "./limits.ts";
import { Novelty } from "./novelty.ts";
import { planUpstream } from "./plan.ts";
import { type FilterFields, STREAM_PROTOCOL_VERSION } from "./protocol.ts";
import { HubRegistry } from "./registry.ts";
import { Session, type Subscriptions } from "./session.ts";
import { Subscription } from "./subscription.ts";
import type { RawSocket, StreamCaller, StreamConnection, StreamFigures, StreamService } from "./types.ts";

export interface StreamServiceDeps {
  loki: LokiClient;
  discovery: ServiceDiscovery;
  library: PatternLibrary;
  /** Seeds each watched service's "new template" detection with what /patterns learned. */
  learned: LearnedStore;
  logger: Logger;
  limits: StreamLimits;
}

/**
 * The live stream: sessions (one per socket), shared hubs (one per tenant and
 * upstream query), subscriptions parked for a resume after their socket
 * closed, and a stats tick. One instance per process, built in deps.ts.
 */
export function createStreamService(d: StreamServiceDeps): StreamService {
  const { limits, logger } = d;
  const figures = newFigures();
  const novelties = new LRUCache<string, Novelty>({ max: 1_000 });
  const noveltyOf = (tenant: string | undefined) => {
    const key = tenant ?? "";
    let n = novelties.get(key);
    if (!n) {
      n = new Novelty(
        async (service) => {
          const learned = await d.learned.get(tenant, service);
          return { miner: d.learned.copyOf(learned), known: learned.miner.clusters().length };
        },
        limits.noveltyWarmupMs,
        logger,
      );
      novelties.set(key, n);
    }
    return n;
  };
  const registry = new HubRegistry(
    limits.maxTailsPerTenant,
    {
      library: d.library,
      replayEntries: limits.replayEntries,
      delayFor: limits.delayFor,
      overlapMs: limits.overlapMs,
      gapMax: limits.gapMax,
      backoffMinMs: 250,
      backoffMaxMs: 10_000,
      reconcileMs: limits.reconcileMs,
      logger,
      figures,
    },
    noveltyOf,
  );
  const sessions = new Set<Session>();
  const parked = new Map<string, { sub: Subscription; timer: NodeJS.Timeout }>();
  const live = new Map<string, Session>();
  const keyOf = (owner: string, id: string) => `${owner}\u0000${id}`;

  const plan = async (loki: LokiClient, filters: FilterFields) => {
    const now = nowNs();
    let catalog: Awaited<ReturnType<ServiceDiscovery["catalog"]>>;
    try {
      catalog = await d.discovery.catalog(loki, { start: now - 3600n * NS_PER_S, end: now });
    } catch (err) {
      throw new StreamError(
        "unavailable",
        "loki-unavailable",
        "Loki unavailable",
        `Could not list the services to watch: ${(err as Error).message}`,
        "Retry in a few seconds; check GET /api/v1/ai_logs/health.",
      );
    }
    return { upstream: planUpstream(filters, catalog), label: catalog.label };
  };

  const hintsOf = (unknown: string[], label: string) =>
    unknown.length
      ? [`No stream has ${label} = ${unknown.join(", ")} in the last hour; the subscription waits for its lines.`]
      : [];

  const work: Subscriptions = {
    async subscribe(session, id, filters) {
      const filter = compileFilter(filters, d.library);
      const loki = d.loki.withTenant(session.caller.tenant);
      const { upstream, label } = await plan(loki, filters);
      const gate = new AlertGate(limits.alertWindowMs, (pid) => d.library.get(pid));
      const sub = await registry.attach(
        loki,
        upstream.query,
        label,
        (hub) => new Subscription(id, session.owner, filters, filter, hub, gate, label),
      );
      if (session.isClosed || session.subs.has(id)) {
        registry.detach(sub.hub, sub);
        return sub;
      }
      attachTo(session, sub);
      session.send({
        type: "subscribed",
        id,
        protocol: STREAM_PROTOCOL_VERSION,
        seq: 0,
        selector: upstream.query,
        resumed: false,
        replayed: 0,
        hints: hintsOf(upstream.unknownServices, label),
      });
      return sub;
    },
    async update(session, sub, fields) {
      const filters: FilterFields = { ...sub.filters, ...definedOnly(fields) };
      const filter = compileFilter(filters, d.library);
      const loki = d.loki.withTenant(session.caller.tenant);
      const { upstream, label } = await plan(loki, filters);
      const old = sub.hub;
      if (upstream.query !== old.query) {
        await registry.attach(loki, upstream.query, label, (hub) => {
          sub.retarget(filters, filter, hub);
          return sub;
        });
        registry.detach(old, sub);
      } else {
        sub.retarget(filters, filter, old);
      }
      session.send({
        type: "subscribed",
        id: sub.id,
        protocol: STREAM_PROTOCOL_VERSION,
        seq: sub.seq,
        selector: upstream.query,
        resumed: false,
        replayed: 0,
        hints: hintsOf(upstream.unknownServices, label),
      });
    },
    unsubscribe(sub) {
      sub.outlet = undefined;
      live.delete(keyOf(sub.owner, sub.id));
      registry.detach(sub.hub, sub);
    },
    claim(session, id) {
      const key = keyOf(session.owner, id);
      const p = parked.get(key);
      if (p) {
        clearTimeout(p.timer);
        parked.delete(key);
        attachTo(session, p.sub);
        return p.sub;
      }
      const other = live.get(key);
      const sub = other?.subs.get(id);
      if (!other || !sub || other === session) return undefined;
      // The same key resumes from a new socket while the old one is half-dead: the new one takes it.
      other.subs.delete(id);
      other.send({
        type: "error",
        id,
        code: "taken-over",
        title: "Subscription taken over",
        detail: `"${id}" was resumed on another connection of this key.`,
        hint: "Use distinct ids per connection.",
      });
      attachTo(session, sub);
      return sub;
    },
    park(subs) {
      for (const sub of subs) {
        sub.outlet = undefined;
        const key = keyOf(sub.owner, sub.id);
        live.delete(key);
        const before = parked.get(key);
        if (before) {
          clearTimeout(before.timer);
          registry.detach(before.sub.hub, before.sub);
        }
        const timer = setTimeout(() => {
          parked.delete(key);
          registry.detach(sub.hub, sub);
        }, limits.resumeGraceMs);
        timer.unref?.();
        parked.set(key, { sub, timer });
      }
    },
  };

  const attachTo = (session: Session, sub: Subscription) => {
    sub.outlet = session;
    session.subs.set(sub.id, sub);
    live.set(keyOf(session.owner, sub.id), session);
  };

  const statsTimer = setInterval(() => {
    for (const hub of registry.all()) tickStats(hub, limits);
  }, limits.statsMs);
  statsTimer.unref?.();

  return {
    connect(socket: RawSocket, caller: StreamCaller): StreamConnection {
      const session = new Session(socket, caller, limits, work, figures, logger);
      sessions.add(session);
      return {
        onMessage: (text) => session.onMessage(text),
        onClose: () => {
          sessions.delete(session);
          session.onClose();
        },
      };
    },
    figures: (): StreamFigures => {
      let subscriptions = 0;
      let lag: number | null = null;
      for (const hub of registry.all()) {
        subscriptions += hub.listeners.size;
        if (hub.lagMs !== null) lag = Math.max(lag ?? 0, hub.lagMs);
      }
      return {
        ...figures,
        clients: sessions.size,
        subscriptions: subscriptions - parked.size,
        detached_subscriptions: parked.size,
        upstream_tails: registry.size,
        lag_ms: lag,
      };
    },
    async close() {
      clearInterval(statsTimer);
      for (const s of sessions) {
        s.socket.close(1001, "server shutting down");
        s.onClose();
      }
      sessions.clear();
      for (const p of parked.values()) clearTimeout(p.timer);
      parked.clear();
      registry.closeAll();
    },
  };
}

function tickStats(hub: Hub, limits: StreamLimits): void {
  const services = hub.takeStats();
  const seconds = limits.statsMs / 1000;
  const out = services.map((s) => ({
    service: s.service,
    lines: s.lines,
    lines_per_s: Math.round((s.lines / seconds) * 100) / 100,
    errors: s.errors,
    error_ratio: s.lines ? Math.round((s.errors / s.lines) * 10_000) / 10_000 : 0,
  }));
  for (const listener of hub.listeners) {
    if (!(listener instanceof Subscription) || !listener.outlet) continue;
    listener.outlet.send({ type: "stats", id: listener.id, interval_s: seconds, services: out, lag_ms: hub.lagMs });
    if (hub.lagMs !== null && hub.lagMs > limits.lagNoticeMs && services.length > 0) {
      listener.outlet.send({
        type: "notice",
        id: listener.id,
        kind: "lag",
        lag_ms: hub.lagMs,
        message: `Lines reach you ${Math.round(hub.lagMs / 1000)} s after their timestamp (ingestion delay or a busy server).`,
      });
    }
  }
}

/** Fields an update gave (undefined means "not given", so the old value stays). */
function definedOnly(fields: FilterFields): FilterFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as FilterFields;
}
