import { z } from "@hono/zod-openapi";

/**
 * One error shape for every failure (RFC 9457 application/problem+json), with
 * a `hint` telling an AI caller how to change the call.
 */
export const problemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:logsleuth:problem:bad-request" }),
    title: z.string().openapi({ example: "Bad request" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().openapi({ example: "start must be before end" }),
    hint: z.string().openapi({ example: "Send start earlier than end, e.g. start=now-1h&end=now" }),
    instance: z.string().optional().openapi({ description: "The request path" }),
    request_id: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Each invalid field, for validation errors" }),
  })
  .openapi("Problem");
export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** A failure the API reports on purpose; the error handler renders it as problem+json. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly hint: string,
    readonly extra: Partial<Pick<Problem, "errors">> & { headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

export const problemType = (slug: string) => `urn:logsleuth:problem:${slug}`;

/** The OpenAPI description of a problem response, for route declarations. */
export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});
