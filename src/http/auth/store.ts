import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "../../log.ts";
import { KeyIndex, parseKeysFile } from "./keys.ts";
import { isBlankKeysText } from "./keys-file.ts";

export interface KeyStoreOptions {
  file: string;
  logger: Logger;
  /** mtime poll interval, the fallback when fs.watch misses a change (network filesystems, some editors). Default 2 s. */
  pollMs?: number;
}

/**
 * The keys file, kept loaded. Changes are picked up by fs.watch on the file's
 * directory (which survives editors and `npm run keys` replacing the file by
 * rename) with an mtime/size/inode poll as a fallback. A file that becomes
 * invalid or blank (an editor truncating before it writes) keeps the last
 * good keys (and logs why); only a valid file replaces them — `[]` revokes
 * every key — and a file that disappears means no keys.
 */
export class KeyStore {
  private index: KeyIndex;
  private signature: string;
  private watcher: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private pending = false;
  private lastError: string | undefined;
  private closed = false;

  /** Loads the file now (synchronously): an invalid file throws, a missing one means no keys yet. */
  constructor(private readonly options: KeyStoreOptions) {
    const { file, logger } = options;
    this.signature = signatureOf(file);
    if (this.signature === "missing") {
      this.index = new KeyIndex([]);
      logger.warn("API keys file does not exist yet; every request gets 401 until keys are added", { file });
    } else {
      const text = readFileSync(file, "utf8");
      this.index = new KeyIndex(parseKeysFile(text, file));
      if (isBlankKeysText(text))
        logger.warn("API keys file is empty; every request gets 401 until keys are added", { file });
    }
    try {
      this.watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(file)) this.schedule();
      });
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = undefined; // the poll still runs
      });
    } catch {
      this.watcher = undefined; // directory missing or not watchable: rely on the poll
    }
    this.timer = setInterval(() => {
      if (signatureOf(file) !== this.signature) this.schedule();
    }, options.pollMs ?? 2_000);
    this.timer.unref();
  }

  get keys(): KeyIndex {
    return this.index;
  }

  /** Re-reads the file now (also what watch and poll trigger). */
  reload(): Promise<void> {
    if (this.reloading) {
      this.pending = true;
      return this.reloading;
    }
    this.reloading = this.load().finally(() => {
      this.reloading = undefined;
      if (this.pending && !this.closed) {
        this.pending = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
  }

  private schedule() {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), 50);
    this.debounce.unref();
  }

  private async load(): Promise<void> {
    const { file, logger } = this.options;
    const before = await statSignature(file);
    if (before === "missing") {
      if (this.signature !== "missing") logger.warn("API keys file removed; no key is accepted now", { file });
      this.signature = before;
      this.index = new KeyIndex([]);
      return;
    }
    try {
      const text = await readFile(file, "utf8");
      if (isBlankKeysText(text)) {
        this.signature = before; // the next write changes the signature and is read then
        if (this.lastError !== BLANK) {
          logger.warn("API keys file is empty; keeping the previous keys (write [] to revoke every key)", { file });
        }
        this.lastError = BLANK;
        return;
      }
      const entries = parseKeysFile(text, file);
      this.index = new KeyIndex(entries);
      this.signature = before;
      this.lastError = undefined;
      logger.info("API keys reloaded", { file, keys: entries.length });
    } catch (err) {
      this.signature = before; // do not retry the same broken content on every poll
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) {
        logger.error("API keys file is invalid; keeping the previous keys", { file, error: message });
      }
      this.lastError = message;
    }
  }
}

const BLANK = "blank file";

function signatureOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}

async function statSignature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}
