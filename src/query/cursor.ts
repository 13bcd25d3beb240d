import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isoFromNs, type Nanos } from "../loki/time.ts";
import { QueryError } from "./errors.ts";
import type { Boundary } from "./scan.ts";

/**
 * Opaque paging cursor for `format=lines`: the last timestamp returned and
 * short hashes of the lines returned at it, bound to the query it came from,
 * signed with HMAC-SHA256 (`<payload>.<mac>`, both base64url). The first key
 * signs, every key verifies, so keys rotate without breaking cursors in
 * flight: add the new key first, drop the old one after a while.
 */
interface CursorData {
  v: 2;
  q: string;
  ts: string;
  seen: string[];
}

/** Secrets of cursor signatures: the first signs, all verify. */
export interface CursorKeys {
  readonly secrets: readonly [string, ...string[]];
}

/** Domain separation: a MAC over anything else this API might sign never verifies as a cursor. */
const CONTEXT = "logsleuth:cursor:v2:";
const MAC_BYTES = 32;

/** The cursor keys from configuration; none → one random key for this process, with a warning. */
export function cursorKeysFrom(secrets: readonly string[] | undefined, warn?: (message: string) => void): CursorKeys {
  const [first, ...rest] = secrets ?? [];
  if (first !== undefined) return { secrets: [first, ...rest] };
  warn?.(
    "CURSOR_KEYS is not set: paging cursors are signed with a random key of this process, so they stop working after a restart and on other API instances",
  );
  return { secrets: [randomBytes(32).toString("base64url")] };
}

export const queryFingerprint = (parts: unknown[]): string =>
  createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 16);

const macOf = (secret: string, payload: string): Buffer =>
  createHmac("sha256", secret).update(CONTEXT).update(payload).digest();

export function encodeCursor(fingerprint: string, b: Boundary, keys: CursorKeys): string {
  const data: CursorData = { v: 2, q: fingerprint, ts: String(b.ts), seen: b.seen };
  const payload = Buffer.from(JSON.stringify(data)).toString("base64url");
  return `${payload}.${macOf(keys.secrets[0], payload).toString("base64url")}`;
}

const notOurs = () =>
  new QueryError(
    "invalid",
    "bad-cursor",
    "Invalid cursor",
    "cursor is not one this API issued (or it was changed, or signed with a key no longer configured)",
    "Pass next_cursor from the previous answer unchanged, or drop cursor to start over.",
  );

/** The payload of a cursor whose signature verifies with one of the keys; throws bad-cursor otherwise. */
function verified(cursor: string, keys: CursorKeys): CursorData {
  const dot = cursor.indexOf(".");
  const payload = cursor.slice(0, dot);
  const mac = Buffer.from(cursor.slice(dot + 1), "base64url");
  if (dot < 0 || mac.length !== MAC_BYTES) throw notOurs();
  // Every key is tried (no early exit), each comparison in constant time.
  let ok = false;
  for (const secret of keys.secrets) ok = timingSafeEqual(macOf(secret, payload), mac) || ok;
  if (!ok) throw notOurs();
  try {
    const data = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as CursorData;
    if (data.v !== 2 || !/^\d{1,19}$/.test(data.ts) || !Array.isArray(data.seen)) throw new Error("shape");
    return data;
  } catch {
    throw notOurs();
  }
}

/**
 * The boundary a cursor resumes from, once its signature verifies, it
 * belongs to this query (`fingerprint`) and its timestamp lies in `range`.
 */
export function decodeCursor(
  cursor: string,
  fingerprint: string,
  keys: CursorKeys,
  range: { start: Nanos; end: Nanos },
): Boundary {
  const data = verified(cursor, keys);
  if (data.q !== fingerprint) {
    throw new QueryError(
      "invalid",
      "bad-cursor",
      "Cursor from another query",
      "cursor belongs to a query with different parameters",
      "Repeat the exact parameters of the call that returned this cursor (same start/end, filters and direction), changing only cursor.",
    );
  }
  const ts = BigInt(data.ts);
  if (ts < range.start || ts > range.end) {
    throw new QueryError(
      "invalid",
      "cursor-out-of-range",
      "Cursor outside the range",
      `cursor continues at ${isoFromNs(ts)}, outside the requested range ${isoFromNs(range.start)} – ${isoFromNs(range.end)}`,
      "A cursor pages only within the range it came from: repeat the call with the same absolute start and end (e.g. the range of the answer that gave it, not a since= that has moved on), changing only cursor; or drop cursor to start over.",
    );
  }
  return { ts, seen: data.seen.map(String) };
}
