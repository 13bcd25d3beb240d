import { setTimeout as sleep } from "node:timers/promises";

/** An async function that takes `delayMs` to return `value` and counts its calls in `.calls`. */
export function counting<T>(value: T, delayMs: number) {
  const fn = async () => {
    fn.calls++;
    await sleep(delayMs);
    return value;
  };
  fn.calls = 0;
  return fn;
}
