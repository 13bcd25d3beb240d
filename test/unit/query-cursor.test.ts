import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type CursorKeys,
  cursorKeysFrom,
  decodeCursor as decodeIn,
  encodeCursor as encodeWith,
  queryFingerprint,
} from "../../src/query/cursor.ts";
import { thrown } from "./helpers/thrown.ts";

const KEYS: CursorKeys = { secrets: ["first-secret-0123456789abcdef"] };
/** Every timestamp a test uses lies in this range. */
const ALL = { start: 0n, end: 9_999_999_999_999_999_999n };
const encodeCursor = (fp: string, b: { ts: bigint; seen: string[] }) => encodeWith(fp, b, KEYS);
const decodeCursor = (cursor: string, fp: string) => decodeIn(cursor, fp, KEYS, ALL);
/** A payload signed with KEYS, as the API would sign it (to test what happens after the signature verifies). */
const signed = (value: unknown, secret = KEYS.secrets[0]) => {
  const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
  const mac = createHmac("sha256", secret).update("logsleuth:cursor:v2:").update(payload).digest("base64url");
  return `${payload}.${mac}`;
};

describe("queryFingerprint", () => {
  it("is 16 url-safe characters, stable for equal parts", () => {
    const a = queryFingerprint(['{app="x"}', "1", "2", "forward"]);
    expect(a).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(queryFingerprint(['{app="x"}', "1", "2", "forward"])).toBe(a);
  });

  it("differs when any part or the order differs", () => {
    const a = queryFingerprint(["q", "1", "2", "forward"]);
    expect(queryFingerprint(["q", "1", "2", "backward"])).not.toBe(a);
    expect(queryFingerprint(["q", "2", "1", "forward"])).not.toBe(a);
    expect(queryFingerprint(["q", "1", "2"])).not.toBe(a);
  });
});

describe("encodeCursor / decodeCursor", () => {
  const fp = queryFingerprint(['{service_name="checkout"}', "a", "b"]);

  it("round-trips the boundary", () => {
    const boundary = { ts: 1_795_483_200_123_456_789n, seen: ["abc123def456", "xyz"] };
    const cursor = encodeCursor(fp, boundary);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/); // safe in a query string as is
    expect(decodeCursor(cursor, fp)).toEqual(boundary);
  });

  it("keeps nanosecond precision beyond Number.MAX_SAFE_INTEGER", () => {
    const ts = 9_007_199_254_740_993_123n;
    expect(decodeCursor(encodeCursor(fp, { ts, seen: [] }), fp).ts).toBe(ts);
  });

  it("round-trips an empty seen list and ts 0", () => {
    expect(decodeCursor(encodeCursor(fp, { ts: 0n, seen: [] }), fp)).toEqual({ ts: 0n, seen: [] });
  });

  it("refuses a cursor from another query with bad-cursor", () => {
    const cursor = encodeCursor(fp, { ts: 1n, seen: [] });
    const e = thrown(() => decodeCursor(cursor, queryFingerprint(["other"])));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("bad-cursor");
    expect(e.title).toBe("Cursor from another query");
    expect(e.hint).toContain("changing only cursor");
  });

  it.each([
    ["not base64 JSON", "!!!not-a-cursor!!!"],
    ["empty", ""],
    [
      "unsigned (the old format)",
      Buffer.from(JSON.stringify({ v: 1, q: "x", ts: "1", seen: [] })).toString("base64url"),
    ],
    ["JSON null", signed(null)],
    ["a JSON number", signed(42)],
    ["another version", signed({ v: 1, q: "x", ts: "1", seen: [] })],
    ["a non-numeric ts", signed({ v: 2, q: "x", ts: "12a", seen: [] })],
    ["a negative ts", signed({ v: 2, q: "x", ts: "-1", seen: [] })],
    ["a ts of 400 digits", signed({ v: 2, q: "x", ts: "9".repeat(400), seen: [] })],
    ["seen that is not a list", signed({ v: 2, q: "x", ts: "1", seen: "abc" })],
    ["a missing seen", signed({ v: 2, q: "x", ts: "1" })],
  ])("refuses %s with bad-cursor", (_name, cursor) => {
    const e = thrown(() => decodeCursor(cursor, "x"));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("bad-cursor");
    expect(e.title).toBe("Invalid cursor");
    expect(e.hint).toContain("next_cursor");
  });

  it("checks the shape before the fingerprint", () => {
    expect(thrown(() => decodeCursor(signed({ v: 2, q: "other", ts: "x", seen: [] }), fp)).title).toBe(
      "Invalid cursor",
    );
  });

  it("turns seen entries into strings", () => {
    expect(decodeCursor(signed({ v: 2, q: fp, ts: "7", seen: [1, "a"] }), fp)).toEqual({ ts: 7n, seen: ["1", "a"] });
  });
});

