import type { z } from "@hono/zod-openapi";
import type { conversationSummarySchema, turnSchema } from "./schemas.ts";

/**
 * AI conversation logs → turns, models, tokens, latency, cost and errors
 * (pure). Field names follow common LLM-logging conventions
 * (prompt_tokens/input_tokens, completion_tokens/output_tokens, …).
 */
export interface ConversationLine {
  ts: string;
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

export type Turn = z.infer<typeof turnSchema>;
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

const num = (f: Record<string, unknown>, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = f[k];
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
    if (Number.isFinite(n)) return n;
  }
  return undefined;
};
const str = (f: Record<string, unknown>, ...keys: string[]): string | undefined => {
  for (const k of keys) if (typeof f[k] === "string" && f[k]) return f[k] as string;
  return undefined;
};

export const conversationIdOf = (f: Record<string, unknown>) =>
  str(f, "conversation_id", "conversationId", "session_id", "thread_id");
export const workspaceIdOf = (f: Record<string, unknown>) =>
  str(f, "workspace_id", "workspaceId", "tenant_id", "org_id");

/** Summaries per conversation, lines in any order. */
export function summarizeConversations(lines: ConversationLine[]): ConversationSummary[] {
  const byId = new Map<string, ConversationLine[]>();
  for (const l of lines) {
    const id = conversationIdOf(l.fields) ?? "(no conversation id)";
    const list = byId.get(id) ?? [];
    list.push(l);
    byId.set(id, list);
  }
  return [...byId.entries()]
    .map(([id, list]) => summarizeOne(id, list))
    .sort((a, b) => (a.first_seen < b.first_seen ? -1 : 1));
}

function summarizeOne(id: string, lines: ConversationLine[]): ConversationSummary {
  lines.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const turns: Turn[] = [];
  const models: Record<string, number> = {};
  let prompt = 0;
  let completion = 0;
  let cost = 0;
  let errors = 0;
  const latencies: number[] = [];
  for (const l of lines) {
    const f = l.fields;
    const p = num(f, "prompt_tokens", "input_tokens", "tokens_in");
    const c = num(f, "completion_tokens", "output_tokens", "tokens_out");
    const latency = num(f, "latency_ms", "duration_ms", "elapsed_ms");
    const isError = l.level === "error" || l.level === "fatal";
    if (p === undefined && c === undefined && !isError) continue; // not a model call (e.g. "user message received")
    const model = str(f, "model", "model_name", "llm_model");
    const turn: Turn = { turn: num(f, "turn", "turn_index", "step") ?? null, ts: l.ts };
    if (model) {
      turn.model = model;
      models[model] = (models[model] ?? 0) + 1;
    }
    if (p !== undefined) turn.prompt_tokens = p;
    if (c !== undefined) turn.completion_tokens = c;
    if (latency !== undefined) {
      turn.latency_ms = latency;
      latencies.push(latency);
    }
    const usd = num(f, "cost_usd", "cost");
    if (usd !== undefined) turn.cost_usd = usd;
    if (isError) {
      turn.error = l.message;
      errors++;
    }
    prompt += p ?? 0;
    completion += c ?? 0;
    cost += usd ?? 0;
    turns.push(turn);
  }
  const ws = lines.map((l) => workspaceIdOf(l.fields)).find(Boolean);
  return {
    conversation_id: id,
    ...(ws ? { workspace_id: ws } : {}),
    turns,
    totals: {
      turns: turns.length,
      prompt_tokens: prompt,
      completion_tokens: completion,
      cost_usd: round6(cost),
      errors,
    },
    models,
    latency_ms: {
      avg: latencies.length ? Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) : null,
      max: latencies.length ? Math.max(...latencies) : null,
    },
    first_seen: lines[0]?.ts ?? "",
    last_seen: lines.at(-1)?.ts ?? "",
  };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
