import { upgradeWebSocket, type WebSocketLike } from "@hono/node-server";
import type { Context } from "hono";
import type { WSEvents } from "hono/ws";

/**
 * WebSocket upgrades, as @hono/node-server's `upgradeWebSocket` does them,
 * plus one fact serveApp needs: whether a request's upgrade was accepted.
 * node-server upgrades a socket only when the route registered a waiter for
 * it; for every other upgrade request serveApp writes the app's own response
 * (problem+json) to the socket. Accepting only through `acceptWebSocket`
 * keeps the two in step.
 */

const ACCEPTED = Symbol("logsleuth.websocket-accepted");

/**
 * Is this request a WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`) that node-server handed
 * over as one? A plain request that only carries an Upgrade header is not.
 */
export function wantsWebSocket(c: Context): boolean {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return false;
  const env = c.env as { incoming?: unknown; outgoing?: unknown } | undefined;
  return typeof env === "object" && env !== null && env.incoming !== undefined && env.outgoing === undefined;
}

/** What is wrong with a WebSocket handshake's headers (as `ws` would refuse it), or undefined. */
export function handshakeProblem(c: Context): string | undefined {
  const version = c.req.header("sec-websocket-version");
  if (version !== "13" && version !== "8") {
    return `Sec-WebSocket-Version must be 13, got ${version === undefined ? "none" : `"${version.slice(0, 20)}"`}.`;
  }
  const key = c.req.header("sec-websocket-key");
  if (!key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) return "Sec-WebSocket-Key must be 16 random bytes in base64.";
  return undefined;
}

/**
 * Accepts the WebSocket upgrade of this request: the socket opens once the
 * response is returned, and `events` get its open, messages and close.
 * Use after `wantsWebSocket`; throws when the server cannot upgrade it (not serveApp's).
 */
export async function acceptWebSocket(
  c: Context,
  events: WSEvents<WebSocketLike>,
  onError: (err: unknown) => void,
): Promise<Response> {
  const response = await upgradeWebSocket(c, events, { onError });
  // node-server answers 500 itself when the request did not come through its upgrade handler.
  if (response.status !== 200) throw new Error("WebSocket upgrade of a request serveApp's server did not hand over");
  (c.env as Record<symbol, unknown>)[ACCEPTED] = true;
  return response;
}

/** Did the route accept the upgrade of the request with this env (node-server's per-request env)? */
export const upgradeAccepted = (env: object): boolean => (env as Record<symbol, unknown>)[ACCEPTED] === true;
