// Leave-one-dataset-out scoring of the miner's tunable rules and thresholds (src/patterns/miner/
// config.ts) on the Loghub 2k datasets: for each dataset, every knob is chosen on the other ones
// (coordinate ascent from the default configuration) and the dataset is scored with that choice.
// The mean of the held-out scores estimates how the tuned miner does on a system it has not seen;
// the in-sample scores (the default configuration on every dataset) sit beside it.
// A pure core: it takes the datasets as plain values; runs are cached per (configuration, dataset).

import type { MinerConfig, ParseScore } from "../../../src/patterns/miner/index.ts";
import { createMiner, DEFAULT_MINER_CONFIG, scoreTemplates } from "../../../src/patterns/miner/index.ts";

export interface LoghubSet {
  name: string;
  lines: readonly string[];
  truth: readonly string[];
}

/** One tunable rule or threshold: its candidate values and how a value changes the configuration. */
export interface Knob {
  name: string;
  values: readonly (number | boolean)[];
  /** The default configuration's value. */
  initial: number | boolean;
  apply(config: Partial<MinerConfig>, value: number | boolean): void;
}

type NumericKey = {
  [K in keyof MinerConfig]: MinerConfig[K] extends number ? K : never;
}[keyof MinerConfig];
type BooleanKey = {
  [K in keyof MinerConfig]: MinerConfig[K] extends boolean ? K : never;
}[keyof MinerConfig];

function numeric(name: NumericKey, values: readonly number[]): Knob {
  return {
    name,
    values,
    initial: DEFAULT_MINER_CONFIG[name],
    apply: (config, value) => {
      config[name] = value as number;
    },
  };
}

function flag(name: BooleanKey): Knob {
  return {
    name,
    values: [true, false],
    initial: DEFAULT_MINER_CONFIG[name],
    apply: (config, value) => {
      config[name] = value as boolean;
    },
  };
}

/** Each default mask may be left out: `mask:<name>` true keeps it. */
function maskKnob(mask: string): Knob {
  return {
    name: `mask:${mask}`,
    values: [true, false],
    initial: true,
    apply: (config, value) => {
      if (value === false) config.masks = (config.masks ?? DEFAULT_MINER_CONFIG.masks).filter((m) => m.name !== mask);
    },
  };
}

/**
 * Every knob of config.ts that changes how lines are grouped (capacity knobs — maxClusters,
 * cacheSize, maxLineLength — and messageKeys do not on these datasets, so they are not tuned).
 */
export function tunableKnobs(): Knob[] {
  return [
    numeric("minDistinctValues", [2, 3, 4, 5]),
    numeric("minRareValues", [0, 1, 2, 3]),
    numeric("minSharedWords", [1, 2, 3, 4, 5]),
    flag("collapseRepeats"),
    ...DEFAULT_MINER_CONFIG.masks.map((m) => maskKnob(m.name)),
  ];
}

export type Setting = Record<string, number | boolean>;

export function defaultSetting(knobs: readonly Knob[]): Setting {
  return Object.fromEntries(knobs.map((k) => [k.name, k.initial]));
}

export function configOf(knobs: readonly Knob[], setting: Setting): Partial<MinerConfig> {
  const config: Partial<MinerConfig> = {};
  for (const k of knobs) k.apply(config, setting[k.name] ?? k.initial);
  return config;
}

/** Only the knobs that differ from the default, e.g. `minSharedWords=2 mask:hex=false`; `default` when none. */
export function describeSetting(knobs: readonly Knob[], setting: Setting): string {
  const changed = knobs.filter((k) => setting[k.name] !== k.initial).map((k) => `${k.name}=${setting[k.name]}`);
  return changed.length === 0 ? "default" : changed.join(" ");
}

/** Scores a dataset with a fresh miner per configuration, caching each (setting, dataset) run. */
export class LoghubScorer {
  readonly knobs: readonly Knob[];
  readonly #cache = new Map<string, ParseScore>();
  runs = 0;

  constructor(knobs: readonly Knob[] = tunableKnobs()) {
    this.knobs = knobs;
  }

