// Scoring a miner against ground truth, as the log-parsing benchmarks define it (Zhu et al. 2019).
// GA: rows are grouped by true template; a group counts when all its rows got one mined template
// and no row outside the group got that template. PA: the mined template equals the true one.

export interface ParseScore {
  /** Grouping accuracy, 0..1. */
  ga: number;
  /** Parsing accuracy, 0..1. */
  pa: number;
  rows: number;
  trueTemplates: number;
  minedTemplates: number;
}

export function scoreTemplates(truth: readonly string[], mined: readonly string[]): ParseScore {
  if (truth.length !== mined.length) throw new Error(`row counts differ: ${truth.length} vs ${mined.length}`);
  const minedCount = new Map<string, number>();
  for (const m of mined) minedCount.set(m, (minedCount.get(m) ?? 0) + 1);
  const groups = new Map<string, { size: number; mined: Set<string> }>();
  let exact = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as string;
    const m = mined[i] as string;
    if (t === m) exact++;
    const group = groups.get(t) ?? { size: 0, mined: new Set<string>() };
    group.size++;
    group.mined.add(m);
    groups.set(t, group);
  }
  let grouped = 0;
  for (const group of groups.values()) {
    if (group.mined.size !== 1) continue;
    const [only] = group.mined;
    if (only !== undefined && minedCount.get(only) === group.size) grouped += group.size;
  }
  const rows = truth.length;
  return {
    ga: rows === 0 ? 1 : grouped / rows,
    pa: rows === 0 ? 1 : exact / rows,
    rows,
    trueTemplates: groups.size,
    minedTemplates: minedCount.size,
  };
}
