import { randomBytes } from "node:crypto";
import { z } from "zod";
import { signToken, verifyToken } from "../signing.ts";
import { ExportError } from "./errors.ts";
import { type ExportParams, exportBodySchema } from "./schemas.ts";

/**
 * Export links: GET /export/{token} runs the export the token describes, for
 * a person's browser or an agent handing it over — no key needed, the token
 * is the credential. It holds the tenant and key id it was made for, the
 * export's parameters with the range fixed to absolute times (the link gives
 * the same slice however late it is opened), and its expiry; it is signed
 * with the cursor secrets (CURSOR_KEYS) under its own context. A request that
 * does present a key must be of the link's tenant.
 */

const CONTEXT = "logsleuth:export-link:v1";
export const MAX_LINK_LENGTH = 16_384;

const payloadSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().min(1).max(64),
  ten: z.string().min(1).max(150).nullable(),
  exp: z.number().int().positive(),
  n: z.string(),
  p: z.unknown(),
});

export interface LinkClaims {
  keyId: string;
  tenant: string | undefined;
  expiresAt: number;
  params: ExportParams;
}

export function signExportLink(
  caller: { keyId: string; tenant: string | undefined },
  params: ExportParams,
  secrets: readonly [string, ...string[]],
  now: number,
  ttlS: number,
): string {
  return signToken(
    CONTEXT,
    {
      v: 1,
      kid: caller.keyId,
      ten: caller.tenant ?? null,
      exp: now + ttlS * 1000,
      n: randomBytes(9).toString("base64url"),
      p: params,
    },
    secrets,
  );
}

/** The claims of a valid, unexpired link; throws the one "bad link" 404 for anything else. */
export function readExportLink(token: string, secrets: readonly string[], now: number): LinkClaims {
  const raw = verifyToken(CONTEXT, token, secrets, MAX_LINK_LENGTH);
  const payload = payloadSchema.safeParse(raw);
  const params = payload.success ? exportBodySchema.safeParse(payload.data.p) : undefined;
  if (!payload.success || !params?.success || payload.data.exp <= now) throw badLink();
  return {
    keyId: payload.data.kid,
    tenant: payload.data.ten ?? undefined,
    expiresAt: payload.data.exp,
    params: params.data,
  };
}

/** Unknown, forged, changed or expired: one answer for all, so a link never tells which. */
export const badLink = () =>
  new ExportError(
    "not_found",
    "export-link-invalid",
    "Export link not valid",
    "This export link is unknown, changed or expired.",
    "Ask for a new link with POST /api/v1/ai_logs/export/link (links last EXPORT_LINK_TTL_S seconds, 900 by default).",
  );
