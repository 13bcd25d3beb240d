// Structured lines: the miner mines the message field of JSON and logfmt lines.

import { describe, expect, it } from "vitest";
import { createMiner, extractMessage } from "../../src/patterns/miner/index.ts";

const KEYS = ["msg", "message"];

describe("message extraction", () => {
  it("mines the message of a JSON line and returns the other fields", () => {
    const miner = createMiner();
    const got = miner.add('{"level":"info","msg":"user 42 logged in","svc":"api","n":3}');
    expect(got.template).toBe("user <*> logged in");
    expect(got.params).toEqual(["42"]);
    expect(got.fields).toEqual({ level: "info", svc: "api", n: 3 });
    const other = miner.add('{"message":"user 7 logged in","level":"warn"}');
    expect(other.clusterId).toBe(got.clusterId);
    expect(other.fields).toEqual({ level: "warn" });
  });

  it("mines the msg of a logfmt line, unquoting it", () => {
    const got = createMiner().add('ts=2024-05-01T10:00:00Z level=error msg="disk \\"sda\\" 91% full" host=a');
    expect(got.template).toBe('disk "<*>" <*>% full');
    expect(got.fields).toEqual({ ts: "2024-05-01T10:00:00Z", level: "error", host: "a" });
  });

  it("leaves plain text, broken JSON and JSON without a message as they are", () => {
    expect(extractMessage("plain text line", KEYS)).toEqual({ message: "plain text line" });
    expect(extractMessage("{not json}", KEYS)).toEqual({ message: "{not json}" });
    expect(extractMessage('{"level":"info"}', KEYS)).toEqual({ message: '{"level":"info"}' });
    expect(extractMessage("[1,2]", KEYS)).toEqual({ message: "[1,2]" });
  });

  it("does not take a line with one key=value for logfmt", () => {
    expect(extractMessage("msg=hello", KEYS)).toEqual({ message: "msg=hello" });
    expect(extractMessage("retry count=3 for job", KEYS)).toEqual({ message: "retry count=3 for job" });
    expect(createMiner().add("uid=0 euid=0 user=root").fields).toBeUndefined();
  });
});
