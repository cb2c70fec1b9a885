// SPDX-License-Identifier: GPL-2.0-only
/* Small order statistics for per-allocation figures. */

/** mean, 99th percentile (nearest rank) and max of a list of numbers. */
export function summarize(xs: ArrayLike<number>): { mean: number; p99: number; max: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, p99: 0, max: 0 };
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    sum += x;
    if (x > max) max = x;
  }
  const sorted = Float64Array.from(xs).sort();
  const rank = Math.max(0, Math.ceil(0.99 * n) - 1);
  return { mean: sum / n, p99: sorted[rank]!, max };
}

/** At most `limit` evenly spaced samples of a series, for plots. */
export function sample(xs: readonly number[], limit = 2000): number[] {
  if (xs.length <= limit) return xs.slice();
  const out: number[] = [];
  const step = xs.length / limit;
  for (let i = 0; i < limit; i++) out.push(xs[Math.floor(i * step)]!);
  return out;
}
