// npm run stream-schema [-- --check] [-- --file F]
//
// Writes the live stream's protocol (src/stream/protocol.ts, `protocolJsonSchema()`) as
// docs/stream-protocol.schema.json (or --file). With --check it writes nothing and exits 1 when the
// file differs from what the code generates. The JSON is laid out as Biome formats it (objects
// expanded, short arrays of plain values on one line), so `npm run lint` accepts the file as written.

import { readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { protocolJsonSchema } from "../src/stream/protocol.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
export const SCHEMA_FILE = resolve(ROOT, "docs/stream-protocol.schema.json");
/** Biome's line width (biome.json). */
const LINE_WIDTH = 120;

/** The schema file's exact text: what `npm run stream-schema` writes. */
export function schemaText(): string {
  return `${layout(protocolJsonSchema(), "", 0)}\n`;
}

/** JSON with 2-space indents; an array of plain values stays on one line when that line fits. */
function layout(value: unknown, indent: string, used: number): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => v === null || typeof v !== "object")) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
      // `used`: the indent and key before the array; +1 for a trailing comma.
      if (used + flat.length + 1 <= LINE_WIDTH) return flat;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + layout(v, inner, inner.length)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    const lines = entries.map(([k, v]) => {
      const key = `${inner}${JSON.stringify(k)}: `;
      return key + layout(v, inner, key.length);
    });
    return `{\n${lines.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function main(): void {
  let values: { check?: boolean; file?: string };
  try {
    ({ values } = parseArgs({ options: { check: { type: "boolean" }, file: { type: "string" } } }));
  } catch (err) {
    process.stderr.write(`stream-schema: ${(err as Error).message}\nusage: npm run stream-schema [-- --check]\n`);
    process.exit(2);
  }
  const file = values.file
    ? isAbsolute(values.file)
      ? values.file
      : resolve(process.env.INIT_CWD ?? process.cwd(), values.file)
    : SCHEMA_FILE;
  const name = relative(process.cwd(), file) || file;
  const text = schemaText();
  if (values.check) {
    let current: string | undefined;
    try {
      current = readFileSync(file, "utf8");
    } catch {
      current = undefined;
    }
    if (current !== text) {
      process.stderr.write(
        `stream-schema: ${name} ${current === undefined ? "is missing" : "differs from src/stream/protocol.ts"}; run \`npm run stream-schema\` and commit the file\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`${name} is up to date\n`);
    return;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote ${name}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
