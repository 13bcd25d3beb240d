/**
 * The export's progress on stderr: lines, bytes, rate and ETA (from the API's estimate of the lines, an upper
 * bound, so the ETA errs long). A terminal gets one line redrawn in place a few times a second; anything else
 * (CI logs, a pipe) a plain line every few seconds.
 */

export interface ProgressState {
  /** Rows written so far; undefined while unknown (Parquet: counted from the footer at the end). */
  lines: number | undefined;
  /** Bytes written to the output (compressed when gzip). */
  bytes: number;
  elapsedMs: number;
  /** The API's X-Logsleuth-Estimated-Lines (before line filters, capped by the limit). */
  estimatedLines: number | undefined;
}

const BAR = 20;

const int = (n: number) => Math.round(n).toLocaleString("en-US");

export function humanBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** One progress line: `[#####·····] 12,000 / ~25,200 lines (48%) · 1.52 MB · 9,800 lines/s · ETA 0:02`. */
export function progressText(s: ProgressState): string {
  const seconds = Math.max(s.elapsedMs / 1000, 0.001);
  const parts: string[] = [];
  const total = s.estimatedLines && s.estimatedLines > 0 ? s.estimatedLines : undefined;
  if (s.lines === undefined) {
    parts.push(`${humanBytes(s.bytes)}`, `${humanBytes(s.bytes / seconds)}/s`);
    return parts.join(" · ");
  }
  const fraction = total ? Math.min(1, s.lines / total) : undefined;
  const bar = fraction === undefined ? "" : `[${"#".repeat(Math.round(fraction * BAR)).padEnd(BAR, "·")}] `;
  parts.push(
    `${bar}${int(s.lines)}${total ? ` / ~${int(total)}` : ""} lines${fraction !== undefined ? ` (${Math.floor(fraction * 100)}%)` : ""}`,
  );
  parts.push(humanBytes(s.bytes));
  const rate = s.lines / seconds;
  parts.push(`${int(rate)} lines/s`);
  if (total && rate > 0 && s.lines < total) parts.push(`ETA ${humanDuration(((total - s.lines) / rate) * 1000)}`);
  return parts.join(" · ");
}

export interface ProgressOptions {
  write: (text: string) => void;
  tty: boolean;
  /** Non-TTY: a line this often (ms). */
  everyMs?: number;
  now?: () => number;
}

/** Draws `progressText` at most every 100 ms on a TTY (redrawn in place), every `everyMs` elsewhere. */
export class Progress {
  private last = 0;
  private drawn = false;
  private readonly every: number;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.every = options.tty ? 100 : (options.everyMs ?? 5_000);
    this.now = options.now ?? Date.now;
    this.last = this.now();
  }

  update(state: () => ProgressState): void {
    const now = this.now();
    if (now - this.last < this.every) return;
    this.last = now;
    if (this.options.tty) {
      this.options.write(`\r${progressText(state())}\x1b[K`);
      this.drawn = true;
    } else this.options.write(`export: ${progressText(state())}\n`);
  }

  /** Ends the redrawn line (if any) so the next message starts on its own line. */
  clear(): void {
    if (this.drawn) this.options.write("\r\x1b[K");
    this.drawn = false;
  }
}
