import { z } from "zod";

/**
 * The live stream's protocol (WS /api/v1/ai_logs/stream): one JSON object per
 * WebSocket text message, each with a `type`. The client's messages are
 * validated here; a bad one gets an `error` message, never a dropped socket.
 * `docs/stream-protocol.schema.json` is written from these schemas
 * (`npm run stream-schema`), and a unit test keeps the two equal.
 */

/** Protocol version: sent in `hello` and `subscribed`; a client may send `"v": 1` and gets an error for any other. */
export const STREAM_PROTOCOL_VERSION = 1;

/** Largest client message (bytes); bigger frames are refused by the WebSocket server itself. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

export const STREAM_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "unknown"] as const;
export const STREAM_MODES = ["troubleshoot", "errors", "audit", "performance", "conversation"] as const;

const subscriptionId = z
  .string()
  .min(1, "id must not be empty")
  .max(64, "id must be at most 64 characters")
  .regex(/^[A-Za-z0-9_.:-]+$/, "id may use letters, digits and _ . : - only")
  .describe("The client's name for the subscription; every server message about it carries it.");

const version = z
  .literal(STREAM_PROTOCOL_VERSION, { error: `v must be ${STREAM_PROTOCOL_VERSION} (this server's protocol version)` })
  .optional();

const shortText = (name: string, max: number) =>
  z.string().min(1, `${name} entries must not be empty`).max(max, `${name} entries must be at most ${max} characters`);

/** The filters of a subscription; `update` sends any of them again to replace them. */
export const filterFields = {
  mode: z
    .enum(STREAM_MODES, { error: `mode must be one of ${STREAM_MODES.join(", ")}` })
    .optional()
    .describe("Keep what a /query mode keeps: troubleshoot = warn and above or trouble words, errors = error/fatal, …"),
  services: z
    .array(shortText("services", 256))
    .max(50, "services may name at most 50 services")
    .optional()
    .describe("Services to watch (the service label's values; `auth` or `shop/auth`). Empty = every service."),
  levels: z
    .array(z.enum(STREAM_LEVELS, { error: `levels must be among ${STREAM_LEVELS.join(", ")}` }))
    .max(STREAM_LEVELS.length)
    .optional()
    .describe("Keep lines of these levels only (as /query reads a line's level)."),
  contains: z
    .array(shortText("contains", 512))
    .max(20, "contains may hold at most 20 texts")
    .optional()
    .describe("Keep lines containing every one of these texts (case-sensitive, as LogQL |=)."),
  regex: z
    .string()
    .max(1024, "regex must be at most 1024 characters")
    .optional()
    .describe('Keep lines this RE2 regex matches (as LogQL |~); "" removes it.'),
  logql: z
    .string()
    .max(4096, "logql must be at most 4096 characters")
    .optional()
    .describe(
      "A LogQL log query instead of services: a bare selector is shared with other clients; with a pipeline, Loki runs it as given.",
    ),
  patterns: z
    .array(shortText("patterns", 128))
    .max(100, "patterns may name at most 100 library patterns")
    .optional()
    .describe("Keep lines matching one of these library patterns (ids from GET /patterns)."),
  sample: z
    .number()
    .gt(0, "sample must be above 0")
    .max(1, "sample must be at most 1")
    .optional()
    .describe("Keep this share of the lines (0 < sample ≤ 1), the same lines every time (a hash of each line)."),
  alerts: z.boolean().optional().describe("Send `alert` messages for this subscription (default true)."),
};

export const subscribeMessage = z
  .strictObject({ type: z.literal("subscribe"), v: version, id: subscriptionId, ...filterFields })
  .describe("Start a subscription; the server answers `subscribed`.");
export const updateMessage = z
  .strictObject({ type: z.literal("update"), v: version, id: subscriptionId, ...filterFields })
  .describe("Replace the given filters of a subscription without reconnecting; the server answers `subscribed`.");
export const unsubscribeMessage = z.strictObject({ type: z.literal("unsubscribe"), v: version, id: subscriptionId });
export const resumeMessage = z
  .strictObject({
    type: z.literal("resume"),
    v: version,
    id: subscriptionId,
    seq: z
      .number()
      .int("seq must be a whole number")
      .min(0, "seq must be ≥ 0")
      .max(Number.MAX_SAFE_INTEGER)
      .describe("The last `seq` of an `entries` message the client received."),
  })
  .describe(
    "After the client's own reconnect: take the subscription back (same key) and get what it missed from the replay buffer.",
  );
export const pingMessage = z.strictObject({ type: z.literal("ping"), v: version });

