import { LRUCache } from "lru-cache";
import type { Logger } from "../log.ts";
import { type LineParts, minedText } from "../patterns/message.ts";
import type { TemplateMiner } from "../patterns/miner/index.ts";

/**
 * "A template new for this service": each (tenant, service) watched live gets
 * a miner that starts from what the learned store knows of the service (the
 * templates /patterns learned from its warn/error lines; a copy, so the
 * stream never teaches the store twice), and a problem line whose template
 * makes a new cluster is new. A service with no history learns silently for
 * `warmupMs` first, so a fresh subscription is not a storm of "new" alerts.
 */

/** Where the seed of a service's miner comes from (the learned store in production). */
export type SeedMiner = (service: string) => Promise<{ miner: TemplateMiner; known: number }>;

interface Watch {
  miner: TemplateMiner;
  known: Set<number>;
  /** ms since epoch before which new templates are learned but not reported. */
  quietUntil: number;
}

const MAX_KNOWN = 20_000;

export class Novelty {
  private readonly watches = new LRUCache<string, Watch | "loading">({ max: 500 });

  constructor(
    private readonly seed: SeedMiner,
    private readonly warmupMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The new template of this problem line, or undefined when the service has shown it (or is still loading). */
  check(service: string, parts: LineParts): string | undefined {
    const w = this.watches.get(service);
    if (w === undefined) {
      this.load(service);
      return undefined;
    }
    if (w === "loading") return undefined;
    const text = minedText(parts).text;
    if (text === "") return undefined;
    const id = w.miner.train(text);
    if (w.known.has(id)) return undefined;
    if (w.known.size >= MAX_KNOWN) w.known.clear();
    w.known.add(id);
    if (this.now() < w.quietUntil) return undefined;
    return w.miner.templateOf(id);
  }

  private load(service: string): void {
    this.watches.set(service, "loading");
    this.seed(service).then(
      ({ miner, known }) => {
        const ids = new Set(miner.clusters().map((c) => c.id));
        this.watches.set(service, { miner, known: ids, quietUntil: known > 0 ? 0 : this.now() + this.warmupMs });
      },
      (err: unknown) => {
        this.logger.warn("stream: could not load a service's templates; new-template alerts wait", { service, err });
        this.watches.delete(service);
      },
    );
  }
}
