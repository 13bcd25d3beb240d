import type { StreamFigures } from "./types.ts";

/** The stream's running counts (the gauges — clients, tails, lag — are read from the live objects). */
export type Figures = Pick<
  StreamFigures,
  | "lines_in"
  | "lines_out"
  | "dropped_client"
  | "dropped_upstream"
  | "recovered"
  | "upstream_reconnects"
  | "slow_disconnects"
>;

export const newFigures = (): Figures => ({
  lines_in: 0,
  lines_out: 0,
  dropped_client: 0,
  dropped_upstream: 0,
  recovered: 0,
  upstream_reconnects: 0,
  slow_disconnects: 0,
});
