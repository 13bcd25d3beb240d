import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/http/auth/keys.ts";
import { type Auth, createAuth, type TokenCaller } from "../../src/http/auth/middleware.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { ApiError } from "../../src/http/problem.ts";
import { silentLogger } from "../../src/log.ts";

// Auth.withTokens: `?token=` stands in for a key header on the token paths only, never with neither.
const dir = mkdtempSync(path.join(tmpdir(), "auth-tokens-"));
const file = path.join(dir, "keys.yaml");
const streamKey = "lsk_stream_key";
writeFileSync(file, `- { id: streamer, sha256: ${sha256Hex(streamKey)}, tenant: acme, scopes: [stream] }\n`);

const HINT = "Or get a token from POST /stream/token.";
const callers: Record<string, TokenCaller> = {
  good: { keyId: "streamer", tenant: "acme", scopes: ["stream", "read", "admin"] },
  ghost: { keyId: "ghost", tenant: "acme", scopes: ["stream"] },
  moved: { keyId: "streamer", tenant: "globex", scopes: ["stream"] },
  odd: { keyId: "local", tenant: "here", scopes: ["stream", "fly"] },
};

function appWith(auth: Auth) {
  const redeemed: string[] = [];
  const app = new Hono();
  app.use(
    "/api/*",
    auth.withTokens({
      paths: ["/api/stream"],
      hint: HINT,
      redeem: async (token) => {
        redeemed.push(token);
        if (token === "down") throw new ApiError(503, "down", "Down", "cache down", "retry");
        return callers[token];
      },
    }),
  );
  app.get("/api/stream", (c) => c.json(c.get("auth")));
  app.get("/api/read", (c) => c.json(c.get("auth")));
  app.onError(errorHandler(silentLogger));
  return { app, redeemed };
}

const keys = createAuth({ mode: "keys", keysFile: file, logger: silentLogger });
const off = createAuth({ mode: "off", defaultTenant: "local-tenant", logger: silentLogger });
afterAll(() => {
  keys.close();
  off.close();
  rmSync(dir, { recursive: true, force: true });
});

async function problemOf(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe('Bearer realm="logsleuth"');
  return (await res.json()) as { hint: string; type: string };
}

describe("withTokens, keys mode", () => {
  const { app, redeemed } = appWith(keys);

  it("refuses a token path with neither key nor token: the 401 with the path's hint", async () => {
    const problem = await problemOf(await app.request("/api/stream"));
    expect(problem.type).toBe("urn:logsleuth:problem:unauthorized");
    expect(problem.hint).toContain(HINT);
    // Elsewhere the hint is the plain one.
    expect((await problemOf(await app.request("/api/read"))).hint).not.toContain(HINT);
  });

  it("lets a key header decide when there is one, leaving the token unused", async () => {
    redeemed.length = 0;
    const res = await app.request("/api/stream?token=good", { headers: { "X-API-Key": streamKey } });
    expect(await res.json()).toEqual({ keyId: "streamer", tenant: "acme", scopes: ["stream"] });
    expect(redeemed).toEqual([]);
    await problemOf(await app.request("/api/stream?token=good", { headers: { "X-API-Key": "lsk_wrong" } }));
    expect(redeemed).toEqual([]);
  });

  it("accepts a valid token as its key, granting no scope the key does not have now", async () => {
    const res = await app.request("/api/stream?token=good");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ keyId: "streamer", tenant: "acme", scopes: ["stream"] });
  });

  it("refuses an invalid token, one of a removed key or of another tenant, and two tokens", async () => {
    redeemed.length = 0;
    for (const query of ["token=nope", "token=ghost", "token=moved", "token=", "token=good&token=good"]) {
      expect((await problemOf(await app.request(`/api/stream?${query}`))).hint).toContain(HINT);
    }
    expect(redeemed).toEqual(["nope", "ghost", "moved"]);
  });

  it("never looks at a token outside the token paths", async () => {
    redeemed.length = 0;
    await problemOf(await app.request("/api/read?token=good"));
    expect(redeemed).toEqual([]);
  });

  it("passes the redeemer's own error on (e.g. 503 when it cannot tell)", async () => {
    expect((await app.request("/api/stream?token=down")).status).toBe(503);
  });
});

describe("withTokens, auth off", () => {
  const { app } = appWith(off);

  it("serves the local caller without a token, and the token's caller with one", async () => {
    expect(await (await app.request("/api/stream")).json()).toMatchObject({ keyId: "local", tenant: "local-tenant" });
    expect(await (await app.request("/api/stream?token=odd")).json()).toEqual({
      keyId: "local",
      tenant: "here",
      scopes: ["stream"],
    });
  });

  it("still checks a token it is given", async () => {
    await problemOf(await app.request("/api/stream?token=nope"));
  });
});
