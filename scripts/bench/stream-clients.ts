// The stream bench's clients, all in the bench process: stream subscribers (WS /api/v1/ai_logs/stream)
// and one client tailing Loki directly. Each records, for every measured line it receives, the lag
// (receive time − the `sent=` time the line carries) and how often it got that line. The message handler
// does as little as it can before taking the receive time.
import { WebSocket } from "ws";
import { wallMs } from "./stream-env.ts";

/** `sent=<wall ms> n=<line number>`: a measured line; warm-up lines carry `warm=<i>` instead of `n=`. */
const MEASURED = /sent=(\d+(?:\.\d+)?) n=(\d+)/g;
const WARM = /warm=\d+/g;

/** What one client received. */
export class Received {
  readonly lags: number[] = [];
  /** Times each measured line number arrived. */
  readonly counts: Uint16Array;
  warm = 0;
  /** Distinct measured lines received. */
  distinct = 0;

  constructor(total: number) {
    this.counts = new Uint16Array(total);
  }

  take(text: string, at: number): void {
    for (const m of text.matchAll(MEASURED)) {
      const n = Number(m[2]);
      if (n < this.counts.length && this.counts[n]!++ === 0) this.distinct++;
      this.lags.push(at - Number(m[1]));
    }
    this.warm += text.match(WARM)?.length ?? 0;
  }

  /** Lines received exactly once, never, and more than once. */
  tally(): { once: number; missing: number; repeated: number } {
    let once = 0;
    let missing = 0;
    let repeated = 0;
    for (const c of this.counts) {
      if (c === 1) once++;
      else if (c === 0) missing++;
      else repeated++;
    }
    return { once, missing, repeated };
  }
}

const WS_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true } as const;

function opened(ws: WebSocket, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not open within ${timeoutMs} ms`)), timeoutMs);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`${what}: upgrade refused with ${res.statusCode}`));
      res.resume();
    });
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${err.message}`));
    });
  });
}

/** One subscriber of the live stream: hello → subscribe → subscribed, then entries. */
export class Subscriber {
  readonly got: Received;
  /** Counts of the other messages it received, by type (and notice kind). */
  readonly others = new Map<string, number>();
  selector = "";
  private readonly ws: WebSocket;
  private waiters: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = [];

  constructor(url: string, total: number) {
    this.got = new Received(total);
    this.ws = new WebSocket(url, WS_OPTIONS);
    this.ws.on("message", (data: Buffer) => {
      const at = wallMs();
      const text = data.toString();
      if (text.startsWith('{"type":"entries"')) {
        this.got.take(text, at);
        return;
      }
      const msg = JSON.parse(text) as Record<string, unknown>;
      const key = msg["type"] === "notice" ? `notice:${msg["kind"]}` : String(msg["type"]);
      this.others.set(key, (this.others.get(key) ?? 0) + 1);
      const waiter = this.waiters.find((w) => w.type === msg["type"]);
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(msg);
      }
    });
  }

  /** Opens the socket and subscribes to `service`; resolves with the `subscribed` message. */
  async subscribe(service: string, timeoutMs = 30_000): Promise<void> {
    const hello = this.next("hello", timeoutMs);
    await opened(this.ws, "subscriber", timeoutMs);
    await hello;
    const subscribed = this.next("subscribed", timeoutMs);
    const error = this.next("error", timeoutMs);
    this.ws.send(JSON.stringify({ type: "subscribe", id: "s1", services: [service] }));
    const answer = await Promise.race([subscribed, error]);
    if (answer["type"] === "error") throw new Error(`subscribe refused: ${JSON.stringify(answer)}`);
    this.selector = String(answer["selector"]);
  }

  async unsubscribe(timeoutMs = 30_000): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const done = this.next("unsubscribed", timeoutMs);
    this.ws.send(JSON.stringify({ type: "unsubscribe", id: "s1" }));
    await done;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  private next(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscriber: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

/** One client tailing Loki directly (`/loki/api/v1/tail`, live from now). */
export class DirectTail {
  readonly got: Received;
  /** Lines Loki reported as dropped from this tail (`dropped_entries`). */
  dropped = 0;
  private readonly ws: WebSocket;

  constructor(lokiUrl: string, query: string, total: number) {
    this.got = new Received(total);
    const params = new URLSearchParams({ query, start: `${BigInt(Date.now()) * 1_000_000n}`, limit: "5000" });
    this.ws = new WebSocket(`${lokiUrl.replace(/^http/, "ws")}/loki/api/v1/tail?${params}`, WS_OPTIONS);
    this.ws.on("message", (data: Buffer) => {
      const at = wallMs();
      const text = data.toString();
      this.got.take(text, at);
      if (!text.includes('"dropped_entries":null') && text.includes('"dropped_entries"')) {
        const body = JSON.parse(text) as { dropped_entries?: unknown[] | null };
        this.dropped += body.dropped_entries?.length ?? 0;
      }
    });
  }

  start(timeoutMs = 15_000): Promise<void> {
    return opened(this.ws, "direct Loki tail", timeoutMs);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
