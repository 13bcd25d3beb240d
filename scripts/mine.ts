// npm run mine -- FILE
// Mines FILE (one message per line) in one online pass with the default configuration, then
// writes `LineId<TAB>template` for every line, in order, LineId from 1, where template is the
// final template of the cluster the line joined. Only that goes to stdout.

import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createMiner } from "../src/patterns/miner/index.ts";

const CHUNK = 1 << 16;

function fail(message: string, code = 1): never {
  process.stderr.write(`mine: ${message}\n`);
  process.exit(code);
}

async function readable(file: string): Promise<void> {
  try {
    const handle = await open(file, "r");
    const stat = await handle.stat();
    await handle.close();
    if (stat.isDirectory()) fail(`cannot read ${file}: is a directory`);
  } catch (error) {
    fail(`cannot read ${file}: ${(error as Error).message}`);
  }
}

async function write(text: string): Promise<void> {
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined || file === "") fail("usage: npm run mine -- FILE", 2);
  await readable(file);

  const miner = createMiner();
  const ids: number[] = [];
  const input = createReadStream(file, { encoding: "utf8" });
  input.on("error", (error) => fail(`cannot read ${file}: ${error.message}`));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) ids.push(miner.train(line));

  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    fail(`cannot write: ${error.message}`);
  });
  const templates = new Map<number, string>();
  let buffer = "";
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    let template = templates.get(id);
    if (template === undefined) {
      template = miner.templateOf(id) ?? "";
      templates.set(id, template);
    }
    buffer += `${i + 1}\t${template}\n`;
    if (buffer.length >= CHUNK) {
      await write(buffer);
      buffer = "";
    }
  }
  if (buffer.length > 0) await write(buffer);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
