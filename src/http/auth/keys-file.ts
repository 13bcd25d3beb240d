import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { Document, isMap, isSeq, parseDocument } from "yaml";
import { type KeyEntry, keyEntrySchema, parseKeysFile } from "./keys.ts";

const YAML_HEADER =
  " Logsleuth API keys: SHA-256 hashes only, never keys. Manage with `npm run keys -- create|list|revoke`.\n" +
  " The API reloads this file on change.";

const isJson = (file: string) => extname(file).toLowerCase() === ".json";

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * True when a keys file's text holds nothing at all (empty, blank, or only
 * comments): what an editor leaves while it truncates before writing, not a
 * key set. An explicit empty list (`[]`, `keys: []`) is not blank.
 */
export function isBlankKeysText(text: string): boolean {
  if (text.trim() === "") return true;
  const doc = parseDocument(text);
  return doc.errors.length === 0 && doc.contents === null;
}

/** The entries of a keys file; a missing file has none. */
export async function readKeysFile(file: string): Promise<KeyEntry[]> {
  const text = await readText(file);
  return text === undefined ? [] : parseKeysFile(text, file);
}

/**
 * Appends one entry to the keys file (YAML keeps its comments; JSON is
 * rewritten), creating the file (mode 0600) if missing. The result is
 * validated as a whole (no duplicate ids or hashes) and written atomically
 * (temp file + rename), so the running API never reads half a file.
 */
export async function appendKeyEntry(file: string, entry: KeyEntry): Promise<void> {
  const valid = keyEntrySchema.parse(entry);
  await rewrite(file, (text) => {
    if (isJson(file)) {
      const raw: unknown = text === undefined || text.trim() === "" ? [] : JSON.parse(text);
      if (Array.isArray(raw)) return `${JSON.stringify([...raw, valid], null, 2)}\n`;
      if (raw && typeof raw === "object" && Array.isArray((raw as { keys?: unknown }).keys)) {
        const obj = raw as { keys: unknown[] };
        return `${JSON.stringify({ ...obj, keys: [...obj.keys, valid] }, null, 2)}\n`;
      }
      throw new Error(`${file} must hold a list of keys (or {"keys": [...]})`);
    }
    const doc = text === undefined || text.trim() === "" ? newYamlDoc() : parseDocument(text);
    if (doc.errors.length) throw new Error(`${file} is not valid YAML: ${doc.errors[0]?.message}`);
    if (doc.contents === null) doc.contents = doc.createNode([]);
    const node = doc.createNode(valid);
    if (isSeq(doc.contents)) doc.contents.add(node);
    else if (isMap(doc.contents) && isSeq(doc.get("keys"))) doc.addIn(["keys"], node);
    else throw new Error(`${file} must hold a list of keys (or keys: [...])`);
    return doc.toString();
  });
}

/** Removes the entry with this id; resolves false when there was none. */
export async function removeKeyEntry(file: string, id: string): Promise<boolean> {
  let removed = false;
  await rewrite(file, (text) => {
    if (text === undefined) return undefined;
    if (isJson(file)) {
      const raw = JSON.parse(text) as unknown;
      const drop = (list: unknown[]) => {
        const kept = list.filter((e) => (e as { id?: unknown })?.id !== id);
        removed = kept.length !== list.length;
        return kept;
      };
      const out = Array.isArray(raw)
        ? drop(raw)
        : { ...(raw as object), keys: drop((raw as { keys: unknown[] }).keys) };
      return `${JSON.stringify(out, null, 2)}\n`;
    }
    const doc = parseDocument(text);
    const seq = isSeq(doc.contents) ? doc.contents : doc.get("keys");
    if (!isSeq(seq)) return undefined;
    const at = seq.items.findIndex((item) => isMap(item) && item.get("id") === id);
    if (at < 0) return undefined;
    seq.items.splice(at, 1);
    removed = true;
    return doc.toString();
  });
  return removed;
}

function newYamlDoc(): Document {
  const doc = new Document([]);
  doc.commentBefore = YAML_HEADER;
  return doc;
}

async function rewrite(file: string, change: (text: string | undefined) => string | undefined): Promise<void> {
  const text = await readText(file);
  const next = change(text);
  if (next === undefined || next === text) return;
  parseKeysFile(next, file); // never write a file the API would refuse
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, next, { mode });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
