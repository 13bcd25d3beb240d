import { formatFilterDuration } from "./duration.ts";
import { LogqlError } from "./errors.ts";
import { assertSelectable } from "./matchall.ts";
import { labelName } from "./names.ts";
import { quote } from "./quote.ts";
import { checkRegex } from "./regex.ts";
import type { Extraction, LabelFilter, LogQuery, Matcher, Selector, Stage } from "./types.ts";

/**
 * Renders log queries (selector + pipeline) to LogQL. Every value goes through
 * `quote`, every label name through `labelName`, every regex through
 * `checkRegex`; nothing from a caller is ever pasted as LogQL text.
 */

const MATCH_OPS = new Set(["=", "!=", "=~", "!~"]);
const COMPARE_OPS = new Set(["==", "!=", ">", ">=", "<", "<="]);
const LINE_OPS = new Set(["|=", "!=", "|~", "!~", "|>", "!>"]);

function invalidQuery(message: string, field: string, hint: string): LogqlError {
  return new LogqlError(message, { code: "invalid_query", field, hint });
}

/** Renders a finite number as a LogQL number literal. */
export function renderNumber(value: number, field = "number"): string {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new LogqlError(`${field} must be a finite number`, {
      code: "invalid_number",
      field,
      hint: `Pass ${field} as a JSON number (not NaN, Infinity or a string).`,
    });
  }
  return String(value);
}

export function renderMatcher(m: Matcher, field = "matcher"): string {
  if (!MATCH_OPS.has(m.op)) {
    throw invalidQuery(
      `${field}.op ${JSON.stringify(m.op)} is not a matcher operator`,
      `${field}.op`,
      'Use one of "=", "!=", "=~", "!~".',
    );
  }
  const name = labelName(m.label, `${field}.label`);
  if (m.op === "=~" || m.op === "!~") checkRegex(m.value, { field: `${field}.value` });
  return `${name}${m.op}${quote(m.value, `${field}.value`)}`;
}

export function renderSelector(selector: Selector, field = "selector"): string {
  if (!Array.isArray(selector.matchers) || selector.matchers.length === 0) {
    throw new LogqlError(`${field} has no matchers`, {
      code: "empty_compatible_selector",
      field,
      hint: 'Select streams with at least one label matcher, e.g. {service_name="checkout"}.',
    });
  }
  const rendered = selector.matchers.map((m, i) => renderMatcher(m, `${field}.matchers[${i}]`));
  assertSelectable(selector.matchers, field);
  return `{${rendered.join(", ")}}`;
}

function renderLabelFilter(f: LabelFilter, field: string, nested: boolean): string {
  switch (f.type) {
    case "string":
      return renderMatcher({ label: f.label, op: f.op, value: f.value }, field);
    case "number":
    case "duration":
    case "bytes": {
      if (!COMPARE_OPS.has(f.op)) {
        throw invalidQuery(
          `${field}.op ${JSON.stringify(f.op)} is not a comparison`,
          `${field}.op`,
          "Use one of ==, !=, >, >=, <, <=.",
        );
      }
      const name = labelName(f.label, `${field}.label`);
      let rhs: string;
      if (f.type === "number") rhs = renderNumber(f.value, `${field}.value`);
      else if (f.type === "duration") rhs = formatFilterDuration(f.ms, `${field}.ms`);
      else {
        if (!Number.isSafeInteger(f.bytes) || f.bytes < 0) {
          throw new LogqlError(`${field}.bytes must be a non-negative integer`, {
            code: "invalid_number",
            field: `${field}.bytes`,
            hint: "Give a byte size as a whole number of bytes, e.g. 1048576 for 1MiB.",
          });
        }
        rhs = `${f.bytes}B`;
      }
      return `${name} ${f.op} ${rhs}`;
    }
    case "ip": {
      if (f.op !== "=" && f.op !== "!=")
        throw invalidQuery(`${field}.op must be = or !=`, `${field}.op`, 'Use "=" or "!=".');
      return `${labelName(f.label, `${field}.label`)}${f.op}ip(${quote(f.value, `${field}.value`)})`;
    }
    case "and":
    case "or": {
      if (!Array.isArray(f.filters) || f.filters.length === 0) {
        throw invalidQuery(`${field}.filters is empty`, `${field}.filters`, "Give at least one label filter.");
      }
      const parts = f.filters.map((g, i) => renderLabelFilter(g, `${field}.filters[${i}]`, true));
      const joined = parts.join(` ${f.type} `);
      return nested && parts.length > 1 ? `(${joined})` : joined;
    }
    default:
      throw invalidQuery(
        `${field}.type is not a label filter type`,
        `${field}.type`,
        "Use string, number, duration, bytes, ip, and, or.",
      );
  }
}

