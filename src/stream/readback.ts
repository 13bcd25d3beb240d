import type { LokiClient } from "../loki/client.ts";
import type { LokiStream } from "../loki/schemas.ts";
import { linesPerPage } from "../query/pages.ts";

/**
 * Reads a tail's range back from Loki (forward, paged) for lines the tail did
 * not deliver: the gap while it was down, or what it skipped under a burst.
 * Pages are sized in bytes: Loki's query path carries a page in one gRPC
 * message (4 MB by default), and a 5,000-line page of 4 KB lines exceeds it
 * and never answers. So a page holds about 2 MB (pages.ts linesPerPage) by the mean line length
 * the tail has shown, and a failed read halves it.
 */

const MAX_PAGE = 5000;
const MIN_PAGE = 20;
/** A page that takes longer has most likely hit that limit: it is retried smaller. */
const READ_TIMEOUT_MS = 5_000;

export interface ReadBackResult {
  /** Lines the range held (new or not). */
  read: number;
  /** True when `max` lines were read before `to`: the rest of the range was not. */
  truncated: boolean;
}

export class RangeReader {
  /** Mean line length (bytes, moving average over the lines seen). */
  private meanLine = 256;
  /** Lowered after a failed read. */
  private pageCap = MAX_PAGE;

  constructor(
    private readonly loki: LokiClient,
    private readonly query: string,
  ) {}

  /** Tells the reader how long lines are (from the live tail). */
  saw(line: string): void {
    this.meanLine += (line.length - this.meanLine) / 100;
  }

  /**
   * Reads [from, to] forward and hands each page (oldest first, one line per stream entry) to `deliver`,
   * up to `max` lines; stops early when `stopped()` says so. Throws what Loki threw.
   */
  async read(
    from: bigint,
    to: bigint,
    max: number,
    deliver: (streams: LokiStream[]) => void,
    stopped: () => boolean,
  ): Promise<ReadBackResult> {
    let start = from;
    let read = 0;
    while (!stopped() && start <= to) {
      const page = this.pageSize();
      // Stream labels apart from metadata (categorized): what the live tail sends as a line's labels.
      const data = await this.loki
        .queryRange(
          { query: this.query, start, end: to + 1n, limit: page, direction: "forward" },
          { signal: AbortSignal.timeout(READ_TIMEOUT_MS) },
        )
        .catch((err: unknown) => {
          this.pageCap = Math.max(MIN_PAGE, Math.floor(page / 2));
          throw err;
        });
      if (data.resultType !== "streams") break;
      const streams = sortedForward(data.result);
      deliver(streams);
      read += streams.length;
      if (streams.length < page) break;
      const last = maxTs(streams);
      // A page full of one timestamp cannot move on by time: step past it.
      start = last > start ? last : last + 1n;
      if (read >= max) return { read, truncated: true };
    }
    return { read, truncated: false };
  }

  private pageSize(): number {
    return linesPerPage(this.meanLine, this.pageCap, MIN_PAGE);
  }
}

/** Every entry as its own one-line stream, oldest first (Loki's forward pages are per stream). */
export function sortedForward(streams: LokiStream[]): LokiStream[] {
  const flat = streams.flatMap((s) => s.values.map((v) => ({ stream: s.stream, v, t: BigInt(v[0]) })));
  flat.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return flat.map((x) => ({ stream: x.stream, values: [x.v] }));
}

function maxTs(streams: LokiStream[]): bigint {
  let max = 0n;
  for (const s of streams) for (const [ts] of s.values) if (BigInt(ts) > max) max = BigInt(ts);
  return max;
}