describe("cursor signatures", () => {
  const fp = queryFingerprint(['{service_name="checkout"}', "backward"]);
  const cursor = encodeWith(fp, { ts: 1_795_483_200_000_000_000n, seen: ["abc"] }, KEYS);
  const [payload, mac] = cursor.split(".") as [string, string];
  const payloadOf = (c: string) => JSON.parse(Buffer.from(c.split(".")[0]!, "base64url").toString("utf8"));

  it.each([
    ["ts", { ts: "0" }],
    ["seen", { seen: [] }],
    ["fingerprint", { q: queryFingerprint(["other"]) }],
  ])("refuses a payload whose %s was changed, keeping the signature", (_field, change) => {
    const forged = Buffer.from(JSON.stringify({ ...payloadOf(cursor), ...change })).toString("base64url");
    const e = thrown(() => decodeIn(`${forged}.${mac}`, fp, KEYS, ALL));
    expect(e.status).toBe(400);
    expect(e.title).toBe("Invalid cursor");
  });

  it("refuses a changed or missing signature", () => {
    const flipped = `${payload}.${mac[0] === "A" ? "B" : "A"}${mac.slice(1)}`;
    for (const c of [flipped, payload, `${payload}.`, `${payload}.${mac}x`]) {
      expect(thrown(() => decodeIn(c, fp, KEYS, ALL)).slug, c).toBe("bad-cursor");
    }
  });

  it("refuses a cursor signed with another key", () => {
    const other: CursorKeys = { secrets: ["another-secret-0123456789abcd"] };
    expect(thrown(() => decodeIn(cursor, fp, other, ALL)).title).toBe("Invalid cursor");
  });

  it("still verifies a cursor signed with the old key after rotation; new cursors use the new key", () => {
    const rotated: CursorKeys = { secrets: ["new-secret-0123456789abcdefgh", KEYS.secrets[0]] };
    expect(decodeIn(cursor, fp, rotated, ALL)).toEqual({ ts: 1_795_483_200_000_000_000n, seen: ["abc"] });
    const fresh = encodeWith(fp, { ts: 5n, seen: [] }, rotated);
    expect(decodeIn(fresh, fp, { secrets: ["new-secret-0123456789abcdefgh"] }, ALL).ts).toBe(5n);
    expect(thrown(() => decodeIn(fresh, fp, KEYS, ALL)).slug).toBe("bad-cursor");
  });

  it("refuses a valid cursor whose ts lies outside the requested range (kind invalid)", () => {
    const range = { start: 1_795_479_600_000_000_000n, end: 1_795_483_200_000_000_000n }; // one hour
    expect(decodeIn(cursor, fp, KEYS, range).ts).toBe(range.end); // the edge is inside
    for (const ts of [0n, range.start - 1n, range.end + 1n]) {
      const e = thrown(() => decodeIn(encodeWith(fp, { ts, seen: [] }, KEYS), fp, KEYS, range));
      expect(e.kind).toBe("invalid");
      expect(e.status).toBe(400);
      expect(e.slug).toBe("cursor-out-of-range");
      expect(e.detail).toContain("2026-11-24T00:20:00.000Z – 2026-11-24T01:20:00.000Z");
      expect(e.hint).toMatch(/drop cursor/);
    }
  });
});

describe("cursorKeysFrom", () => {
  it("uses the configured secrets in order", () => {
    expect(cursorKeysFrom(["a-secret", "b-secret"]).secrets).toEqual(["a-secret", "b-secret"]);
  });

  it("without secrets makes a random key per call and warns that cursors will not survive a restart", () => {
    const warnings: string[] = [];
    const a = cursorKeysFrom(undefined, (m) => warnings.push(m));
    const b = cursorKeysFrom([], (m) => warnings.push(m));
    expect(a.secrets[0]).not.toBe(b.secrets[0]);
    expect(a.secrets[0].length).toBeGreaterThanOrEqual(32);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/CURSOR_KEYS.*restart.*instances/);
  });
});