export function renderLabelFilterExpr(f: LabelFilter, field = "filter"): string {
  return renderLabelFilter(f, field, false);
}

function renderExtractions(list: Extraction[] | undefined, field: string): string {
  if (list === undefined || list.length === 0) return "";
  const parts = list.map((e, i) => {
    const name = labelName(e.label, `${field}[${i}].label`);
    return e.expression === undefined ? name : `${name}=${quote(e.expression, `${field}[${i}].expression`)}`;
  });
  return ` ${parts.join(", ")}`;
}

function renderLineFilter(op: string, values: string[], field: string): string {
  if (!LINE_OPS.has(op))
    throw invalidQuery(`${field}.op is not a line filter`, `${field}.op`, "Use |=, !=, |~, !~, |> or !>.");
  if (!Array.isArray(values) || values.length === 0) {
    throw invalidQuery(`${field}.values is empty`, `${field}.values`, "Give at least one value to filter lines by.");
  }
  const isRegex = op === "|~" || op === "!~";
  const lits = values.map((v, i) => {
    if (isRegex) checkRegex(v, { field: `${field}.values[${i}]` });
    return quote(v, `${field}.values[${i}]`);
  });
  return `${op} ${lits.join(" or ")}`;
}

const PATTERN_CAPTURE = /<([a-zA-Z_][a-zA-Z0-9_]*)>/g;

export function renderStage(stage: Stage, field = "stage"): string {
  switch (stage.kind) {
    case "line_filter":
      return renderLineFilter(stage.op, stage.values, field);
    case "label_filter":
      return `| ${renderLabelFilter(stage.filter, `${field}.filter`, false)}`;
    case "json":
      return `| json${renderExtractions(stage.extract, `${field}.extract`)}`;
    case "logfmt": {
      const flags = `${stage.strict ? " --strict" : ""}${stage.keepEmpty ? " --keep-empty" : ""}`;
      return `| logfmt${flags}${renderExtractions(stage.extract, `${field}.extract`)}`;
    }
    case "pattern": {
      const named = [...stage.pattern.matchAll(PATTERN_CAPTURE)].some((m) => m[1] !== "_");
      if (!named) {
        throw invalidQuery(
          `${field}.pattern has no named capture`,
          `${field}.pattern`,
          'Name what to extract with <name>, e.g. "<ip> - <_> <status>"; <_> skips text.',
        );
      }
      return `| pattern ${quote(stage.pattern, `${field}.pattern`)}`;
    }
    case "regexp":
      checkRegex(stage.regex, { field: `${field}.regex`, requireNamedGroup: true });
      return `| regexp ${quote(stage.regex, `${field}.regex`)}`;
    case "unpack":
      return "| unpack";
    case "decolorize":
      return "| decolorize";
    case "line_format":
      return `| line_format ${quote(stage.template, `${field}.template`)}`;
    case "label_format": {
      if (stage.labels.length === 0)
        throw invalidQuery(`${field}.labels is empty`, `${field}.labels`, "Give at least one label to format.");
      const parts = stage.labels.map((l, i) => {
        const dst = labelName(l.label, `${field}.labels[${i}].label`);
        if ("rename" in l) return `${dst}=${labelName(l.rename, `${field}.labels[${i}].rename`)}`;
        return `${dst}=${quote(l.template, `${field}.labels[${i}].template`)}`;
      });
      return `| label_format ${parts.join(", ")}`;
    }
    case "drop":
    case "keep": {
      if (stage.labels.length === 0)
        throw invalidQuery(`${field}.labels is empty`, `${field}.labels`, `Give at least one label to ${stage.kind}.`);
      const parts = stage.labels.map((l, i) =>
        typeof l === "string" ? labelName(l, `${field}.labels[${i}]`) : renderMatcher(l, `${field}.labels[${i}]`),
      );
      return `| ${stage.kind} ${parts.join(", ")}`;
    }
    default:
      throw invalidQuery(
        `${field}.kind is not a pipeline stage`,
        `${field}.kind`,
        "See the LogQL builder's Stage type for the supported stages.",
      );
  }
}

export function renderPipeline(stages: Stage[] | undefined, field = "pipeline"): string {
  if (stages === undefined) return "";
  return stages.map((s, i) => ` ${renderStage(s, `${field}[${i}]`)}`).join("");
}

export function renderLogQuery(query: LogQuery, field = "query"): string {
  return renderSelector(query.selector, `${field}.selector`) + renderPipeline(query.pipeline, `${field}.pipeline`);
}
