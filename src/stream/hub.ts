import type { PatternLibrary } from "../patterns/library/index.ts";
import type { LineParts } from "../patterns/message.ts";
import { shortServiceName } from "../query/discovery.ts";
import { isProblemLevel } from "../query/lines.ts";
import type { Figures } from "./figures.ts";
import { type StreamLine, streamLine } from "./filter.ts";
import { ReplayBuffer } from "./replay.ts";
import { type RawLine, Upstream, type UpstreamOptions, type UpstreamState } from "./upstream.ts";

/**
 * One shared upstream tail per (tenant, query), fanned out to any number of
 * subscriptions. Lines get consecutive offsets and are kept in a bounded
 * replay buffer for clients that reconnect; per-service counts feed `stats`;
 * Loki's dropped entries and the tail's reconnects become notices.
 */

export interface HubNotice {
  kind: "upstream_dropped" | "upstream_reconnecting" | "upstream_resumed" | "replay_gap" | "recovered";
  message: string;
  count?: number;
}

export interface ServiceStats {
  service: string;
  lines: number;
  errors: number;
}

export interface HubListener {
  /** New lines of the shared tail; `memo` is shared by every listener for this batch (same filters, same work). */
  deliver(lines: readonly StreamLine[], memo: Map<string, unknown>): void;
  notice(notice: HubNotice): void;
}

/** A template a service has not shown before (see novelty.ts). */
export interface NoveltyCheck {
  /** The new template of a problem line, or undefined when the service has seen it before. */
  check(service: string, parts: LineParts): string | undefined;
}

/** The upstream tail's options, and what the hub adds on top. */
export interface HubOptions extends UpstreamOptions {
  serviceLabel: string;
  library: Pick<PatternLibrary, "match">;
  replayEntries: number;
  figures: Figures;
  novelty?: NoveltyCheck | undefined;
}

export class Hub {
  readonly listeners = new Set<HubListener>();
  private offset = 0;
  private readonly replay: ReplayBuffer<StreamLine>;
  private readonly upstream: Upstream;
  private counts = new Map<string, ServiceStats>();
  /** Delivery lag of the newest line when it was handed out (ms), null before the first. */
  lagMs: number | null = null;
  /** New templates per line offset (problem lines whose template the service had not shown). */
  readonly novel = new Map<number, string>();

  constructor(
    readonly tenant: string | undefined,
    private readonly o: HubOptions,
  ) {
    this.replay = new ReplayBuffer(o.replayEntries);
    this.upstream = new Upstream(o, {
      lines: (lines) => this.take(lines),
      dropped: (count) => {
        o.figures.dropped_upstream += count;
        this.broadcast({
          kind: "upstream_dropped",
          count,
          message: `Loki dropped ${count} line(s) from the tail (too many at once); query the range to see them.`,
        });
      },
      state: (s) => this.upstreamState(s),
    });
  }

  get query(): string {
    return this.o.query;
  }

  /** Offset of the newest line (0 before any). */
  get lastOffset(): number {
    return this.offset;
  }

  open(): Promise<void> {
    return this.upstream.open();
  }

  close(): void {
    this.upstream.close();
    this.listeners.clear();
  }

  /** Lines after `offset` still in the replay buffer, and how many after it are not. */
  after(offset: number): { items: StreamLine[]; missed: number } {
    return this.replay.after(offset);
  }

  /** The per-service counts since the last call (and starts new ones). */
  takeStats(): ServiceStats[] {
    const out = [...this.counts.values()].sort((a, b) => b.lines - a.lines || a.service.localeCompare(b.service));
    this.counts = new Map();
    return out;
  }

  private take(raw: RawLine[]): void {
    const lines: StreamLine[] = [];
    for (const r of raw) {
      const l = streamLine(++this.offset, r.ts, r.line, r.labels, r.stream, {}, this.o.library);
      this.replay.push(l);
      lines.push(l);
      this.count(l);
    }
    this.o.figures.lines_in += lines.length;
    const newest = raw.reduce((max, r) => (BigInt(r.ts) > max ? BigInt(r.ts) : max), 0n);
    this.lagMs = Math.max(0, Date.now() - Number(newest / 1_000_000n));
    const memo = new Map<string, unknown>();
    for (const listener of this.listeners) listener.deliver(lines, memo);
    // Novelty marks only live for this delivery (alerts read them synchronously).
    this.novel.clear();
  }

  private count(l: StreamLine): void {
    const service = shortServiceName(l.labels[this.o.serviceLabel] ?? "(none)");
    let c = this.counts.get(service);
    if (!c) {
      c = { service, lines: 0, errors: 0 };
      this.counts.set(service, c);
    }
    c.lines++;
    const level = l.parsed().level;
    if (level === "error" || level === "fatal") c.errors++;
    if (this.o.novelty && isProblemLevel(level)) {
      const { message, fields } = l.parsed();
      const template = this.o.novelty.check(service, { line: l.line, message, fields });
      if (template !== undefined) this.novel.set(l.offset, template);
    }
  }

  private upstreamState(s: UpstreamState): void {
    if (s.kind === "reconnecting") {
      this.o.figures.upstream_reconnects++;
      if (s.attempt === 1 || s.attempt % 10 === 0) {
        this.broadcast({
          kind: "upstream_reconnecting",
          message: `The upstream Loki tail ended (${s.reason}); reconnecting (attempt ${s.attempt}). Lines written meanwhile will follow.`,
        });
      }
    } else if (s.kind === "resumed") {
      this.broadcast({
        kind: "upstream_resumed",
        count: s.recovered,
        message: `The upstream tail is back after ${Math.round(s.downMs / 100) / 10} s; ${s.recovered} line(s) written meanwhile were read back.`,
      });
    } else if (s.kind === "recovered") {
      this.o.figures.recovered += s.count;
      this.broadcast({
        kind: "recovered",
        count: s.count,
        message: `Loki's tail skipped ${s.count} line(s) (a burst); they were read back from the range and sent late, out of time order.`,
      });
    } else {
      this.broadcast({ kind: "replay_gap", message: s.message, ...(s.missed >= 0 ? { count: s.missed } : {}) });
    }
  }

  private broadcast(n: HubNotice): void {
    for (const listener of this.listeners) listener.notice(n);
  }
}
