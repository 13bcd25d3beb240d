import type { Logger } from "../log.ts";
import type { LokiClient } from "../loki/client.ts";
import type { LokiStream } from "../loki/schemas.ts";
import { type TailHandle, type TailMessage, tail } from "../loki/tail.ts";
import { NS_PER_MS, nowNs } from "../loki/time.ts";
import { streamKey } from "../query/entry.ts";
import { RecentLines } from "./dedupe.ts";
import { tailRefused } from "./errors.ts";
import { RangeReader } from "./readback.ts";

/**
 * One Loki tail that does not end: when Loki closes it (tail_max_duration,
 * restart, network), it reconnects with backoff and resumes where it stopped.
 * The gap is read back with query_range (forward, paged: Loki's own tail
 * lookback is best-effort and capped by its limit) from a little before the
 * last line delivered, the new tail's first messages wait until that read is
 * done, and every line goes through one de-duplication by (timestamp, stream,
 * content): the listener sees each line once, with no gap.
 *
 * Loki's tail is also lossy while it runs: under a burst its ingester-side
 * buffers drop lines without a word (measured: 1,100 of 4,000 lines pushed in
 * 2 MB batches reached a plain tail, `dropped_entries` empty). So every
 * `reconcileMs` the range since the last check is read back too, and lines
 * the tail skipped are delivered late (counted in a `recovered` state) rather
 * than never: no silent gap, at the cost of reading each line twice.
 */

export interface RawLine {
  ts: string;
  line: string;
  labels: Record<string, string>;
  /** The stream's key (sorted labels), shared by its lines. */
  stream: string;
}

export type UpstreamState =
  | { kind: "reconnecting"; reason: string; attempt: number }
  | { kind: "resumed"; recovered: number; downMs: number }
  | { kind: "recovered"; count: number }
  | { kind: "gap"; missed: number; message: string };

export interface UpstreamEvents {
  /** New lines (never a repeat), in the order they arrived. */
  lines(lines: RawLine[]): void;
  /** Loki reported lines it dropped from the tail. */
  dropped(count: number): void;
  state(state: UpstreamState): void;
}

export interface UpstreamOptions {
  loki: LokiClient;
  query: string;
  /** Seconds Loki waits to order late lines (0–5). */
  delayFor: number;
  /** How far before the last line a resume reads again (late lines inside it are not lost). */
  overlapMs: number;
  /** Most lines a resume reads back from the gap; past it, the rest of the gap is reported as missed. */
  gapMax: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Read back the range since the last check this often (ms), for lines the tail skipped; 0 = never. */
  reconcileMs: number;
  logger: Logger;
}

/** Lines a tail's lookback may return (Loki's max_entries_limit_per_query). */
const PAGE = 5000;
/** A reconciliation reads up to this close to now (lines younger may still be on their way to the ingester). */
const SETTLE_NS = 1_000n * NS_PER_MS;
/** ...and from this far before the last check (lines that arrived late for their timestamp). */
const RECHECK_NS = 5_000n * NS_PER_MS;
/** A first tail that Loki ends within this (ms) of accepting it was refused (e.g. its tail limit). */
const SETTLE_MS = 400;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());
/** The new tail starts this far back, so its own lookback covers the seam with the gap read. */
const SEAM_NS = 2_000n * NS_PER_MS;

export class Upstream {
  private handle: TailHandle | undefined;
  private closed = false;
  /** Newest timestamp delivered (ns); a resume reads from here (minus the overlap). */
  private lastTs: bigint;
  private readonly recent: RecentLines;
  /** Messages of a new tail held back until the gap before it has been read. */
  private held: TailMessage[] | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private downSince = 0;
  /** Lines before this (ns) have been checked against the range; the next reconciliation starts there. */
  private checkpoint: bigint;
  /** When the first tail opened (ns): the stream starts there. */
  private readonly openedAt: bigint;
  private reconciler: NodeJS.Timeout | undefined;
  private reconciling = false;
  private readonly reader: RangeReader;

  constructor(
    private readonly o: UpstreamOptions,
    private readonly events: UpstreamEvents,
  ) {
    this.lastTs = nowNs();
    this.reader = new RangeReader(o.loki, o.query);
    this.openedAt = this.lastTs;
    this.checkpoint = this.lastTs;
    const windowNs = BigInt(o.overlapMs + 10_000) * NS_PER_MS;
    this.recent = new RecentLines(windowNs, 200_000);
  }

  /**
   * Opens the first tail (live from now); rejects with a StreamError when Loki refuses it. Loki accepts
   * the WebSocket before it checks its tail limit, then closes it: a tail that ends within SETTLE_MS of
   * opening is a refusal too.
   */
  async open(): Promise<void> {
    let ended: ((reason: string) => void) | undefined;
    const endedEarly = new Promise<string>((resolve) => {
      ended = resolve;
    });
    const handle = this.connect(this.lastTs, (reason) => ended?.(reason));
    try {
      await handle.opened;
      const settled = await Promise.race([endedEarly, sleep(SETTLE_MS).then(() => undefined)]);
      if (settled !== undefined) throw new Error(settled);
      if (this.o.reconcileMs > 0) {
        this.reconciler = setInterval(() => void this.reconcile(), this.o.reconcileMs);
        this.reconciler.unref?.();
      }
    } catch (err) {
      this.handle = undefined;
      handle.close();
      throw tailRefused(err as Error);
    } finally {
      ended = undefined;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.reconciler);
    this.handle?.close();
    this.handle = undefined;
  }

