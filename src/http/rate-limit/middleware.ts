import type { Context, MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Logger } from "../../log.ts";
import { ApiError } from "../problem.ts";
import type { RateClass } from "./classify.ts";

export interface Budget {
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds (fixed window starting at the first request). */
  durationS: number;
}

export interface RateLimitOptions {
  /**
   * Shared store: every API instance draws from the same budget. When Redis
   * is down or not ready, each instance falls back to its own in-memory
   * budget of the same size (the insurance limiter) and no request fails.
   * Omitted → in-memory only.
   */
  redis?: Redis | undefined;
  cheap: Budget;
  heavy: Budget;
  /** Which budget a request draws from; "none" is not limited. */
  classify: (c: Context) => RateClass;
  /** Who is limited: e.g. the API key id. Never a secret (it is stored in Redis as is). */
  keyOf: (c: Context) => string;
  /** Redis key prefix (default "ls:rl"). */
  keyPrefix?: string;
  /** Logs store failures that even the insurance limiter could not absorb (then the request is let through). */
  logger?: Logger;
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * Per-key rate limits (rate-limiter-flexible), with separate budgets for
 * cheap and heavy calls. Every limited request gets RateLimit-Limit,
 * RateLimit-Remaining, RateLimit-Reset (seconds until the window resets) and
 * RateLimit-Policy; over budget → 429 problem+json with Retry-After.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const prefix = options.keyPrefix ?? "ls:rl";
  const make = (cls: "cheap" | "heavy", budget: Budget): Limiter => {
    const base = { points: budget.points, duration: budget.durationS, keyPrefix: `${prefix}:${cls}` };
    if (!options.redis) return new RateLimiterMemory(base);
    return new RateLimiterRedis({
      ...base,
      storeClient: options.redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(base),
    });
  };
  const limiters = { cheap: make("cheap", options.cheap), heavy: make("heavy", options.heavy) };

  return async (c, next) => {
    const cls = options.classify(c);
    if (cls === "none") return next();
    const budget = options[cls];
    let res: RateLimiterRes;
    let limited = false;
    try {
      res = await limiters[cls].consume(options.keyOf(c));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        // Store and insurance both failed (should not happen): never fail a request for it.
        options.logger?.warn("rate limiter unavailable; request not limited", { error: err });
        return next();
      }
      res = err;
      limited = true;
    }
    const resetS = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    const headers: Record<string, string> = {
      "RateLimit-Limit": String(budget.points),
      "RateLimit-Remaining": String(Math.max(0, res.remainingPoints)),
      "RateLimit-Reset": String(resetS),
      "RateLimit-Policy": `${budget.points};w=${budget.durationS}`,
    };
    if (limited) {
      const at = new Date(Date.now() + resetS * 1000).toISOString();
      throw new ApiError(
        429,
        "rate-limited",
        "Too many requests",
        `This API key used its ${cls} budget of ${budget.points} requests per ${budget.durationS} s.`,
        `Retry after ${resetS} s (at ${at}). ${
          cls === "heavy"
            ? "Heavy calls (query, services, patterns, analyze, export, correlate) have their own budget; cheap calls (labels) still work meanwhile, and /health is never limited."
            : "Cheap calls (labels) have their own budget, separate from heavy ones; /health is never limited."
        }`,
        { headers: { ...headers, "Retry-After": String(resetS) } },
      );
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
    // A handler that built its own Response drops prepared headers: put them back.
    if (!c.res.headers.has("RateLimit-Limit"))
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
  };
}
