/**
 * The part of a server-side WebSocket (the `ws` package's, as @hono/node-server's
 * upgradeWebSocket hands it over in `ws.raw`) the stream uses: sending with a
 * completion callback, `bufferedAmount` for backpressure, ping/pong heartbeats.
 */
export interface RawSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: "pong", listener: () => void): unknown;
}

/** One client socket's session: the route feeds it the socket's messages and its close. */
export interface StreamConnection {
  /** A text message from the client (binary messages are passed as `undefined`). */
  onMessage(text: string | undefined): void;
  onClose(): void;
}

/** Who a stream socket serves: the key's id, tenant and scopes, as the route's authentication found them. */
export interface StreamCaller {
  keyId: string;
  /** Loki tenant of every upstream tail of this socket; undefined = single-tenant Loki. */
  tenant: string | undefined;
  scopes: readonly string[];
}

/** Figures of the live stream, kept for the metrics endpoint. */
export interface StreamFigures {
  clients: number;
  subscriptions: number;
  /** Subscriptions whose socket went away, kept for `resume` until their grace ends. */
  detached_subscriptions: number;
  upstream_tails: number;
  lines_in: number;
  lines_out: number;
  /** Lines a slow client did not get (its queue was full). */
  dropped_client: number;
  /** Lines Loki reported as dropped from a tail. */
  dropped_upstream: number;
  /** Lines Loki's tail skipped without a word, read back from the range and sent late. */
  recovered: number;
  upstream_reconnects: number;
  slow_disconnects: number;
  /** Delivery lag of the last batch (ms from the line's timestamp to its send), per upstream tail: the largest. */
  lag_ms: number | null;
}

/** The live stream as the routes see it (built once in deps.ts). */
export interface StreamService {
  /** Starts the session of a socket that passed authentication (it sends `hello` at once). */
  connect(socket: RawSocket, caller: StreamCaller): StreamConnection;
  figures(): StreamFigures;
  /** Closes every socket (1001 going away) and upstream tail. */
  close(): Promise<void>;
}
