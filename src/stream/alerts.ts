import { LRUCache } from "lru-cache";
import { durationMs } from "../logql/index.ts";
import type { Pattern, PatternMatch } from "../patterns/library/index.ts";
import { clipExample, type Level } from "../query/lines.ts";
import type { AlertMessage } from "./protocol.ts";

/**
 * Which hits of one subscription become `alert` messages: one per library
 * pattern (or new template) and window, later hits in the window only
 * counted; a pattern with a burst rule alerts when `count` of its matches with
 * the same group fields fall within its window. Pure: time comes in with each
 * hit (the line's timestamp in ms), state is bounded (an LRU of keys).
 */

export type AlertDraft = Omit<AlertMessage, "type" | "id">;
type Made = Omit<AlertDraft, "suppressed">;

interface Fired {
  /** Line time (ms) the current window started at. */
  since: number;
  count: number;
}

export interface AlertHit {
  tsNs: string;
  service: string;
  line: string;
  level: Level;
}

export class AlertGate {
  // Made on the first hit: an LRU reserves its slots up front (~88 KB for these two), and most
  // subscriptions of a thousand never alert.
  private firedCache: LRUCache<string, Fired> | undefined;
  private burstCache: LRUCache<string, number[]> | undefined;

  private get fired(): LRUCache<string, Fired> {
    this.firedCache ??= new LRUCache<string, Fired>({ max: 2_000 });
    return this.firedCache;
  }

  private get bursts(): LRUCache<string, number[]> {
    this.burstCache ??= new LRUCache<string, number[]>({ max: 2_000 });
    return this.burstCache;
  }

  constructor(
    private readonly windowMs: number,
    private readonly patternOf: (id: string) => Pattern | undefined,
  ) {}

  /** An alert for a library pattern hit, or undefined when this window already has one (or a burst is not reached). */
  pattern(hit: AlertHit, m: PatternMatch): AlertDraft | undefined {
    const pattern = this.patternOf(m.id);
    const t = msOf(hit.tsNs);
    if (pattern?.burst) {
      const groupKey = JSON.stringify(pattern.burst.group_by.map((f) => m.fields[f] ?? ""));
      const window = durationMs(pattern.burst.window, "window");
      const key = `b\u0000${m.id}\u0000${groupKey}`;
      const times = (this.bursts.get(key) ?? []).filter((x) => x > t - window);
      times.push(t);
      this.bursts.set(key, times.slice(-pattern.burst.count));
      if (times.length < pattern.burst.count) return undefined;
      return this.gate(key, t, (count) => ({
        ...base(hit, m, pattern, count, this.windowMs),
        title: `${m.title}: ${times.length} within ${pattern.burst?.window}`,
      }));
    }
    return this.gate(`p\u0000${m.id}\u0000${hit.service}`, t, (count) => base(hit, m, pattern, count, this.windowMs));
  }

  /** An alert for a template the service had not shown, once per template and window. */
  newTemplate(hit: AlertHit, template: string): AlertDraft | undefined {
    return this.gate(`t\u0000${hit.service}\u0000${template}`, msOf(hit.tsNs), (count) => ({
      kind: "new_template",
      severity: hit.level === "error" || hit.level === "fatal" ? "high" : "medium",
      title: `New ${hit.level} template in ${hit.service}`,
      service: hit.service,
      template: clipExample(template),
      remediation:
        "This service has not logged this before: check what changed (deploy, config, a dependency) around this time.",
      ts: hit.tsNs,
      example: clipExample(hit.line),
      count,
      window_s: this.windowMs / 1000,
    }));
  }

  private gate(key: string, t: number, make: (count: number) => Made): AlertDraft | undefined {
    const f = this.fired.get(key);
    if (f && t - f.since < this.windowMs && t >= f.since) {
      f.count++;
      return undefined;
    }
    this.fired.set(key, { since: t, count: 1 });
    return { ...make(1), suppressed: f ? f.count - 1 : 0 };
  }
}

function base(hit: AlertHit, m: PatternMatch, pattern: Pattern | undefined, count: number, windowMs: number): Made {
  return {
    kind: "pattern" as const,
    severity: m.severity,
    title: m.title,
    service: hit.service,
    pattern: { id: m.id, category: m.category },
    ...(pattern ? { remediation: pattern.remediation } : {}),
    ts: hit.tsNs,
    example: clipExample(hit.line),
    count,
    window_s: windowMs / 1000,
  };
}

const msOf = (ns: string): number => Number(BigInt(ns) / 1_000_000n);
