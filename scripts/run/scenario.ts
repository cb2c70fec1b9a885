// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a scenario is: a named workload with typed parameters, the kernel
 * versions it is meaningful for, and a run function that drives one kernel
 * version at one CPU count and returns figures. Built-in scenarios and a
 * user's own `.ts`/`.js` file have the same shape.
 */

import type { CostTable } from '../../hw/costs.js';
import type { lock_class_stats } from '../../kernel/kernel/locking/lockdep_proc.js';

/** A parameter a scenario takes, with its default and what it accepts. */
export type ParamSpec =
  | {
      readonly name: string;
      readonly kind: 'int';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      /** the value must be a multiple of this */
      readonly multipleOf?: number;
      /** the value must be a power of two */
      readonly powerOfTwo?: boolean;
      readonly description: string;
    }
  | { readonly name: string; readonly kind: 'enum'; readonly default: string; readonly values: readonly string[]; readonly description: string }
  | { readonly name: string; readonly kind: 'bool'; readonly default: boolean; readonly description: string };

export type ParamValue = number | string | boolean;
export type Params = Readonly<Record<string, ParamValue>>;

/** Everything a run of one (kernel, cpus) cell gets. */
export interface RunContext {
  readonly kernel: string;
  readonly cpus: number;
  readonly seed: number;
  readonly params: Params;
  /** Flush era override (`--flush-era`), if any. */
  readonly flushEra?: string;
  /** The cost table of the machine (--costs; default: the hardware profile). */
  readonly costs?: CostTable;
  /** Record a timeline of the run (--timeline); the scenario returns it as RunResult.timeline. */
  readonly timeline?: boolean;
  /** Print a kernel-format trace line (`--trace`). */
  readonly trace?: (line: string) => void;
  /** Report progress within the cell. */
  readonly progress?: (done: number, total: number) => void;
  /** Lock classes to run atomic (BootOptions.atomicLocks): set by runMatrix when a run met a NestedLockError. */
  readonly atomicLocks?: readonly string[];
}

/** A kernel BUG that ended a run, as the oops reports it. */
export interface BugReport {
  readonly version: string;
  readonly func: string;
  readonly line: number;
  readonly cond: string;
  /** 1-based index of the operation that hit it. */
  readonly op: number;
  readonly oops: string;
}

/** The figures of one (kernel, cpus) cell. Absent machine figures are null. */
export interface RunFigures {
  operations: number;
  allocations: number;
  failedAllocations: number;
  touchesPerAlloc: { mean: number; p99: number; max: number };
  purges: number;
  ipisSent: number | null;
  ipisReceived: number | null;
  invlpg: number | null;
  fullFlushes: number | null;
  tlbMisses: number | null;
  walks: number | null;
  cycles: number | null;
  cyclesPerOp: number | null;
  bugs: number;
  checkerReports: number | null;
}

/** Kernel-named counters of a machine run (see docs/run-json.md). */
/** /proc/lock_stat of a run: each lock class's figures in modelled cycles, and the clock that turns them into time. */
export interface LockStat {
  clockHz: number;
  classes: lock_class_stats[];
}

export interface KernelCounters {
  purges: number;
  flushes: Record<string, number>;
  vmstat: Record<string, number>;
  interrupts: { CAL: number[]; TLB: number[] };
  do_flush_tlb_all: number[];
  do_kernel_range_flush: number[];
}

export interface RunResult {
  figures: RunFigures;
  counters?: KernelCounters;
  /** Touches per allocation, in order, for the plots (may be sampled). */
  touchSeries?: number[];
  /** Modelled cycles by flush kind, for the breakdown plot. */
  flushCost?: Record<string, number>;
  /** The lock classes' /proc/lock_stat figures (kernel/kernel/locking/lockdep_proc.ts). */
  lockStat?: LockStat;
  bug?: BugReport;
  /** Checker reports, formatted. */
  reports?: string[];
  /** Lines the scenario wants shown under the table. */
  notes?: string[];
  /** The run's per-CPU timeline (Chrome trace-event JSON), when RunContext.timeline asked for it. */
  readonly timeline?: string;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  /** Versions the scenario is meaningful for (all if omitted). */
  readonly versions?: readonly string[];
  /** Default kernels and CPU counts when the command line names none. */
  readonly defaults?: { readonly kernels?: readonly string[]; readonly cpus?: readonly number[] };
  run(ctx: RunContext): RunResult;
  /** Optional lines summarising the whole matrix (e.g. ratios against published figures). */
  summarize?(cells: readonly { kernel: string; cpus: number; result: RunResult }[], params: Params): string[];
}
