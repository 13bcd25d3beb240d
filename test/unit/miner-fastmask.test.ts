// The hand-written shortcuts of the built-in masks (fastmask.ts) must agree with their regexes:
// a failed `mayMatch` check means the regex finds nothing, and a hand-written replace gives what
// `String.prototype.replace` gives.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digitBlind, findOf, mayMatchOf, replaceOf } from "../../src/patterns/miner/fastmask.ts";
import { hashWord, looseHash, shapeKey } from "../../src/patterns/miner/hash.ts";
import { DEFAULT_MINER_CONFIG, MASKS, PLACEHOLDER } from "../../src/patterns/miner/index.ts";
import { Masker } from "../../src/patterns/miner/mask.ts";
import { sameShape, shapeOf } from "../../src/patterns/miner/wordmemo.ts";
import { maskPlain } from "./helpers/mask.ts";

const PIECES = [
  ..."0123456789abcdefxXABCFGKMTZmsnhukBiI%µ.-_:/@<>*= ,é中",
  "<*>",
  "0x",
  "ms",
  "KiB",
  "MB",
  "gb",
  "TiB",
  "min",
  "sec",
  "hrs",
  "com",
  "Ab",
  "1.2",
  "10.0.0.1",
  "ff:ee",
  "://",
  "12ab34",
  "-7",
  "2024-05-01",
  " 12:00:00",
  "T10:11:12",
  "Mon ",
  "Fri\u00a0",
  "Jul",
  " 01 ",
  "5 KB",
  "3 B",
  " GiB",
  ".localdomain",
  ".io",
  "./",
  "web-node-12",
  "deadbeef01",
  "0xFF",
  "<*>_m_<*>",
  "<*>-<*>",
  "\\",
];
const text = fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 14 }).map((p) => p.join(""));
/** Longer texts, so the length-bound checks (uuid, mac, ipv6) are crossed. */
const long = fc
  .array(fc.constantFrom(..."0123456789abcdefABCDEF-:.x", "<*>"), { minLength: 10, maxLength: 45 })
  .map((p) => p.join(""));

const matchesRegex = (re: RegExp, s: string) => {
  re.lastIndex = 0;
  return s.replace(re, "\u0000") !== s;
};

describe("the built-in masks' shortcuts", () => {
  for (const mask of Object.values(MASKS)) {
    const mayMatch = mayMatchOf(mask.pattern);
    if (mayMatch !== undefined) {
      it(`${mask.name}: a failed check means the regex finds nothing`, () => {
        fc.assert(
          fc.property(fc.oneof(text, long), (s) => {
            if (!mayMatch(s)) expect(matchesRegex(mask.pattern, s)).toBe(false);
          }),
          { numRuns: 4000 },
        );
      });
    }
    const replace = replaceOf(mask.pattern);
    if (replace !== undefined) {
      it(`${mask.name}: the hand-written replace is the regex's`, () => {
        fc.assert(
          fc.property(fc.oneof(text, long), fc.constantFrom(PLACEHOLDER, "#", ""), (s, r) => {
            mask.pattern.lastIndex = 0;
            expect(replace(s, r)).toBe(s.replace(mask.pattern, r));
          }),
          { numRuns: 6000 },
        );
      });
    }
  }

  for (const mask of Object.values(MASKS)) {
    const find = findOf(mask.pattern);
    if (find === undefined) continue;
    it(`${mask.name}: the hand-written search finds what exec finds`, () => {
      const quotes = fc
        .array(fc.constantFrom('"', "\\", "a", " ", "\n", "\r", "\u2028", '\\"', "é"), { maxLength: 16 })
        .map((p) => p.join(""));
      fc.assert(
        fc.property(fc.oneof(text, quotes), fc.nat(20), (s, from) => {
          const re = mask.pattern;
          re.lastIndex = Math.min(from, s.length);
          const m = re.exec(s);
          expect(find(s, Math.min(from, s.length))).toEqual(m === null ? undefined : [m.index, m.index + m[0].length]);
        }),
        { numRuns: 6000 },
      );
    });
  }

  it("agree on hand-picked edge cases", () => {
    const cases = [
      ...["1.2.3x", "1.23x", "12Ab", "-5", "a-5", "x1.2", "1.2.", "3.4.5Ab", "v1.2.3", "blk_-123", "0x1fz", "0x1f"],
      ...["a1b2c3", "a1b2c3d4e5", "123456", "abcdef", "_a1b2c3d", "g0x12", "x.localdomain", "y.local.", "a-b-3"],
      ...["at 2024-05-01 12:00:00,123 x", "Fri Jul 01 08:16:53 PDT 2005", "got 5.2 KB", "/a/b", "./x", "<*>.ab.<*>"],
    ];
    for (const mask of Object.values(MASKS)) {
      const mayMatch = mayMatchOf(mask.pattern);
      const replace = replaceOf(mask.pattern);
      for (const s of cases) {
        if (mayMatch !== undefined && !mayMatch(s)) expect(matchesRegex(mask.pattern, s)).toBe(false);
        mask.pattern.lastIndex = 0;
        if (replace !== undefined) expect(replace(s, PLACEHOLDER)).toBe(s.replace(mask.pattern, PLACEHOLDER));
      }
    }
  });
});

