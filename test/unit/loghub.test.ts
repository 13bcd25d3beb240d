// Scores the miner with its default configuration on the eight Loghub 2k development datasets
// (https://github.com/logpai/loghub): grouping accuracy (GA) and parsing accuracy (PA).

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ParseScore } from "../../src/patterns/miner/index.ts";
import { createMiner, scoreTemplates } from "../../src/patterns/miner/index.ts";
import { parseCsv, readCsvRecords } from "./helpers/csv.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dataDir = path.resolve(repoRoot, "../shared/data/loghub");
const DATASETS = ["HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "Apache", "OpenSSH", "HealthApp"];

function scoreDataset(name: string): ParseScore {
  const file = path.join(dataDir, name, `${name}_2k.log_structured.csv`);
  const records = readCsvRecords(readFileSync(file, "utf8"));
  const miner = createMiner();
  const ids = records.map((r) => miner.add(r["Content"] ?? "").clusterId);
  const mined = ids.map((id) => miner.templateOf(id) ?? "");
  return scoreTemplates(
    records.map((r) => r["EventTemplate"] ?? ""),
    mined,
  );
}

describe.skipIf(!existsSync(dataDir))("loghub 2k", () => {
  it("parses CSV with quoted commas and doubled quotes", () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n1,2,3')).toEqual([
      ["a", "b, c", 'say "hi"'],
      ["1", "2", "3"],
    ]);
  });

  it("reaches average GA >= 0.95 and PA >= 0.80 with the default configuration", () => {
    const scores = DATASETS.map((name) => ({ name, ...scoreDataset(name) }));
    for (const s of scores) expect(s.rows).toBe(2000);
    const ga = scores.reduce((sum, s) => sum + s.ga, 0) / scores.length;
    const pa = scores.reduce((sum, s) => sum + s.pa, 0) / scores.length;
    const table = [
      "dataset     GA     PA     true  mined",
      ...scores.map(
        (s) =>
          `${s.name.padEnd(10)}  ${s.ga.toFixed(3)}  ${s.pa.toFixed(3)}  ${String(s.trueTemplates).padStart(4)}  ${String(s.minedTemplates).padStart(5)}`,
      ),
      `${"average".padEnd(10)}  ${ga.toFixed(3)}  ${pa.toFixed(3)}`,
    ].join("\n");
    console.log(table);
    expect(ga).toBeGreaterThanOrEqual(0.95);
    expect(pa).toBeGreaterThanOrEqual(0.8);
  });
});
