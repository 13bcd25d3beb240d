import type { Figures } from "./figures.ts";
import type { RawSocket } from "./types.ts";

/**
 * What one client socket has still to receive, bounded. Messages go straight
 * to the socket while its send buffer (`bufferedAmount`) is below the high
 * water mark; past it they wait here, up to `maxEntries` lines; past that,
 * entries are dropped and counted on their subscription (a `dropped` notice
 * tells the client once it drains). A client that stays full for `slowMs` is
 * disconnected (4008): a slow reader never slows the hub or another client.
 */

export interface Dropper {
  missed: number;
}

export interface OutboxOptions {
  maxEntries: number;
  slowMs: number;
  highWaterBytes: number;
  figures: Figures;
  /** Called when the socket drained after drops: tell the subscriptions what they missed. */
  onDrained(droppers: Set<Dropper>): void;
  onSlow(): void;
}

/** Control messages (notices, alerts, errors) waiting beyond this mean the client is not reading at all. */
const MAX_CONTROL = 1000;
const FLUSH_EVERY_MS = 25;

export class Outbox {
  private readonly queue: Array<{ data: string; entries: number }> = [];
  private queuedEntries = 0;
  private control = 0;
  private fullSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly droppers = new Set<Dropper>();
  private closed = false;

  constructor(
    private readonly socket: RawSocket,
    private readonly o: OutboxOptions,
  ) {}

  /** An entries message of `count` lines; dropped (counted on `from`) when the queue is full. */
  entries(data: string, count: number, from: Dropper): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.socket.bufferedAmount < this.o.highWaterBytes) {
      this.write(data, count);
      return;
    }
    if (this.queuedEntries + count > this.o.maxEntries) {
      from.missed += count;
      this.droppers.add(from);
      this.o.figures.dropped_client += count;
      this.fullSince ??= Date.now();
      if (Date.now() - this.fullSince > this.o.slowMs) this.slow();
      this.schedule();
      return;
    }
    this.queue.push({ data, entries: count });
    this.queuedEntries += count;
    this.schedule();
  }

  /** A control message: never dropped, but a client that lets a thousand of them pile up is disconnected. */
  send(data: string): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.socket.bufferedAmount < this.o.highWaterBytes) {
      this.write(data, 0);
      return;
    }
    if (++this.control > MAX_CONTROL) {
      this.slow();
      return;
    }
    this.queue.push({ data, entries: 0 });
    this.schedule();
  }

  get pending(): number {
    return this.queuedEntries;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private write(data: string, entries: number): void {
    if (this.socket.readyState !== 1) return;
    this.socket.send(data);
    this.o.figures.lines_out += entries;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref?.();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed) return;
    while (this.queue.length > 0 && this.socket.bufferedAmount < this.o.highWaterBytes) {
      const next = this.queue.shift()!;
      if (next.entries === 0) this.control--;
      this.queuedEntries -= next.entries;
      this.write(next.data, next.entries);
    }
    if (this.queue.length === 0 && this.socket.bufferedAmount < this.o.highWaterBytes) {
      this.fullSince = undefined;
      if (this.droppers.size > 0) {
        const droppers = new Set(this.droppers);
        this.droppers.clear();
        this.o.onDrained(droppers);
      }
      return;
    }
    if (this.fullSince !== undefined && Date.now() - this.fullSince > this.o.slowMs) {
      this.slow();
      return;
    }
    this.schedule();
  }

  private slow(): void {
    if (this.closed) return;
    this.o.figures.slow_disconnects++;
    this.close();
    this.o.onSlow();
  }
}
