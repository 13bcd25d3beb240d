import { Agent, type Dispatcher, request } from "undici";
import type { z } from "zod";
import { asError } from "../errors.ts";
import { errorFromResponse, errorFromTransport, LokiError } from "./errors.ts";
import {
  buildInfoSchema,
  detectedFieldsSchema,
  formatQuerySchema,
  indexStatsSchema,
  type LokiBuildInfo,
  type LokiDetectedField,
  type LokiIndexStats,
  type LokiPattern,
  type LokiQueryData,
  type LokiVectorSample,
  patternsSchema,
  queryResponseSchema,
  seriesSchema,
  stringListSchema,
  volumeSchema,
} from "./schemas.ts";
import type { Nanos } from "./time.ts";

export interface LokiClientOptions {
  /** Base URL, e.g. http://127.0.0.1:3100 */
  url: string;
  /** X-Scope-OrgID for every call (multi-tenant Loki). */
  tenant?: string | undefined;
  /** Default deadline of one call. */
  timeoutMs: number;
  /** Shared connection pool; one is created when omitted. */
  dispatcher?: Dispatcher;
  /**
   * Most bytes of one response body read from Loki (default {@link DEFAULT_MAX_RESPONSE_BYTES});
   * a larger answer fails with a LokiError of kind "limit" (→ 422) without being read further.
   */
  maxResponseBytes?: number | undefined;
}

/** 64 MiB: a page of 5,000 lines of ~13 KB each, far above what a well-formed query returns. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export type Direction = "forward" | "backward";
type Params = Record<string, string | number | bigint | string[] | undefined>;

export interface PushStream {
  stream: Record<string, string>;
  /** [timestamp ns, line, structured metadata?] */
  values: Array<[Nanos | string, string] | [Nanos | string, string, Record<string, string>]>;
}

export interface ReadyState {
  ready: boolean;
  message: string;
}

/**
 * Loki HTTP API client (undici, connection reuse). Every call has a deadline,
 * honours an abort signal, sends X-Scope-OrgID when a tenant is set, validates
 * the answer with zod and throws {@link LokiError} on failure.
 */
