import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadPatternLibrarySync } from "../../src/patterns/library/index.ts";
import { AlertGate } from "../../src/stream/alerts.ts";
import { newFigures } from "../../src/stream/figures.ts";
import { compileFilter, type StreamLine, streamLine } from "../../src/stream/filter.ts";
import type { Hub } from "../../src/stream/hub.ts";
import { Outbox } from "../../src/stream/outbox.ts";
import type { FilterFields, ServerMessage } from "../../src/stream/protocol.ts";
import { ReplayBuffer } from "../../src/stream/replay.ts";
import { type Outlet, Subscription } from "../../src/stream/subscription.ts";
import type { RawSocket } from "../../src/stream/types.ts";
import { thrown } from "./helpers/thrown.ts";

const library = loadPatternLibrarySync();

/** A hub as a subscription sees it: offsets, a replay buffer, new-template marks. */
function fakeHub(capacity = 1000) {
  const replay = new ReplayBuffer<StreamLine>(capacity);
  let offset = 0;
  const hub = {
    query: '{service_name=~".+"}',
    novel: new Map<number, string>(),
    get lastOffset() {
      return offset;
    },
    after: (o: number) => replay.after(o),
  };
  /** Lines of the shared tail: [service, text] pairs, one batch. */
  const batch = (...items: Array<[string, string]>) =>
    items.map(([service, text]) => {
      const labels = { service_name: service };
      const l = streamLine(++offset, String(1_000_000_000n + BigInt(offset)), text, labels, service, {}, library);
      replay.push(l);
      return l;
    });
  return { hub: hub as unknown as Hub, batch };
}

interface Sent {
  type: string;
  seq?: number;
  labels?: Record<string, string>;
  entries?: Array<{ ts: string; line: string }>;
  kind?: string;
}

function recorder() {
  const sent: Sent[] = [];
  const outlet: Outlet = {
    sendEntries: (data) => sent.push(JSON.parse(data) as Sent),
    send: (m: ServerMessage) => sent.push(m as Sent),
  };
  const lines = () => sent.filter((m) => m.type === "entries").flatMap((m) => m.entries!.map((e) => e.line));
  return { sent, outlet, lines };
}

function subscription(hub: Hub, filters: FilterFields = {}) {
  const sub = new Subscription(
    "s1",
    "t\u0000k",
    filters,
    compileFilter(filters, library),
    hub,
    new AlertGate(60_000, (id) => library.get(id)),
    "service_name",
  );
  return sub;
}

describe("a subscription's entries and sequence numbers", () => {
  it("sends one message per run of one stream's kept lines, seq increasing by one", () => {
    const { hub, batch } = fakeHub();
    const sub = subscription(hub, { contains: ["GET"] });
    const r = recorder();
    sub.outlet = r.outlet;
    sub.deliver(batch(["a", "GET /1"], ["a", "GET /2"], ["b", "GET /3"], ["b", "POST /4"], ["a", "GET /5"]), new Map());
    const entries = r.sent.filter((m) => m.type === "entries");
    expect(entries.map((m) => [m.seq, m.labels?.service_name, m.entries?.map((e) => e.line)])).toEqual([
      [1, "a", ["GET /1", "GET /2"]],
      [2, "b", ["GET /3"]],
      [3, "a", ["GET /5"]],
    ]);
  });

  it("shares the work of one batch between subscriptions with the same filters", () => {
    const { hub, batch } = fakeHub();
    const a = subscription(hub, { contains: ["x"] });
    const b = subscription(hub, { contains: ["x"] });
    const ra = recorder();
    const rb = recorder();
    a.outlet = ra.outlet;
    b.outlet = rb.outlet;
    const memo = new Map<string, unknown>();
    const lines = batch(["a", "x1"], ["a", "y"]);
    a.deliver(lines, memo);
    b.deliver(lines, memo);
    expect(memo.size).toBe(1);
    expect(rb.lines()).toEqual(["x1"]);
  });

  it("resumes from the client's last seq: exactly the lines it missed, numbered on from that seq", () => {
    const { hub, batch } = fakeHub();
    const sub = subscription(hub, { contains: ["keep"] });
    const first = recorder();
    sub.outlet = first.outlet;
    sub.deliver(batch(["a", "keep 1"], ["b", "keep 2"]), new Map()); // seq 1, 2
    sub.deliver(batch(["a", "drop 3"], ["a", "keep 4"]), new Map()); // seq 3
    sub.deliver(batch(["b", "keep 5"]), new Map()); // seq 4
    // The client saw seq 2 only; then its socket went away and lines kept coming.
    sub.outlet = undefined;
    sub.deliver(batch(["a", "keep 6"], ["a", "drop 7"]), new Map());
    const second = recorder();
    sub.outlet = second.outlet;
    const { replayed, missed } = sub.resume(2);
    expect(second.lines()).toEqual(["keep 4", "keep 5", "keep 6"]);
    expect(second.sent.filter((m) => m.type === "entries").map((m) => m.seq)).toEqual([3, 4, 5]);
    expect({ replayed, missed }).toEqual({ replayed: 3, missed: 0 });
    // Live lines go on from there, never repeating one.
    sub.deliver(batch(["a", "keep 8"]), new Map());
    expect(second.lines()).toEqual(["keep 4", "keep 5", "keep 6", "keep 8"]);
    expect(sub.seq).toBe(6);
  });

  it("says how many lines were beyond the replay buffer", () => {
    const { hub, batch } = fakeHub(3);
    const sub = subscription(hub);
    const r = recorder();
    sub.outlet = r.outlet;
    sub.deliver(batch(["a", "1"]), new Map()); // seq 1
    sub.outlet = undefined;
    for (let i = 2; i <= 7; i++) sub.deliver(batch(["a", String(i)]), new Map());
    const again = recorder();
    sub.outlet = again.outlet;
    expect(sub.resume(1)).toEqual({ replayed: 3, missed: 3 });
    expect(again.lines()).toEqual(["5", "6", "7"]);
  });

  it("refuses a seq it never sent, and one older than it remembers", () => {
    const { hub, batch } = fakeHub(100_000);
    const sub = subscription(hub);
    sub.outlet = recorder().outlet;
    sub.deliver(batch(["a", "1"]), new Map());
    expect(thrown(() => sub.resume(5)).code).toBe("seq-ahead");
    for (let i = 0; i < 5000; i++) sub.deliver(batch([i % 2 ? "a" : "b", String(i)]), new Map());
    expect(thrown(() => sub.resume(1)).code).toBe("resume-too-old");
    expect(() => sub.resume(sub.seq - 10)).not.toThrow();
  });

  it("alerts a library pattern hit once per window, and new templates the hub marked", () => {
    const { hub, batch } = fakeHub();
    const sub = subscription(hub);
    const r = recorder();
    sub.outlet = r.outlet;
    const lines = batch(["db", "connect ECONNREFUSED 10.0.0.1:5432"], ["db", "connect ECONNREFUSED 10.0.0.1:5432"]);
    hub.novel.set(lines[1]!.offset, "connect ECONNREFUSED <*>");
    sub.deliver(lines, new Map());
    const alerts = r.sent.filter((m) => m.type === "alert") as Array<Sent & { pattern?: { id: string } }>;
    expect(alerts.map((a) => a.kind)).toEqual(["pattern", "new_template"]);
    expect(alerts[0]?.pattern?.id).toBe("conn-refused");
    const quiet = subscription(hub, { alerts: false });
    const rq = recorder();
    quiet.outlet = rq.outlet;
    quiet.deliver(batch(["db", "connect ECONNREFUSED 10.0.0.2:5432"]), new Map());
    expect(rq.sent.some((m) => m.type === "alert")).toBe(false);
  });
});

