/**
 * The statistics /analyze stands on (pure, plain numbers): Poisson and binomial upper tails computed in
 * log space (stable for counts in the millions and p-values down to 1e-300), the exact test comparing two
 * Poisson rates, Bonferroni correction, and robust z-scores (median and MAD).
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: ~15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln(e^a + e^b) without overflow. */
const logAdd = (a: number, b: number): number => {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
};

/** Sums the terms ln t(i) for i = from, from+step, … while they matter (they must decrease monotonically). */
function logTailSum(term: (i: number) => number, from: number, step: 1 | -1, last: number): number {
  let sum = Number.NEGATIVE_INFINITY;
  for (let i = from; step === 1 ? i <= last : i >= last; i += step) {
    const t = term(i);
    sum = logAdd(sum, t);
    if (t < sum - 40) break; // the rest adds less than e^-40 relative (terms fall geometrically here)
  }
  return sum;
}

const clampP = (p: number): number => Math.min(1, Math.max(0, p));

/** P(X ≥ k) for X ~ Poisson(λ). */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  const term = (i: number) => -lambda + i * Math.log(lambda) - lnGamma(i + 1);
  // Sum the side whose terms fall away from the start: above the mode upward, else the lower tail downward.
  if (k > lambda) return clampP(Math.exp(logTailSum(term, k, 1, Number.POSITIVE_INFINITY)));
  return clampP(1 - Math.exp(logTailSum(term, k - 1, -1, 0)));
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  const lc = lnGamma(n + 1);
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const term = (i: number) => lc - lnGamma(i + 1) - lnGamma(n - i + 1) + i * lp + (n - i) * lq;
  if (k > n * p) return clampP(Math.exp(logTailSum(term, k, 1, n)));
  return clampP(1 - Math.exp(logTailSum(term, k - 1, -1, 0)));
}

/**
 * One-sided p-value that the window's rate is above the baseline's: `k` lines in `windowMs` against `b` in
 * `baselineMs`. The exact conditional test of two Poisson rates: given n = k + b lines in all, k is
 * Binomial(n, windowMs / (windowMs + baselineMs)) when the rates are equal. Unlike a Poisson test against
 * the baseline's count taken as the true rate, it allows for the baseline's own noise.
 */
export function rateIncreaseP(k: number, windowMs: number, b: number, baselineMs: number): number {
  if (windowMs <= 0 || baselineMs <= 0) return 1;
  return binomialUpperTail(k, k + b, windowMs / (windowMs + baselineMs));
}

/** A p-value corrected for `tests` hypotheses tested at once. */
export const bonferroni = (p: number, tests: number): number => Math.min(1, p * Math.max(1, tests));

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation from the median. */
export const mad = (values: readonly number[]): number => {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
};

/**
 * Robust z-score of `x` against `reference`: (x − median) / (1.4826·MAD), the MAD scaled to a standard
 * deviation for normal data. The scale is floored at `minScale` so a flat reference (MAD 0, e.g. no errors
 * at all) does not turn one line into an infinite score.
 */
export function robustZ(x: number, reference: readonly number[], minScale = 1): number {
  const scale = Math.max(1.4826 * mad(reference), minScale);
  return (x - median(reference)) / scale;
}
