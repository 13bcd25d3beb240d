import {
  contains,
  containsAnyCase,
  type LabelFilter,
  labelFilter,
  logQuery,
  type Matcher,
  notContains,
  notMatches,
  re,
  regexLiteral,
  render,
  selector,
} from "../logql/index.ts";
import { FAST_LEGS } from "../query/pushdown.ts";
import { ID_METADATA, ID_WORDS, TRACEPARENT_METADATA } from "./ids.ts";

/**
 * The LogQL /correlate sends (built with the LogQL builder: a caller's id is only ever a quoted literal).
 * Each mode reads disjoint legs, so no line is read twice.
 */

/** Every service of the tenant, or the services named (window mode). */
const every = (label: string, matcher?: Matcher) => selector(matcher ?? re(label, ".+"));

/** Structured metadata holding the id: `trace_id="…" or traceId="…" or … or traceparent=~"..-<id>-.*"`. */
function metadataIs(id: string): LabelFilter {
  return {
    type: "or",
    filters: [
      ...ID_METADATA.map((label): LabelFilter => ({ type: "string", label, op: "=", value: id })),
      { type: "string", label: TRACEPARENT_METADATA, op: "=~", value: `[0-9a-fA-F]{2}-${regexLiteral(id)}-.*` },
    ],
  };
}

/** Structured metadata holding any id. */
const metadataHasId: LabelFilter = {
  type: "or",
  filters: [...ID_METADATA, TRACEPARENT_METADATA].map(
    (label): LabelFilter => ({ type: "string", label, op: "!=", value: "" }),
  ),
};

/**
 * One id's lines over every service: the lines whose text contains it (`|= "<id>"`, Loki's fast substring
 * search), and the lines that carry it only in structured metadata. Lines are confirmed locally (`carriesId`).
 */
export function requestQueries(label: string, id: string): string[] {
  return [
    render(logQuery(every(label), contains(id))),
    render(logQuery(every(label), notContains(id), labelFilter(metadataIs(id)))),
  ];
}

const noIdWords = () => notMatches(...ID_WORDS.map((w) => `(?i)${regexLiteral(w)}`));

/**
 * A window's lines: (1) every line whose text names an id key (`trace_id`, `traceId`, `request-id`,
 * `traceparent`, … case-folded literals), (2) lines with an id only in structured metadata, (3) the problem
 * lines of troubleshoot's fast leg that name no id (an origin that logs without ids still shows). Legs 2 and 3
 * may share a line (a problem line with a metadata id): the reader keeps it from leg 2 only.
 */
export function windowQueries(label: string, matcher?: Matcher): { ids: string; metadata: string; problems: string } {
  const sel = every(label, matcher);
  const problemLeg = FAST_LEGS.troubleshoot[0] ?? [];
  return {
    ids: render(logQuery(sel, containsAnyCase(...ID_WORDS))),
    metadata: render(logQuery(sel, noIdWords(), labelFilter(metadataHasId))),
    problems: render(logQuery(sel, ...problemLeg, noIdWords())),
  };
}
