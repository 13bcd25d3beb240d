import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadPatternLibrary, PatternLibraryError } from "../../src/patterns/library/index.ts";

/*
 * Broken libraries written to temp dirs: every error must name the file, the
 * pattern (id and 1-based position) and the field.
 */

type Raw = Record<string, unknown>;

function valid(id: string, category = "connection", overrides: Raw = {}): Raw {
  return {
    id,
    title: "Connection refused",
    category,
    severity: "high",
    match: { regex: "dial tcp (?P<addr>\\S+?): connect: connection refused|ECONNREFUSED" },
    fields: [{ name: "addr", description: "address" }],
    description: "Nothing listens there.",
    remediation: "Start the service.",
    references: ["https://man7.org/linux/man-pages/man2/connect.2.html"],
    examples: {
      positive: [{ line: "dial tcp 10.0.0.1:5432: connect: connection refused", fields: { addr: "10.0.0.1:5432" } }],
      negative: ["connection established"],
    },
    ...overrides,
  };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function library(files: Record<string, string | Raw[]>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "patterns-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof content === "string" ? content : stringify({ patterns: content }));
  }
  return dir;
}

/** The error messages of loading `files`, with the temp dir's name replaced by `patterns`. */
async function problems(files: Record<string, string | Raw[]>): Promise<string[]> {
  const dir = await library(files);
  try {
    await loadPatternLibrary(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(PatternLibraryError);
    const label = basename(dir);
    return (e as PatternLibraryError).message
      .split("\n")
      .slice(1)
      .map((l) => l.replaceAll(`${label}/`, "patterns/"));
  }
  throw new Error("expected the library to be rejected");
}

describe("loadPatternLibrary: valid input", () => {
  it("loads a directory of YAML files", async () => {
    const dir = await library({
      "connection.yaml": [valid("conn-a"), valid("conn-b")],
      "ai.yml": [valid("ai-a", "ai")],
      "README.md": "not a pattern file",
    });
    const lib = await loadPatternLibrary(dir);
    expect(lib.patterns.map((p) => p.id)).toEqual(["ai-a", "conn-a", "conn-b"]);
    expect(lib.get("conn-a")?.match.case).toBe("insensitive");
    expect(lib.match("ECONNREFUSED").map((m) => m.id)).toEqual(["ai-a", "conn-a", "conn-b"]);
  });

  it("lets any category live in a file not named after a category", async () => {
    const lib = await loadPatternLibrary(await library({ "custom.yaml": [valid("x-a", "security")] }));
    expect(lib.patterns[0]?.category).toBe("security");
  });
});

describe("loadPatternLibrary: errors name file, pattern and field", () => {
  it.each<[string, Raw, string]>([
    [
      "invalid RE2 (lookahead)",
      { match: { regex: "refused(?=now)" } },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match.regex: invalid RE2: ',
    ],
    [
      "JavaScript named-group syntax",
      { match: { regex: "dial tcp (?<addr>\\S+?): connect: connection refused|ECONNREFUSED" } },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match.regex: write named groups in RE2 syntax (?P<addr>...)',
    ],
    [
      "regex matching the empty string",
      { match: { regex: "(?:refused)?" }, fields: [] },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match.regex: matches the empty string',
    ],
    ["missing remediation", { remediation: undefined }, 'patterns/ai.yaml: pattern "ai-bad" (#2): remediation: '],
    [
      "misspelt key",
      { match: { regex: "ECONNREFUSED", keyword: ["x"] }, fields: [] },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match: Unrecognized key: "keyword"',
    ],
    [
      "neither regex nor keywords",
      { match: { case: "sensitive" }, fields: [] },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match: give a regex, keywords, or both',
    ],
    ["unknown severity", { severity: "urgent" }, 'patterns/ai.yaml: pattern "ai-bad" (#2): severity: Invalid option'],
    [
      "declared field without a group",
      {
        fields: [
          { name: "addr", description: "a" },
          { name: "port", description: "p" },
        ],
      },
      'patterns/ai.yaml: pattern "ai-bad" (#2): fields[1].name: no named group (?P<port>...)',
    ],
    [
      "group not declared as a field",
      { fields: [] },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match.regex: named group "addr" is not declared in fields',
    ],
    [
      "positive example that does not match",
      { examples: { positive: ["ECONNREFUSED", "all good"], negative: ["fine"] } },
      'patterns/ai.yaml: pattern "ai-bad" (#2): examples.positive[1]: does not match',
    ],
    [
      "negative example that matches",
      { examples: { positive: ["ECONNREFUSED"], negative: ["econnrefused"] } },
      'patterns/ai.yaml: pattern "ai-bad" (#2): examples.negative[0]: matches, but must not',
    ],
    [
      "wrong expected fields",
      {
        examples: {
          positive: [{ line: "dial tcp h:1: connect: connection refused", fields: { addr: "h" } }],
          negative: ["x"],
        },
      },
      'patterns/ai.yaml: pattern "ai-bad" (#2): examples.positive[0].fields: extracted {"addr":"h:1"}, expected {"addr":"h"}',
    ],
    [
      "burst grouped by an undeclared field",
      { burst: { count: 5, window: "1m", group_by: ["ip"] } },
      'patterns/ai.yaml: pattern "ai-bad" (#2): burst.group_by[0]: "ip" is not a declared field',
    ],
    [
      "burst with an invalid window",
      { burst: { count: 5, window: "5 minutes", group_by: ["addr"] } },
      'patterns/ai.yaml: pattern "ai-bad" (#2): burst.window: ',
    ],
    [
      "keywords too long for one pushdown regex",
      { match: { keywords: Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(100, "k")) }, fields: [] },
      'patterns/ai.yaml: pattern "ai-bad" (#2): match.keywords: too long together',
    ],
    [
      "non-http reference",
      { references: ["ftp://example.com/x"] },
      'patterns/ai.yaml: pattern "ai-bad" (#2): references[0]: ',
    ],
  ])("%s", async (_name, overrides, expected) => {
    const bad = { ...valid("ai-bad", "ai"), ...overrides };
    const lines = await problems({ "ai.yaml": [valid("ai-ok", "ai"), bad] });
    expect(
      lines.some((l) => l.startsWith(expected)),
      `${expected}\nnot in:\n${lines.join("\n")}`,
    ).toBe(true);
  });

  it("names a pattern without an id by its position", async () => {
    const { id: _id, ...noId } = valid("x");
    const lines = await problems({ "connection.yaml": [valid("conn-ok"), noId] });
    expect(lines).toContain(
      "patterns/connection.yaml: pattern #2: id: Invalid input: expected string, received undefined",
    );
  });

  it("rejects a pattern filed under another category's file", async () => {
    const lines = await problems({ "security.yaml": [valid("conn-x", "connection")] });
    expect(lines).toEqual([
      'patterns/security.yaml: pattern "conn-x" (#1): category: is "connection" in the "security" file',
    ]);
  });

  it("rejects duplicate ids across files, naming both files", async () => {
    const lines = await problems({
      "ai.yaml": [valid("dup", "ai")],
      "connection.yaml": [valid("conn-a"), valid("dup")],
    });
    expect(lines).toEqual([
      'patterns/connection.yaml: pattern "dup" (#2): id: duplicate id, first defined in patterns/ai.yaml',
    ]);
  });

  it("reports YAML syntax errors with their line", async () => {
    const lines = await problems({ "ai.yaml": "patterns:\n  - id: a\n    id: b\n" });
    expect(lines[0]).toMatch(/^patterns\/ai\.yaml: YAML: Map keys must be unique at line 3/);
  });

  it("reports a file without a patterns list", async () => {
    const lines = await problems({ "ai.yaml": "pattern: []\n" });
    expect(lines).toContain("patterns/ai.yaml: patterns: Invalid input: expected array, received undefined");
  });

  it("collects the problems of every file", async () => {
    const lines = await problems({
      "ai.yaml": [valid("ai-1", "ai", { severity: "urgent" })],
      "security.yaml": [valid("sec-1", "security", { title: "" })],
    });
    expect(lines.map((l) => l.split(": ").slice(0, 3).join(": "))).toEqual([
      'patterns/ai.yaml: pattern "ai-1" (#1): severity',
      'patterns/security.yaml: pattern "sec-1" (#1): title',
    ]);
  });

  it("reports a missing directory and an empty one", async () => {
    await expect(loadPatternLibrary(join(tmpdir(), "no-such-patterns-dir"))).rejects.toThrow(
      /cannot read the pattern directory/,
    );
    await expect(loadPatternLibrary(await library({}))).rejects.toThrow(/no pattern files/);
  });
});
