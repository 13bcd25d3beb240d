import { type LogEvent, render } from "./formats.ts";
import type { GeneratedRecord } from "./generator.ts";
import { Random } from "./random.ts";

/**
 * Logs that are not request traffic: audit events (logins, failures,
 * permission and configuration changes) and AI conversation logs (turns,
 * model, tokens, latency, cost, provider errors).
 */
const ns = (ms: number, seq: number) => BigInt(Math.round(ms)) * 1_000_000n + BigInt(seq % 1_000_000);

export function auditEvents(o: { start: number; end: number; seed?: number; env?: string }): GeneratedRecord[] {
  const r = new Random(o.seed ?? 5);
  const users = ["alice", "bob", "carol", "dave", "erin"];
  const labels = { env: o.env ?? "prod", job: "shop/auth" };
  const out: GeneratedRecord[] = [];
  let seq = 0;
  const push = (ts: number, e: Omit<LogEvent, "ts">) =>
    out.push({ labels, tsNs: ns(ts, seq++), line: render("logfmt", { ...e, ts }) });
  for (let t = o.start + 1_000; t < o.end; t += 20_000 + r.int(0, 20_000)) {
    const user = r.pick(users);
    const ip = `10.0.${r.int(0, 9)}.${r.int(1, 254)}`;
    const roll = r.next();
    if (roll < 0.6) push(t, { level: "info", msg: "user login succeeded", fields: { user, ip, method: "password" } });
    else if (roll < 0.8)
      push(t, { level: "warn", msg: "login failed: invalid password", fields: { user, ip, attempt: r.int(1, 3) } });
    else if (roll < 0.9)
      push(t, {
        level: "warn",
        msg: "permission denied",
        fields: { user, action: "delete_order", resource: `order/${r.int(1000, 9999)}` },
      });
    else
      push(t, {
        level: "info",
        msg: "configuration changed",
        fields: { user: "admin", key: "checkout.timeout_ms", old: 2000, new: 3000 },
      });
  }
  return out;
}

export interface ConversationSpec {
  conversationId: string;
  workspaceId: string;
  start: number;
  turns: number;
  model: string;
  /** Turn numbers that fail with a provider error. */
  failTurns?: number[];
}

export function conversationLogs(
  specs: ConversationSpec[],
  o: { seed?: number; env?: string } = {},
): GeneratedRecord[] {
  const r = new Random(o.seed ?? 9);
  const labels = { env: o.env ?? "prod", service_name: "ai-assistant" };
  const out: GeneratedRecord[] = [];
  let seq = 0;
  for (const c of specs) {
    let t = c.start;
    for (let turn = 1; turn <= c.turns; turn++) {
      const base = { conversation_id: c.conversationId, workspace_id: c.workspaceId, turn, model: c.model };
      const push = (e: LogEvent) =>
        out.push({
          labels,
          tsNs: ns(e.ts, seq++),
          line: render("json", e),
          metadata: { conversation_id: c.conversationId },
        });
      push({ ts: t, level: "info", msg: "user message received", fields: { ...base, chars: r.int(20, 800) } });
      const latency = r.latency(1500);
      if (c.failTurns?.includes(turn)) {
        push({
          ts: t + latency,
          level: "error",
          msg: "provider rate limit exceeded (429): retry after 20s",
          fields: { ...base, provider: "openai", status: 429, latency_ms: latency },
        });
      } else {
        const prompt = r.int(300, 3000);
        const completion = r.int(50, 700);
        push({
          ts: t + latency,
          level: "info",
          msg: "llm call completed",
          fields: {
            ...base,
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            latency_ms: latency,
            cost_usd: Number(((prompt * 2.5 + completion * 10) / 1_000_000).toFixed(6)),
          },
        });
      }
      t += latency + r.int(5_000, 40_000);
    }
  }
  return out;
}
