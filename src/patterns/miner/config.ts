// Configuration of the online template miner: masks and clustering knobs.
// One default configuration serves every input; nothing here is tuned per log source.

/** The placeholder written for a variable part of a template. */
export const PLACEHOLDER = "<*>";

/**
 * A mask replaces what a regular expression matches by `replacement` (default `<*>`).
 * `scope: "line"` masks run on the whole message before it is split into words, so they
 * can cover a value that contains spaces (a quoted string, a date); `scope: "word"` masks
 * run on each whitespace-separated word, in order. Patterns must have the `g` flag, and should
 * run in linear time on any text (no start position or quantifier that rescans a long run
 * from each of its characters): a custom one that does not is bounded only by `maxLineLength`.
 */
export interface MaskRule {
  name: string;
  pattern: RegExp;
  replacement?: string;
  scope?: "line" | "word";
  /**
   * Optional speed hint: characters of which every match contains at least one. Text holding
   * none of them skips the mask (and, when every word mask has one, a word holding none of any
   * skips masking altogether). Leave it unset when unsure: that is always correct.
   */
  trigger?: string;
}

export interface MinerConfig {
  /** Masks, applied in order (line masks first, then word masks). */
  masks: MaskRule[];
  /** Upper bound on live clusters; the least recently used cluster is evicted beyond it. */
  maxClusters: number;
  /** Distinct values a word position must show before it is treated as a parameter. */
  minDistinctValues: number;
  /** Of those values, how many must have been seen only once (rare values look like parameters). */
  minRareValues: number;
  /** Constant words a line must share with a cluster before a word position may be generalised. */
  minSharedWords: number;
  /** Field names holding the message in JSON or logfmt lines, in order of preference. */
  messageKeys: string[];
  /** Whether a run of like values (`blk_<*> blk_<*> …`) is mined as one parameter. */
  collapseRepeats: boolean;
  /** Caps on the internal memo tables (masked words, masked lines → cluster). */
  cacheSize: number;
  /**
   * Characters of a message that are mined (masked and split into words). The word that crosses
   * the limit and everything after it are kept as one parameter (`<*>`), so a huge line costs
   * no more to mine than a line of this length, and its template still reads as its start.
   * Lines longer than this are not memoised either.
   */
  maxLineLength: number;
}

// Character classes shared by the masks.
const NOT_ALNUM_BEFORE = "(?<![A-Za-z0-9])";
const NOT_ALNUM_AFTER = "(?![A-Za-z0-9])";
const UNITS = "(?:ns|us|µs|ms|s|sec|secs|min|mins|m|h|hr|hrs|d|b|B|kb|KB|kB|KiB|mb|MB|MiB|gb|GB|GiB|tb|TB|TiB|k|K|x|%)";
const PATH_SEGMENT = `[^\\s\\\\/()[\\]"',;:<>]+(?::[^\\s\\\\/()[\\]"',;:<>]+)*`;
const HOST_TLDS = "(?:com|net|org|edu|gov|mil|int|io|info|biz|local|localdomain|internal|lan|cloud)";

