import { expect } from "vitest";
import { ApiError } from "../../../src/http/problem.ts";

/** Runs `fn` and returns the ApiError it throws (failing the test when it throws nothing or something else). */
export function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error("expected an ApiError, nothing was thrown");
}