export class LokiClient {
  readonly url: string;
  readonly tenant: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(options: LokiClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.tenant = options.tenant;
    this.timeoutMs = options.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 10_000,
        connections: 64,
        connect: { timeout: 5_000 },
        headersTimeout: 0,
        bodyTimeout: 0,
      });
  }

  /**
   * The same client (same connections) scoped to another tenant. This is the one
   * place a tenant becomes X-Scope-OrgID.
   */
  withTenant(tenant: string | undefined): LokiClient {
    if (tenant === this.tenant) return this;
    const scoped = Object.create(LokiClient.prototype) as LokiClient;
    Object.assign(scoped, this, { tenant, ownsDispatcher: false });
    return scoped;
  }

  /** Headers every call carries (tenant included); also used by the tail WebSocket. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.tenant ? { "X-Scope-OrgID": this.tenant, ...extra } : { ...extra };
  }

  async queryRange(
    p: { query: string; start: Nanos; end: Nanos; limit?: number; direction?: Direction; step?: string },
    o?: CallOptions,
  ): Promise<LokiQueryData> {
    const res = await this.call("/loki/api/v1/query_range", queryResponseSchema, { ...p }, o, {
      "X-Loki-Response-Encoding-Flags": "categorize-labels",
    });
    return res.data;
  }

  async query(p: { query: string; time?: Nanos; limit?: number; direction?: Direction }, o?: CallOptions) {
    const res = await this.call("/loki/api/v1/query", queryResponseSchema, { ...p }, o, {
      "X-Loki-Response-Encoding-Flags": "categorize-labels",
    });
    return res.data;
  }

  async labels(p: { start?: Nanos; end?: Nanos; query?: string } = {}, o?: CallOptions): Promise<string[]> {
    return (await this.call("/loki/api/v1/labels", stringListSchema, p, o)).data;
  }

  async labelValues(name: string, p: { start?: Nanos; end?: Nanos; query?: string } = {}, o?: CallOptions) {
    const path = `/loki/api/v1/label/${encodeURIComponent(name)}/values`;
    return (await this.call(path, stringListSchema, p, o)).data;
  }

  async series(p: { match: string[]; start?: Nanos; end?: Nanos }, o?: CallOptions): Promise<Record<string, string>[]> {
    return (await this.call("/loki/api/v1/series", seriesSchema, { "match[]": p.match, start: p.start, end: p.end }, o))
      .data;
  }

  async indexStats(p: { query: string; start: Nanos; end: Nanos }, o?: CallOptions): Promise<LokiIndexStats> {
    return this.call("/loki/api/v1/index/stats", indexStatsSchema, p, o);
  }

  /** Bytes per series (or per label with aggregateBy=labels); counts data still in the ingesters. */
  async indexVolume(
    p: {
      query: string;
      start: Nanos;
      end: Nanos;
      limit?: number;
      targetLabels?: string[];
      aggregateBy?: "series" | "labels";
    },
    o?: CallOptions,
  ): Promise<LokiVectorSample[]> {
    const { targetLabels, ...rest } = p;
    const params = { ...rest, targetLabels: targetLabels?.join(",") };
    return (await this.call("/loki/api/v1/index/volume", volumeSchema, params, o)).data.result;
  }

  async patterns(
    p: { query: string; start: Nanos; end: Nanos; step?: string },
    o?: CallOptions,
  ): Promise<LokiPattern[]> {
    return (await this.call("/loki/api/v1/patterns", patternsSchema, p, o)).data;
  }

  async detectedFields(
    p: { query: string; start: Nanos; end: Nanos; limit?: number },
    o?: CallOptions,
  ): Promise<LokiDetectedField[]> {
    return (await this.call("/loki/api/v1/detected_fields", detectedFieldsSchema, p, o)).fields;
  }

  /** Loki's own formatter: the authority on LogQL syntax (throws kind "parse" on a bad query). */
  async formatQuery(query: string, o?: CallOptions): Promise<string> {
    return (await this.call("/loki/api/v1/format_query", formatQuerySchema, { query }, o)).data;
  }

  async push(streams: PushStream[], o?: CallOptions): Promise<void> {
    const body = JSON.stringify({
      streams: streams.map((s) => ({
        stream: s.stream,
        values: s.values.map(([ts, line, meta]) => (meta ? [String(ts), line, meta] : [String(ts), line])),
      })),
    });
    await this.send("POST", "/loki/api/v1/push", o, { "Content-Type": "application/json" }, body);
  }

  async ready(o?: CallOptions): Promise<ReadyState> {
    const path = "/ready";
    const { status, text } = await this.raw("GET", path, o, {}, undefined);
    return { ready: status === 200 && /ready/i.test(text), message: text.trim().slice(0, 500) };
  }

  async buildInfo(o?: CallOptions): Promise<LokiBuildInfo> {
    return this.call("/loki/api/v1/status/buildinfo", buildInfoSchema, {}, o);
  }

  /** Closes the connection pool (only when this client created it). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async call<S extends z.ZodType>(
    path: string,
    schema: S,
    params: Params,
    o?: CallOptions,
    extraHeaders: Record<string, string> = {},
  ): Promise<z.output<S>> {
    const qs = encodeParams(params);
    const long = qs.length > 6_000;
    const text = long
      ? await this.send("POST", path, o, { ...extraHeaders, "Content-Type": "application/x-www-form-urlencoded" }, qs)
      : await this.send("GET", qs ? `${path}?${qs}` : path, o, extraHeaders, undefined);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new LokiError("upstream", `Loki answered ${path} with something that is not JSON`, {
        path,
        lokiMessage: text.slice(0, 500),
        cause,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new LokiError("upstream", `Loki's answer to ${path} did not have the expected shape`, {
        path,
        lokiMessage: text.slice(0, 500),
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** Sends a request; returns the body of a 2xx answer or throws a LokiError. */
  private async send(
    method: "GET" | "POST",
    path: string,
    o: CallOptions | undefined,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<string> {
    const { status, text } = await this.raw(method, path, o, headers, body);
    if (status < 200 || status >= 300) throw errorFromResponse(path.split("?")[0] ?? path, status, text);
    return text;
  }

  private async raw(
    method: "GET" | "POST",
    path: string,
    o: CallOptions | undefined,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; text: string }> {
    const timeoutMs = o?.timeoutMs ?? this.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = o?.signal ? AbortSignal.any([deadline, o.signal]) : deadline;
    const cleanPath = path.split("?")[0] ?? path;
    try {
      const res = await request(`${this.url}${path}`, {
        method,
        headers: this.headers(headers),
        body,
        signal,
        dispatcher: this.dispatcher,
      });
      const text = await readBounded(res, this.maxResponseBytes, cleanPath);
      return { status: res.statusCode, text };
    } catch (err) {
      // The caller left or its deadline passed: fail with its reason (an Error, never a thrown string).
      if (o?.signal?.aborted && !deadline.aborted) throw asError(o.signal.reason ?? err);
      throw errorFromTransport(cleanPath, err, deadline.aborted, timeoutMs);
    }
  }
}

/**
 * Reads a response body as UTF-8 text, at most `maxBytes` of it: a larger
 * body (by its Content-Length, or as it streams in) is dropped unread past
 * the bound and fails with a LokiError of kind "limit".
 */
async function readBounded(res: Dispatcher.ResponseData, maxBytes: number, path: string): Promise<string> {
  const tooBig = () => {
    res.body.destroy();
    return new LokiError(
      "limit",
      `Loki's answer to ${path} is larger than ${maxBytes} bytes (LOKI_MAX_RESPONSE_BYTES); it was not read`,
      { path, lokiStatus: res.statusCode, limit: "LOKI_MAX_RESPONSE_BYTES" },
    );
  };
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooBig();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooBig();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

function encodeParams(params: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, v);
    else search.append(key, String(value));
  }
  return search.toString();
}
