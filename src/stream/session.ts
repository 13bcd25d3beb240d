import { DomainError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Figures } from "./figures.ts";
import type { StreamLimits } from "./limits.ts";
import { errorOf, inUse, parse, tooMany, unknownSubscription } from "./messages.ts";
import { Outbox } from "./outbox.ts";
import { type ClientMessage, type FilterFields, type ServerMessage, STREAM_PROTOCOL_VERSION } from "./protocol.ts";
import type { Subscription } from "./subscription.ts";
import type { RawSocket, StreamCaller, StreamConnection } from "./types.ts";

/**
 * One client socket: its messages in order, its subscriptions, its outbox
 * and its heartbeat. Every bad message gets an `error` message naming what to
 * change; the socket stays open. The subscription work (filters, hubs,
 * resume) is the service's: see `Subscriptions` in service.ts.
 */

export interface Subscriptions {
  subscribe(session: Session, id: string, filters: FilterFields): Promise<Subscription>;
  update(session: Session, sub: Subscription, filters: FilterFields): Promise<void>;
  unsubscribe(sub: Subscription): void;
  /** The caller's subscription `id` from another socket (or kept after its socket closed), or undefined. */
  claim(session: Session, id: string): Subscription | undefined;
  /** The socket closed: keep its subscriptions for a resume during the grace period. */
  park(subs: Iterable<Subscription>): void;
}

export class Session implements StreamConnection {
  readonly subs = new Map<string, Subscription>();
  readonly outbox: Outbox;
  private chain: Promise<void> = Promise.resolve();
  private alive = true;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private windowStart = Date.now();
  private windowCount = 0;

