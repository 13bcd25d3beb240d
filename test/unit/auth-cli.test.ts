// `npm run keys -- create`: appends a hash to the keys file and prints the key, alone, last.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { parseKeysFile, sha256Hex } from "../../src/http/auth/keys.ts";
import { createAuth } from "../../src/http/auth/middleware.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { silentLogger } from "../../src/log.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(path.join(tmpdir(), "keys-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keys(args: string[], env: Record<string, string> = {}) {
  const { API_KEYS_FILE: _, ...rest } = process.env;
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/keys.ts", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...rest, ...env },
  });
}

const lastLine = (stdout: string) => stdout.trimEnd().split("\n").at(-1) ?? "";

describe("scripts/keys.ts create", () => {
  it("creates a YAML file, appends to it, prints each key last, and the key then authenticates", async () => {
    const file = path.join(dir, "keys.yaml");
    const first = keys(["create", "--tenant", "acme", "--scopes", "read,stream", "--file", file]);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const key1 = lastLine(first.stdout);
    expect(key1).toMatch(/^lsk_[A-Za-z0-9_-]{43}$/);

    const second = keys(["create", "--tenant", "globex", "--scopes", "read,stream,export,ingest"], {
      API_KEYS_FILE: file,
    });
    expect(second.status).toBe(0);
    const key2 = lastLine(second.stdout);
    expect(key2).not.toBe(key1);

    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(key1);
    expect(text).not.toContain(key2);
    const entries = parseKeysFile(text);
    expect(entries.map((e) => [e.tenant, e.scopes, e.sha256])).toEqual([
      ["acme", ["read", "stream"], sha256Hex(key1)],
      ["globex", ["read", "stream", "export", "ingest"], sha256Hex(key2)],
    ]);

    const auth = createAuth({ mode: "keys", keysFile: file, logger: silentLogger });
    try {
      const app = new Hono();
      app.use("*", auth.middleware);
      app.get("/export", auth.requireScope("export"), (c) => c.json(c.get("auth")));
      app.onError(errorHandler(silentLogger));
      const ok = await app.request("/export", { headers: { Authorization: `Bearer ${key2}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ tenant: "globex" });
      expect((await app.request("/export", { headers: { "X-API-Key": key1 } })).status).toBe(403);
    } finally {
      auth.close();
    }
  });

  it("appends to an existing JSON file", () => {
    const file = path.join(dir, "keys.json");
    writeFileSync(file, JSON.stringify([{ id: "old", sha256: sha256Hex("x"), tenant: "t", scopes: ["read"] }]));
    const out = keys(["create", "--tenant", "t2", "--scopes", "admin", "--id", "ci", "--file", file]);
    expect(out.status).toBe(0);
    const entries = parseKeysFile(readFileSync(file, "utf8"));
    expect(entries.map((e) => e.id)).toEqual(["old", "ci"]);
    expect(entries[1]?.sha256).toBe(sha256Hex(lastLine(out.stdout)));
  });

  it("refuses bad input without touching the file", () => {
    const file = path.join(dir, "untouched.yaml");
    const noFile = keys(["create", "--tenant", "t", "--scopes", "read"]);
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/--file or API_KEYS_FILE/);
    const badScope = keys(["create", "--tenant", "t", "--scopes", "read,root", "--file", file]);
    expect(badScope.status).toBe(2);
    expect(badScope.stderr).toMatch(/unknown: root/);
    expect(badScope.stdout).toBe("");
    expect(() => readFileSync(file)).toThrow();
  });
});
