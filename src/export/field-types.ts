import { FIELD_TYPES, type FieldType } from "./types.ts";

/**
 * A requested field column's name and type, from its optional suffix: `duration_ms:number` → number,
 * `cached:boolean`, `user:string`; a colon not followed by a known type stays in the name (`user:id`).
 * For the request's column resolver to call before it checks the name.
 */
export function splitFieldType(spec: string): { name: string; type?: FieldType } {
  const colon = spec.lastIndexOf(":");
  const suffix = spec.slice(colon + 1);
  if (colon < 0 || !isFieldType(suffix)) return { name: spec };
  return { name: spec.slice(0, colon), type: suffix };
}

function isFieldType(value: string): value is FieldType {
  return (FIELD_TYPES as readonly string[]).includes(value);
}
