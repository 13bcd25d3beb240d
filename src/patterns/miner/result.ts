// What the miner hands back for one line: its cluster, template and (read on demand) parameters.

import { type Cluster, type Hole, holesOf, paramsAt, templateString } from "./cluster.ts";
import type { MinerConfig } from "./config.ts";
import type { Masker } from "./mask.ts";
import { Scanner } from "./tokenize.ts";

export interface MineResult {
  clusterId: number;
  /** The cluster's template when the line joined it. */
  template: string;
  /** The line's values for the placeholders of `template`, in order (read when first asked for). */
  readonly params: string[];
  fields?: Record<string, unknown>;
}

/**
 * What `add` hands back. The parameters are read from the message only when asked for, against
 * the template the line joined (its holes, kept), by a scanner of the miner's own: most callers
 * only want the cluster, and a parameter list per line is work and garbage for nothing then.
 */
export class Mined implements MineResult {
  readonly clusterId: number;
  readonly template: string;
  fields?: Record<string, unknown>;
  readonly #message: string;
  readonly #holes: readonly Hole[];
  readonly #reader: ParamReader;
  #params: string[] | undefined;

  constructor(cluster: Cluster, message: string, reader: ParamReader) {
    this.clusterId = cluster.id;
    this.template = templateString(cluster);
    this.#message = message;
    this.#holes = holesOf(cluster);
    this.#reader = reader;
  }

  get params(): string[] {
    this.#params ??= this.#holes.length === 0 ? [] : this.#reader.read(this.#message, this.#holes);
    return this.#params;
  }
}

/**
 * Reads the parameters of a message against a template's holes, with a scanner of its own (the
 * miner's holds the line being mined) over the miner's masker (its memo only speeds masking up).
 */
export class ParamReader {
  readonly #masker: Masker;
  readonly #config: MinerConfig;
  #scanner: Scanner | undefined;

  constructor(masker: Masker, config: MinerConfig) {
    this.#masker = masker;
    this.#config = config;
  }

  read(message: string, holes: readonly Hole[]): string[] {
    this.#scanner ??= new Scanner(this.#masker, this.#config.collapseRepeats, this.#config.maxLineLength);
    return paramsAt(holes, this.#scanner.scan(message));
  }
}