/** The built-in masks, by name, so callers can compose their own list. */
export const MASKS = {
  /** `2024-05-01T12:00:00.123Z`, `2024-05-01 12:00:00,123`, `Fri Jul 01 08:16:53 PDT 2005`. */
  timestamp: {
    name: "timestamp",
    trigger: ":",
    scope: "line",
    pattern: new RegExp(
      [
        "\\b\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?(?:Z|[+-]\\d{2}:?\\d{2})?(?![\\w])",
        "\\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\\s+\\d{1,2}\\s+\\d{2}:\\d{2}:\\d{2}(?:\\s+[A-Z]{2,5})?(?:\\s+\\d{4})?\\b",
      ].join("|"),
      "g",
    ),
  },
  /** A double-quoted string, kept as one parameter even when it holds spaces. */
  quoted: { name: "quoted", trigger: '"', scope: "line", pattern: /"(?:[^"\\]|\\.)*"/g, replacement: '"<*>"' },
  /** A byte size with its unit, which often changes with the value: `5.2 KB` → `<*>`. */
  size: {
    name: "size",
    trigger: "B",
    scope: "line",
    pattern: /(?<![\w.])\d+(?:\.\d+)? (?:[KMGTP]i?B|B)\b/g,
  },
  /**
   * `scheme://anything` keeps the scheme: `hdfs://<*>`. The scheme starts where a run of scheme
   * characters starts (not after `.`, `+` or `-`), so each run is read once (linear time).
   */
  url: {
    name: "url",
    trigger: ":",
    pattern: /(?<![\w+.-])([A-Za-z][A-Za-z0-9+.-]*):\/\/[^\s\])>,;'"]+/g,
    replacement: "$1://<*>",
  },
  /** Starts only where a run of address characters starts, so each is read once (linear time). */
  email: {
    name: "email",
    trigger: "@",
    pattern: /(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g,
  },
  uuid: {
    name: "uuid",
    trigger: "-",
    pattern: /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g,
  },
  /** Unix paths with two or more separators, `./x`, and Windows paths. */
  path: {
    name: "path",
    trigger: "/\\",
    pattern: new RegExp(
      `(?<![^\\s=:(\\["',])(?:(?:\\/?[A-Za-z]:)?(?:[\\\\/]${PATH_SEGMENT})+[\\\\/](?:${PATH_SEGMENT})?|\\.{1,2}\\/${PATH_SEGMENT})`,
      "g",
    ),
  },
  mac: { name: "mac", trigger: ":-", pattern: /\b(?:[0-9A-Fa-f]{2}[:-]){5,}[0-9A-Fa-f]{2}\b/g },
  ipv6: { name: "ipv6", trigger: ":", pattern: /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])/g },
  ipv4: {
    name: "ipv4",
    trigger: ".",
    pattern: new RegExp(`${NOT_ALNUM_BEFORE}(?:\\d{1,3}\\.){3}\\d{1,3}${NOT_ALNUM_AFTER}`, "g"),
  },
  /**
   * `web-node-12`, `msra-sa-41.corp.example.com`, `ns.example.com`. A match spans a whole run of
   * `[\w.-]`, so it starts only where one starts: each run is read once (linear time).
   */
  hostname: {
    name: "hostname",
    trigger: "-.",
    pattern: new RegExp(
      `(?<![\\w.-])(?:[A-Za-z][A-Za-z0-9]*-(?:[A-Za-z0-9]+-)*[A-Za-z][A-Za-z0-9]*-\\d+(?:\\.[A-Za-z][\\w-]*)*|(?:[A-Za-z0-9-]+\\.)+${HOST_TLDS})(?![\\w.-])`,
      "g",
    ),
  },
  /** `0x1f`, and bare hex ids of 6+ characters mixing digits and letters. */
  hex: {
    name: "hex",
    trigger: "0123456789",
    pattern: new RegExp(
      `${NOT_ALNUM_BEFORE}(?:0[xX][0-9a-fA-F]+|(?=[0-9a-fA-F]*\\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,})${NOT_ALNUM_AFTER}`,
      "g",
    ),
  },
  /** A number glued to a unit keeps the unit: `250ms` → `<*>ms`. */
  duration: {
    name: "duration",
    trigger: "0123456789",
    pattern: new RegExp(`${NOT_ALNUM_BEFORE}(?<!\\d\\.)\\d+(?:\\.\\d+)?(?=${UNITS}${NOT_ALNUM_AFTER})`, "g"),
  },
  /**
   * Integers and decimals not glued to a preceding letter (`ssh2`, `U11` stay), optionally signed;
   * `job_17_0020Job` → `job_<*>_<*>Job`.
   */
  number: {
    name: "number",
    trigger: "0123456789",
    pattern: new RegExp(
      `(?:${NOT_ALNUM_BEFORE}-)?(?<![A-Za-z0-9]|\\d\\.)\\d+(?:\\.\\d+)*(?:${NOT_ALNUM_AFTER}|(?=[A-Z][a-z]))`,
      "g",
    ),
  },
  /** Placeholders joined by `_`, `-`, `.` (or a one- or two-letter part) are one value: `<*>_m_<*>` → `<*>`. */
  collapse: { name: "collapse", trigger: "<", pattern: /<\*>(?:(?:[._-](?:[A-Za-z]{1,2}[._-])?)?<\*>)+/g },
} satisfies Record<string, MaskRule>;

export const DEFAULT_MINER_CONFIG: Readonly<MinerConfig> = Object.freeze({
  masks: [
    MASKS.timestamp,
    MASKS.quoted,
    MASKS.size,
    MASKS.url,
    MASKS.email,
    MASKS.uuid,
    MASKS.path,
    MASKS.mac,
    MASKS.ipv6,
    MASKS.ipv4,
    MASKS.hostname,
    MASKS.hex,
    MASKS.duration,
    MASKS.number,
    MASKS.collapse,
  ],
  maxClusters: 10_000,
  minDistinctValues: 3,
  minRareValues: 2,
  minSharedWords: 3,
  messageKeys: ["msg", "message", "log", "MESSAGE", "Message", "text", "body"],
  collapseRepeats: true,
  cacheSize: 50_000,
  maxLineLength: 4096,
});

/** Fills the unset fields of a partial configuration from the default. */
export function resolveConfig(config?: Partial<MinerConfig>): MinerConfig {
  return { ...DEFAULT_MINER_CONFIG, ...config };
}
