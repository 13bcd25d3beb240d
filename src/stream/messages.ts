import type { DomainError } from "../errors.ts";
import { StreamError } from "./errors.ts";
import { type ClientMessage, clientMessage, type ErrorMessage } from "./protocol.ts";

/** A client's message read and validated, or the `error` message that says what to change. */
export function parse(text: string | undefined): { ok: ClientMessage } | { error: ErrorMessage } {
  const bad = (detail: string, hint: string, fields?: ErrorMessage["fields"]) => ({
    error: {
      type: "error" as const,
      code: "bad-message",
      title: "Bad message",
      detail,
      hint,
      ...(fields ? { fields } : {}),
    },
  });
  if (text === undefined) return bad("Binary messages are not part of the protocol.", "Send JSON text messages.");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return bad("The message is not JSON.", 'Send one JSON object per message, e.g. {"type":"ping"}.');
  }
  const result = clientMessage.safeParse(json);
  if (result.success) return { ok: result.data };
  const fields = result.error.issues
    .slice(0, 10)
    .map((i) => ({ field: i.path.join(".") || "type", message: i.message }));
  const type = (json as { type?: unknown } | null)?.type;
  return bad(
    `The ${typeof type === "string" ? `"${type.slice(0, 40)}" ` : ""}message is not valid: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`,
    "Message types: subscribe, update, unsubscribe, resume, ping (see docs/stream-protocol.schema.json).",
    fields,
  );
}

export function errorOf(err: DomainError, id: string | undefined): ErrorMessage {
  return {
    type: "error",
    ...(id ? { id } : {}),
    code: err.code,
    title: err.title,
    detail: err.detail,
    hint: err.hint,
    ...(err.fields.length ? { fields: err.fields } : {}),
  };
}

export const inUse = (id: string) =>
  new StreamError(
    "invalid",
    "id-in-use",
    "Subscription id in use",
    `"${id}" already names a subscription on this connection.`,
    "Send update to change its filters, or unsubscribe it first, or pick another id.",
    [{ field: "id", message: "in use" }],
  );

export const tooMany = (max: number) =>
  new StreamError(
    "refused",
    "too-many-subscriptions",
    "Too many subscriptions",
    `A connection holds at most ${max} subscriptions.`,
    "Unsubscribe one, or combine services into one subscription (services: [...]).",
  );

export const unknownSubscription = (id: string, resume: boolean) =>
  new StreamError(
    "not_found",
    "unknown-subscription",
    "Unknown subscription",
    resume
      ? `No subscription "${id}" of this key to resume (never made, unsubscribed, its grace period ended, or another API instance holds it).`
      : `No subscription "${id}" on this connection.`,
    resume ? "Send subscribe again: the stream continues live from now." : "Subscribe first, with that id.",
    [{ field: "id", message: "unknown" }],
  );
