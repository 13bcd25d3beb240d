import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/http/auth/keys.ts";
import { type Auth, createAuth } from "../../src/http/auth/middleware.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { createLogger, silentLogger } from "../../src/log.ts";

const dir = mkdtempSync(path.join(tmpdir(), "auth-mw-"));
const file = path.join(dir, "keys.yaml");
const readKey = "lsk_reader_key";
const adminKey = "lsk_admin_key";
writeFileSync(
  file,
  `- { id: reader, sha256: ${sha256Hex(readKey)}, tenant: acme, scopes: [read] }
- { id: boss, sha256: ${sha256Hex(adminKey)}, tenant: globex, scopes: [admin] }
`,
);

function appWith(auth: Auth) {
  const app = new Hono();
  app.use("/api/*", auth.middleware);
  app.get("/api/read", auth.requireScope("read"), (c) => c.json(c.get("auth")));
  app.get("/api/export", auth.requireScope("export"), (c) => c.json(c.get("auth")));
  app.onError(errorHandler(silentLogger));
  return app;
}

const auth = createAuth({ mode: "keys", keysFile: file, logger: silentLogger, publicPaths: ["/api/health"] });
const app = appWith(auth);
app.get("/api/health", (c) => c.json({ auth: c.get("auth") ?? null }));
afterAll(() => {
  auth.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("auth with API keys", () => {
  it("accepts a Bearer key or X-API-Key, and sets the key's tenant and scopes", async () => {
    for (const headers of [{ Authorization: `Bearer ${readKey}` }, { "X-API-Key": readKey }]) {
      const res = await app.request("/api/read", { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ keyId: "reader", tenant: "acme", scopes: ["read"] });
    }
  });

  it("answers 401 with one identical problem for a missing, unknown or malformed key", async () => {
    const responses = await Promise.all(
      [{}, { Authorization: "Bearer lsk_nope" }, { "X-API-Key": "lsk_nope" }, { Authorization: "Basic eDp5" }].map(
        (headers) => app.request("/api/read", { headers }),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.text()));
    for (const res of responses) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="logsleuth"');
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0] as string)).toMatchObject({
      type: "urn:logsleuth:problem:unauthorized",
      status: 401,
      hint: expect.stringContaining("Authorization: Bearer"),
    });
    expect(bodies[0]).not.toContain("lsk_nope");
  });

  it("answers 403 when the key lacks the scope, and admin has every scope", async () => {
    const res = await app.request("/api/export", { headers: { Authorization: `Bearer ${readKey}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      type: "urn:logsleuth:problem:forbidden",
      status: 403,
      detail: expect.stringContaining('"export"'),
    });
    const ok = await app.request("/api/export", { headers: { "X-API-Key": adminKey } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ keyId: "boss", tenant: "globex" });
  });

  it("serves public paths without a key", async () => {
    const res = await app.request("/api/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ auth: null });
    expect((await app.request("/api/health/x")).status).toBe(401);
  });

  it("fails closed when requireScope runs without the auth middleware", async () => {
    const bare = new Hono();
    bare.get("/x", auth.requireScope("read"), (c) => c.text("no"));
    bare.onError(errorHandler(silentLogger));
    expect((await bare.request("/x")).status).toBe(401);
  });

  it("refuses to start on an invalid keys file", () => {
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ id: "a", sha256: "plainkey", tenant: "t", scopes: ["read"] }]));
    expect(() => createAuth({ mode: "keys", keysFile: bad, logger: silentLogger })).toThrow(/64 hex digits/);
  });
});

describe("auth off", () => {
  it("serves every request as the default tenant with every scope, and says so loudly at start", async () => {
    const lines: string[] = [];
    const off = createAuth({ mode: "off", defaultTenant: "local", logger: createLogger("info", (l) => lines.push(l)) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: "warn",
      msg: expect.stringContaining("AUTH IS OFF"),
    });
    const res = await appWith(off).request("/api/export");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      keyId: "local",
      tenant: "local",
      scopes: ["read", "stream", "export", "ingest", "admin"],
    });
  });
});
