import type { MineResult } from "../../../src/patterns/miner/index.ts";

/** A mined result as plain data: its parameters are read on demand, so compare them explicitly. */
export function plain(result: MineResult) {
  return { clusterId: result.clusterId, template: result.template, params: result.params, fields: result.fields };
}
