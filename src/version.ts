import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The API's version from package.json, read on first use (no I/O at import time). */
export function apiVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
  return cached;
}
