import { describe, expect, it } from "vitest";
import {
  type ConversationLine,
  conversationIdOf,
  summarizeConversations,
  workspaceIdOf,
} from "../../src/ai/conversation.ts";

const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 14, 0, s)).toISOString();
const l = (s: number, fields: Record<string, unknown>, level = "info", message = "model call"): ConversationLine => ({
  ts: at(s),
  level,
  message,
  fields,
});

describe("conversationIdOf / workspaceIdOf", () => {
  it("reads the common field names, in order", () => {
    expect(conversationIdOf({ conversation_id: "c1", session_id: "s1" })).toBe("c1");
    expect(conversationIdOf({ conversationId: "c2" })).toBe("c2");
    expect(conversationIdOf({ session_id: "s1", thread_id: "t1" })).toBe("s1");
    expect(conversationIdOf({ thread_id: "t1" })).toBe("t1");
    expect(workspaceIdOf({ workspace_id: "w1", org_id: "o1" })).toBe("w1");
    expect(workspaceIdOf({ workspaceId: "w2" })).toBe("w2");
    expect(workspaceIdOf({ tenant_id: "t" })).toBe("t");
    expect(workspaceIdOf({ org_id: "o" })).toBe("o");
  });

  it("skips empty and non-string ids", () => {
    expect(conversationIdOf({ conversation_id: "", session_id: "s" })).toBe("s");
    expect(conversationIdOf({ conversation_id: 42 })).toBeUndefined();
    expect(workspaceIdOf({})).toBeUndefined();
  });
});

