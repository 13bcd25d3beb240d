/** Loki speaks nanosecond timestamps as decimal strings; inside we keep bigint. */
export type Nanos = bigint;

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

export const nsFromMs = (ms: number): Nanos => BigInt(Math.trunc(ms)) * NS_PER_MS;
export const nsFromDate = (d: Date): Nanos => nsFromMs(d.getTime());
export const msFromNs = (ns: Nanos): number => Number(ns / NS_PER_MS);
export const nowNs = (): Nanos => nsFromMs(Date.now());
export const isoFromNs = (ns: Nanos): string => new Date(msFromNs(ns)).toISOString();

/** Parses Loki's nanosecond string; throws on anything else. */
export function parseNs(s: string): Nanos {
  if (!/^\d{1,20}$/.test(s)) throw new Error(`not a nanosecond timestamp: ${s}`);
  return BigInt(s);
}
