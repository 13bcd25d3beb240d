import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { connect } from "node:net";
import { WebSocket } from "ws";
import { createApp } from "../../src/app.ts";
import { buildDeps, closeDeps, type Deps } from "../../src/deps.ts";
import { serveApp } from "../../src/http/serve.ts";
import { silentLogger } from "../../src/log.ts";
import { STREAM_PATH } from "../../src/stream/routes.ts";
import { testConfig } from "./services.ts";

export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port>/api/v1/ai_logs/stream */
  wsUrl: string;
  port: number;
  /** The Node HTTP server (e.g. to watch its "upgrade" sockets). */
  server: Server;
  deps: Deps;
  /** Stops the server (WebSockets closed with 1001) and closes the deps. */
  close(): Promise<void>;
}

/**
 * The real API on a free port of 127.0.0.1 (HTTP and WebSocket, as `npm start`
 * serves it), configured from `env` on top of the suite's Loki. Call close()
 * in afterAll.
 */
export async function startTestServer(env: Record<string, string | undefined> = {}): Promise<TestServer> {
  const config = testConfig(env);
  const deps = buildDeps(config, silentLogger);
  const app = createApp(deps);
  try {
    const served = await serveApp(app, deps, { port: 0, hostname: "127.0.0.1" });
    const url = `http://127.0.0.1:${served.port}`;
    return {
      url,
      wsUrl: `ws://127.0.0.1:${served.port}${STREAM_PATH}`,
      port: served.port,
      server: served.server,
      deps,
      close: async () => {
        await served.close(2_000);
        await closeDeps(deps);
      },
    };
  } catch (err) {
    await closeDeps(deps);
    throw err;
  }
}

/** A WebSocket client of the stream that keeps every message, to await them in order. */
export interface StreamClient {
  ws: WebSocket;
  /** The next message (JSON) not yet taken, of `type` when given (others before it are skipped). */
  next(type?: string, timeoutMs?: number): Promise<Record<string, any>>;
  send(message: unknown): void;
  /** Resolves with the close code once the socket is closed (by either side). */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `url` (ws://…) with `headers`; rejects when the upgrade is refused (the status is in the message). */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const ws = new WebSocket(url, { headers });
  const queue: Record<string, any>[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data, isBinary) => {
    queue.push(isBinary ? { type: "(binary)" } : JSON.parse(String(data)));
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => {
      resolve({ code, reason: String(reason) });
      wake?.();
    }),
  );
  const next = async (type?: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = queue.findIndex((m) => type === undefined || m.type === type);
      if (at >= 0) return queue.splice(0, at + 1)[at] as Record<string, any>;
      if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed before a ${type ?? "message"}`);
      if (Date.now() > deadline) throw new Error(`no ${type ?? "message"} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, next, send: (m) => ws.send(JSON.stringify(m)), closed }));
    ws.once("unexpected-response", (_req, res) => {
      reject(new Error(`upgrade refused: ${res.statusCode}`));
      res.resume();
    });
    ws.once("error", reject);
  });
}

/** A raw HTTP answer: status, headers (lower-case) and body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The bytes the server sent after the body before closing (must be none). */
  trailing: string;
}

/**
 * Sends a WebSocket upgrade request on a plain TCP socket and reads the
 * server's answer up to the close: what a WebSocket client never shows (a
 * refusal's body). A 101 answer is returned at once (the socket is dropped).
 */
export function rawUpgrade(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const u = new URL(url);
  const all: Record<string, string> = {
    Host: u.host,
    Connection: "Upgrade",
    Upgrade: "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    ...headers,
  };
  const head = `GET ${u.pathname}${u.search} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.write(head));
    let data = Buffer.alloc(0);
    const finish = () => {
      const text = data.toString("utf8");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return reject(new Error(`no complete HTTP head in ${JSON.stringify(text.slice(0, 200))}`));
      const [status, ...lines] = text.slice(0, end).split("\r\n");
      const parsed: RawAnswer["headers"] = {};
      for (const line of lines) {
        const i = line.indexOf(":");
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        const had = parsed[name];
        parsed[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
      }
      const rest = data.subarray(Buffer.byteLength(text.slice(0, end + 4)));
      const length = Number(parsed["content-length"] ?? rest.length);
      resolve({
        status: Number(status?.split(" ")[1]),
        headers: parsed,
        body: rest.subarray(0, length).toString("utf8"),
        trailing: rest.subarray(length).toString("utf8"),
      });
    };
    socket.on("data", (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (/^HTTP\/1\.1 101 /.test(data.toString("latin1", 0, 13)) && data.includes("\r\n\r\n")) {
        socket.destroy();
        finish();
      }
    });
    socket.on("close", finish);
    socket.on("error", reject);
    socket.setTimeout(15_000, () => socket.destroy(new Error("no answer within 15 s")));
  });
}
