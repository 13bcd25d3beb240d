import { shortServiceName } from "../query/discovery.ts";
import type { AlertGate } from "./alerts.ts";
import { StreamError } from "./errors.ts";
import type { LineFilter, StreamLine } from "./filter.ts";
import type { Hub, HubListener, HubNotice } from "./hub.ts";
import type { FilterFields, ServerMessage } from "./protocol.ts";

/**
 * One client subscription on a shared hub: its filters, its sequence numbers
 * and its alerts. Entries go out in the hub's line order, one message per run
 * of one stream's kept lines, so "every line up to offset X was sent in
 * messages up to seq N, or filtered out" holds for each seq: a `resume` from
 * the client's last seq replays exactly what it missed from the hub's buffer.
 */

/** Where a subscription's messages go: the session of the socket it is attached to. */
export interface Outlet {
  /** An entries message of `count` lines (dropped, and counted on the subscription, when the client is too slow). */
  sendEntries(data: string, count: number, sub: Subscription): void;
  send(message: ServerMessage): void;
}

interface Group {
  labelsJson: string;
  entriesJson: string;
  count: number;
  lastOffset: number;
}

interface Prepared {
  groups: Group[];
  /** Kept lines with a library match or a new template, for alerts. */
  flagged: Array<{ line: StreamLine; template: string | undefined }>;
}

/** seq → hub offset for the last MAX_SEQS seqs (seqs are consecutive: a ring of numbers). */
const MAX_SEQS = 4096;

export class Subscription implements HubListener {
  seq = 0;
  /** Lines dropped for this subscription since the last `dropped` notice (slow client). */
  missed = 0;
  outlet: Outlet | undefined;
  private readonly idJson: string;
  private offsets = new Float64Array(64);
  private baseSeq = 0;
  private filterKey = "";

  constructor(
    readonly id: string,
    /** tenant + key id: who may resume it. */
    readonly owner: string,
    public filters: FilterFields,
    private filter: LineFilter,
    public hub: Hub,
    private readonly gate: AlertGate,
    private readonly serviceLabel: string,
  ) {
    this.idJson = JSON.stringify(id);
    this.setFilters(filters, filter);
    this.remember(0, hub.lastOffset);
  }

  /** New filters (and maybe a new hub) from `update`; seq goes on, a resume cannot reach back across a hub change. */
  retarget(filters: FilterFields, filter: LineFilter, hub: Hub): void {
    this.setFilters(filters, filter);
    if (hub !== this.hub) {
      this.hub = hub;
      this.baseSeq = this.seq;
      this.offsets.fill(0);
      this.remember(this.seq, hub.lastOffset);
    }
  }

  deliver(lines: readonly StreamLine[], memo: Map<string, unknown>): void {
    if (!this.outlet) return; // detached: the hub's replay buffer keeps the lines for a resume
    let prepared = memo.get(this.filterKey) as Prepared | undefined;
    if (!prepared) {
      prepared = this.prepare(lines, this.filters.alerts !== false);
      memo.set(this.filterKey, prepared);
    }
    this.emit(prepared, lines.at(-1)?.offset, true);
  }

  notice(n: HubNotice): void {
    this.outlet?.send({ type: "notice", id: this.id, ...n });
  }

  /**
   * Replays what came after `seq` (the client's last) from the hub's buffer, numbering on from `seq`.
   * Returns how many entries were re-sent and how many lines were beyond the buffer.
   */
  resume(seq: number): { replayed: number; missed: number } {
    if (seq > this.seq) {
      throw new StreamError(
        "invalid",
        "seq-ahead",
        "Unknown seq",
        `seq ${seq} was never sent on "${this.id}" (the last is ${this.seq})`,
        "Send the seq of the last entries message you received.",
        [{ field: "seq", message: `at most ${this.seq}` }],
      );
    }
    const offset = this.offsetOf(seq);
    if (offset === undefined) {
      throw new StreamError(
        "refused",
        "resume-too-old",
        "Too far back to resume",
        `seq ${seq} is older than the last ${MAX_SEQS} messages this subscription remembers`,
        "Subscribe again (the stream continues live from now), and query the gap with GET /query.",
      );
    }
    this.seq = seq;
    const { items, missed } = this.hub.after(offset);
    const prepared = this.prepare(items, false);
    this.emit(prepared, items.at(-1)?.offset, false);
    return { replayed: prepared.groups.reduce((n, g) => n + g.count, 0), missed };
  }

