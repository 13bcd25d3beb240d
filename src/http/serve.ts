import type { IncomingMessage, Server } from "node:http";
import { STATUS_CODES } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { WebSocketServer } from "ws";
import type { Deps } from "../deps.ts";
import type { Logger } from "../log.ts";
import { MAX_CLIENT_MESSAGE_BYTES } from "../stream/protocol.ts";
import { PROBLEM_CONTENT_TYPE, type Problem, problemType } from "./problem.ts";
import { upgradeAccepted } from "./upgrade.ts";

/**
 * Serves the app over HTTP and WebSocket (@hono/node-server with a `ws`
 * server, frames above MAX_CLIENT_MESSAGE_BYTES closed with 1009).
 *
 * Refused upgrades: node-server answers an upgrade request that the app did
 * not accept with its status and headers but `Content-Length: 0`, dropping
 * the problem+json body. Here the app's whole response (status, headers such
 * as WWW-Authenticate or Retry-After, body) is written to the socket instead,
 * and node-server is kept from writing a second one (see `upgradeBackstop`).
 */

export interface ServeOptions {
  port: number;
  hostname?: string;
  /**
   * A socket not upgraded or answered within this is destroyed (default REQUEST_TIMEOUT_MS + 5 s: the
   * deadline middleware answers 504 before).
   */
  handshakeTimeoutMs?: number;
}

export interface Served {
  server: Server;
  port: number;
  /**
   * Stops accepting, closes every WebSocket (1001) and waits for in-flight requests up to `timeoutMs`
   * (default SHUTDOWN_TIMEOUT_MS), then cuts what is left. Call closeDeps after it.
   */
  close(timeoutMs?: number): Promise<void>;
}

type Fetch = (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;
/** The env node-server passes for an upgrade request: its IncomingMessage and no ServerResponse. */
type UpgradeEnv = { incoming: IncomingMessage; outgoing: undefined };

/** Largest body written to a refused upgrade (problem+json is a few hundred bytes). */
const MAX_REFUSAL_BYTES = 64 * 1024;
/** Hop-by-hop and framing headers: the refusal sets its own. */
const SKIPPED_HEADERS = new Set(["connection", "content-length", "keep-alive", "transfer-encoding", "upgrade"]);

export async function serveApp(
  app: { fetch: Fetch },
  deps: Pick<Deps, "logger" | "config">,
  options: ServeOptions,
): Promise<Served> {
  const { logger, config } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: answeringRefusedUpgrades(app.fetch, logger),
        port: options.port,
        ...(options.hostname ? { hostname: options.hostname } : {}),
        websocket: { server: wss },
        // Only WebSocket upgrades leave the HTTP path; any other Upgrade (h2c, …) is answered as a plain request.
        serverOptions: { shouldUpgradeCallback: (req) => req.headers.upgrade?.toLowerCase() === "websocket" },
      },
      () => resolve(s as Server),
    );
    s.once("error", (err) => {
      wss.close();
      reject(err);
    });
  });
  const upgrading = new Set<Duplex>();
  server.on("upgrade", upgradeBackstop(options.handshakeTimeoutMs ?? config.REQUEST_TIMEOUT_MS + 5_000, upgrading));

  let closing: Promise<void> | undefined;
  const close = (timeoutMs = config.SHUTDOWN_TIMEOUT_MS) => {
    closing ??= shutDown({ server, wss, upgrading, logger }, timeoutMs);
    return closing;
  };
  return { server, port: (server.address() as AddressInfo).port, close };
}

/**
 * The second "upgrade" listener, there on purpose: node-server writes its
 * own bodiless refusal of a refused or failed upgrade only while it is the
 * only listener (`listenerCount("upgrade") === 1`); `answeringRefusedUpgrades`
 * has written the full response by then, and nothing may follow it. It also
 * bounds the handshake: a socket neither upgraded nor answered in time is
 * destroyed (ws clears the timeout when it takes the socket over). `sockets`
 * holds every socket that left the HTTP path until it closes, so shutdown
 * can cut them.
 */
function upgradeBackstop(handshakeTimeoutMs: number, sockets: Set<Duplex>) {
  return (_request: IncomingMessage, socket: Duplex) => {
    (socket as Socket).setTimeout(handshakeTimeoutMs, () => socket.destroy());
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
}

/**
 * The app's fetch, plus: for an upgrade request the app did not accept, its
 * response is written to the socket in full and the socket ended. The app
 * throwing is a 500 problem, never a socket left hanging.
 */
function answeringRefusedUpgrades(fetch: Fetch, logger: Logger): Fetch {
  return async (request, env) => {
    const upgrade = upgradeEnv(env);
    if (!upgrade) return fetch(request, env);
    let response: Response;
    try {
      response = await fetch(request, env);
    } catch (err) {
      logger.error("unhandled error on a WebSocket upgrade", { err, path: new URL(request.url).pathname });
      response = internalProblem(new URL(request.url).pathname);
    }
    if (!upgradeAccepted(upgrade)) {
      const socket = upgrade.incoming.socket;
      await writeResponse(socket, response).catch(() => socket.destroy());
    }
    return response;
  };
}

function upgradeEnv(env: unknown): UpgradeEnv | undefined {
  const e = env as Partial<UpgradeEnv> | undefined;
  return e?.incoming && e.outgoing === undefined ? (e as UpgradeEnv) : undefined;
}

/** Writes a whole HTTP/1.1 response on a raw socket and ends it (Connection: close). */
async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = await readCapped(response, MAX_REFUSAL_BYTES);
  if (socket.destroyed || !socket.writable) return;
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`, "Connection: close"];
  response.headers.forEach((value, name) => {
    if (!SKIPPED_HEADERS.has(name)) head.push(`${name}: ${value}`);
  });
  // A body past the cap is cut and delimited by the close (no Content-Length).
  if (body.complete) head.push(`Content-Length: ${body.bytes.length}`);
  socket.end(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), body.bytes]));
}

async function readCapped(response: Response, cap: number): Promise<{ bytes: Buffer; complete: boolean }> {
  if (!response.body) return { bytes: Buffer.alloc(0), complete: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), complete: true };
    chunks.push(value);
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel().catch(() => {});
      return { bytes: Buffer.concat(chunks).subarray(0, cap), complete: false };
    }
  }
}

function internalProblem(path: string): Response {
  const body: Problem = {
    type: problemType("internal"),
    title: "Internal server error",
    status: 500,
    detail: "The server failed to handle this request; it has been logged.",
    hint: "Retry once; if it fails again, report the time of the request.",
    instance: path,
  };
  return new Response(JSON.stringify(body), { status: 500, headers: { "Content-Type": PROBLEM_CONTENT_TYPE } });
}

interface Running {
  server: Server;
  wss: WebSocketServer;
  /** Sockets past the upgrade (handshaking or WebSocket), which server.closeAllConnections() does not see. */
  upgrading: Set<Duplex>;
  logger: Logger;
}

async function shutDown({ server, wss, upgrading, logger }: Running, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Upgraded sockets keep server.close() waiting: say goodbye to each (1001 going away).
  for (const ws of wss.clients) ws.close(1001, "server shutting down");
  wss.close();
  if ((await within(closed, timeoutMs)) === "timeout") {
    logger.warn("shutdown deadline reached; closing remaining connections");
    server.closeAllConnections();
    for (const socket of upgrading) socket.destroy();
    await within(closed, 1_000);
  }
}

/** `promise`'s outcome, or "timeout" after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
