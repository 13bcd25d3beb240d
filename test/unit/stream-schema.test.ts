// docs/stream-protocol.schema.json: equal to what `npm run stream-schema` generates from src/stream/protocol.ts,
// listing every message type of the zod schemas, and accepting the messages the server really sends.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SCHEMA_FILE, schemaText } from "../../scripts/stream-schema.ts";
import { silentLogger } from "../../src/log.ts";
import { loadPatternLibrarySync } from "../../src/patterns/library/index.ts";
import { AlertGate } from "../../src/stream/alerts.ts";
import { newFigures } from "../../src/stream/figures.ts";
import { compileFilter, type StreamLine, streamLine } from "../../src/stream/filter.ts";
import type { Hub } from "../../src/stream/hub.ts";
import { DEFAULT_STREAM_LIMITS } from "../../src/stream/limits.ts";
import {
  CLIENT_TYPES,
  clientMessage,
  NOTICE_KINDS,
  type ServerMessage,
  serverMessage,
} from "../../src/stream/protocol.ts";
import { ReplayBuffer } from "../../src/stream/replay.ts";
import { Session, type Subscriptions } from "../../src/stream/session.ts";
import { Subscription } from "../../src/stream/subscription.ts";
import type { RawSocket } from "../../src/stream/types.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(path.join(tmpdir(), "stream-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Schema = { [k: string]: unknown };
const committed = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as { $defs: { client: Schema; server: Schema } };
const SERVER_TYPES = serverMessage.options.map((o) => o.shape.type.value);

/** The `type` constant of each alternative of a `oneOf` definition. */
const typesOf = (def: Schema) =>
  (def.oneOf as Schema[]).map((s) => ((s.properties as Schema).type as Schema).const as string);

// ---- a small JSON Schema checker: the keywords zod emits here (an unknown keyword fails the test, never passes) ----

const KNOWN = new Set(
  "$schema description oneOf anyOf type const enum properties required additionalProperties propertyNames items minItems maxItems minLength maxLength pattern minimum maximum exclusiveMinimum exclusiveMaximum".split(
    " ",
  ),
);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const hasType = (t: unknown, v: unknown) =>
  t === "null"
    ? v === null
    : t === "array"
      ? Array.isArray(v)
      : t === "object"
        ? isObject(v)
        : t === "integer"
          ? Number.isInteger(v)
          : typeof v === t;

