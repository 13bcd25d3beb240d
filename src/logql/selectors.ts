import type { Token } from "./tokenize.ts";
import { syntaxError } from "./tokenize.ts";
import type { Matcher, MatchOp } from "./types.ts";

/**
 * Finds every stream selector `{...}` in a token list and parses its
 * matchers. In LogQL braces only ever delimit stream selectors, and inside
 * them only `name op "value"` lists are valid, so anything else is refused.
 */

export interface ParsedSelector {
  /** Source offsets of `{` and one past `}`. */
  start: number;
  end: number;
  matchers: Matcher[];
}

const OPS = new Set<string>(["=", "!=", "=~", "!~"]);
const HINT = 'A stream selector is {label="value", ...} with operators =, !=, =~, !~ and quoted values.';

export function findSelectors(tokens: readonly Token[]): ParsedSelector[] {
  const selectors: ParsedSelector[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === "punct" && t.text === "}") throw syntaxError("unexpected }", t.start, HINT);
    if (!(t.kind === "punct" && t.text === "{")) {
      i++;
      continue;
    }
    const matchers: Matcher[] = [];
    i++;
    for (;;) {
      const name = tokens[i];
      if (name === undefined) throw syntaxError("unclosed {", t.start, HINT);
      if (name.kind === "punct" && name.text === "}" && matchers.length === 0) {
        throw syntaxError(
          "empty stream selector {}",
          t.start,
          'Select streams with at least one matcher, e.g. {service_name="checkout"}.',
        );
      }
      const op = tokens[i + 1];
      const value = tokens[i + 2];
      if (name.kind !== "ident")
        throw syntaxError(`expected a label name, found ${JSON.stringify(name.text)}`, name.start, HINT);
      if (op === undefined || op.kind !== "punct" || !OPS.has(op.text)) {
        throw syntaxError(`expected =, !=, =~ or !~ after ${name.text}`, op?.start ?? name.end, HINT);
      }
      if (value === undefined || value.kind !== "string") {
        throw syntaxError(`expected a quoted value after ${name.text}${op.text}`, value?.start ?? op.end, HINT);
      }
      matchers.push({ label: name.text, op: op.text as MatchOp, value: value.value ?? "" });
      const sep = tokens[i + 3];
      i += 4;
      if (sep?.kind === "punct" && sep.text === "}") {
        selectors.push({ start: t.start, end: sep.end, matchers });
        break;
      }
      if (!(sep?.kind === "punct" && sep.text === ",")) {
        throw syntaxError("expected , or } in stream selector", sep?.start ?? value.end, HINT);
      }
    }
  }
  return selectors;
}
