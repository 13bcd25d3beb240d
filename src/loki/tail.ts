import { WebSocket } from "undici";
import { z } from "zod";
import type { LokiClient } from "./client.ts";
import { LokiError } from "./errors.ts";
import { streamSchema } from "./schemas.ts";
import type { Nanos } from "./time.ts";

const tailMessageSchema = z.object({
  streams: z
    .array(streamSchema)
    .nullish()
    .transform((s) => s ?? []),
  dropped_entries: z
    .array(z.object({ labels: z.record(z.string(), z.string()), timestamp: z.string() }))
    .nullish()
    .transform((d) => d ?? []),
});
export type TailMessage = z.infer<typeof tailMessageSchema>;

export interface TailOptions {
  query: string;
  /** Start of the tail (ns); Loki defaults to one hour ago. */
  start?: Nanos;
  limit?: number;
  /** Seconds Loki waits to order late entries (0–5). */
  delayFor?: number;
  signal?: AbortSignal;
}

export interface TailHandlers {
  onMessage(message: TailMessage): void;
  /** Called once when the tail ends: `error` is set when it ended abnormally. */
  onClose(error?: LokiError): void;
}

export interface TailHandle {
  close(): void;
  /** Resolves when Loki accepted the WebSocket. */
  opened: Promise<void>;
}

/**
 * Live tail of Loki over its WebSocket endpoint (`/loki/api/v1/tail`), with the
 * client's tenant header. Messages are validated; dropped entries reported by
 * Loki are passed on so that no gap is silent.
 */
export function tail(client: LokiClient, options: TailOptions, handlers: TailHandlers): TailHandle {
  const params = new URLSearchParams({ query: options.query });
  if (options.start !== undefined) params.set("start", String(options.start));
  if (options.limit !== undefined) params.set("limit", String(options.limit));
  if (options.delayFor !== undefined) params.set("delay_for", String(options.delayFor));
  const url = `${client.url.replace(/^http/, "ws")}/loki/api/v1/tail?${params}`;
  const ws = new WebSocket(url, { headers: client.headers() });
  let closed = false;
  let opened = false;
  const finish = (error?: LokiError) => {
    if (closed) return;
    closed = true;
    handlers.onClose(error);
  };
  const openedPromise = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => {
      opened = true;
      resolve();
    });
    ws.addEventListener("error", (event) => {
      const err = new LokiError("unavailable", `Loki tail failed: ${describe(event)}`, {
        path: "/loki/api/v1/tail",
      });
      if (!opened) reject(err);
      finish(err);
    });
  });
  openedPromise.catch(() => {});

  ws.addEventListener("message", (event) => {
    let parsed: TailMessage;
    try {
      parsed = tailMessageSchema.parse(JSON.parse(String(event.data)));
    } catch (cause) {
      finish(new LokiError("upstream", "Loki sent a tail message of unexpected shape", { cause }));
      ws.close();
      return;
    }
    handlers.onMessage(parsed);
  });
  ws.addEventListener("close", (event) => {
    const normal = event.code === 1000 || closedByUs;
    finish(
      normal
        ? undefined
        : new LokiError(
            "unavailable",
            `Loki closed the tail (${event.code}${event.reason ? `: ${event.reason}` : ""})`,
            {
              path: "/loki/api/v1/tail",
              lokiMessage: event.reason,
            },
          ),
    );
  });

  let closedByUs = false;
  const close = () => {
    closedByUs = true;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    finish();
  };
  options.signal?.addEventListener("abort", close, { once: true });
  return { close, opened: openedPromise };
}

function describe(event: unknown): string {
  const err = (event as { error?: unknown }).error;
  if (err instanceof Error) return err.message;
  return "connection error";
}
