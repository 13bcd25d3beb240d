import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/log.ts";
import { newFigures } from "../../src/stream/figures.ts";
import { DEFAULT_STREAM_LIMITS } from "../../src/stream/limits.ts";
import { Session, type Subscriptions } from "../../src/stream/session.ts";
import type { RawSocket } from "../../src/stream/types.ts";

// A session's own duties, with a plain socket: heartbeats that find dead peers, and parking its
// subscriptions when the socket goes, so a resume can find them.

function socket() {
  const state = { sent: [] as string[], pings: 0, terminated: false, pong: () => {} };
  const raw: RawSocket = {
    readyState: 1,
    bufferedAmount: 0,
    send: (d: string) => {
      state.sent.push(d);
    },
    close: () => {},
    terminate: () => {
      state.terminated = true;
    },
    ping: () => {
      state.pings++;
    },
    on: (_event, listener) => {
      state.pong = listener;
      return raw;
    },
  };
  return { raw, state };
}

const work = (parked: unknown[][]): Subscriptions => ({
  subscribe: async () => {
    throw new Error("not used");
  },
  update: async () => {},
  unsubscribe: () => {},
  claim: () => undefined,
  park: (subs) => {
    parked.push([...subs]);
  },
});

describe("a stream session", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("says hello, pings on each beat, and drops a peer that stopped answering pongs", () => {
    const { raw, state } = socket();
    const parked: unknown[][] = [];
    const limits = { ...DEFAULT_STREAM_LIMITS, heartbeatMs: 1000 };
    new Session(raw, { keyId: "k", tenant: "t", scopes: ["stream"] }, limits, work(parked), newFigures(), silentLogger);
    expect(JSON.parse(state.sent[0]!)).toMatchObject({ type: "hello", protocol: 1, tenant: "t" });
    vi.advanceTimersByTime(1000);
    expect(state.pings).toBe(1);
    state.pong(); // alive
    vi.advanceTimersByTime(1000);
    expect(state.pings).toBe(2);
    expect(state.terminated).toBe(false);
    vi.advanceTimersByTime(1000); // no pong since the last ping
    expect(state.terminated).toBe(true);
    expect(parked).toHaveLength(1); // its subscriptions wait for a resume
  });

  it("answers pings in order and refuses a flood with one rate-limited error", async () => {
    const { raw, state } = socket();
    const limits = { ...DEFAULT_STREAM_LIMITS, messagesPerSecond: 1 };
    const s = new Session(
      raw,
      { keyId: "k", tenant: undefined, scopes: ["stream"] },
      limits,
      work([]),
      newFigures(),
      silentLogger,
    );
    for (let i = 0; i < 15; i++) s.onMessage('{"type":"ping"}');
    await vi.runAllTimersAsync();
    const types = state.sent.map((m) => JSON.parse(m) as { type: string; code?: string });
    expect(types.filter((m) => m.type === "pong")).toHaveLength(10);
    expect(types.filter((m) => m.code === "rate-limited")).toHaveLength(1);
    s.onClose();
  });
});
