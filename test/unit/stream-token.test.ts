import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createStreamTokens,
  MAX_STREAM_TOKEN_LENGTH,
  readStreamToken,
  STREAM_TOKEN_TTL_S,
  signStreamToken,
  streamTokenLockKey,
} from "../../src/stream/token.ts";

const NOW = 1_750_000_000_000;
const OLD = "old-secret-0123456789abcdef";
const NEW = "new-secret-0123456789abcdef";
const caller = { keyId: "k_1", tenant: "acme", scopes: ["stream", "read"] as const };

/** A lock table as the cache keeps one (SET NX PX), on a clock the test moves. */
function lockTable(clock: { now: number }) {
  const held = new Map<string, number>();
  const asked: Array<{ key: string; ttlMs: number }> = [];
  return {
    asked,
    async tryLock(key: string, ttlMs: number) {
      asked.push({ key, ttlMs });
      const until = held.get(key);
      if (until !== undefined && until > clock.now) return undefined;
      held.set(key, clock.now + ttlMs);
      return `lock-${asked.length}`;
    },
  };
}

describe("signStreamToken / readStreamToken", () => {
  it("round-trips the key id, tenant, scopes and expiry", () => {
    const token = signStreamToken(caller, [NEW], NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const claims = readStreamToken(token, [NEW], NOW + 1_000);
    expect(claims).toMatchObject({ keyId: "k_1", tenant: "acme", scopes: ["stream", "read"] });
    expect(claims?.expiresAt).toBe(NOW + STREAM_TOKEN_TTL_S * 1000);
    expect(claims?.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("keeps a missing tenant (single-tenant Loki) missing", () => {
    const token = signStreamToken({ ...caller, tenant: undefined }, [NEW], NOW);
    expect(readStreamToken(token, [NEW], NOW)?.tenant).toBeUndefined();
  });

  it("gives every token its own nonce", () => {
    const a = readStreamToken(signStreamToken(caller, [NEW], NOW), [NEW], NOW);
    const b = readStreamToken(signStreamToken(caller, [NEW], NOW), [NEW], NOW);
    expect(a?.nonce).not.toBe(b?.nonce);
  });

  it("verifies with any configured secret, so secrets rotate", () => {
    const byOld = signStreamToken(caller, [OLD], NOW);
    expect(readStreamToken(byOld, [NEW, OLD], NOW)?.keyId).toBe("k_1");
    expect(readStreamToken(byOld, [NEW], NOW)).toBeUndefined();
  });

  it("is expired at its expiry, valid just before", () => {
    const token = signStreamToken(caller, [NEW], NOW, { ttlS: 60 });
    expect(readStreamToken(token, [NEW], NOW + 59_999)).toBeDefined();
    expect(readStreamToken(token, [NEW], NOW + 60_000)).toBeUndefined();
  });

  it("refuses a changed payload or MAC", () => {
    const token = signStreamToken(caller, [NEW], NOW);
    const [payload, mac] = token.split(".") as [string, string];
    const data = JSON.parse(Buffer.from(payload, "base64url").toString());
    const otherTenant = Buffer.from(JSON.stringify({ ...data, ten: "globex" })).toString("base64url");
    expect(readStreamToken(`${otherTenant}.${mac}`, [NEW], NOW)).toBeUndefined();
    const flipped = `${mac.slice(0, 5)}${mac[5] === "A" ? "B" : "A"}${mac.slice(6)}`;
    expect(readStreamToken(`${payload}.${flipped}`, [NEW], NOW)).toBeUndefined();
  });

  it("is domain-separated: a MAC made with the raw secret (as another signer would) does not verify", () => {
    const token = signStreamToken(caller, [NEW], NOW);
    const payload = token.split(".")[0] as string;
    const rawMac = createHmac("sha256", NEW).update(payload).digest("base64url");
    expect(readStreamToken(`${payload}.${rawMac}`, [NEW], NOW)).toBeUndefined();
  });

  it("refuses garbled, empty and over-long text before any work", () => {
    const valid = signStreamToken(caller, [NEW], NOW);
    for (const bad of [
      "",
      ".",
      "abc",
      "a.b",
      `${valid}.x`,
      `${valid} `,
      "é.é",
      `${"A".repeat(MAX_STREAM_TOKEN_LENGTH)}.${valid.split(".")[1]}`,
    ]) {
      expect(readStreamToken(bad, [NEW], NOW)).toBeUndefined();
    }
  });

  it("refuses a signed payload of the wrong shape", () => {
    const sign = (data: unknown) => {
      const text = Buffer.from(JSON.stringify(data)).toString("base64url");
      const key = createHmac("sha256", NEW).update("logsleuth:stream-token:v1").digest();
      return `${text}.${createHmac("sha256", key).update(text).digest("base64url")}`;
    };
    const good = { v: 1, kid: "k", ten: null, sc: ["stream"], exp: NOW + 1000, n: "A".repeat(22) };
    expect(readStreamToken(sign(good), [NEW], NOW)?.keyId).toBe("k"); // the helper signs as the module does
    for (const bad of [
      { ...good, v: 2 },
      { ...good, exp: "soon" },
      { ...good, extra: 1 },
      { ...good, n: "short" },
      [1],
    ]) {
      expect(readStreamToken(sign(bad), [NEW], NOW)).toBeUndefined();
    }
  });
});

describe("createStreamTokens", () => {
  it("issues { token, expires_in: 60 } and redeems a token once", async () => {
    const clock = { now: NOW };
    const cache = lockTable(clock);
    const tokens = createStreamTokens({ secrets: [NEW], cache, now: () => clock.now });
    const issued = tokens.issue(caller);
    expect(Object.keys(issued).sort()).toEqual(["expires_in", "token"]);
    expect(issued.expires_in).toBe(60);
    clock.now += 5_000;
    const claims = await tokens.redeem(issued.token);
    expect(claims).toMatchObject({ keyId: "k_1", tenant: "acme" });
    expect(await tokens.redeem(issued.token)).toBeUndefined();
    // The lock is named by the nonce and outlives the token.
    expect(cache.asked[0]?.key).toBe(streamTokenLockKey(claims?.nonce as string));
    expect(cache.asked[0]?.ttlMs).toBeGreaterThan(55_000);
  });

  it("refuses a bad token without taking a lock", async () => {
    const clock = { now: NOW };
    const cache = lockTable(clock);
    const tokens = createStreamTokens({ secrets: [NEW], cache, now: () => clock.now });
    const issued = tokens.issue(caller);
    clock.now += 61_000;
    expect(await tokens.redeem(issued.token)).toBeUndefined();
    expect(await tokens.redeem("garbled")).toBeUndefined();
    expect(cache.asked).toEqual([]);
  });

  it("answers 503 (unavailable) when the cache cannot lock, and the token stays usable", async () => {
    const clock = { now: NOW };
    const table = lockTable(clock);
    let down = true;
    const cache = {
      tryLock: (key: string, ttl: number) => (down ? Promise.reject(new Error("redis down")) : table.tryLock(key, ttl)),
    };
    const tokens = createStreamTokens({ secrets: [NEW], cache, now: () => clock.now });
    const { token } = tokens.issue(caller);
    await expect(tokens.redeem(token)).rejects.toMatchObject({ kind: "unavailable", code: "stream-token-unavailable" });
    down = false;
    expect(await tokens.redeem(token)).toMatchObject({ keyId: "k_1" });
  });
});
