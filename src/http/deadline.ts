import type { Context, MiddlewareHandler } from "hono";
import { asError, DomainError } from "../errors.ts";

/**
 * A deadline per request: one signal that aborts when the client disconnects
 * or when `ms` have passed. Routes hand it to services (`requestSignal(c)`),
 * so the Loki calls behind a request stop with it; at the deadline the
 * request answers 504 problem+json at once, even if the handler is busy.
 */

const signals = new WeakMap<Request, AbortSignal>();

/** The deadline error: a 504 with a hint (the signal's reason, so work aborted by it fails the same way). */
export function requestTimeout(ms: number): DomainError {
  return new DomainError(
    "timeout",
    "timeout",
    "Request timed out",
    `Request exceeded ${ms} ms`,
    "The request took longer than the server's REQUEST_TIMEOUT_MS; narrow the time range or add filters.",
  );
}

/** The client closed the connection before its answer: the work behind it stops (nobody reads this 504). */
function clientGone(): DomainError {
  return new DomainError(
    "timeout",
    "client-gone",
    "Client disconnected",
    "The client closed the connection before the answer was ready.",
    "Keep the connection open until the answer arrives, or raise the client's timeout.",
  );
}

export function deadline(ms: number): MiddlewareHandler {
  return async (c, next) => {
    const controller = new AbortController();
    const signal = controller.signal;
    const client = c.req.raw.signal;
    const onGone = () => controller.abort(clientGone());
    if (client.aborted) onGone();
    else client.addEventListener("abort", onGone, { once: true });
    const timeout = setTimeout(() => controller.abort(requestTimeout(ms)), ms);
    signals.set(c.req.raw, signal);
    let onAbort = () => {};
    const ended = new Promise<never>((_, reject) => {
      onAbort = () => reject(asError(signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([next(), ended]);
    } finally {
      clearTimeout(timeout);
      client.removeEventListener("abort", onGone);
      signal.removeEventListener("abort", onAbort);
    }
  };
}

/** The request's deadline signal (its client's disconnect alone outside the deadline middleware). */
export function requestSignal(c: Context): AbortSignal {
  return signals.get(c.req.raw) ?? c.req.raw.signal;
}
