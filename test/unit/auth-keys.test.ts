import { describe, expect, it } from "vitest";
import { constantTimeEqual, generateKey, KeyIndex, parseKeysFile, sha256Hex } from "../../src/http/auth/keys.ts";
import { presentedKey } from "../../src/http/auth/middleware.ts";
import { authModeFrom } from "../../src/http/auth/mode.ts";

const keyA = "lsk_test_key_a";
const keyB = "lsk_test_key_b";

describe("parseKeysFile", () => {
  it("reads a YAML list", () => {
    const yaml = `# keys
- id: a
  sha256: ${sha256Hex(keyA)}
  tenant: acme
  scopes: [read, stream]
- id: b
  sha256: ${sha256Hex(keyB).toUpperCase()}
  tenant: globex
  scopes:
    - admin
  note: ops
`;
    expect(parseKeysFile(yaml)).toEqual([
      { id: "a", sha256: sha256Hex(keyA), tenant: "acme", scopes: ["read", "stream"] },
      { id: "b", sha256: sha256Hex(keyB), tenant: "globex", scopes: ["admin"], note: "ops" },
    ]);
  });

  it("reads JSON, as a list or under keys", () => {
    const entry = { id: "a", sha256: sha256Hex(keyA), tenant: "acme", scopes: ["read"] };
    expect(parseKeysFile(JSON.stringify([entry]))).toEqual([entry]);
    expect(parseKeysFile(JSON.stringify({ keys: [entry] }))).toEqual([entry]);
    expect(parseKeysFile("")).toEqual([]);
  });

  it.each([
    ["a plain key instead of its hash", [{ id: "a", sha256: keyA, tenant: "t", scopes: ["read"] }], /64 hex digits/],
    ["an unknown scope", [{ id: "a", sha256: sha256Hex(keyA), tenant: "t", scopes: ["root"] }], /scopes must be/],
    ["no scopes", [{ id: "a", sha256: sha256Hex(keyA), tenant: "t", scopes: [] }], /scopes/],
    ["a bad tenant", [{ id: "a", sha256: sha256Hex(keyA), tenant: "a b", scopes: ["read"] }], /tenant/],
    [
      "a typo'd field",
      [{ id: "a", sha256: sha256Hex(keyA), tenant: "t", scope: ["read"] }],
      /Unrecognized key: "scope"/,
    ],
    [
      "a duplicate id",
      [
        { id: "a", sha256: sha256Hex(keyA), tenant: "t", scopes: ["read"] },
        { id: "a", sha256: sha256Hex(keyB), tenant: "t", scopes: ["read"] },
      ],
      /duplicate id "a"/,
    ],
  ])("rejects %s", (_what, content, message) => {
    expect(() => parseKeysFile(JSON.stringify(content), "keys.json")).toThrow(message);
  });

  it("rejects a file that is not a list", () => {
    expect(() => parseKeysFile("id: a\n", "k.yaml")).toThrow(/must hold a list of keys/);
  });

  it("rejects broken YAML naming the file", () => {
    expect(() => parseKeysFile("- id: [", "/etc/keys.yaml")).toThrow(/\/etc\/keys\.yaml is not valid YAML/);
  });
});

describe("constant-time comparison", () => {
  it("compares strings of any length", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });

  it("finds a key by its hash, only that key", () => {
    const index = new KeyIndex(
      parseKeysFile(
        JSON.stringify([
          { id: "a", sha256: sha256Hex(keyA), tenant: "acme", scopes: ["read"] },
          { id: "b", sha256: sha256Hex(keyB), tenant: "globex", scopes: ["read"] },
        ]),
      ),
    );
    expect(index.find(keyA)?.id).toBe("a");
    expect(index.find(keyB)?.tenant).toBe("globex");
    expect(index.find("lsk_unknown")).toBeUndefined();
    expect(index.find(sha256Hex(keyA))).toBeUndefined(); // the hash itself is not a key
  });

  it("generates distinct, url-safe 256-bit keys", () => {
    const a = generateKey();
    expect(a).toMatch(/^lsk_[A-Za-z0-9_-]{43}$/);
    expect(generateKey()).not.toBe(a);
  });
});

describe("presentedKey", () => {
  const h = (headers: Record<string, string>) => (name: string) => headers[name];
  it.each([
    [{ authorization: "Bearer k1" }, "k1"],
    [{ authorization: "bearer   k1  " }, "k1"],
    [{ "x-api-key": "k1" }, "k1"],
    [{ authorization: "Bearer k1", "x-api-key": "k1" }, "k1"],
    [{ authorization: "Bearer k1", "x-api-key": "k2" }, ""],
    [{ authorization: "Basic dXNlcjpwYXNz" }, ""],
    [{ authorization: `Bearer ${"x".repeat(300)}` }, ""],
    [{}, undefined],
  ])("%j → %j", (headers, expected) => {
    expect(presentedKey(h(headers))).toBe(expected);
  });
});

describe("authModeFrom", () => {
  it("turns auth on with a keys file and off without one", () => {
    expect(authModeFrom({ API_KEYS_FILE: "/k.yaml" })).toBe("keys");
    expect(authModeFrom({ API_KEYS_FILE: "/k.yaml", AUTH: "on" })).toBe("keys");
    expect(authModeFrom({})).toBe("off");
    expect(authModeFrom({ AUTH: "off" })).toBe("off");
  });

  it("refuses contradictions", () => {
    expect(() => authModeFrom({ AUTH: "on" })).toThrow(/needs API_KEYS_FILE/);
    expect(() => authModeFrom({ AUTH: "off", API_KEYS_FILE: "/k.yaml" })).toThrow(/contradicts/);
    expect(() => authModeFrom({ AUTH: "maybe" })).toThrow(/"on" or "off"/);
  });
});