/** What is wrong with `v` under schema `s` (empty: it conforms). */
function problems(s: Schema, v: unknown, at = "$"): string[] {
  const unknown = Object.keys(s).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`${at}: this checker does not know ${unknown.join(", ")}; teach it`);
  const out: string[] = [];
  const alternatives = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (alternatives) {
    const ok = alternatives.filter((a) => problems(a, v, at).length === 0).length;
    if (s.oneOf ? ok !== 1 : ok === 0) out.push(`${at}: matches ${ok} of ${alternatives.length} alternatives`);
  }
  if (s.type !== undefined && ![s.type].flat().some((t) => hasType(t, v))) return [...out, `${at}: not ${s.type}`];
  if ("const" in s && v !== s.const) out.push(`${at}: not ${JSON.stringify(s.const)}`);
  if (s.enum && !(s.enum as unknown[]).includes(v)) out.push(`${at}: not one of ${JSON.stringify(s.enum)}`);
  const n = (k: string) => s[k] as number;
  if (typeof v === "string") {
    const length = [...v].length;
    if (s.minLength !== undefined && length < n("minLength")) out.push(`${at}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && length > n("maxLength")) out.push(`${at}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern as string, "u").test(v)) out.push(`${at}: not ${s.pattern}`);
  }
  if (typeof v === "number") {
    if (s.minimum !== undefined && v < n("minimum")) out.push(`${at}: below ${s.minimum}`);
    if (s.maximum !== undefined && v > n("maximum")) out.push(`${at}: above ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && v <= n("exclusiveMinimum"))
      out.push(`${at}: not above ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && v >= n("exclusiveMaximum"))
      out.push(`${at}: not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < n("minItems")) out.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > n("maxItems")) out.push(`${at}: more than ${s.maxItems} items`);
    if (s.items) for (const [i, item] of v.entries()) out.push(...problems(s.items as Schema, item, `${at}[${i}]`));
  }
  if (isObject(v)) {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const k of (s.required ?? []) as string[]) if (!(k in v)) out.push(`${at}.${k}: missing`);
    for (const [k, value] of Object.entries(v)) {
      if (s.propertyNames) out.push(...problems(s.propertyNames as Schema, k, `${at}.${k} (name)`));
      const sub = props[k] ?? s.additionalProperties;
      if (sub === false) out.push(`${at}.${k}: not allowed`);
      else if (isObject(sub)) out.push(...problems(sub, value, `${at}.${k}`));
    }
  }
  return out;
}

// ---- real server messages: a session and a subscription over a fake socket and hub ----------------------------

const library = loadPatternLibrarySync();

function fakeSocket() {
  const frames: string[] = [];
  const socket: RawSocket = {
    readyState: 1,
    bufferedAmount: 0,
    send: (data) => frames.push(data),
    close: () => {},
    terminate: () => {},
    ping: () => {},
    on: () => socket,
  };
  return { socket, frames };
}

/** A hub as a subscription sees it, its replay buffer holding `capacity` lines. */
function fakeHub(capacity: number) {
  const replay = new ReplayBuffer<StreamLine>(capacity);
  let offset = 0;
  const hub = {
    query: '{service_name="checkout"}',
    novel: new Map<number, string>(),
    get lastOffset() {
      return offset;
    },
    after: (o: number) => replay.after(o),
  };
  const batch = (...texts: string[]) =>
    texts.map((text) => {
      const labels = { service_name: "checkout" };
      const l = streamLine(++offset, `${1_700_000_000_000_000_000n + BigInt(offset)}`, text, labels, "c", {}, library);
      replay.push(l);
      return l;
    });
  return { hub: hub as unknown as Hub, batch };
}

/** Frames a session really sent: hello, entries, alert, notices, subscribed (resumed), unsubscribed, pong, errors. */
async function realFrames(): Promise<string[]> {
  const { socket, frames } = fakeSocket();
  const { hub, batch } = fakeHub(3);
  const sub = new Subscription(
    "s1",
    "",
    {},
    compileFilter({}, library),
    hub,
    new AlertGate(60_000, (id) => library.get(id)),
    "service_name",
  );
  const work: Subscriptions = {
    subscribe: () => Promise.reject(new Error("not used")),
    update: () => Promise.reject(new Error("not used")),
    unsubscribe: () => {},
    claim: () => undefined,
    park: () => {},
  };
  const session = new Session(
    socket,
    { keyId: "k", tenant: "acme", scopes: [] },
    DEFAULT_STREAM_LIMITS,
    work,
    newFigures(),
    silentLogger,
  );
  sub.outlet = session;
  session.subs.set("s1", sub);
  sub.deliver(batch("Error: connect ECONNREFUSED 10.0.0.7:5432", "ok"), new Map());
  sub.deliver(batch("a", "b", "c", "d"), new Map()); // the buffer keeps 3: a resume from seq 1 misses one line
  sub.notice({ kind: "upstream_resumed", count: 2, message: "back" });
  const messages = [
    '{"type":"resume","id":"s1","seq":1}',
    '{"type":"ping"}',
    '{"type":"subscribe","id":"s2","sample":2}',
    "not json",
    '{"type":"update","id":"nope","levels":["error"]}',
    '{"type":"unsubscribe","id":"s1"}',
  ];
  for (const m of messages) session.onMessage(m);
  await vi.waitUntil(() => frames.some((f) => f.includes('"unsubscribed"')));
  session.onClose();
  return frames;
}

describe("docs/stream-protocol.schema.json", () => {
  it("is what the code generates (run `npm run stream-schema` after changing src/stream/protocol.ts)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8"), "run `npm run stream-schema`").toBe(schemaText());
  });

  it("lists every client and server message type of the zod schemas, and every notice kind", () => {
    expect(typesOf(committed.$defs.client).sort()).toEqual([...CLIENT_TYPES].sort());
    expect(typesOf(committed.$defs.server).sort()).toEqual([...SERVER_TYPES].sort());
    const notice = (committed.$defs.server.oneOf as Schema[]).find((s) => typesOf({ oneOf: [s] })[0] === "notice")!;
    expect(((notice.properties as Schema).kind as Schema).enum).toEqual([...NOTICE_KINDS]);
  });

  it("accepts the messages a session really sends, and each parses with the zod schema too", async () => {
    const frames = (await realFrames()).map((f) => JSON.parse(f) as { type: string; kind?: string; code?: string });
    for (const f of frames) {
      expect(problems(committed.$defs.server, f), JSON.stringify(f)).toEqual([]);
      expect(serverMessage.safeParse(f).success, JSON.stringify(f)).toBe(true);
    }
    const seen = new Set(frames.flatMap((f) => [f.type, f.kind, f.code]));
    for (const t of ["hello", "entries", "alert", "upstream_resumed", "replay_gap", "subscribed", "pong"]) {
      expect(seen, t).toContain(t);
    }
    for (const t of ["unsubscribed", "bad-message", "unknown-subscription"]) expect(seen, t).toContain(t);
  });

  it("accepts what zod accepts and refuses what it refuses, for client messages", () => {
    const good = [
      { type: "subscribe", v: 1, id: "s1", services: ["checkout"], levels: ["error", "warn"], sample: 0.5 },
      { type: "subscribe", id: "q", logql: '{service_name="a"} |= "x"', alerts: false, mode: "errors" },
      { type: "update", id: "s1", contains: ["timeout"], regex: "" },
      { type: "unsubscribe", id: "s1" },
      { type: "resume", id: "s1", seq: 0 },
      { type: "ping" },
    ];
    const bad = [
      { type: "subscribe", id: "s1", extra: true },
      { type: "subscribe", id: "a b" },
      { type: "subscribe", id: "s", sample: 0 },
      { type: "resume", id: "s1", seq: -1 },
      { type: "resume", id: "s1", seq: 1.5 },
      { type: "ping", v: 2 },
      { type: "pong", time: "now" },
      { type: "nope" },
    ];
    for (const m of good) {
      expect(clientMessage.safeParse(m).success, JSON.stringify(m)).toBe(true);
      expect(problems(committed.$defs.client, m), JSON.stringify(m)).toEqual([]);
    }
    for (const m of bad) {
      expect(clientMessage.safeParse(m).success, JSON.stringify(m)).toBe(false);
      expect(problems(committed.$defs.client, m), JSON.stringify(m)).not.toEqual([]);
    }
  });

  it("accepts every one-line example of the README's live stream section, one for each message type", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const examples = [...readme.matchAll(/`(\{"type":"[^`]*\})`/g)].map((m) => JSON.parse(m[1]!) as ServerMessage);
    for (const m of examples) {
      const def = CLIENT_TYPES.includes(m.type as never) ? committed.$defs.client : committed.$defs.server;
      expect(problems(def, m), JSON.stringify(m)).toEqual([]);
    }
    const types = new Set(examples.map((m) => m.type));
    for (const t of [...CLIENT_TYPES, ...SERVER_TYPES]) expect(types, `README example of ${t}`).toContain(t);
  });
});

describe("npm run stream-schema", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/stream-schema.ts", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
    });

  it("writes the file, and --check exits 1 naming the command when the file differs", () => {
    const file = path.join(dir, "schema.json");
    writeFileSync(file, schemaText().replace('"subscribe"', '"subscrib"'));
    const stale = run("--check", "--file", file);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("npm run stream-schema");
    expect(run("--file", file).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(schemaText());
    expect(run("--check", "--file", file).status).toBe(0);
    expect(run("--check").status).toBe(0);
  });
});