export const clientMessage = z.discriminatedUnion("type", [
  subscribeMessage,
  updateMessage,
  unsubscribeMessage,
  resumeMessage,
  pingMessage,
]);
export type ClientMessage = z.infer<typeof clientMessage>;
export type SubscribeMessage = z.infer<typeof subscribeMessage>;
export type UpdateMessage = z.infer<typeof updateMessage>;
export type FilterFields = Omit<SubscribeMessage, "type" | "v" | "id">;
export const CLIENT_TYPES = clientMessage.options.map((o) => o.shape.type.value);

// ---- server → client -------------------------------------------------------------------------

const labels = z.record(z.string(), z.string());
const idField = subscriptionId.describe("The subscription this message is about.");

export const helloMessage = z.object({
  type: z.literal("hello"),
  protocol: z.literal(STREAM_PROTOCOL_VERSION),
  tenant: z.string().nullable(),
  limits: z.object({
    max_subscriptions: z.number().int(),
    replay_entries: z.number().int(),
    resume_grace_s: z.number(),
    queue_entries: z.number().int(),
  }),
});
export const subscribedMessage = z.object({
  type: z.literal("subscribed"),
  id: idField,
  protocol: z.literal(STREAM_PROTOCOL_VERSION),
  seq: z.number().int().describe("The last seq sent so far (0 before the first entries)."),
  selector: z.string().describe("The shared upstream Loki tail this subscription reads."),
  resumed: z.boolean(),
  replayed: z.number().int().describe("Entries re-sent from the replay buffer (resume)."),
  hints: z.array(z.string()).describe("What to know about this subscription (e.g. a service no stream has yet)."),
});
export const unsubscribedMessage = z.object({ type: z.literal("unsubscribed"), id: idField });
export const entriesMessage = z.object({
  type: z.literal("entries"),
  id: idField,
  seq: z.number().int().describe("Increases by one per entries message of the subscription."),
  labels: labels.describe("The stream labels, once for the batch."),
  entries: z.array(z.object({ ts: z.string().describe("Unix nanoseconds"), line: z.string() })),
});
export const alertMessage = z.object({
  type: z.literal("alert"),
  id: idField,
  kind: z.enum(["pattern", "new_template"]),
  severity: z.enum(["critical", "high", "medium", "low"]),
  title: z.string(),
  service: z.string(),
  pattern: z.object({ id: z.string(), category: z.string() }).optional(),
  template: z.string().optional(),
  remediation: z.string().optional(),
  ts: z.string(),
  example: z.string(),
  count: z.number().int().describe("Hits in this window so far, this one included."),
  suppressed: z.number().int().describe("Hits of the previous window of this alert that were counted, not sent."),
  window_s: z.number().describe("One alert per template and window: later hits only count."),
});
export const statsMessage = z.object({
  type: z.literal("stats"),
  id: idField,
  interval_s: z.number(),
  services: z.array(
    z.object({
      service: z.string(),
      lines: z.number().int(),
      lines_per_s: z.number(),
      errors: z.number().int(),
      error_ratio: z.number(),
    }),
  ),
  lag_ms: z.number().nullable().describe("Age of the newest line when it was sent (ms)."),
});
export const NOTICE_KINDS = [
  "dropped",
  "upstream_dropped",
  "upstream_reconnecting",
  "upstream_resumed",
  "recovered",
  "replay_gap",
  "lag",
  "slow_client",
] as const;
export const noticeMessage = z.object({
  type: z.literal("notice"),
  id: idField.optional(),
  kind: z.enum(NOTICE_KINDS),
  message: z.string(),
  count: z.number().int().optional(),
  lag_ms: z.number().optional(),
});
export const errorMessage = z.object({
  type: z.literal("error"),
  id: idField.optional(),
  code: z.string(),
  title: z.string(),
  detail: z.string(),
  hint: z.string(),
  fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export const pongMessage = z.object({ type: z.literal("pong"), time: z.string() });

export const serverMessage = z.discriminatedUnion("type", [
  helloMessage,
  subscribedMessage,
  unsubscribedMessage,
  entriesMessage,
  alertMessage,
  statsMessage,
  noticeMessage,
  errorMessage,
  pongMessage,
]);
export type ServerMessage = z.infer<typeof serverMessage>;
export type AlertMessage = z.infer<typeof alertMessage>;
export type NoticeMessage = z.infer<typeof noticeMessage>;
export type ErrorMessage = z.infer<typeof errorMessage>;
export type StatsMessage = z.infer<typeof statsMessage>;

/** The protocol as one JSON Schema document (client and server messages). */
export function protocolJsonSchema(): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://logsleuth.dev/schemas/stream-protocol.v1.json",
    title: `Logsleuth live stream protocol v${STREAM_PROTOCOL_VERSION}`,
    description:
      "WS /api/v1/ai_logs/stream: one JSON object per text message. `client` lists what a client sends, `server` what it receives.",
    $defs: {
      client: z.toJSONSchema(clientMessage, { io: "input" }),
      server: z.toJSONSchema(serverMessage),
    },
  };
}