  private setFilters(filters: FilterFields, filter: LineFilter): void {
    this.filters = filters;
    this.filter = filter;
    const { alerts, ...rest } = filters;
    this.filterKey = JSON.stringify([rest, alerts !== false]);
  }

  private prepare(lines: readonly StreamLine[], withAlerts: boolean): Prepared {
    const groups: Group[] = [];
    const flagged: Prepared["flagged"] = [];
    let run: StreamLine[] = [];
    const close = () => {
      const first = run[0];
      if (!first) return;
      groups.push({
        labelsJson: JSON.stringify(first.labels),
        entriesJson: `[${run.map((l) => `{"ts":"${l.ts}","line":${JSON.stringify(l.line)}}`).join(",")}]`,
        count: run.length,
        lastOffset: run[run.length - 1]!.offset,
      });
      run = [];
    };
    for (const l of lines) {
      if (!this.filter.keep(l)) continue;
      if (run.length > 0 && run[0]!.stream !== l.stream) close();
      run.push(l);
      if (withAlerts) {
        const template = this.hub.novel.get(l.offset);
        if (template !== undefined || l.patterns().length > 0) flagged.push({ line: l, template });
      }
    }
    close();
    return { groups, flagged };
  }

  private emit(p: Prepared, lastOffset: number | undefined, alerts: boolean): void {
    const outlet = this.outlet;
    if (!outlet) return;
    for (const g of p.groups) {
      const seq = ++this.seq;
      this.remember(seq, g.lastOffset);
      outlet.sendEntries(
        `{"type":"entries","id":${this.idJson},"seq":${seq},"labels":${g.labelsJson},"entries":${g.entriesJson}}`,
        g.count,
        this,
      );
    }
    // Lines after the last kept one were filtered out: the current seq covers them too.
    if (lastOffset !== undefined) this.remember(this.seq, lastOffset);
    if (alerts) for (const f of p.flagged) this.alert(outlet, f.line, f.template);
  }

  private alert(outlet: Outlet, l: StreamLine, template: string | undefined): void {
    const hit = {
      tsNs: l.ts,
      service: shortServiceName(l.labels[this.serviceLabel] ?? "(none)"),
      line: l.line,
      level: l.parsed().level,
    };
    const drafts = l.patterns().map((m) => this.gate.pattern(hit, m));
    if (template !== undefined) drafts.push(this.gate.newTemplate(hit, template));
    for (const d of drafts) if (d) outlet.send({ type: "alert", id: this.id, ...d });
  }

  private remember(seq: number, offset: number): void {
    if (seq - this.baseSeq >= this.offsets.length) {
      if (this.offsets.length < MAX_SEQS) {
        const grown = new Float64Array(Math.min(MAX_SEQS, this.offsets.length * 2));
        grown.set(this.offsets);
        this.offsets = grown;
      }
      while (seq - this.baseSeq >= this.offsets.length) {
        // Forget the oldest half: shift the ring down.
        const half = this.offsets.length >> 1;
        this.offsets.copyWithin(0, half);
        this.baseSeq += half;
      }
    }
    this.offsets[seq - this.baseSeq] = offset;
  }

  private offsetOf(seq: number): number | undefined {
    if (seq < this.baseSeq || seq - this.baseSeq >= this.offsets.length) return undefined;
    return this.offsets[seq - this.baseSeq];
  }
}
