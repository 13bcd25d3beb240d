import { describe, expect, it } from "vitest";
import { findMentions, likelyOrigin, OriginEvidence, type ProblemLine } from "../../src/correlate/origin.ts";

const KNOWN = ["gateway", "auth", "checkout", "inventory", "inventory-db", "payments", "ledger", "notifications"];
const MEDIA = ["edge", "catalog", "search", "playback", "drm", "keystore", "cdn-router"];
const T0 = Date.UTC(2026, 10, 24, 14, 0, 0);

/** A problem line with mentions filled the way the service fills them. */
function line(
  service: string,
  ts: number,
  level: string,
  message: string,
  o: { traceId?: string; fields?: Record<string, unknown> } = {},
): ProblemLine {
  return {
    service,
    ts,
    level,
    message,
    traceId: o.traceId,
    mentions: findMentions(service, message, o.fields ?? {}, KNOWN),
  };
}

describe("findMentions", () => {
  it("reads callee fields", () => {
    expect(findMentions("checkout", "call failed", { upstream: "inventory" }, KNOWN)).toEqual(["inventory"]);
    expect(findMentions("checkout", "call failed", { downstream: "payments" }, KNOWN)).toEqual(["payments"]);
    expect(findMentions("checkout", "x", { "peer.service": "ledger" }, KNOWN)).toEqual(["ledger"]);
    expect(findMentions("checkout", "x", { peer_service: "ledger", backend: "auth" }, KNOWN).sort()).toEqual([
      "auth",
      "ledger",
    ]);
  });

  it("takes the last path segment of a callee field", () => {
    expect(findMentions("inventory", "x", { upstream: "shop/inventory-db" }, KNOWN)).toEqual(["inventory-db"]);
  });

  it("ignores unknown names, non-strings and self in callee fields", () => {
    expect(findMentions("checkout", "x", { upstream: "mystery" }, KNOWN)).toEqual([]);
    expect(findMentions("checkout", "x", { upstream: 42 }, KNOWN)).toEqual([]);
    expect(findMentions("checkout", "x", { upstream: "checkout" }, KNOWN)).toEqual([]);
  });

  it("ignores fields that are not callee fields", () => {
    expect(findMentions("checkout", "timeout", { caller: "gateway", service: "auth", op: "x" }, KNOWN)).toEqual([]);
  });

  it("finds whole-word mentions in the message, case-insensitively", () => {
    expect(findMentions("checkout", "call to inventory failed: timeout", {}, KNOWN)).toEqual(["inventory"]);
    expect(findMentions("checkout", "Call to Payments failed", {}, KNOWN)).toEqual(["payments"]);
    expect(findMentions("gateway", "auth: 503, checkout: ok", {}, KNOWN).sort()).toEqual(["auth", "checkout"]);
    expect(findMentions("gateway", "(ledger)", {}, KNOWN)).toEqual(["ledger"]);
  });

  it("does not find names inside other words", () => {
    expect(findMentions("x", "inventorying stock", {}, KNOWN)).toEqual([]);
    expect(findMentions("x", "authentication failed", {}, KNOWN)).toEqual([]);
    expect(findMentions("x", "reauth required", {}, KNOWN)).toEqual([]);
    expect(findMentions("x", "payments_v2 down", {}, KNOWN)).toEqual([]);
  });

  it("tells hyphenated names apart", () => {
    expect(findMentions("inventory", "call to inventory-db failed", {}, KNOWN)).toEqual(["inventory-db"]);
    expect(findMentions("checkout", "call to inventory-db failed", {}, KNOWN)).toEqual(["inventory-db"]);
    expect(findMentions("checkout", "call to inventory failed", {}, KNOWN)).toEqual(["inventory"]);
    expect(findMentions("checkout", "inventory-db slow, inventory failing", {}, KNOWN).sort()).toEqual([
      "inventory",
      "inventory-db",
    ]);
    expect(findMentions("playback", "call to cdn-router failed", {}, MEDIA)).toEqual(["cdn-router"]);
  });

  it("a name in a caller position is not a callee", () => {
    expect(findMentions("keystore", "key fetch failed caller=drm", {}, MEDIA)).toEqual([]);
    expect(findMentions("catalog", "request from=edge failed", {}, MEDIA)).toEqual([]);
    expect(findMentions("catalog", 'rejected client: "edge"', {}, MEDIA)).toEqual([]);
    expect(findMentions("search", "called_by=catalog source=shop/edge timeout", {}, MEDIA)).toEqual([]);
    expect(findMentions("drm", "parent_service = playback deadline exceeded", {}, MEDIA)).toEqual([]);
  });

  it("still finds a callee next to a caller", () => {
    expect(findMentions("playback", "caller=edge call to drm failed", {}, MEDIA)).toEqual(["drm"]);
    expect(findMentions("playback", "from=edge call to edge failed", {}, MEDIA)).toEqual(["edge"]);
  });

  it("never mentions itself", () => {
    expect(findMentions("inventory", "inventory overloaded", {}, KNOWN)).toEqual([]);
    expect(findMentions("inventory-db", "inventory-db: no space left", {}, KNOWN)).toEqual([]);
  });

  it("lists each name once", () => {
    expect(
      findMentions("checkout", "call to inventory failed; inventory unreachable", { upstream: "inventory" }, KNOWN),
    ).toEqual(["inventory"]);
  });

  it("skips one-character names", () => {
    expect(findMentions("x", "a failed", {}, ["a", "b"])).toEqual([]);
  });
});

