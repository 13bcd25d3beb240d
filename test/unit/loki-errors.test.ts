import { describe, expect, it } from "vitest";
import { errorFromResponse, errorFromTransport } from "../../src/loki/errors.ts";

describe("Loki error mapping", () => {
  it("keeps Loki's text and maps a parse error to 400", () => {
    const e = errorFromResponse("/loki/api/v1/query_range", 400, "parse error at line 1, col 4: syntax error\n");
    expect(e).toMatchObject({ kind: "parse", status: 400 });
    expect(e.details.lokiMessage).toBe("parse error at line 1, col 4: syntax error");
  });

  it.each([
    [
      "max entries limit per query exceeded, limit > max_entries_limit_per_query (10000 > 5000)",
      "max_entries_limit_per_query",
    ],
    ["the query time range exceeds the limit (query length: 800h, limit: 721h)", "max_query_length"],
    ["maximum number of series (500) reached for a single query", "max_query_series"],
  ])("maps %s to a 422 naming %s", (text, limit) => {
    const e = errorFromResponse("/loki/api/v1/query_range", 400, text);
    expect(e).toMatchObject({ kind: "limit", status: 422 });
    expect(e.details.limit).toBe(limit);
  });

  it("maps timeouts to 504 and overload/unavailability to 503", () => {
    expect(errorFromResponse("/q", 504, "").status).toBe(504);
    expect(errorFromResponse("/q", 500, "rpc error: context deadline exceeded").kind).toBe("timeout");
    expect(errorFromResponse("/q", 503, "not ready").status).toBe(503);
    expect(errorFromResponse("/q", 429, "too many outstanding requests")).toMatchObject({
      status: 503,
      details: { limit: "max_outstanding_per_tenant" },
    });
    expect(errorFromResponse("/q", 500, "boom").status).toBe(502);
  });

  it("explains a missing tenant", () => {
    expect(errorFromResponse("/q", 401, "no org id").message).toMatch(/LOKI_TENANT/);
  });

  it("maps transport failures", () => {
    const refused = Object.assign(new Error("connect"), { code: "ECONNREFUSED" });
    expect(errorFromTransport("/ready", refused, false, 100)).toMatchObject({ kind: "unavailable", status: 503 });
    expect(errorFromTransport("/ready", new Error("aborted"), true, 100)).toMatchObject({
      kind: "timeout",
      status: 504,
    });
    const nested = new Error("fetch failed", { cause: { code: "UND_ERR_HEADERS_TIMEOUT" } });
    expect(errorFromTransport("/ready", nested, false, 100).kind).toBe("timeout");
  });
});
