// npm run keys -- create --tenant T --scopes read,stream [--id ID] [--note TEXT] [--file F]
// npm run keys -- list [--file F]
// npm run keys -- revoke --id ID [--file F]
//
// Manages the API keys file (API_KEYS_FILE, or --file): YAML, or JSON when the
// name ends in .json. `create` appends the new key's SHA-256 (never the key),
// creating the file if missing, and prints the key once, alone on the last
// line of stdout. The running API reloads the file by itself.

import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  appendKeyEntry,
  generateKey,
  generateKeyId,
  readKeysFile,
  removeKeyEntry,
  SCOPES,
  type Scope,
  sha256Hex,
  TENANT_PATTERN,
} from "../src/http/auth/index.ts";

const USAGE = `usage:
  npm run keys -- create --tenant TENANT --scopes ${SCOPES.join(",")} [--id ID] [--note TEXT] [--file FILE]
  npm run keys -- list [--file FILE]
  npm run keys -- revoke --id ID [--file FILE]
The file is --file or API_KEYS_FILE (YAML, or JSON if it ends in .json).`;

function fail(message: string, code = 1): never {
  process.stderr.write(`keys: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (values.help || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const fileArg = values.file ?? process.env.API_KEYS_FILE;
  if (!fileArg) fail(`name the keys file with --file or API_KEYS_FILE\n${USAGE}`, 2);
  // npm runs scripts from the package root; resolve relative to where the user typed the command.
  const file = isAbsolute(fileArg) ? fileArg : resolve(process.env.INIT_CWD ?? process.cwd(), fileArg);

  switch (command) {
    case "create": {
      const tenant = values.tenant;
      if (!tenant || !TENANT_PATTERN.test(tenant)) {
        fail("--tenant must be a Loki tenant id (letters, digits, !-_.*'(), ≤150)", 2);
      }
      const scopes = (values.scopes ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (scopes.length === 0 || unknown.length) {
        fail(
          `--scopes must be a comma-separated list of ${SCOPES.join(", ")}${unknown.length ? ` (unknown: ${unknown.join(", ")})` : ""}`,
          2,
        );
      }
      const existing = await readKeysFile(file);
      const id = values.id ?? generateKeyId();
      if (existing.some((e) => e.id === id)) fail(`a key with id "${id}" already exists in ${file}`, 2);
      const key = generateKey();
      await appendKeyEntry(file, {
        id,
        sha256: sha256Hex(key),
        tenant,
        scopes: [...new Set(scopes)] as Scope[],
        created: new Date().toISOString(),
        ...(values.note ? { note: values.note } : {}),
      });
      process.stdout.write(
        `Created API key ${id} for tenant "${tenant}" with scopes ${scopes.join(",")} in ${file}.\n` +
          "This is the only time the key is shown (only its SHA-256 is stored). Send it as 'Authorization: Bearer <key>'.\n" +
          `${key}\n`,
      );
      return;
    }
    case "list": {
      const entries = await readKeysFile(file);
      for (const e of entries) {
        process.stdout.write(`${e.id}\t${e.tenant}\t${e.scopes.join(",")}\t${e.created ?? ""}\t${e.note ?? ""}\n`);
      }
      return;
    }
    case "revoke": {
      if (!values.id) fail("revoke needs --id ID", 2);
      if (!(await removeKeyEntry(file, values.id))) fail(`no key with id "${values.id}" in ${file}`, 1);
      process.stdout.write(`Revoked key ${values.id} in ${file}.\n`);
      return;
    }
    default:
      fail(command ? `unknown command "${command}"\n${USAGE}` : USAGE, 2);
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: "string" },
      scopes: { type: "string" },
      id: { type: "string" },
      note: { type: "string" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
