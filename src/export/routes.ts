import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Deps } from "../deps.ts";
import type { AuthInfo } from "../http/auth/types.ts";
import { requestSignal } from "../http/deadline.ts";
import { API_PREFIX } from "../http/paths.ts";
import { ApiError, problemResponse } from "../http/problem.ts";
import { isoFromNs } from "../loki/time.ts";
import { resolveRange } from "../query/time.ts";
import { MAX_LINK_LENGTH, readExportLink, signExportLink } from "./link.ts";
import { type ExportParams, exportBodySchema, exportLinkSchema } from "./schemas.ts";
import { exportContext, startExport } from "./service.ts";

export const EXPORT_PATH = `${API_PREFIX}/export`;

const streamed = (description: string) => ({
  description,
  headers: {
    "X-Logsleuth-Estimated-Lines": {
      description:
        "Loki's count of entries in the selected streams over the range, before line filters (an upper bound)",
      schema: { type: "string" as const },
    },
    "X-Logsleuth-Estimated-Bytes": {
      description: "Loki's index/volume estimate of the bytes read",
      schema: { type: "string" as const },
    },
  },
  content: {
    "application/x-ndjson": { schema: z.string() },
    "application/json": { schema: z.string() },
    "text/csv": { schema: z.string() },
    "application/vnd.apache.parquet": { schema: z.string().openapi({ format: "binary" }) },
    "application/gzip": { schema: z.string().openapi({ format: "binary" }) },
  },
});

const refusals = {
  400: problemResponse("Invalid body (field by field)"),
  401: problemResponse("Missing or unknown API key"),
  403: problemResponse("The API key lacks the export scope"),
  422: problemResponse("Refused by a guardrail: range or estimated bytes too large, selector too broad"),
  429: problemResponse("Rate limit exceeded (see Retry-After)"),
  503: problemResponse("Loki unavailable"),
};

const exportRoute = createRoute({
  method: "post",
  path: EXPORT_PATH,
  tags: ["export"],
  summary: "Export every line of a query as JSON, NDJSON, CSV or Parquet, streamed",
  description:
    'The query fields are /query\'s (mode, logql, service, level, contains, regex, trace_id, start, end, since). Lines come oldest first, read from Loki in pages past its 5,000-line limit as fast as the client reads. A failure after the first byte ends the output with an error record (NDJSON/JSON: {"error":…}; CSV: a #ERROR row; Parquet: logsleuth.complete=false in the footer).',
  request: { body: { content: { "application/json": { schema: exportBodySchema } }, required: true } },
  responses: { 200: streamed("The export, streamed (chunked)"), ...refusals },
});

const linkRoute = createRoute({
  method: "post",
  path: `${EXPORT_PATH}/link`,
  tags: ["export"],
  summary: "A short-lived signed link to the same export, for a browser or another agent",
  request: { body: { content: { "application/json": { schema: exportBodySchema } }, required: true } },
  responses: {
    200: { description: "The link", content: { "application/json": { schema: exportLinkSchema } } },
    ...refusals,
  },
});

const linkGetRoute = createRoute({
  method: "get",
  path: `${EXPORT_PATH}/{token}`,
  tags: ["export"],
  summary: "Download an export by its signed link (no key needed)",
  request: { params: z.object({ token: z.string().max(MAX_LINK_LENGTH) }) },
  responses: {
    200: streamed("The export, streamed"),
    403: problemResponse("A key of another tenant than the link's was sent"),
    404: problemResponse("Unknown, changed or expired link"),
  },
});

export function registerExport(app: OpenAPIHono, deps: Deps) {
  const scope = deps.auth.requireScope("export");
  app.use(exportRoute.getRoutingPath(), scope);
  app.use(linkRoute.getRoutingPath(), scope);

  app.openapi(exportRoute, async (c) => respond(c, deps, c.get("auth"), c.req.valid("json")));

  app.openapi(linkRoute, async (c) => {
    const p = c.req.valid("json");
    const now = Date.now();
    // The range is fixed now: the link gives the same slice however late it is opened.
    const range = resolveRange(p, now, deps.config.MAX_QUERY_RANGE);
    const fixed: ExportParams = { ...p, start: range.start.toString(), end: range.end.toString(), since: undefined };
    const ttl = deps.config.EXPORT_LINK_TTL_S;
    const token = signExportLink(c.get("auth"), fixed, deps.querySettings.cursorKeys.secrets, now, ttl);
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        url: `${EXPORT_PATH}/${token}`,
        token,
        expires_in: ttl,
        range: { start: isoFromNs(range.start), end: isoFromNs(range.end) },
      },
      200,
    );
  });

  app.openapi(linkGetRoute, async (c) => {
    const claims = readExportLink(c.req.valid("param").token, deps.querySettings.cursorKeys.secrets, Date.now());
    const caller = c.get("auth") as AuthInfo | undefined;
    if (caller && caller.tenant !== claims.tenant) throw otherTenant();
    return respond(c, deps, { keyId: claims.keyId, tenant: claims.tenant, scopes: ["export"] }, claims.params);
  });
}

async function respond(c: Context, deps: Deps, caller: AuthInfo, p: ExportParams) {
  const ctx = exportContext(deps, caller.tenant, requestSignal(c));
  const started = await startExport(ctx, p);
  const headers: Record<string, string> = {
    "Content-Type": p.compression === "gzip" ? "application/gzip" : started.contentType,
    "Content-Disposition": `attachment; filename="${started.filename}"`,
    "Cache-Control": "no-store",
    "X-Logsleuth-Estimated-Bytes": String(started.plan.bytesEstimated),
    "X-Logsleuth-Limit": String(started.limit),
    "X-Logsleuth-Range": `${isoFromNs(started.plan.range.start)}/${isoFromNs(started.plan.range.end)}`,
    "X-Content-Type-Options": "nosniff",
  };
  if (started.estimatedLines !== undefined) headers["X-Logsleuth-Estimated-Lines"] = String(started.estimatedLines);
  return c.body(started.body, 200, headers);
}

const otherTenant = () =>
  new ApiError(
    403,
    "export-link-other-tenant",
    "Export link of another tenant",
    "The API key sent with this request belongs to another tenant than the export link.",
    "Open the link without a key (it is its own credential), or with a key of the link's tenant.",
  );
