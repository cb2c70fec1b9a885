// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host under an emulator: each vCPU is a host thread, and the host has
 * `cores` cores for them (costs.hostCores; docs/concurrency.md, "Host
 * cores"). A vCPU that has something to run (running, spinning on a lock,
 * waiting for ACKs) wants a core; a halted one does not. The scheduler says
 * which vCPUs want one (setRunnable). With no more of them than cores,
 * nothing changes. With R of them on H < R cores, the host shares its cores
 * evenly: priced work on a runnable vCPU takes R/H times its cost. A lock
 * holder's critical section is stretched the same way while the spinners
 * behind it hold their share of the cores.
 *
 * Even sharing is the deterministic limit of the host's time slicing when
 * slices are short against what is measured. With `latency` > 0 the host
 * gives turns instead (docs/concurrency.md, "Host turns"): the R vCPUs that
 * want a core, ranked by id, take the H cores round robin in turns of
 * latency x H / R (CFS: each of the R/H threads of a core gets an equal
 * share of sched_latency), no shorter than `minSlice`; in turn k the ranks
 * kH .. kH + H - 1 (mod R) run. Priced work on a vCPU advances only while
 * it is on a core, and a vCPU that waits for something (a lock word, an
 * IPI) sees it only when it is on a core (nextOnCore).
 */

/** How priced work on a vCPU maps onto modelled (wall) time. */
export class HostCores {
  private runnable = 0;
  private readonly wants: Uint8Array;
  /** Rank of each vCPU among those that want a core (by id); stale while `ranked` is false. */
  private readonly rank: Int32Array;
  private ranked = true;

  constructor(
    readonly cores: number,
    ncpu: number,
    /** The host scheduler's period over its threads, in cycles (0: even sharing). */
    readonly latency = 0,
    /** The shortest turn, in cycles. */
    readonly minSlice = 0,
  ) {
    this.wants = new Uint8Array(ncpu);
    this.rank = new Int32Array(ncpu);
  }

  /** Whether the host has fewer cores than vCPUs that want one now. */
  get shared(): boolean {
    return this.cores > 0 && this.runnable > this.cores;
  }

  /** Whether the host gives turns (costs.hostLatency > 0) rather than sharing evenly. */
  get turns(): boolean {
    return this.latency > 0;
  }

  /** How many vCPUs want a host core now. */
  get nrRunnable(): number {
    return this.runnable;
  }

  setRunnable(cpu: number, wants: boolean): void {
    const w = wants ? 1 : 0;
    if (this.wants[cpu] === w) return;
    this.wants[cpu] = w;
    this.runnable += w ? 1 : -1;
    this.ranked = false;
  }

  /** The length of one turn now, in cycles: each of the R/H threads of a core gets latency x H / R. */
  slice(): number {
    return Math.max((this.latency * this.cores) / this.runnable, this.minSlice);
  }

  private rankOf(cpu: number): number {
    if (!this.ranked) {
      let r = 0;
      for (let c = 0; c < this.wants.length; c++) if (this.wants[c]) this.rank[c] = r++;
      this.ranked = true;
    }
    return this.rank[cpu]!;
  }

  /** The turn that time `t` falls in, for turns of `s` cycles (exact at turn boundaries). */
  private turnOf(t: number, s: number): number {
    let k = Math.floor(t / s);
    if ((k + 1) * s <= t) k++;
    else if (k * s > t) k--;
    return k;
  }

  /** Whether a vCPU of rank `r` runs in turn `k` (R vCPUs want a core). */
  private runsIn(r: number, k: number): boolean {
    const R = this.runnable;
    return (((r - k * this.cores) % R) + R) % R < this.cores;
  }

  /**
   * The first time at or after `t` at which `cpu` is on a host core: `t`
   * itself when the host is not shared, when `cpu` wants no core (a halted
   * vCPU taking an interrupt is woken at once) or with even sharing.
   */
  nextOnCore(cpu: number, t: number): number {
    if (!this.shared || !this.turns || this.wants[cpu] === 0) return t;
    const r = this.rankOf(cpu);
    const s = this.slice();
    const k = this.turnOf(t, s);
    if (this.runsIn(r, k)) return t;
    for (let j = 1; j <= this.runnable; j++) if (this.runsIn(r, k + j)) return (k + j) * s;
    return t;
  }

  /** The modelled time at which `cycles` of priced work started at `at` on `cpu` ends. */
  advance(cpu: number, at: number, cycles: number): number {
    // A halted vCPU taking an interrupt: the host wakes its thread at once.
    if (!this.shared || this.wants[cpu] === 0) return at + cycles;
    if (!this.turns) return at + (cycles * this.runnable) / this.cores;
    const s = this.slice();
    let t = this.nextOnCore(cpu, at);
    let left = cycles;
    for (;;) {
      const end = (this.turnOf(t, s) + 1) * s;
      if (t + left <= end) return t + left;
      left -= end - t;
      t = this.nextOnCore(cpu, end);
    }
  }
}