describe("likelyOrigin", () => {
  it("is undefined without problem lines", () => {
    expect(likelyOrigin([])).toBeUndefined();
    expect(likelyOrigin([], { start: T0, end: T0 + 1000 })).toBeUndefined();
  });

  it("follows a chain to the quiet root that logs late (gateway → checkout → inventory → inventory-db)", () => {
    const lines: ProblemLine[] = [];
    for (let i = 0; i < 20; i++) {
      const t = T0 + i * 1000;
      const traceId = `trace-${i}`;
      lines.push(
        line("inventory", t + 3001, "error", "call to inventory-db failed: timeout after 3000ms", {
          traceId,
          fields: { upstream: "inventory-db" },
        }),
        line("checkout", t + 3002, "error", "call to inventory failed: upstream error", {
          traceId,
          fields: { upstream: "inventory" },
        }),
        line("gateway", t + 3003, "error", "call to checkout failed: upstream error", {
          traceId,
          fields: { upstream: "checkout" },
        }),
        line("gateway", t + 3005, "error", "request failed with status 502", { traceId }),
      );
      // The root cause: fewer lines, warn level, after its callers failed.
      if (i % 2 === 0) {
        lines.push(line("inventory-db", t + 3040, "warn", "connection pool exhausted: waited 3000ms", { traceId }));
      }
    }
    const o = likelyOrigin(lines)!;
    expect(o.service).toBe("inventory-db");
    expect(o.confidence).toBeGreaterThan(0.5);
    expect(o.confidence).toBeLessThanOrEqual(1);
    expect(o.reason).toContain("inventory-db is where the failure chain ends");
    expect(o.reason).toContain("inventory");
    expect(o.evidence[0]).toBe(
      'inventory: 20 problem line(s) name inventory-db, e.g. "call to inventory-db failed: timeout after 3000ms"',
    );
    expect(o.evidence.some((e) => e.startsWith("inventory-db: 10 own problem line(s) (10 warn)"))).toBe(true);
    expect(o.evidence.some((e) => e.includes(new Date(T0 + 3040).toISOString()))).toBe(true);
    expect(o.evidence).toContain("inventory-db is the deepest failing service in 20 of 20 failing trace(s)");
    // callers are not the origin
    for (const alt of o.alternatives) expect(["gateway", "checkout", "inventory"]).not.toContain(alt.service);
  });

  it("finds the same root without trace ids, from the mention graph", () => {
    const lines: ProblemLine[] = [];
    for (let i = 0; i < 10; i++) {
      const t = T0 + i * 1000;
      lines.push(
        line("inventory", t + 1, "error", "call to inventory-db failed: timeout"),
        line("checkout", t + 2, "error", "call to inventory failed: upstream error"),
        line("gateway", t + 3, "error", "call to checkout failed: upstream error"),
      );
    }
    lines.push(line("inventory-db", T0 + 5000, "warn", "connection pool exhausted"));
    const o = likelyOrigin(lines)!;
    expect(o.service).toBe("inventory-db");
    expect(o.evidence[0]).toContain("inventory: 10 problem line(s) name inventory-db");
  });

  it("names a silent root that its callers blame (payments logs nothing)", () => {
    const lines: ProblemLine[] = [];
    for (let i = 0; i < 12; i++) {
      const t = T0 + i * 2000;
      const traceId = `t${i}`;
      lines.push(
        line("checkout", t + 1, "error", "call to payments failed: connection refused", {
          traceId,
          fields: { upstream: "payments" },
        }),
        line("gateway", t + 2, "error", "call to checkout failed: upstream error", {
          traceId,
          fields: { upstream: "checkout" },
        }),
      );
    }
    const o = likelyOrigin(lines)!;
    expect(o.service).toBe("payments");
    expect(o.evidence).toContain(
      "payments logged no problem of its own in the range: its callers' failures are the only trace of it",
    );
    expect(o.evidence[0]).toContain("checkout: 12 problem line(s) name payments");
    expect(o.reason).toContain("its callers (checkout)");
  });

  it("is not fooled by a louder steady error in an unrelated service", () => {
    const lines: ProblemLine[] = [];
    // notifications: an error every 5 s over the whole hour, far more lines than the incident
    for (let t = T0; t < T0 + 3_600_000; t += 5000) {
      lines.push(line("notifications", t, "error", "failed to render email template: missing locale fr-CA"));
    }
    for (let i = 0; i < 8; i++) {
      const t = T0 + 1_800_000 + i * 1000;
      const traceId = `inc-${i}`;
      lines.push(
        line("checkout", t + 1, "error", "call to inventory failed: deadline exceeded after 2500ms", { traceId }),
        line("gateway", t + 2, "error", "request failed with status 502", { traceId }),
        line("inventory", t + 30, "warn", "slow query took 4000ms on table stock", { traceId }),
      );
    }
    expect(lines.filter((l) => l.service === "notifications").length).toBeGreaterThan(8 * 3);
    const o = likelyOrigin(lines, { start: T0, end: T0 + 3_600_000 })!;
    expect(o.service).toBe("inventory");
    expect(o.alternatives.map((a) => a.service)).not.toContain("notifications");
    expect(o.evidence.join("\n")).not.toContain("notifications");
  });

  describe("without any call evidence", () => {
    const window = { start: T0, end: T0 + 3_600_000 };
    const steady = (service: string) => {
      const out: ProblemLine[] = [];
      for (let t = T0 + 1000; t < window.end; t += 60_000) out.push(line(service, t, "error", "template missing"));
      return out;
    };
    const burst = (service: string, from: number, n: number) =>
      Array.from({ length: n }, (_, i) => line(service, from + i * 500, "error", "disk full"));

    it("picks the service whose burst began first and discounts steady background", () => {
      const lines = [
        ...steady("notifications"),
        ...burst("checkout", T0 + 2_000_000, 30),
        ...burst("ledger", T0 + 1_900_000, 5),
      ];
      const o = likelyOrigin(lines, window)!;
      expect(o.service).toBe("ledger");
      expect(o.reason).toBe("ledger's problems began first and no call evidence points elsewhere");
      expect(o.evidence[0]).toBe(
        `ledger: first problem at ${new Date(T0 + 1_900_000).toISOString()} (5 problem line(s)); no line names a failing callee`,
      );
      expect(o.evidence).toContain("steady background errors discounted: notifications");
      expect(o.confidence).toBe(0.5);
      expect(o.alternatives).toEqual([{ service: "checkout", score: 0.5 }]);
    });

    it("breaks a tie on the first timestamp by the number of lines", () => {
      const lines = [...burst("auth", T0 + 10_000, 3), ...burst("payments", T0 + 10_000, 7)];
      expect(likelyOrigin(lines, window)!.service).toBe("payments");
    });

    it("falls back to every service when all of them are steady", () => {
      const lines = [...steady("notifications"), ...steady("auth").map((l) => ({ ...l, ts: l.ts + 10 }))];
      const o = likelyOrigin(lines, window)!;
      expect(o.service).toBe("notifications");
      expect(o.confidence).toBe(0.5);
    });

    it("uses the lines' own span without a window", () => {
      const lines = [...burst("auth", T0 + 5000, 3), ...burst("ledger", T0 + 1000, 2)];
      const o = likelyOrigin(lines)!;
      expect(o.service).toBe("ledger");
      expect(o.confidence).toBe(0.5);
    });

    it("a single line is its own origin", () => {
      const o = likelyOrigin([line("auth", T0, "warn", "token cache cold")])!;
      expect(o.service).toBe("auth");
      expect(o.confidence).toBe(1);
      expect(o.alternatives).toEqual([]);
    });
  });
});

