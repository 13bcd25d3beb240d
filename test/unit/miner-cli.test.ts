// `npm run mine -- FILE`: one line of `LineId<TAB>template` per input line, final templates.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(path.join(tmpdir(), "mine-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mine(file: string) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/mine.ts", file], { cwd: repoRoot, encoding: "utf8" });
}

describe("scripts/mine.ts", () => {
  it("prints the final template of each line, handling CRLF and a last line without newline", () => {
    const file = path.join(dir, "in.log");
    writeFileSync(file, "Invalid user 0 from 1.2.3.4\r\nworker 3 ready\r\nInvalid user bob from 1.2.3.5");
    const out = mine(file);
    expect(out.status).toBe(0);
    expect(out.stderr).toBe("");
    expect(out.stdout).toBe("1\tInvalid user <*> from <*>\n2\tworker <*> ready\n3\tInvalid user <*> from <*>\n");
  });

  it("fails with a clear message when the file is missing", () => {
    const out = mine(path.join(dir, "nope.log"));
    expect(out.status).not.toBe(0);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(/mine: cannot read .*nope\.log/);
  });
});
