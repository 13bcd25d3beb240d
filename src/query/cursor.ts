import { createHash } from "node:crypto";
import { QueryError } from "./errors.ts";
import type { Boundary } from "./scan.ts";

/**
 * Opaque paging cursor for `format=lines`: the last timestamp returned and
 * short hashes of the lines returned at it, bound to the query it came from.
 */
interface CursorData {
  v: 1;
  q: string;
  ts: string;
  seen: string[];
}

export const queryFingerprint = (parts: unknown[]): string =>
  createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 16);

export function encodeCursor(fingerprint: string, b: Boundary): string {
  const data: CursorData = { v: 1, q: fingerprint, ts: String(b.ts), seen: b.seen };
  return Buffer.from(JSON.stringify(data)).toString("base64url");
}

export function decodeCursor(cursor: string, fingerprint: string): Boundary {
  let data: CursorData;
  try {
    data = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as CursorData;
    if (data.v !== 1 || !/^\d+$/.test(data.ts) || !Array.isArray(data.seen)) throw new Error("shape");
  } catch {
    throw new QueryError(
      "invalid",
      "bad-cursor",
      "Invalid cursor",
      "cursor is not one this API issued",
      "Pass next_cursor from the previous answer unchanged, or drop cursor to start over.",
    );
  }
  if (data.q !== fingerprint) {
    throw new QueryError(
      "invalid",
      "bad-cursor",
      "Cursor from another query",
      "cursor belongs to a query with different parameters",
      "Repeat the exact parameters of the call that returned this cursor (same start/end, filters and direction), changing only cursor.",
    );
  }
  return { ts: BigInt(data.ts), seen: data.seen.map(String) };
}
