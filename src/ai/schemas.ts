import { z } from "@hono/zod-openapi";

/** The documented shapes of an AI conversation summary; the TypeScript types come from these. */

export const turnSchema = z
  .object({
    turn: z.number().nullable(),
    ts: z.string(),
    model: z.string().optional(),
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    latency_ms: z.number().optional(),
    cost_usd: z.number().optional(),
    error: z.string().optional(),
  })
  .openapi("ConversationTurn");

export const conversationTotalsSchema = z.object({
  turns: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cost_usd: z.number(),
  errors: z.number(),
});

export const conversationSummarySchema = z
  .object({
    conversation_id: z.string(),
    workspace_id: z.string().optional(),
    turns: z.array(turnSchema),
    totals: conversationTotalsSchema,
    models: z.record(z.string(), z.number()),
    latency_ms: z.object({ avg: z.number().nullable(), max: z.number().nullable() }),
    first_seen: z.string(),
    last_seen: z.string(),
  })
  .openapi("ConversationSummary");

/** A workspace's conversations: totals and one item per conversation (without its turns). */
export const workspaceConversationsSchema = z
  .object({
    workspace_id: z.string().optional(),
    conversations: z.number(),
    totals: conversationTotalsSchema,
    items: z.array(conversationSummarySchema.omit({ turns: true })),
  })
  .openapi("WorkspaceConversations");

/** One conversation (possibly empty: no turns found), or a workspace's conversations. */
export const conversationAnswerSchema = z.union([
  conversationSummarySchema,
  z.object({ conversation_id: z.string(), turns: z.array(turnSchema) }),
  workspaceConversationsSchema,
]);
