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
 * slices are short against what is measured; docs/concurrency.md says why
 * turns of a host slice are not modelled.
 */

/** How priced work on a vCPU maps onto modelled (wall) time. */
export class HostCores {
  private runnable = 0;
  private readonly wants: Uint8Array;

  constructor(
    readonly cores: number,
    ncpu: number,
  ) {
    this.wants = new Uint8Array(ncpu);
  }

  /** Whether the host has fewer cores than vCPUs that want one now. */
  get shared(): boolean {
    return this.cores > 0 && this.runnable > this.cores;
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
  }

  /** The modelled time at which `cycles` of priced work started at `at` on `cpu` ends. */
  advance(cpu: number, at: number, cycles: number): number {
    // A halted vCPU taking an interrupt: the host wakes its thread at once.
    if (!this.shared || this.wants[cpu] === 0) return at + cycles;
    return at + (cycles * this.runnable) / this.cores;
  }
}
