import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SCOPES, type Scope, TENANT_PATTERN } from "./types.ts";

/**
 * API keys: generation, hashing, constant-time comparison and the keys file
 * format. The file holds sha256 hashes only, never keys:
 *
 *   # keys.yaml (or keys.json with the same structure)
 *   - id: k_1a2b3c4d5e
 *     sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *     tenant: acme
 *     scopes: [read, stream]
 *     created: 2025-01-01T00:00:00.000Z   # optional
 *     note: CI agent                      # optional
 *
 * A top-level `keys:` list is accepted too.
 */
export const KEY_PREFIX = "lsk_";
/** Longer credentials are refused before hashing. */
export const MAX_KEY_LENGTH = 256;

export const keyEntrySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "id must be 1-64 letters, digits, _ . or -"),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "sha256 must be 64 hex digits (the SHA-256 of the key, not the key)")
    .transform((s) => s.toLowerCase()),
  tenant: z.string().regex(TENANT_PATTERN, "tenant must be a Loki tenant id (letters, digits, !-_.*'(), ≤150)"),
  scopes: z.array(z.enum(SCOPES, { error: () => `scopes must be among ${SCOPES.join(", ")}` })).min(1),
  created: z.string().optional(),
  note: z.string().optional(),
});
export type KeyEntry = z.output<typeof keyEntrySchema>;

const fileSchema = z
  .array(keyEntrySchema, { error: () => "the file must hold a list of keys (or keys: [...])" })
  .superRefine((entries, ctx) => {
    const ids = new Set<string>();
    const hashes = new Set<string>();
    for (const e of entries) {
      if (ids.has(e.id)) ctx.addIssue({ code: "custom", message: `duplicate id "${e.id}"` });
      if (hashes.has(e.sha256)) ctx.addIssue({ code: "custom", message: `key "${e.id}" has the same hash as another` });
      ids.add(e.id);
      hashes.add(e.sha256);
    }
  });

/** A new random key (256 bits), shown once to its owner. */
export const generateKey = (): string => `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;

/** A new random key id (not derived from the key). */
export const generateKeyId = (): string => `k_${randomBytes(5).toString("hex")}`;

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * Compares two strings in time independent of where they differ: both are
 * hashed to 32-byte SHA-256 digests first, so lengths never leak either.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

/** Parses a keys file's text (YAML or JSON — JSON is YAML); throws an Error naming what is wrong. */
export function parseKeysFile(text: string, name = "keys file"): KeyEntry[] {
  let raw: unknown;
  try {
    raw = text.trim() === "" ? [] : parseYaml(text);
  } catch (err) {
    throw new Error(`${name} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) raw = [];
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && Object.keys(raw).join() === "keys") {
    raw = (raw as { keys: unknown }).keys; // the `keys: [...]` form
  }
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`);
    throw new Error(`${name} is invalid: ${[...new Set(problems)].join("; ")}`);
  }
  return result.data;
}

interface IndexedKey {
  entry: KeyEntry;
  digest: Buffer;
}

/** The loaded keys, looked up by the SHA-256 of a presented key in constant time. */
export class KeyIndex {
  private readonly keys: IndexedKey[];
  private readonly ids: Map<string, KeyEntry>;

  constructor(entries: readonly KeyEntry[]) {
    this.keys = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, "hex") }));
    this.ids = new Map(entries.map((e) => [e.id, e]));
  }

  /** The entry with this id (ids are not secret: a stream token names its key by id). */
  byId(id: string): KeyEntry | undefined {
    return this.ids.get(id);
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The entry whose hash matches `presented`, or undefined. Every entry is
   * compared (no early exit) with crypto.timingSafeEqual on 32-byte digests.
   */
  find(presented: string): KeyEntry | undefined {
    const digest = createHash("sha256").update(presented, "utf8").digest();
    let found: KeyEntry | undefined;
    for (const k of this.keys) {
      if (timingSafeEqual(digest, k.digest) && found === undefined) found = k.entry;
    }
    return found;
  }
}

export const hasScope = (scopes: readonly Scope[], needed: Scope): boolean =>
  scopes.includes(needed) || scopes.includes("admin");
