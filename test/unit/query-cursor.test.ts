import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, queryFingerprint } from "../../src/query/cursor.ts";
import { thrown } from "./helpers/thrown.ts";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

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
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // safe in a query string as is
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
    ["JSON null", b64(null)],
    ["a JSON number", b64(42)],
    ["another version", b64({ v: 2, q: "x", ts: "1", seen: [] })],
    ["a non-numeric ts", b64({ v: 1, q: "x", ts: "12a", seen: [] })],
    ["a negative ts", b64({ v: 1, q: "x", ts: "-1", seen: [] })],
    ["seen that is not a list", b64({ v: 1, q: "x", ts: "1", seen: "abc" })],
    ["a missing seen", b64({ v: 1, q: "x", ts: "1" })],
  ])("refuses %s with bad-cursor", (_name, cursor) => {
    const e = thrown(() => decodeCursor(cursor, "x"));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("bad-cursor");
    expect(e.title).toBe("Invalid cursor");
    expect(e.hint).toContain("next_cursor");
  });

  it("checks the shape before the fingerprint", () => {
    expect(thrown(() => decodeCursor(b64({ v: 1, q: "other", ts: "x", seen: [] }), fp)).title).toBe("Invalid cursor");
  });

  it("turns seen entries into strings", () => {
    expect(decodeCursor(b64({ v: 1, q: fp, ts: "7", seen: [1, "a"] }), fp)).toEqual({ ts: 7n, seen: ["1", "a"] });
  });
});
