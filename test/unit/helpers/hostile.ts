// Log lines built to make code that runs on log content slow: long runs of the characters the
// masks and parsers react to (backtracking bait), 256 KB lines, JSON and logfmt with huge values,
// deeply nested JSON. Shared by the hostile-input unit tests and the integration suite.

/** Loki's default line size limit. */
export const KB256 = 256 * 1024;

/** `unit` repeated to exactly `length` characters. */
export function run(unit: string, length = KB256): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** A line of `length` characters made of words from a small vocabulary of masked shapes. */
function words(length: number): string {
  const vocabulary = ["user", "a@b", "10.0.0.1", "web-node-12", "0x1f", "/var/log", '"q"', "250ms", "x.com", "k=v"];
  let out = "";
  for (let i = 0; out.length < length; i++) out += `${vocabulary[i % vocabulary.length]}${i} `;
  return out.slice(0, length);
}

/** Adversarial lines by name. */
export const HOSTILE_LINES: Readonly<Record<string, string>> = {
  "user + 128k a + @": `login failed for user ${"a".repeat(128_000)}@`,
  'JSON msg of 64k \\"': JSON.stringify({ level: "error", msg: '\\"'.repeat(64_000) }),
  'JSON msg of 64k "': JSON.stringify({ level: "error", msg: '"'.repeat(64_000) }),
  "run of a": run("a"),
  'run of \\"': run('\\"'),
  "run of @": run("@"),
  "run of .": run("."),
  "run of -": run("-"),
  "run of a.": run("a."),
  "run of a-": run("a-"),
  "run of a- then !": `${run("a-", KB256 - 1)}!`,
  "run of x. then :x://": `${run("x.", KB256 - 5)}:x://`,
  "run of 1.": run("1."),
  "run of a@": run("a@"),
  "run of /a then :": `${run("/a", KB256 - 1)}:`,
  "run of a:": run("a:"),
  "run of 0a": run("0a"),
  "run of <*>-": run("<*>-"),
  "run of _ then @": `${run("_", KB256 - 1)}@`,
  "run of spaces and a": run(" a"),
  "256 KB of words": words(KB256),
  "JSON huge msg": JSON.stringify({ level: "error", msg: `${run("a", KB256 - 40)}@` }),
  "logfmt huge quoted value": `level=error msg="${run("a", KB256 - 20)}"`,
  "logfmt unterminated quote": `level=error msg="${run('\\"', KB256 - 20)}`,
  "logfmt huge bare value": `level=error duration=${run("1", KB256 - 30)} msg=x`,
  "logfmt many pairs": run("k=v ", KB256),
  "nested JSON objects": `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
  "nested JSON arrays in a field": `{"msg":"boom","d":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
  "level= and spaces": `level=${" ".repeat(KB256 - 10)}x`,
  "trace_id and spaces": `trace_id=${" ".repeat(KB256 - 20)}`,
  "duration and digits": `duration=${run("1", KB256 - 20)}x`,
  "caller= runs": run("caller=a", KB256),
};