  constructor(
    readonly socket: RawSocket,
    readonly caller: StreamCaller,
    private readonly limits: StreamLimits,
    private readonly work: Subscriptions,
    figures: Figures,
    private readonly logger: Logger,
  ) {
    this.outbox = new Outbox(socket, {
      maxEntries: limits.queueEntries,
      slowMs: limits.slowClientMs,
      highWaterBytes: limits.highWaterBytes,
      figures,
      onDrained: (droppers) => {
        for (const d of droppers as Set<Subscription>) {
          const count = d.missed;
          d.missed = 0;
          this.send({
            type: "notice",
            id: d.id,
            kind: "dropped",
            count,
            message: `${count} line(s) were not sent: this client read more slowly than they came. Resume from your last seq to get them from the replay buffer.`,
          });
        }
      },
      onSlow: () => {
        this.logger.warn("stream: disconnecting a slow client", { keyId: caller.keyId });
        // Past the queue: the notice goes out with the close frame, for a client that reads again before it.
        const notice: ServerMessage = {
          type: "notice",
          kind: "slow_client",
          message: `This client did not read its messages for ${limits.slowClientMs / 1000} s with its queue full; disconnecting. Reconnect and resume from your last seq.`,
        };
        if (socket.readyState === 1) socket.send(JSON.stringify(notice));
        this.socket.close(4008, "too slow: the client did not read its messages");
        setTimeout(() => this.socket.terminate(), 1000).unref?.();
      },
    });
    socket.on("pong", () => {
      this.alive = true;
    });
    this.heartbeat = setInterval(() => this.beat(), limits.heartbeatMs);
    this.heartbeat.unref?.();
    this.send({
      type: "hello",
      protocol: STREAM_PROTOCOL_VERSION,
      tenant: caller.tenant ?? null,
      limits: {
        max_subscriptions: limits.maxSubscriptions,
        replay_entries: limits.replayEntries,
        resume_grace_s: limits.resumeGraceMs / 1000,
        queue_entries: limits.queueEntries,
      },
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get owner(): string {
    return `${this.caller.tenant ?? ""}\u0000${this.caller.keyId}`;
  }

  send(message: ServerMessage): void {
    this.outbox.send(JSON.stringify(message));
  }

  sendEntries(data: string, count: number, sub: Subscription): void {
    this.outbox.entries(data, count, sub);
  }

  onMessage(text: string | undefined): void {
    if (this.closed) return;
    if (!this.withinRate()) return;
    this.chain = this.chain.then(() => this.handle(text)).catch((err: unknown) => this.fail(err, undefined));
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.outbox.close();
    this.work.park(this.subs.values());
    this.subs.clear();
  }

  private async handle(text: string | undefined): Promise<void> {
    if (this.closed) return;
    const message = parse(text);
    if ("error" in message) {
      this.send(message.error);
      return;
    }
    const m = message.ok;
    const id = "id" in m ? m.id : undefined;
    try {
      await this.dispatch(m);
    } catch (err) {
      this.fail(err, id);
    }
  }

  private async dispatch(m: ClientMessage): Promise<void> {
    switch (m.type) {
      case "ping":
        this.send({ type: "pong", time: new Date().toISOString() });
        return;
      case "subscribe": {
        const { type: _t, v: _v, id, ...filters } = m;
        if (this.subs.has(id)) throw inUse(id);
        if (this.subs.size >= this.limits.maxSubscriptions) throw tooMany(this.limits.maxSubscriptions);
        await this.work.subscribe(this, id, filters);
        return;
      }
      case "update": {
        const { type: _t, v: _v, id, ...filters } = m;
        await this.work.update(this, this.own(id), filters);
        return;
      }
      case "unsubscribe":
        this.work.unsubscribe(this.own(m.id));
        this.subs.delete(m.id);
        this.send({ type: "unsubscribed", id: m.id });
        return;
      case "resume": {
        const sub = this.subs.get(m.id) ?? this.work.claim(this, m.id);
        if (!sub) throw unknownSubscription(m.id, true);
        const { replayed, missed } = sub.resume(m.seq);
        if (missed > 0) {
          this.send({
            type: "notice",
            id: m.id,
            kind: "replay_gap",
            count: missed,
            message: `${missed} line(s) of the shared tail (before your filters) came after seq ${m.seq} but are no longer in the replay buffer; query that time with GET /query.`,
          });
        }
        this.send({
          type: "subscribed",
          id: m.id,
          protocol: STREAM_PROTOCOL_VERSION,
          seq: sub.seq,
          selector: sub.hub.query,
          resumed: true,
          replayed,
          hints: [],
        });
        return;
      }
    }
  }

  private own(id: string): Subscription {
    const sub = this.subs.get(id);
    if (!sub) throw unknownSubscription(id, false);
    return sub;
  }

  private fail(err: unknown, id: string | undefined): void {
    if (err instanceof DomainError) {
      this.send(errorOf(err, id));
      return;
    }
    this.logger.error("stream: message failed", { err });
    this.send({
      type: "error",
      ...(id ? { id } : {}),
      code: "internal",
      title: "Internal error",
      detail: "The server failed on this message.",
      hint: "Retry; if it persists, report it with the time of the failure.",
    });
  }

  /** At most `messagesPerSecond` (× 10 s) client messages; beyond, an error and the message is ignored. */
  private withinRate(): boolean {
    const now = Date.now();
    if (now - this.windowStart > 10_000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    if (this.windowCount <= this.limits.messagesPerSecond * 10) return true;
    if (this.windowCount === this.limits.messagesPerSecond * 10 + 1) {
      this.send({
        type: "error",
        code: "rate-limited",
        title: "Too many messages",
        detail: `More than ${this.limits.messagesPerSecond * 10} messages within 10 s; the rest of this window is ignored.`,
        hint: "Change filters with one update message instead of many; send pings at most every few seconds.",
      });
    }
    return false;
  }

  private beat(): void {
    if (!this.alive) {
      this.logger.info("stream: no pong from a client; closing its socket", { keyId: this.caller.keyId });
      this.socket.terminate();
      this.onClose();
      return;
    }
    this.alive = false;
    try {
      this.socket.ping();
    } catch {
      // a socket closing under us: its close event ends the session
    }
  }
}