describe("OriginEvidence", () => {
  /** The chain gateway → checkout → inventory → inventory-db, the root logging last in each trace. */
  const chain = (): ProblemLine[] =>
    Array.from({ length: 6 }, (_, i) => {
      const t = T0 + i * 1000;
      const traceId = `trace-${i}`;
      return [
        line("gateway", t + 1, "error", "call to checkout failed: upstream error", { traceId }),
        line("checkout", t + 2, "error", "call to inventory failed: upstream error", { traceId }),
        line("inventory", t + 3, "error", "call to inventory-db failed: timeout", { traceId }),
        line("inventory-db", t + 4, "warn", "connection pool exhausted", { traceId }),
      ];
    }).flat();

  it("answers as likelyOrigin of the lines added so far, however often it is asked", () => {
    const lines = chain();
    const evidence = new OriginEvidence();
    const answers: Array<string | undefined> = [];
    lines.forEach((l, i) => {
      evidence.add(l);
      const now = evidence.origin({ start: T0, end: T0 + 10_000 });
      expect(now).toEqual(likelyOrigin(lines.slice(0, i + 1), { start: T0, end: T0 + 10_000 }));
      answers.push(now?.service);
    });
    // The answer follows the evidence down the chain as it arrives.
    expect(answers.slice(0, 4)).toEqual(["checkout", "inventory", "inventory-db", "inventory-db"]);
    expect(answers.at(-1)).toBe("inventory-db");
  });

  it("has no origin before any line", () => {
    expect(new OriginEvidence().origin()).toBeUndefined();
  });
});