describe("summarizeConversations", () => {
  it("is empty for no lines", () => {
    expect(summarizeConversations([])).toEqual([]);
  });

  it("summarizes turns, totals, models, latency and workspace", () => {
    const lines = [
      l(0, { conversation_id: "c1", workspace_id: "ws-9" }, "info", "user message received"),
      l(1, {
        conversation_id: "c1",
        turn: 1,
        model: "gpt-4o",
        prompt_tokens: 100,
        completion_tokens: 20,
        latency_ms: 800,
        cost_usd: 0.0012,
      }),
      l(5, {
        conversation_id: "c1",
        turn: 2,
        model: "gpt-4o",
        prompt_tokens: 150,
        completion_tokens: 30,
        latency_ms: 1200,
        cost_usd: 0.0021,
      }),
      l(9, {
        conversation_id: "c1",
        turn: 3,
        model: "gpt-4o-mini",
        prompt_tokens: 50,
        completion_tokens: 5,
        latency_ms: 301,
      }),
    ];
    const [s, ...rest] = summarizeConversations(lines);
    expect(rest).toEqual([]);
    expect(s).toEqual({
      conversation_id: "c1",
      workspace_id: "ws-9",
      turns: [
        {
          turn: 1,
          ts: at(1),
          model: "gpt-4o",
          prompt_tokens: 100,
          completion_tokens: 20,
          latency_ms: 800,
          cost_usd: 0.0012,
        },
        {
          turn: 2,
          ts: at(5),
          model: "gpt-4o",
          prompt_tokens: 150,
          completion_tokens: 30,
          latency_ms: 1200,
          cost_usd: 0.0021,
        },
        { turn: 3, ts: at(9), model: "gpt-4o-mini", prompt_tokens: 50, completion_tokens: 5, latency_ms: 301 },
      ],
      totals: { turns: 3, prompt_tokens: 300, completion_tokens: 55, cost_usd: 0.0033, errors: 0 },
      models: { "gpt-4o": 2, "gpt-4o-mini": 1 },
      latency_ms: { avg: 767, max: 1200 },
      // the non-model line still counts for first/last seen
      first_seen: at(0),
      last_seen: at(9),
    });
  });

  it("accepts lines in any order", () => {
    const lines = [
      l(30, { conversation_id: "c", turn: 3, input_tokens: 3, output_tokens: 1 }),
      l(10, { conversation_id: "c", turn: 1, input_tokens: 1, output_tokens: 1 }),
      l(20, { conversation_id: "c", turn: 2, input_tokens: 2, output_tokens: 1 }),
    ];
    const forward = summarizeConversations(lines);
    const backward = summarizeConversations([...lines].reverse());
    expect(forward).toEqual(backward);
    expect(forward[0]!.turns.map((t) => t.turn)).toEqual([1, 2, 3]);
    expect(forward[0]!.first_seen).toBe(at(10));
    expect(forward[0]!.last_seen).toBe(at(30));
  });

  it("reads alternative field names", () => {
    const [s] = summarizeConversations([
      l(1, { session_id: "s", input_tokens: 10, output_tokens: 4, duration_ms: 90, model_name: "claude", step: 1 }),
      l(2, { session_id: "s", tokens_in: "7", tokens_out: "3", elapsed_ms: "110", llm_model: "claude", cost: "0.5" }),
      l(3, { session_id: "s", turn_index: 3, prompt_tokens: 1, tenant_id: "tenant-1" }),
    ]);
    expect(s!.conversation_id).toBe("s");
    expect(s!.workspace_id).toBe("tenant-1");
    expect(s!.totals).toEqual({ turns: 3, prompt_tokens: 18, completion_tokens: 7, cost_usd: 0.5, errors: 0 });
    expect(s!.models).toEqual({ claude: 2 });
    expect(s!.latency_ms).toEqual({ avg: 100, max: 110 });
    expect(s!.turns.map((t) => t.turn)).toEqual([1, null, 3]);
    expect(s!.turns[1]).toEqual({
      turn: null,
      ts: at(2),
      model: "claude",
      prompt_tokens: 7,
      completion_tokens: 3,
      latency_ms: 110,
      cost_usd: 0.5,
    });
  });

  it("prefers the first field name when several are present", () => {
    const [s] = summarizeConversations([l(1, { conversation_id: "c", prompt_tokens: 5, input_tokens: 99 })]);
    expect(s!.totals.prompt_tokens).toBe(5);
  });

  it("counts error and fatal lines as failed turns with their message", () => {
    const [s] = summarizeConversations([
      l(1, { conversation_id: "c", turn: 1, prompt_tokens: 10, completion_tokens: 2 }),
      l(2, { conversation_id: "c", turn: 2, model: "gpt-4o" }, "error", "rate limited by provider (429)"),
      l(3, { conversation_id: "c" }, "fatal", "worker crashed"),
      l(4, { conversation_id: "c" }, "warn", "slow provider"), // neither a call nor an error
    ]);
    expect(s!.totals.errors).toBe(2);
    expect(s!.totals.turns).toBe(3);
    expect(s!.turns[1]).toEqual({ turn: 2, ts: at(2), model: "gpt-4o", error: "rate limited by provider (429)" });
    expect(s!.turns[2]).toEqual({ turn: null, ts: at(3), error: "worker crashed" });
    expect(s!.models).toEqual({ "gpt-4o": 1 });
    expect(s!.last_seen).toBe(at(4));
  });

  it("ignores non-numeric and blank token values", () => {
    const [s] = summarizeConversations([
      l(1, { conversation_id: "c", prompt_tokens: "n/a", completion_tokens: "", latency_ms: "fast" }),
      l(2, { conversation_id: "c", prompt_tokens: "  ", completion_tokens: 4 }),
    ]);
    expect(s!.totals.turns).toBe(1);
    expect(s!.turns[0]).toEqual({ turn: null, ts: at(2), completion_tokens: 4 });
    expect(s!.latency_ms).toEqual({ avg: null, max: null });
  });

  it("counts zero tokens as a call", () => {
    const [s] = summarizeConversations([l(1, { conversation_id: "c", prompt_tokens: 0 })]);
    expect(s!.totals.turns).toBe(1);
    expect(s!.turns[0]!.prompt_tokens).toBe(0);
  });

  it("rounds the total cost to 6 decimals and the latency average to whole ms", () => {
    const lines = [0.1, 0.2, 0.0000004].map((cost, i) =>
      l(i, { conversation_id: "c", prompt_tokens: 1, cost_usd: cost, latency_ms: i === 2 ? 2 : 1 }),
    );
    const [s] = summarizeConversations(lines);
    expect(s!.totals.cost_usd).toBe(0.3);
    expect(s!.latency_ms).toEqual({ avg: 1, max: 2 });
  });

  it("groups by conversation, earliest first, and keeps lines without an id together", () => {
    const out = summarizeConversations([
      l(20, { conversation_id: "late", prompt_tokens: 1, workspace_id: "w-late" }),
      l(5, { conversation_id: "early", prompt_tokens: 2 }),
      l(10, { prompt_tokens: 3 }),
      l(12, { prompt_tokens: 4 }),
      l(25, { conversation_id: "early", prompt_tokens: 5, workspace_id: "w-early" }),
    ]);
    expect(out.map((s) => s.conversation_id)).toEqual(["early", "(no conversation id)", "late"]);
    expect(out.map((s) => s.totals.prompt_tokens)).toEqual([7, 7, 1]);
    expect(out[0]!.workspace_id).toBe("w-early"); // from any line of the conversation
    expect(out[0]!.last_seen).toBe(at(25));
    expect(Object.hasOwn(out[1]!, "workspace_id")).toBe(false);
    expect(out[2]!.workspace_id).toBe("w-late");
  });

  it("reports a conversation without model calls with zero totals", () => {
    const [s] = summarizeConversations([l(1, { conversation_id: "c" }, "info", "user message received")]);
    expect(s).toEqual({
      conversation_id: "c",
      turns: [],
      totals: { turns: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0, errors: 0 },
      models: {},
      latency_ms: { avg: null, max: null },
      first_seen: at(1),
      last_seen: at(1),
    });
  });
});
