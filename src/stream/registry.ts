import type { LokiClient } from "../loki/client.ts";
import { StreamError } from "./errors.ts";
import { Hub, type HubListener, type HubOptions } from "./hub.ts";

/**
 * The hubs of this process, one per (tenant, upstream query). A tenant holds
 * at most `maxTailsPerTenant` upstream tails (Loki's max_concurrent_tail_requests
 * is 10 by default): past it a new query is refused at once, never queued.
 * A hub closes when its last listener leaves.
 */

export type HubDefaults = Omit<HubOptions, "loki" | "query" | "serviceLabel" | "novelty">;

export class HubRegistry {
  private readonly hubs = new Map<string, Hub>();
  private readonly opening = new Map<string, Promise<Hub>>();

  constructor(
    private readonly maxTailsPerTenant: number,
    private readonly defaults: HubDefaults,
    private readonly noveltyOf: (tenant: string | undefined) => HubOptions["novelty"],
  ) {}

  get size(): number {
    return this.hubs.size;
  }

  all(): IterableIterator<Hub> {
    return this.hubs.values();
  }

  /**
   * The hub of (tenant, query), opened when new, with `make(hub)`'s listener attached in the same
   * step (so the hub cannot close between opening and attaching). Throws StreamError when the
   * tenant's tails are all in use or Loki refuses the tail.
   */
  async attach<L extends HubListener>(
    loki: LokiClient,
    query: string,
    serviceLabel: string,
    make: (hub: Hub) => L,
  ): Promise<L> {
    const key = `${loki.tenant ?? ""}\u0000${query}`;
    const hub = this.hubs.get(key) ?? (await (this.opening.get(key) ?? this.open(key, loki, query, serviceLabel)));
    const listener = make(hub);
    hub.listeners.add(listener);
    return listener;
  }

  /** Removes a listener; the hub's tail closes when it was the last. */
  detach(hub: Hub, listener: HubListener): void {
    hub.listeners.delete(listener);
    if (hub.listeners.size > 0) return;
    for (const [key, h] of this.hubs) {
      if (h === hub) {
        this.hubs.delete(key);
        hub.close();
      }
    }
  }

  tailsOf(tenant: string | undefined): number {
    const prefix = `${tenant ?? ""}\u0000`;
    let n = 0;
    for (const key of [...this.hubs.keys(), ...this.opening.keys()]) if (key.startsWith(prefix)) n++;
    return n;
  }

  closeAll(): void {
    for (const hub of this.hubs.values()) hub.close();
    this.hubs.clear();
  }

  private open(key: string, loki: LokiClient, query: string, serviceLabel: string): Promise<Hub> {
    if (this.tailsOf(loki.tenant) >= this.maxTailsPerTenant) {
      throw new StreamError(
        "refused",
        "too-many-tails",
        "Too many live tails",
        `This tenant already has ${this.maxTailsPerTenant} distinct live tails open (Loki's limit of concurrent tails); a new selector needs one more.`,
        "Reuse a selector another subscription already uses (same services or LogQL selector, other filters in process), unsubscribe one, or raise STREAM_MAX_TAILS_PER_TENANT with Loki's max_concurrent_tail_requests.",
      );
    }
    const hub = new Hub(loki.tenant, {
      ...this.defaults,
      loki,
      query,
      serviceLabel,
      novelty: this.noveltyOf(loki.tenant),
    });
    const opened = hub.open().then(
      () => {
        this.hubs.set(key, hub);
        return hub;
      },
      (err: unknown) => {
        hub.close();
        throw err;
      },
    );
    this.opening.set(key, opened);
    const forget = () => this.opening.delete(key);
    opened.then(forget, forget);
    return opened;
  }
}
