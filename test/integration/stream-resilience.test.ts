import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { type LocalLoki, startLoki } from "../../scripts/lib/local-loki.ts";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import type { LokiClient } from "../../src/loki/client.ts";
import { nowNs } from "../../src/loki/time.ts";
import { openStream, type StreamClient, startTestServer } from "../harness/server.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";

// The stream under the conditions operators meet: two tenants on one server, a client that stops
// reading, and Loki restarting under a live subscription (every line, once, by its sequence number).

type Entries = { seq: number; entries: Array<{ line: string }> };

/** Collects entry lines (checking seq has no gap or repeat) and notice kinds from `c` in the background. */
function gather(c: StreamClient) {
  const lines: string[] = [];
  const notices: string[] = [];
  let last = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const m = await c.next(undefined, 500).catch(() => undefined);
      if (!m) {
        if (c.ws.readyState > 1) return;
        continue;
      }
      if (m.type === "notice") notices.push(m.kind);
      if (m.type !== "entries") continue;
      const e = m as Entries;
      expect(e.seq).toBe(last + 1);
      last = e.seq;
      lines.push(...e.entries.map((x) => x.line));
    }
  })();
  return {
    lines,
    notices,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe("two tenants on one stream server", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stream-tenants-"));
  const file = path.join(dir, "keys.yaml");
  const tenants = [runId("acme"), runId("globex")] as const;
  const keys = [generateKey(), generateKey()] as const;

  it("never shows one tenant's lines to the other, on the same service and selector", async () => {
    await appendKeyEntry(file, { id: "a", sha256: sha256Hex(keys[0]), tenant: tenants[0], scopes: ["stream"] });
    await appendKeyEntry(file, { id: "b", sha256: sha256Hex(keys[1]), tenant: tenants[1], scopes: ["stream"] });
    const server = await startTestServer({ LOKI_URL: services().lokiMtUrl, API_KEYS_FILE: file });
    onTestFinished(() => server.close());
    const clients = await Promise.all(keys.map((k) => openStream(server.wsUrl, { Authorization: `Bearer ${k}` })));
    for (const [i, c] of clients.entries()) {
      expect((await c.next("hello")).tenant).toBe(tenants[i]);
      c.send({ type: "subscribe", id: "same", services: ["checkout"] });
      expect((await c.next("subscribed")).selector).toBe('{service_name="checkout"}');
    }
    expect(server.deps.stream.figures().upstream_tails).toBe(2); // one per tenant, never shared across
    const mt = lokiClient(services().lokiMtUrl);
    const t = nowNs();
    await Promise.all(
      tenants.map((tenant, _i) =>
        mt.withTenant(tenant).push([
          {
            stream: { service_name: "checkout" },
            values: [0, 1, 2].map((j) => [t + BigInt(j), `${tenant} line ${j}`] as [bigint, string]),
          },
        ]),
      ),
    );
    const got = clients.map(gather);
    await eventually(async () => (got.every((g) => g.lines.length >= 3) ? true : undefined), 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await Promise.all(got.map((g) => g.stop()));
    for (const [i, g] of got.entries()) {
      expect(g.lines.sort()).toEqual([0, 1, 2].map((j) => `${tenants[i]} line ${j}`));
    }
    for (const c of clients) c.ws.close();
  });
});

describe("a slow client", () => {
  it("is dropped (4008) while a fast one keeps up and gets every line once", async () => {
    const server = await startTestServer({ STREAM_CLIENT_QUEUE: "300", STREAM_SLOW_CLIENT_MS: "1000" });
    onTestFinished(() => server.close());
    const svc = runId("flood");
    const fast = await openStream(server.wsUrl);
    const slow = await openStream(server.wsUrl);
    for (const c of [fast, slow]) {
      c.send({ type: "subscribe", id: "f", services: [svc] });
      await c.next("subscribed");
    }
    // The slow client stops reading its socket: the server's send buffer for it fills up.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const fastLines = gather(fast);
    const loki = lokiClient();
    const pad = "x".repeat(4_000);
    const total = 4_000;
    for (let b = 0; b < total / 500; b++) {
      const t = nowNs();
      await loki.push([
        {
          stream: { service_name: svc },
          values: Array.from({ length: 500 }, (_, i) => [t + BigInt(i), `n=${b * 500 + i} ${pad}`] as [bigint, string]),
        },
      ]);
    }
    await eventually(async () => (fastLines.lines.length >= total ? true : undefined), 30_000);
    await eventually(async () => (server.deps.stream.figures().slow_disconnects >= 1 ? true : undefined), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await fastLines.stop();
    const ns = fastLines.lines.map((l) => Number(/^n=(\d+)/.exec(l)?.[1]));
    expect(new Set(ns).size).toBe(total);
    expect(ns.length).toBe(total);
    const figures = server.deps.stream.figures();
    expect(figures.dropped_client).toBeGreaterThan(0);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.closed;
    expect([4008, 1006]).toContain(closed.code);
    fast.ws.close();
  });
});

describe("Loki restarted under a live subscription", () => {
  let own: LocalLoki | undefined;
  afterAll(async () => {
    await own?.dispose();
  });

  it("delivers every line pushed before, during and after the restart exactly once", async () => {
    own = await startLoki({ bin: services().lokiBin });
    const server = await startTestServer({ LOKI_URL: own.url });
    onTestFinished(() => server.close());
    const svc = runId("restart");
    const c = await openStream(server.wsUrl);
    c.send({ type: "subscribe", id: "r", services: [svc] });
    await c.next("subscribed");
    const got = gather(c);
    const loki: LokiClient = lokiClient(own.url);
    let n = 0;
    let pushing = true;
    // A service that keeps logging, retrying each line until Loki takes it (as a shipper does).
    const pusher = (async () => {
      while (pushing) {
        try {
          await loki.push([{ stream: { service_name: svc }, values: [[nowNs(), `seq=${n}`]] }]);
          n++;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually(async () => (got.lines.length >= 50 ? true : undefined), 20_000);
    await own.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await own.start();
    const afterRestart = n;
    await eventually(async () => (n >= afterRestart + 100 ? true : undefined), 30_000);
    pushing = false;
    await pusher;
    await eventually(async () => (got.lines.length >= n ? true : undefined), 60_000, 500);
    await new Promise((r) => setTimeout(r, 2_000));
    await got.stop();
    const seqs = got.lines.map((l) => Number(l.slice(4)));
    expect(seqs.length).toBe(n); // none twice
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: n }, (_, i) => i))); // none missing
    expect(got.notices).toContain("upstream_reconnecting");
    expect(got.notices).toContain("upstream_resumed");
    c.ws.close();
  }, 180_000);
});
