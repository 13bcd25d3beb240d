import { expect } from "vitest";
import { DomainError } from "../../../src/errors.ts";
import { STATUS_OF_KIND } from "../../../src/http/errors.ts";

/**
 * Runs `fn` and returns the DomainError it throws (failing the test when it throws nothing or something else),
 * with the HTTP `status` the error handler gives it and its `slug` (the problem type's code).
 */
export function thrown(fn: () => unknown): DomainError & { status: number; slug: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    const d = e as DomainError;
    return Object.assign(d, { status: STATUS_OF_KIND[d.kind], slug: d.code });
  }
  throw new Error("expected a DomainError, nothing was thrown");
}
