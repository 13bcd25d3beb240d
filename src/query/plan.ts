import { assertScoped, type Matcher, render, scopeRawQuery } from "../logql/index.ts";
import { catalogBytes, resolveServices, type ServiceCatalog } from "./discovery.ts";
import { QueryError } from "./errors.ts";
import { readRangeOf, refuseCostly, refuseMatchAll, refuseMetricInMode, selectorsOf } from "./guardrail.ts";
import { buildLogQueries, hasFastPushdown, type Mode, type Pushdown, shownLogql } from "./modes.ts";
import { type ResolvedRange, resolveRange } from "./time.ts";
import type { QueryContext, QueryParams } from "./types.ts";

/**
 * The read of log lines that /query's parameters describe, planned once for every capability that
 * reads them (export, and the line modes of /query): the range, the service catalog, the LogQL per
 * leg of the mode (disjoint, so nothing is read twice), the caller's LogQL scoped and checked, and
 * the cost guardrail. Metric queries are refused: they read numbers, not lines.
 */

export type LinePlanParams = Pick<
  QueryParams,
  | "mode"
  | "logql"
  | "service"
  | "contains"
  | "regex"
  | "trace_id"
  | "conversation_id"
  | "workspace_id"
  | "start"
  | "end"
  | "since"
>;

export interface LinePlan {
  range: ResolvedRange;
  catalog: ServiceCatalog;
  /** The stream matcher of the services named (none: every service). */
  matcher: Matcher | undefined;
  mode: Mode | undefined;
  /** One LogQL log query per leg. */
  queries: string[];
  /** The LogQL to show (the query, or the legs named in a comment). */
  logql: string;
  hints: string[];
  bytesEstimated: number;
  /** The precise legs of a mode read fast by default (built when first asked for): see read-lines.ts. */
  precise?: (() => { queries: string[]; shown: string }) | undefined;
}

export interface LinePlanOptions {
  pushdown: Pushdown;
  maxBytes: number;
  /** Raw mode may run a metric query (/query passes its series through); elsewhere a metric query is refused. */
  metricsInRaw?: boolean;
  /** Also plan the precise legs of a mode that has a fast read (for reads that may need them). */
  preciseLegs?: boolean;
  /** Names the capability in the refusal of a metric query (e.g. "export"). */
  what?: string;
}

export async function planLineRead(ctx: QueryContext, p: LinePlanParams, options: LinePlanOptions): Promise<LinePlan> {
  const now = ctx.now ?? Date.now();
  const range = resolveRange(p, now, ctx.settings.maxRangeMs);
  const catalog = await ctx.discovery.catalog(ctx.loki, range, ctx.signal);
  const { matcher, hints } = resolveServices(catalog, p.service);
  const mode: Mode | undefined = p.mode ?? (p.logql ? "raw" : undefined);
  let queries: string[];
  let logql: string;
  let precise: LinePlan["precise"];
  if (mode === "raw" || p.logql) {
    if (!p.logql) throw missingLogql();
    queries = [await scopedRaw(ctx, p.logql, matcher ? [matcher] : [])];
    logql = queries.join("\n");
    // A caller's LogQL, in any mode: no match-all selector, lines only outside raw.
    refuseMatchAll(logql);
    if (mode !== "raw" || !options.metricsInRaw) {
      refuseMetricInMode(options.what ? `${mode ?? "raw"} (${options.what})` : (mode ?? "raw"), logql);
    }
  } else {
    if (mode === "conversation" && !p.conversation_id && !p.workspace_id) throw missingId();
    const filters = {
      contains: p.contains,
      regex: p.regex,
      traceId: p.trace_id,
      conversationId: p.conversation_id,
      workspaceId: p.workspace_id,
    };
    const build = (m: Mode | undefined, pushdown: Pushdown) =>
      buildLogQueries(matcher ? [matcher] : [], catalog.label, m, filters, pushdown).map((q) => render(q));
    const plain = build(undefined, options.pushdown)[0]!;
    queries = build(mode, options.pushdown);
    logql = shownLogql(mode, queries, plain);
    if (options.preciseLegs && options.pushdown === "fast" && hasFastPushdown(mode)) {
      precise = once(() => {
        const legs = build(mode, "precise");
        return { queries: legs, shown: shownLogql(mode, legs, plain) };
      });
    }
  }
  const selectors = [...new Set(queries.flatMap(selectorsOf))];
  const bytesEstimated = await refuseCostly(
    ctx.loki,
    selectors,
    p.logql ? readRangeOf(logql, range, ctx.settings.maxRangeMs) : range,
    catalog.label,
    options.maxBytes,
    ctx.signal,
    p.logql ? undefined : catalogBytes(catalog, selectors),
  );
  return { range, catalog, matcher, mode, queries, logql, hints, bytesEstimated, precise };
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/** A caller's LogQL with the required matchers AND-ed into every selector, checked by Loki's parser. */
export async function scopedRaw(ctx: QueryContext, logql: string, required: Matcher[]): Promise<string> {
  const scoped = scopeRawQuery(logql, required);
  if (scoped.selectors === 0) {
    // e.g. `max without (app) (1)`: reads no logs, yet Loki 3.7 can spend seconds on it.
    throw new QueryError(
      "invalid",
      "logql-no-selector",
      "LogQL without a stream selector",
      "the raw query selects no streams, so it reads no logs",
      'Include a stream selector, e.g. sum(count_over_time({service_name="checkout"}[5m])).',
    );
  }
  // Loki's formatter is the authority on syntax and its parse is checked for scope, but the
  // text that runs is ours: Loki 3.7.8's formatter drops `or` alternatives of long line filters.
  const formatted = await ctx.loki.formatQuery(scoped.logql, { signal: ctx.signal });
  assertScoped(formatted, required);
  return scoped.logql;
}

export const missingLogql = () =>
  new QueryError(
    "invalid",
    "missing-logql",
    "mode=raw needs logql",
    "mode=raw was given without logql",
    'Add logql={service_name="checkout"} |= "timeout" (URL-encoded), or choose another mode.',
  );

export const missingId = () =>
  new QueryError(
    "invalid",
    "missing-id",
    "conversation mode needs an id",
    "mode=conversation was given without conversation_id or workspace_id",
    "Add conversation_id=<id> (one conversation) or workspace_id=<id> (a workspace's conversations).",
  );
