import { DomainError } from "../errors.ts";

/**
 * A live stream failure (bad filter, too many upstream tails, unknown
 * subscription). Over the socket it becomes an `error` message with the same
 * code, title, detail and hint a problem+json would carry.
 */
export class StreamError extends DomainError {
  override name = "StreamError";
}

/** Loki did not keep a new tail open: its own tail limit, or anything else. */
export function tailRefused(err: Error): StreamError {
  if (/max concurrent tail requests/i.test(err.message)) {
    return new StreamError(
      "refused",
      "loki-tail-limit",
      "Loki's tail limit reached",
      `Loki refused one more live tail for this tenant: ${err.message}`,
      "Other tails of this tenant (other API instances, Grafana Explore, logcli) use Loki's max_concurrent_tail_requests: reuse a selector already streamed, close other tails, or raise the limit in Loki's limits_config.",
    );
  }
  return new StreamError(
    "unavailable",
    "tail-failed",
    "Loki refused the tail",
    `Loki did not open the live tail: ${err.message}`,
    "Check GET /api/v1/ai_logs/health; when Loki's tail limit (max_concurrent_tail_requests) is reached elsewhere, close other tails or raise it.",
  );
}