describe("a client's outbox (backpressure)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function socket() {
    const s = { readyState: 1, bufferedAmount: 0, sent: [] as string[], closed: false };
    const raw: RawSocket = {
      get readyState() {
        return s.readyState;
      },
      get bufferedAmount() {
        return s.bufferedAmount;
      },
      send: (d: string) => {
        s.sent.push(d);
      },
      close: () => {
        s.closed = true;
      },
      terminate: () => {},
      ping: () => {},
      on: () => raw,
    };
    return { s, raw };
  }

  it("sends at once while the socket keeps up, queues past the high water mark, drops past the queue", () => {
    const { s, raw } = socket();
    const drained: number[] = [];
    const figures = newFigures();
    const box = new Outbox(raw, {
      maxEntries: 10,
      slowMs: 60_000,
      highWaterBytes: 100,
      figures,
      onDrained: (d) => {
        for (const x of d) drained.push(x.missed);
      },
      onSlow: () => {},
    });
    const sub = { missed: 0 };
    box.entries("m1", 5, sub);
    expect(s.sent).toEqual(["m1"]);
    s.bufferedAmount = 1000; // the client stopped reading
    box.entries("m2", 5, sub);
    box.entries("m3", 5, sub);
    box.entries("m4", 5, sub);
    expect(s.sent).toEqual(["m1"]);
    expect(box.pending).toBe(10);
    expect(sub.missed).toBe(5);
    expect(figures.dropped_client).toBe(5);
    s.bufferedAmount = 0; // it reads again
    vi.advanceTimersByTime(30);
    expect(s.sent).toEqual(["m1", "m2", "m3"]);
    expect(drained).toEqual([5]);
    expect(figures.lines_out).toBe(15);
  });

  it("disconnects a client that stays full past the slow threshold", () => {
    const { s, raw } = socket();
    let slow = 0;
    const figures = newFigures();
    const box = new Outbox(raw, {
      maxEntries: 1,
      slowMs: 1000,
      highWaterBytes: 100,
      figures,
      onDrained: () => {},
      onSlow: () => {
        slow++;
      },
    });
    s.bufferedAmount = 1000;
    const sub = { missed: 0 };
    box.entries("a", 1, sub);
    box.entries("b", 1, sub); // dropped: full from now on
    vi.advanceTimersByTime(1500);
    expect(slow).toBe(1);
    expect(figures.slow_disconnects).toBe(1);
    box.entries("c", 1, sub);
    expect(slow).toBe(1); // closed: nothing more
  });
});
