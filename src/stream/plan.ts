import { LogqlError, logQuery, type Matcher, re, render, validateRawQuery } from "../logql/index.ts";
import { type ServiceCatalog, serviceMatcher } from "../query/discovery.ts";
import { StreamError } from "./errors.ts";
import type { FilterFields } from "./protocol.ts";

/**
 * The upstream Loki tail a subscription reads: the narrowest query that covers
 * its filters and can still be shared. Services become one stream selector
 * (`{service_name="a"}`, `{service_name=~"a|b"}`, every service without any);
 * a caller's bare LogQL selector is shared as it is; a LogQL query with a
 * pipeline (parsers, label filters) runs in Loki as given, shared only with the
 * same query. Everything else (levels, text, regex, patterns, sampling) is
 * filtered in process, so clients that differ only there share one tail.
 */
export interface UpstreamPlan {
  /** The LogQL the upstream tail runs (also the hub's key within a tenant). */
  query: string;
  /** Services named that no stream carries yet (the tail still watches for them). */
  unknownServices: string[];
}

export function planUpstream(f: FilterFields, catalog: Pick<ServiceCatalog, "label" | "services">): UpstreamPlan {
  const services = [...new Set(f.services ?? [])].sort();
  if (f.logql !== undefined && f.logql.trim() !== "") {
    if (services.length) {
      throw new StreamError(
        "invalid",
        "logql-and-services",
        "Both logql and services",
        "A subscription reads either a LogQL query or services, not both.",
        'Put the service in the LogQL selector ({service_name="checkout"}) or drop logql.',
        [{ field: "services", message: "not allowed with logql" }],
      );
    }
    return { query: logqlUpstream(f.logql), unknownServices: [] };
  }
  if (services.length === 0) {
    return { query: render(logQuery({ matchers: [re(catalog.label, ".+")] })), unknownServices: [] };
  }
  const { matcher, unknown } = serviceMatcher(
    { label: catalog.label, labelNames: [], services: catalog.services },
    services,
  );
  // Names are sorted first, so the same services always give the same query (and share one tail).
  return { query: render(logQuery({ matchers: [matcher] })), unknownServices: unknown };
}

function logqlUpstream(logql: string): string {
  let info: ReturnType<typeof validateRawQuery>;
  try {
    info = validateRawQuery(logql);
  } catch (err) {
    if (err instanceof LogqlError) {
      throw new StreamError("invalid", "bad-logql", "Invalid LogQL", `logql: ${err.message}`, err.hint, [
        { field: "logql", message: err.message },
      ]);
    }
    throw err;
  }
  const text = logql.trim();
  const [selector, ...more] = info.selectors;
  const first = info.tokens[0];
  if (!selector || more.length > 0 || !first || first.start !== selector.start) {
    throw new StreamError(
      "invalid",
      "not-a-log-query",
      "Not a log query",
      "logql must be a log query: one stream selector, optionally followed by a pipeline (no metric functions).",
      'Stream a log query such as {service_name="checkout"} |= "timeout"; metrics come from GET /metrics.',
      [{ field: "logql", message: "a log query is needed" }],
    );
  }
  const bare = info.tokens.every((t) => t.start >= selector.start && t.end <= selector.end);
  if (bare) return render(logQuery({ matchers: [...selector.matchers].sort(byMatcher) }));
  return withoutComments(text, info.comments);
}

const byMatcher = (a: Matcher, b: Matcher) =>
  a.label.localeCompare(b.label) || a.op.localeCompare(b.op) || a.value.localeCompare(b.value);

function withoutComments(text: string, comments: ReadonlyArray<{ start: number; end: number }>): string {
  let out = "";
  let at = 0;
  for (const c of comments) {
    out += text.slice(at, c.start);
    at = c.end;
  }
  return (out + text.slice(at)).trim();
}