  private connect(start: bigint, onEarlyEnd?: (reason: string) => void): TailHandle {
    // A tail that never opened is retried by whoever awaited it; one that did is resumed here when it ends.
    let wasOpen = false;
    let settling = onEarlyEnd !== undefined;
    if (settling) setTimeout(() => (settling = false), SETTLE_MS).unref?.();
    const handle = tail(
      this.o.loki,
      { query: this.o.query, start, limit: PAGE, delayFor: this.o.delayFor },
      {
        onMessage: (m) => {
          if (this.handle !== handle) return;
          if (this.held) this.held.push(m);
          else this.take(m);
        },
        onClose: (error) => {
          if (this.handle !== handle || this.closed) return;
          onEarlyEnd?.(error?.message ?? "Loki ended the tail");
          this.handle = undefined;
          if (wasOpen && !settling) this.lost(error?.message ?? "Loki ended the tail");
        },
      },
    );
    handle.opened.then(
      () => {
        wasOpen = true;
      },
      () => {},
    );
    this.handle = handle;
    return handle;
  }

  private take(m: TailMessage): void {
    this.deliver(m.streams);
    const dropped = m.dropped_entries.length;
    if (dropped > 0) this.events.dropped(dropped);
  }

  /** Delivers the lines not seen before; returns how many there were. */
  private deliver(streams: readonly LokiStream[]): number {
    const out: RawLine[] = [];
    for (const s of streams) {
      const stream = streamKey(s.stream);
      for (const [ts, line] of s.values) {
        if (!this.recent.add(ts, s.stream, line)) continue;
        out.push({ ts, line, labels: s.stream, stream });
        this.reader.saw(line);
        const t = BigInt(ts);
        if (t > this.lastTs) this.lastTs = t;
      }
    }
    if (out.length) this.events.lines(out);
    return out.length;
  }

  private lost(reason: string): void {
    if (this.attempt === 0) this.downSince = Date.now();
    this.attempt++;
    this.events.state({ kind: "reconnecting", reason, attempt: this.attempt });
    const backoff = Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** Math.min(this.attempt - 1, 10));
    const delay = this.attempt === 1 ? 0 : backoff * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => void this.resume(), delay);
    this.retryTimer.unref?.();
  }

  /** Reconnects: the new tail first (held), then the gap read forward, then what the tail held. */
  private async resume(): Promise<void> {
    if (this.closed) return;
    const tailStart = nowNs() - SEAM_NS;
    this.held = [];
    const handle = this.connect(tailStart);
    try {
      await handle.opened;
    } catch (err) {
      if (this.handle === handle) this.handle = undefined;
      handle.close();
      this.held = undefined;
      if (!this.closed) this.lost((err as Error).message);
      return;
    }
    let recovered = 0;
    try {
      recovered = await this.readGap(this.lastTs - BigInt(this.o.overlapMs) * NS_PER_MS, tailStart + SEAM_NS);
    } catch (err) {
      this.o.logger.warn("stream: reading the gap after a tail drop failed", { query: this.o.query, err });
      this.events.state({
        kind: "gap",
        missed: 0,
        message: `Lines written while the upstream tail was down could not be read back (${(err as Error).message}).`,
      });
    }
    const held = this.held ?? [];
    this.held = undefined;
    if (this.handle !== handle) return; // the new tail dropped meanwhile: its own onClose retries
    for (const m of held) this.take(m);
    this.events.state({ kind: "resumed", recovered, downMs: Date.now() - this.downSince });
    this.attempt = 0;
    this.checkpoint = tailStart;
  }

  /** Reads [from, to] back, delivering the lines not seen; returns how many were new. */
  private async readGap(from: bigint, to: bigint): Promise<number> {
    let recovered = 0;
    const { truncated } = await this.reader.read(
      from,
      to,
      this.o.gapMax,
      (streams) => {
        recovered += this.deliver(streams);
      },
      () => this.closed,
    );
    if (truncated) {
      this.events.state({
        kind: "gap",
        missed: -1,
        message: `More than ${this.o.gapMax} lines were missing from the tail; the rest of that stretch was skipped (query it with GET /query).`,
      });
    }
    return recovered;
  }

  /** Reads back [checkpoint - RECHECK, now - SETTLE] and delivers what the tail skipped. */
  private async reconcile(): Promise<void> {
    if (this.closed || this.reconciling || this.held || !this.handle) return;
    this.reconciling = true;
    const to = nowNs() - SETTLE_NS;
    try {
      // Never before the first tail opened: older lines were never this stream's to send.
      const from = this.checkpoint - RECHECK_NS > this.openedAt ? this.checkpoint - RECHECK_NS : this.openedAt;
      const count = await this.readGap(from, to);
      this.checkpoint = to;
      if (count > 0) this.events.state({ kind: "recovered", count });
    } catch (err) {
      this.o.logger.warn("stream: reading back the tail's range failed; retrying at the next check", {
        query: this.o.query,
        err,
      });
    } finally {
      this.reconciling = false;
    }
  }
}
