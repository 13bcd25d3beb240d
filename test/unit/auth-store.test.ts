import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/http/auth/keys.ts";
import { KeyStore } from "../../src/http/auth/store.ts";
import { createLogger, silentLogger } from "../../src/log.ts";

const dir = mkdtempSync(path.join(tmpdir(), "auth-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (id: string, key: string, tenant = "acme") => ({ id, sha256: sha256Hex(key), tenant, scopes: ["read"] });

async function until(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("KeyStore reloads the keys file on change", () => {
  it("picks up in-place writes and atomic replacements (JSON)", async () => {
    const file = path.join(dir, "keys.json");
    writeFileSync(file, JSON.stringify([entry("a", "key-a")]));
    const store = new KeyStore({ file, logger: silentLogger, pollMs: 200 });
    try {
      expect(store.keys.find("key-a")?.id).toBe("a");
      expect(store.keys.find("key-b")).toBeUndefined();

      writeFileSync(file, JSON.stringify([entry("a", "key-a"), entry("b", "key-b")]));
      await until(() => store.keys.find("key-b") !== undefined);

      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify([entry("b", "key-b", "globex")]));
      renameSync(tmp, file);
      await until(() => store.keys.find("key-a") === undefined);
      expect(store.keys.find("key-b")?.tenant).toBe("globex");
    } finally {
      store.close();
    }
  });

  it("keeps the last good keys when the file turns invalid, logging it once; no file means no keys", async () => {
    const file = path.join(dir, "keys.yaml");
    writeFileSync(file, `- id: a\n  sha256: ${sha256Hex("key-a")}\n  tenant: acme\n  scopes: [read]\n`);
    const logs: Array<{ level: string; msg: string }> = [];
    const store = new KeyStore({ file, logger: createLogger("info", (l) => logs.push(JSON.parse(l))), pollMs: 100 });
    try {
      writeFileSync(file, "- id: a\n  sha256: not-a-hash\n");
      await until(() => logs.some((l) => l.level === "error"));
      await new Promise((r) => setTimeout(r, 400)); // several polls
      expect(logs.filter((l) => l.level === "error")).toHaveLength(1);
      expect(store.keys.find("key-a")?.id).toBe("a");

      unlinkSync(file);
      await until(() => store.keys.size === 0);
      expect(store.keys.find("key-a")).toBeUndefined();

      writeFileSync(file, `- {id: c, sha256: ${sha256Hex("key-c")}, tenant: t, scopes: [read]}\n`);
      await until(() => store.keys.find("key-c") !== undefined);
    } finally {
      store.close();
    }
  });

  it("keeps the last good keys when the file is emptied (an editor truncating before writing); [] revokes", async () => {
    const file = path.join(dir, "truncated.yaml");
    writeFileSync(file, `- id: a\n  sha256: ${sha256Hex("key-a")}\n  tenant: acme\n  scopes: [read]\n`);
    const logs: Array<{ level: string; msg: string }> = [];
    const store = new KeyStore({ file, logger: createLogger("info", (l) => logs.push(JSON.parse(l))), pollMs: 100 });
    try {
      for (const blank of ["", "\n  \n", "# only a comment\n"]) {
        writeFileSync(file, blank);
        await store.reload();
        expect(store.keys.find("key-a")?.id, JSON.stringify(blank)).toBe("a");
      }
      expect(logs.find((l) => l.level === "warn")?.msg).toMatch(/empty.*keeping the previous keys/);

      writeFileSync(file, "[]\n");
      await until(() => store.keys.size === 0);
      expect(store.keys.find("key-a")).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it("notices a change through fs.watch alone (poll effectively off)", async () => {
    const file = path.join(dir, "watched.json");
    writeFileSync(file, JSON.stringify([entry("a", "key-a")]));
    const store = new KeyStore({ file, logger: silentLogger, pollMs: 600_000 });
    try {
      writeFileSync(file, JSON.stringify([entry("w", "key-w")]));
      await until(() => store.keys.find("key-w") !== undefined, 3_000);
    } finally {
      store.close();
    }
  });

  it("starts with no keys when the file does not exist yet", async () => {
    const file = path.join(dir, "later.yaml");
    const store = new KeyStore({ file, logger: silentLogger, pollMs: 100 });
    try {
      expect(store.keys.size).toBe(0);
      writeFileSync(file, JSON.stringify([entry("z", "key-z")]));
      await until(() => store.keys.find("key-z") !== undefined);
    } finally {
      store.close();
    }
  });
});
