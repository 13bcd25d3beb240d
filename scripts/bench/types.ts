// What a benchmark module exports and reports. Each measurement is a ratio of our number against
// an anchor measured in the same run, with the target the issue states for that ratio.

export interface Measurement {
  /** What was measured, e.g. "lines/s, 16,000 lines × 10". */
  label: string;
  unit: string;
  ours: number;
  anchor: number;
  /** ours / anchor. */
  ratio: number;
  /** The target for the ratio; null when no target is stated (reported side by side only). */
  target: number | null;
  /** "higher" (default): the ratio must be at least the target; "lower": at most the target. */
  better?: "higher" | "lower";
  /** Number of decimals to print the values with. */
  digits?: number;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

export interface BenchReport {
  name: string;
  /** One sentence: what ours is, what the anchor is, on which input. */
  description: string;
  oursLabel: string;
  anchorLabel: string;
  measurements: Measurement[];
  /** Further detail printed after the main table (per-dataset numbers, …). */
  tables: Table[];
  /** Caveats that affect how to read the numbers. */
  notes: string[];
  /** Raw numbers for the JSON report. */
  data: unknown;
}

export interface BenchModule {
  name: string;
  run(log: (message: string) => void): Promise<BenchReport>;
}

export function met(m: Measurement): boolean | null {
  if (m.target === null) return null;
  return m.better === "lower" ? m.ratio <= m.target : m.ratio >= m.target;
}