  score(setting: Setting, set: LoghubSet): ParseScore {
    const key = `${set.name}\u0000${describeSetting(this.knobs, setting)}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    this.runs++;
    const miner = createMiner(configOf(this.knobs, setting));
    const ids = set.lines.map((line) => miner.train(line));
    const score = scoreTemplates(
      set.truth,
      ids.map((id) => miner.templateOf(id) ?? ""),
    );
    this.#cache.set(key, score);
    return score;
  }

  /** The objective a setting is chosen by: the mean of (GA + PA) / 2 over the sets. */
  objective(setting: Setting, sets: readonly LoghubSet[]): number {
    let sum = 0;
    for (const s of sets) {
      const r = this.score(setting, s);
      sum += (r.ga + r.pa) / 2;
    }
    return sum / sets.length;
  }

  /**
   * Coordinate ascent from the default: each knob in turn takes its best value (a change must
   * improve the objective, so ties keep the default), until a sweep changes nothing (at most `sweeps`).
   */
  tune(sets: readonly LoghubSet[], sweeps = 2): Setting {
    const setting = defaultSetting(this.knobs);
    let best = this.objective(setting, sets);
    for (let sweep = 0; sweep < sweeps; sweep++) {
      let moved = false;
      for (const knob of this.knobs) {
        for (const value of knob.values) {
          if (value === setting[knob.name]) continue;
          const trial = { ...setting, [knob.name]: value };
          const score = this.objective(trial, sets);
          if (score > best + 1e-9) {
            best = score;
            setting[knob.name] = value;
            moved = true;
          }
        }
      }
      if (!moved) break;
    }
    return setting;
  }
}

export interface FoldResult {
  dataset: string;
  /** The default configuration on this dataset. */
  inSample: ParseScore;
  /** The configuration tuned on the other datasets, scored on this one. */
  heldOut: ParseScore;
  /** The tuned knobs that differ from the default. */
  chosen: string;
}

export interface LooReport {
  folds: FoldResult[];
  inSample: { ga: number; pa: number };
  heldOut: { ga: number; pa: number };
  /** The setting tuned on all datasets (what LOO estimates the quality of), as changed knobs. */
  tunedOnAll: string;
  runs: number;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function leaveOneOut(sets: readonly LoghubSet[], scorer = new LoghubScorer()): LooReport {
  const base = defaultSetting(scorer.knobs);
  const folds = sets.map((held) => {
    const setting = scorer.tune(sets.filter((s) => s !== held));
    return {
      dataset: held.name,
      inSample: scorer.score(base, held),
      heldOut: scorer.score(setting, held),
      chosen: describeSetting(scorer.knobs, setting),
    };
  });
  const tunedOnAll = describeSetting(scorer.knobs, scorer.tune(sets));
  return {
    folds,
    inSample: { ga: mean(folds.map((f) => f.inSample.ga)), pa: mean(folds.map((f) => f.inSample.pa)) },
    heldOut: { ga: mean(folds.map((f) => f.heldOut.ga)), pa: mean(folds.map((f) => f.heldOut.pa)) },
    tunedOnAll,
    runs: scorer.runs,
  };
}

/** Rows for a table: dataset, in-sample GA/PA, held-out GA/PA, knobs chosen on the others. */
export function looRows(report: LooReport): string[][] {
  const f = (n: number) => n.toFixed(3);
  return [
    ...report.folds.map((r) => [
      r.dataset,
      f(r.inSample.ga),
      f(r.inSample.pa),
      f(r.heldOut.ga),
      f(r.heldOut.pa),
      r.chosen,
    ]),
    ["mean", f(report.inSample.ga), f(report.inSample.pa), f(report.heldOut.ga), f(report.heldOut.pa), ""],
  ];
}

export const LOO_COLUMNS = [
  "held out",
  "GA in-sample",
  "PA in-sample",
  "GA held-out",
  "PA held-out",
  "chosen on the others",
];

/** The report as a fixed-width text table. */
export function looTable(report: LooReport): string {
  const rows = [LOO_COLUMNS, ...looRows(report)];
  const widths = LOO_COLUMNS.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
