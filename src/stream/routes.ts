import type { WebSocketLike } from "@hono/node-server";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { WSEvents } from "hono/ws";
import { WebSocket } from "ws";
import type { Deps } from "../deps.ts";
import type { TokenPaths } from "../http/auth/index.ts";
import { API_PREFIX } from "../http/paths.ts";
import { ApiError, problemResponse } from "../http/problem.ts";
import { acceptWebSocket, handshakeProblem, wantsWebSocket } from "../http/upgrade.ts";
import { createStreamTokens, MAX_STREAM_TOKEN_LENGTH, STREAM_TOKEN_TTL_S, type StreamTokens } from "./token.ts";
import type { StreamCaller, StreamConnection } from "./types.ts";

export const STREAM_PATH = `${API_PREFIX}/stream`;
export const STREAM_TOKEN_PATH = `${API_PREFIX}/stream/token`;

/** Added to the 401 hint on WS /stream. */
const TOKEN_HINT = `A browser opening ${STREAM_PATH} may pass \`?token=\` instead: a single-use token from POST ${STREAM_TOKEN_PATH} (valid ${STREAM_TOKEN_TTL_S} s).`;

const tokenAnswer = z
  .strictObject({
    token: z.string().openapi({ description: `Pass once as \`?token=\` on the upgrade of ${STREAM_PATH}.` }),
    expires_in: z.number().int().openapi({ description: "Seconds the token can be used", example: STREAM_TOKEN_TTL_S }),
  })
  .openapi("StreamToken");

const tokenRoute = createRoute({
  method: "post",
  path: STREAM_TOKEN_PATH,
  tags: ["stream"],
  summary: "A short-lived, single-use token for a browser's WebSocket upgrade",
  description: `Browsers cannot send headers with a WebSocket upgrade: with a key that has the stream scope, get a token here and open ${STREAM_PATH}?token=<token> within ${STREAM_TOKEN_TTL_S} s. The token stands for the key (its tenant and scopes) and works once, on any API instance sharing the cache.`,
  responses: {
    200: {
      description: "The token",
      headers: { "Cache-Control": { description: "no-store", schema: { type: "string" as const } } },
      content: { "application/json": { schema: tokenAnswer } },
    },
    401: problemResponse("Missing or unknown API key (a stream token cannot make another)"),
    403: problemResponse("The API key lacks the stream scope"),
    429: problemResponse("Rate limit exceeded (see Retry-After)"),
  },
});

/** The upgrade, for the OpenAPI document (the route itself is a plain GET: its answer is a socket). */
const upgradeDoc = createRoute({
  method: "get",
  path: STREAM_PATH,
  tags: ["stream"],
  summary: "WebSocket: the live stream (upgrade)",
  description: `Open with a WebSocket client. Authenticated like every endpoint (Authorization: Bearer or X-API-Key), or, for browsers, with \`?token=\` from POST ${STREAM_TOKEN_PATH}; the key needs the stream scope. A refused upgrade gets the same problem+json as any HTTP request. Client frames above 64 KiB close the socket with 1009. The messages are described in the README (Live stream).`,
  request: {
    query: z.object({
      token: z
        .string()
        .max(MAX_STREAM_TOKEN_LENGTH)
        .optional()
        .openapi({ description: `A single-use token from POST ${STREAM_TOKEN_PATH}, instead of a key header.` }),
    }),
  },
  responses: {
    101: { description: "Switching to the WebSocket protocol; the server sends `hello` first" },
    400: problemResponse("Not a valid WebSocket handshake"),
    401: problemResponse("No or unknown API key, or a token that is expired, used, or not ours"),
    403: problemResponse("The API key lacks the stream scope"),
    426: problemResponse("A plain HTTP request: open a WebSocket instead"),
    429: problemResponse("Rate limit exceeded (see Retry-After)"),
    503: problemResponse("Cannot check a token now (the shared cache is unreachable); retry"),
  },
});

/** The stream tokens of an app: signed with the cursor secrets, made single-use by the cache's locks. */
export const streamTokensFor = (deps: Pick<Deps, "querySettings" | "cache">): StreamTokens =>
  createStreamTokens({ secrets: deps.querySettings.cursorKeys.secrets, cache: deps.cache });

/** What the auth middleware needs to accept `?token=` on WS /stream (and nowhere else). */
export const streamTokenPaths = (tokens: StreamTokens): TokenPaths => ({
  paths: [STREAM_PATH],
  redeem: (token) => tokens.redeem(token),
  hint: TOKEN_HINT,
});

const upgradeRequired = () =>
  new ApiError(
    426,
    "upgrade-required",
    "WebSocket required",
    `${STREAM_PATH} is a WebSocket; this request did not ask for one (no \`Upgrade: websocket\`).`,
    `Open it with a WebSocket client (ws://<host>${STREAM_PATH}, e.g. websocat or new WebSocket(url) with ?token= from POST ${STREAM_TOKEN_PATH}); the README's Live stream section lists the messages.`,
    { headers: { Upgrade: "websocket" } },
  );

const badHandshake = (detail: string) =>
  new ApiError(
    400,
    "bad-websocket-handshake",
    "Invalid WebSocket handshake",
    detail,
    "Use a WebSocket client library (RFC 6455, version 13); it sends Sec-WebSocket-Key and Sec-WebSocket-Version itself.",
  );

/**
 * Declares POST /stream/token and WS /stream. The app's auth middleware must
 * be `deps.auth.withTokens(streamTokenPaths(tokens))` for `?token=` to work.
 */
export function registerStream(app: OpenAPIHono, deps: Deps, tokens: StreamTokens = streamTokensFor(deps)) {
  const streamScope = deps.auth.requireScope("stream");

  app.use(tokenRoute.getRoutingPath(), streamScope);
  app.openapi(tokenRoute, (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(tokens.issue(c.get("auth")), 200);
  });

  app.openAPIRegistry.registerPath(upgradeDoc);
  app.get(STREAM_PATH, streamScope, async (c) => {
    if (!wantsWebSocket(c)) throw upgradeRequired();
    const problem = handshakeProblem(c);
    if (problem) throw badHandshake(problem);
    return acceptWebSocket(c, sessionEvents(deps, c.get("auth")), (err) =>
      deps.logger.error("stream session failed", { err }),
    );
  });
}

/** The socket's events, fed to one stream session (`deps.stream.connect` once the socket is open). */
function sessionEvents(deps: Deps, caller: StreamCaller): WSEvents<WebSocketLike> {
  let session: StreamConnection | undefined;
  return {
    onOpen(_event, ws) {
      if (!(ws.raw instanceof WebSocket)) {
        ws.close(1011, "unexpected socket");
        return;
      }
      try {
        session = deps.stream.connect(ws.raw, caller);
      } catch (err) {
        deps.logger.error("stream session could not start", { err });
        ws.close(1011, "internal error");
      }
    },
    onMessage(event) {
      session?.onMessage(typeof event.data === "string" ? event.data : undefined);
    },
    onClose() {
      session?.onClose();
      session = undefined;
    },
  };
}
