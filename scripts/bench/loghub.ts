// The eight Loghub 2k development datasets (../shared/data/loghub from the repo root, or
// LOGHUB_DIR): each row's message (Content) and its ground-truth template (EventTemplate).

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readCsvRecords } from "../../test/unit/helpers/csv.ts";

export const DATASETS = ["HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "Apache", "OpenSSH", "HealthApp"] as const;

export interface Dataset {
  name: string;
  lines: string[];
  truth: string[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function loghubDir(): string {
  return process.env["LOGHUB_DIR"] || path.resolve(repoRoot, "../shared/data/loghub");
}

export async function loadLoghub(): Promise<Dataset[]> {
  const dir = loghubDir();
  if (!existsSync(dir)) throw new Error(`the Loghub datasets are not at ${dir} (set LOGHUB_DIR)`);
  return Promise.all(
    DATASETS.map(async (name) => {
      const file = path.join(dir, name, `${name}_2k.log_structured.csv`);
      const records = readCsvRecords(await readFile(file, "utf8"));
      return {
        name,
        // One message per line for the Go harness: a message never spans lines in these sets,
        // but make sure of it so both miners see exactly the same strings.
        lines: records.map((r) => (r["Content"] ?? "").replace(/\r?\n/g, " ")),
        truth: records.map((r) => r["EventTemplate"] ?? ""),
      };
    }),
  );
}