/** Words of one shape with many digit fillings: `blk_<digits>`, `0x<digits>`, … */
const DIGITS = fc.array(fc.constantFrom(..."0123456789"), { minLength: 1, maxLength: 12 }).map((d) => d.join(""));
const shaped = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), DIGITS), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(""));

describe("the digit-shape memo", () => {
  const masks = DEFAULT_MINER_CONFIG.masks;

  it("masks a word as its shape when the shape's masked form holds no digit", () => {
    fc.assert(
      fc.property(fc.oneof(text, long, shaped), (w) => {
        const viaShape = maskPlain(masks, shapeOf(w));
        if (!/\d/.test(viaShape)) expect(maskPlain(masks, w)).toBe(viaShape);
      }),
      { numRuns: 8000 },
    );
  });

  it("gives the masker the plain answers for words of repeated shapes", () => {
    const masker = new Masker(masks, 256);
    fc.assert(
      fc.property(shaped, (w) => {
        expect(masker.maskWord(w)).toBe(maskPlain(masks, w));
      }),
      { numRuns: 5000 },
    );
  });

  it("hashes a shape without building it", () => {
    fc.assert(
      fc.property(shaped, (w) => {
        const shape = shapeOf(w);
        expect(shape).toBe(w.replace(/0(?![xX])|[1-9]/g, "1"));
        // the loose hash is the word's own without digits, and one key for all words of a shape
        expect(looseHash(w, 0, w.length)).toBe(hashWord(w.replace(/\d/g, "1")));
        expect(looseHash(shape, 0, shape.length)).toBe(looseHash(w, 0, w.length));
        expect(shapeKey(`${w} ${w}.${w}`)).toBe(shapeKey(`${shape} ${shape}.${shape}`));
        if (!/\d/.test(w)) expect(looseHash(w, 0, w.length)).toBe(hashWord(w));
      }),
    );
  });

  it("tells words of one shape apart from the others character by character", () => {
    const digitsOf = fc.array(fc.constantFrom("0", "1", "7", "x", "X", "a", "-"), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(digitsOf, fc.array(fc.constantFrom("0", "5", "9"), { maxLength: 8 }), (chars, swaps) => {
        const a = chars.join("");
        // the same word with some digits swapped, and a random word of its length
        const b = chars.map((ch, i) => (/\d/.test(ch) && swaps[i] !== undefined ? swaps[i] : ch)).join("");
        expect(sameShape(a, 0, a.length, b)).toBe(shapeOf(a) === shapeOf(b));
        const c = `>${a}<`;
        expect(sameShape(c, 1, c.length - 1, b)).toBe(shapeOf(a) === shapeOf(b));
      }),
      { numRuns: 3000 },
    );
  });

  it("is used only for built-in masks with their own replacements", () => {
    expect(digitBlind(masks)).toBe(true);
    expect(digitBlind([MASKS.number, { ...MASKS.hex, replacement: "" }])).toBe(false);
    expect(digitBlind([MASKS.number, { name: "seven", pattern: /7/g }])).toBe(false);
    const seven = new Masker([MASKS.number, { name: "seven", pattern: /7/g, replacement: "S" }], 64);
    expect(seven.maskWord("a7")).toBe("aS");
    expect(seven.maskWord("a8")).toBe("a8");
  });
});
