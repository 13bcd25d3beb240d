import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/errors.ts";
import { deadline, requestSignal } from "../../src/http/deadline.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { silentLogger } from "../../src/log.ts";

/** An app whose one route waits `ms` on the request's deadline signal, recording what it saw. */
function appWaiting(deadlineMs: number, ms: number) {
  const seen: { signal?: AbortSignal; error?: unknown } = {};
  const app = new Hono();
  app.use("*", deadline(deadlineMs));
  app.get("/work", async (c) => {
    const signal = requestSignal(c);
    seen.signal = signal;
    try {
      await sleep(ms, undefined, { signal });
    } catch (e) {
      seen.error = signal.reason;
      throw e;
    }
    return c.text("done");
  });
  app.onError(errorHandler(silentLogger));
  return { app, seen };
}

describe("deadline middleware", () => {
  it("answers 504 problem+json at the deadline and aborts the work behind it", async () => {
    const { app, seen } = appWaiting(40, 5_000);
    const res = await app.request("/work");
    expect(res.status).toBe(504);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      type: "urn:logsleuth:problem:timeout",
      status: 504,
      detail: "Request exceeded 40 ms",
      hint: expect.stringContaining("REQUEST_TIMEOUT_MS"),
    });
    expect(seen.signal?.aborted).toBe(true);
    expect(seen.error).toBeInstanceOf(DomainError);
  });

  it("leaves a request that finishes in time alone", async () => {
    const { app, seen } = appWaiting(1_000, 5);
    const res = await app.request("/work");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("done");
    await sleep(5);
    expect(seen.signal?.aborted).toBe(false);
  });

  it("aborts the work when the client disconnects", async () => {
    const { app, seen } = appWaiting(5_000, 5_000);
    const client = new AbortController();
    const pending = Promise.resolve(app.request("/work", { signal: client.signal })).catch((e: unknown) => e);
    await sleep(20);
    client.abort("Client connection prematurely closed.");
    await pending;
    await sleep(5);
    expect(seen.signal?.aborted).toBe(true);
    expect(seen.error).toBeInstanceOf(DomainError); // a typed reason, not the string the server aborts with
    expect((seen.error as DomainError).code).toBe("client-gone");
  });
});
