import { LogqlError } from "./errors.ts";

/**
 * Decodes one LogQL string literal (as Loki does with Prometheus'
 * strutil.Unquote, i.e. Go strconv rules) to its value. Double-quoted and
 * backtick literals are supported; single-quoted ones are refused (Loki's
 * scanner treats `'` as a Go character literal, not a string).
 *
 * Escapes decode to bytes like Go does (`\xNN` and octal are single bytes),
 * and the result must be valid UTF-8; otherwise a LogqlError is thrown.
 */

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, '"': 34 };
const utf8 = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function bad(message: string, position: number | undefined): LogqlError {
  return new LogqlError(message, {
    code: "invalid_string",
    field: "logql",
    hint: 'Write strings as Go literals: "..." with \\" \\\\ \\n \\t \\xNN \\uNNNN escapes, or `...` without backticks.',
    ...(position === undefined ? {} : { position }),
  });
}

function pushRune(out: number[], cp: number): void {
  for (const b of utf8.encode(String.fromCodePoint(cp))) out.push(b);
}

export function unquoteLiteral(text: string, position?: number): string {
  if (text.length < 2) throw bad("string literal too short", position);
  const q = text[0];
  if (q !== text[text.length - 1]) throw bad("string literal not terminated", position);
  const body = text.slice(1, -1);
  if (q === "`") {
    if (body.includes("`")) throw bad("backtick inside a raw string", position);
    return body;
  }
  if (q !== '"') throw bad("strings must use double quotes or backticks", position);
  if (body.includes("\n")) throw bad("newline inside a double-quoted string; write it as \\n", position);
  if (!body.includes("\\")) {
    if (body.includes('"')) throw bad('unescaped " inside a string', position);
    return body;
  }
  const bytes = utf8.encode(body);
  const out: number[] = [];
  let i = 0;
  const hexAt = (start: number, n: number): number => {
    const digits = String.fromCharCode(...bytes.subarray(start, start + n));
    if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) throw bad("invalid hex escape", position);
    return Number.parseInt(digits, 16);
  };
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0x22) throw bad('unescaped " inside a string', position);
    if (b !== 0x5c) {
      out.push(b);
      i++;
      continue;
    }
    const c = String.fromCharCode(bytes[i + 1] ?? 0);
    const simple = SIMPLE[c];
    if (simple !== undefined) {
      out.push(simple);
      i += 2;
    } else if (c === "x") {
      out.push(hexAt(i + 2, 2));
      i += 4;
    } else if (c === "u" || c === "U") {
      const n = c === "u" ? 4 : 8;
      const cp = hexAt(i + 2, n);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        throw bad("escape is not a valid Unicode code point", position);
      pushRune(out, cp);
      i += 2 + n;
    } else if (c >= "0" && c <= "7") {
      const digits = String.fromCharCode(...bytes.subarray(i + 1, i + 4));
      if (!/^[0-7]{3}$/.test(digits)) throw bad("invalid octal escape", position);
      const v = Number.parseInt(digits, 8);
      if (v > 255) throw bad("octal escape out of range", position);
      out.push(v);
      i += 4;
    } else {
      throw bad(`invalid escape \\${c}`, position);
    }
  }
  try {
    return strictDecoder.decode(new Uint8Array(out));
  } catch {
    throw bad("string escapes do not form valid UTF-8", position);
  }
}
