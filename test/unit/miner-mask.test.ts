// Masking and tokenization of the template miner, with plain values.

import { describe, expect, it } from "vitest";
import { createMiner, MASKS, splitPunctuation } from "../../src/patterns/miner/index.ts";
import { Masker } from "../../src/patterns/miner/mask.ts";
import { generalize } from "../../src/patterns/miner/pattern.ts";
import { tokenize } from "../../src/patterns/miner/tokenize.ts";

function mine(line: string) {
  return createMiner().add(line);
}

describe("masking", () => {
  it.each([
    ["IPv4 and port", "connect from 10.0.0.12:5432 failed", "connect from <*>:<*> failed", ["10.0.0.12", "5432"]],
    ["IPv4 behind a slash", "Received block from /10.251.42.84", "Received block from /<*>", ["10.251.42.84"]],
    [
      "UUID",
      "request 3f2504e0-4f89-11d3-9a0c-0305e82c3301 done",
      "request <*> done",
      ["3f2504e0-4f89-11d3-9a0c-0305e82c3301"],
    ],
    ["0x hex", "session 0x14ed93111f20005 closed", "session <*> closed", ["0x14ed93111f20005"]],
    ["bare hex id", "QuorumServer@33557fe4 started", "QuorumServer@<*> started", ["33557fe4"]],
    ["integers, signed and decimal", "retry 3 of -5 at 17.25", "retry <*> of <*> at <*>", ["3", "-5", "17.25"]],
    ["durations keep the unit", "took 250ms total 1.5s", "took <*>ms total <*>s", ["250", "1.5"]],
    ["byte sizes with a unit word", "stored 5.2 KB of 1 GB", "stored <*> of <*>", ["5.2 KB", "1 GB"]],
    ["ISO timestamp", "started at 2024-05-01T12:00:00.123Z ok", "started at <*> ok", ["2024-05-01T12:00:00.123Z"]],
    ["timestamp with a space", "at 2024-05-01 12:00:00,123 ok", "at <*> ok", ["2024-05-01 12:00:00,123"]],
    ["unix path", "open /var/log/app/x.log failed", "open <*> failed", ["/var/log/app/x.log"]],
    ["path in parentheses", "chdir(/p/gb2/run) failed", "chdir(<*>) failed", ["/p/gb2/run"]],
    ["windows path", "wrote C:\\Users\\me\\out.txt", "wrote <*>", ["C:\\Users\\me\\out.txt"]],
    ["URL keeps its scheme", "GET https://example.com/a/b?c=1 now", "GET https://<*> now", ["example.com/a/b?c=1"]],
    ["email", "mail to bob.smith@example.org bounced", "mail to <*> bounced", ["bob.smith@example.org"]],
    ["quoted string with spaces", 'query "select * from t" slow', 'query "<*>" slow', ["select * from t"]],
    ["MAC address", "link 00:1A:2B:3C:4D:5E up", "link <*> up", ["00:1A:2B:3C:4D:5E"]],
    ["host name", "host web-node-12.corp.example.com up", "host <*> up", ["web-node-12.corp.example.com"]],
    ["numbered ids", "attempt_1445_0020_m_000000_0 done", "attempt_<*> done", ["1445_0020_m_000000_0"]],
  ])("%s", (_name, line, template, params) => {
    const got = mine(line);
    expect(got.template).toBe(template);
    expect(got.params).toEqual(params);
  });

  it("leaves digits that belong to a word alone", () => {
    expect(mine("ssh2 jk2_init() Slf4jLogger port").template).toBe("ssh2 jk2_init() Slf4jLogger port");
  });

  it("uses a custom mask list when configured", () => {
    const miner = createMiner({ masks: [{ name: "ticket", pattern: /TICKET-\d+/g, replacement: "TICKET-<*>" }] });
    expect(miner.add("closed TICKET-991 after 3 days").template).toBe("closed TICKET-<*> after 3 days");
  });

  it("rejects a mask without the g flag", () => {
    expect(() => new Masker([{ name: "bad", pattern: /x/ }], 10)).toThrow(/g flag/);
  });

  it("exposes the built-in masks by name", () => {
    expect(Object.keys(MASKS)).toEqual(expect.arrayContaining(["ipv4", "uuid", "hex", "number", "path", "url"]));
  });
});

describe("tokenization", () => {
  const masker = new Masker([MASKS.timestamp, MASKS.number], 100);

  it("keeps the original separators and trims the ends", () => {
    const t = tokenize("  a  b\tc ", masker);
    expect(t.words).toEqual(["a", "b", "c"]);
    expect(t.seps).toEqual(["  ", "\t"]);
    expect(mine("to delete  blk_1 now").template).toBe("to delete  blk_<*> now");
  });

  it("keeps a masked span with spaces inside one word", () => {
    const t = tokenize("at 2024-05-01 12:00:00 ok", masker);
    expect(t.words).toEqual(["at", "2024-05-01 12:00:00", "ok"]);
    expect(t.masked).toEqual(["at", "<*>", "ok"]);
  });

  it.each([
    ["uid=0", ["uid", "=", "0"]],
    ["(TID", ["(", "TID"]],
    ["3).", ["3", ")", "."]],
    ["[client", ["[", "client"]],
    ["[preauth]", ["[", "preauth", "]"]],
    ["done:", ["done", ":"]],
    ["yarn,", ["yarn", ","]],
  ])("splits %s at punctuation", (word, parts) => {
    expect(splitPunctuation(word)).toEqual(parts);
  });

  it("masks values inside punctuation and keeps the punctuation in the template", () => {
    const got = mine("uid=0 (TID 3). [client 1.2.3.4] port 22, done:");
    expect(got.template).toBe("uid=<*> (TID <*>). [client <*>] port <*>, done:");
    expect(got.params).toEqual(["0", "3", "1.2.3.4", "22"]);
  });

  it.each([
    ["Set(yarn,", "Set(root,", "Set(<*>,"],
    ["[alice]", "[bob]", "[<*>]"],
    ["user=root", "user=admin", "user=<*>"],
    ["bglio11", "bglio3", "bglio<*>"],
    ["test9", "test", "<*>"],
    ["broadcast_<*>", "rdd_<*>", "<*>"],
    ["<*>:<*>", "<*>:http", "<*>:<*>"],
  ])("generalises %s and %s to %s", (a, b, out) => {
    expect(generalize(a, b)).toBe(out);
  });
});
