// Synthetic generality suite for the template miner: messages generated from ~20 templates whose
// parameters come from realistic value families — a small repeating set (five user names), words
// without digits, hostnames and domains, paths, lists of ids of varying length, optional clauses,
// words that are parameters by position and shape — scored with GA/PA like the Loghub sets.
// The ground truth writes every parameter (a whole list, a clause that may be absent) as one `<*>`.

import { describe, expect, it } from "vitest";
import type { ParseScore } from "../../src/patterns/miner/index.ts";
import { createMiner, scoreTemplates } from "../../src/patterns/miner/index.ts";

type Rand = (n: number) => number;

/** A seeded generator (mulberry32), so every run sees the same lines. */
function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const USERS = ["alice", "bob", "carol", "dave", "erin"];
const SURNAMES = ["garcia", "nguyen", "okafor", "schmidt", "tanaka", "rossi", "kowalski", "dubois", "silva", "haddad"];
const HOSTS = [
  "api.payments.example.com",
  "auth.internal",
  "kafka-broker",
  "search.corp.acme.net",
  "mail.example.org",
  "redis-cache",
  "ingest.acme.io",
  "billing.svc.cluster.local",
  "gateway",
  "ldap.corp",
];
const PLUGINS = ["metrics", "tracing", "oauth", "ratelimit", "compression", "cors", "audit", "geoip", "webhooks"];
const ROLES = ["viewer", "editor", "owner", "admin"];
const QUEUES = ["emails", "thumbnails", "reports", "invoices", "exports", "webhooks"];
const REASONS = ["timeout", "connection reset by peer", "broken pipe", "no route to host", "certificate expired"];
const DIRS = ["/var/lib/app", "/srv/data", "/opt/cache", "/home/deploy/releases", "/tmp/uploads"];
const FILES = ["index.db", "state.json", "segment.log", "manifest.yaml", "blob.bin"];

interface Generated {
  line: string;
  truth: string;
}

type Template = (r: Rand) => Generated;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[r(xs.length)] as T;
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => "0123456789abcdef"[r(16)]).join("");
/** A hex id with a digit and a letter, as ids in logs are. */
const hexId = (r: Rand) => `${r(10)}${"abcdef"[r(6)]}${hex(r, 6)}`;
const ip = (r: Rand) => `10.${r(256)}.${r(256)}.${r(256)}`;
const path = (r: Rand) => `${pick(r, DIRS)}/${pick(r, FILES)}`;
const list = (r: Rand, item: () => string, sep: string) => Array.from({ length: 1 + r(6) }, item).join(sep);

/** `(text, truth)` with the parameters filled in and written as `<*>` respectively. */
function t(parts: TemplateStringsArray, ...params: Array<(r: Rand) => string>): Template {
  return (r) => {
    let line = parts[0] ?? "";
    let truth = parts[0] ?? "";
    params.forEach((p, i) => {
      line += p(r) + (parts[i + 1] ?? "");
      truth += `<*>${parts[i + 1] ?? ""}`;
    });
    return { line, truth };
  };
}

const user = (r: Rand) => pick(r, USERS);

const TEMPLATES: Template[] = [
  // a small repeating set
  t`User ${user} logged in`,
  t`Session closed for user ${user}`,
  t`Password change requested by ${user} from ${ip}`,
  // words without digits
  t`Processing refund for customer ${(r) => pick(r, SURNAMES)}`,
  t`Loaded plugin ${(r) => pick(r, PLUGINS)} successfully`,
  t`Granted role ${(r) => pick(r, ROLES)} to ${user} on project ${(r) => pick(r, SURNAMES)}`,
  t`Worker picked job from queue ${(r) => pick(r, QUEUES)}`,
  // hostnames and domains
  t`Connecting to ${(r) => pick(r, HOSTS)} on port ${(r) => String(1024 + r(60000))}`,
  t`DNS lookup for ${(r) => pick(r, HOSTS)} took ${(r) => String(r(900))} ms`,
  t`Upstream ${(r) => pick(r, HOSTS)} marked unhealthy after ${(r) => String(1 + r(5))} failures`,
  // paths
  t`Opened file ${path} for writing`,
  t`Compaction of ${path} finished in ${(r) => String(r(5000))} ms`,
  // lists of ids of varying length
  t`Evicting sessions ${(r) => list(r, () => hexId(r), " ")}`,
  t`Rebalanced partitions ${(r) => list(r, () => String(r(64)), ",")} to broker ${(r) => String(r(9))}`,
  t`Acknowledged messages ${(r) => list(r, () => String(r(1e6)), ", ")} from ${user}`,
  // optional clauses
  t`Request to ${(r) => pick(r, HOSTS)} failed: ${(r) => pick(r, REASONS)}`,
  t`Cache miss for key ${(r) => `${hexId(r)}${r(3) === 0 ? " (expired)" : ""}`}`,
  t`Retrying upload of ${(r) => `${path(r)}${r(2) === 0 ? "" : ` attempt ${1 + r(4)} of 5`}`}`,
  // parameters by position and shape
  t`Deployment of release v${(r) => `${1 + r(3)}.${r(20)}.${r(10)}`} to ${(r) => pick(r, ["staging", "production", "canary"])} started by ${user}`,
  t`Scheduled task ${(r) => pick(r, ["cleanup", "backup", "reindex", "vacuum", "rotate"])} completed in ${(r) => String(r(999))} ms`,
];

function generate(n: number, seed: number): Generated[] {
  const r = seeded(seed);
  return Array.from({ length: n }, () => pick(r, TEMPLATES)(r));
}

function scoreGenerated(rows: readonly Generated[]): ParseScore & { mined: string[] } {
  const miner = createMiner();
  const ids = rows.map((row) => miner.train(row.line));
  const mined = ids.map((id) => miner.templateOf(id) ?? "");
  return {
    ...scoreTemplates(
      rows.map((row) => row.truth),
      mined,
    ),
    mined,
  };
}

describe("miner generality on synthetic value families", () => {
  it("generates what it says: every line fits its truth template", () => {
    for (const { line, truth } of generate(200, 1)) {
      const re = new RegExp(`^${truth.split("<*>").map(escapeRegex).join(".*")}$`);
      expect(line).toMatch(re);
    }
  });

  it("groups and parses the generated lines (GA/PA, three seeds)", () => {
    const scores = [11, 22, 33].map((seed) => scoreGenerated(generate(2000, seed)));
    const ga = scores.reduce((s, x) => s + x.ga, 0) / scores.length;
    const pa = scores.reduce((s, x) => s + x.pa, 0) / scores.length;
    console.log(
      `generality: GA ${ga.toFixed(3)} PA ${pa.toFixed(3)} (${scores.map((s) => `${s.trueTemplates}→${s.minedTemplates}`).join(", ")} templates)`,
    );
    // the measured level (the issue's target is GA >= 0.95; see the report for the gap)
    expect(ga).toBeGreaterThanOrEqual(GA_FLOOR);
    expect(pa).toBeGreaterThanOrEqual(PA_FLOOR);
  });
});

/**
 * Measured: GA 0.683, PA 0.761 (mean of the three seeds); the floors sit just under, so a regression fails. The
 * issue's target is GA ≥ 0.95: open (lists of bare ids of varying length and optional clauses still split).
 */
const GA_FLOOR = 0.67;
const PA_FLOOR = 0.75;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
