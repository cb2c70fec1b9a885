// SPDX-License-Identifier: GPL-2.0-only
/**
 * Deterministic interleaving of per-CPU workloads. Each task is a stream of steps bound to
 * one CPU; at every turn a seeded choice (or round robin) picks which task runs its next
 * step. Before a step the chosen CPU takes its pending interrupts (its interrupt window),
 * and the step runs to completion as code on that CPU. When every task is done, pending
 * interrupts everywhere are delivered.
 */

import type { Cpu } from './cpu.js';
import type { Machine } from './machine.js';

/** One step of a workload, run on its CPU. */
export type Step = (cpu: Cpu) => void;

/** A workload bound to a CPU: a generator (each next() is a step) or a list of steps. */
export interface Task {
  readonly cpu: number;
  /** Context label given to the CPU while the task runs (the checker's "by whom"). */
  readonly name?: string;
  readonly steps: Iterator<unknown> | readonly Step[];
}

/** Options of runInterleaved. */
export interface RunOptions {
  /** "random" (seeded from the machine, the default) or "round-robin". */
  readonly order?: 'random' | 'round-robin';
  /** Stop after this many steps (default: run to the end). */
  readonly maxSteps?: number;
  /** Return the CPU of every step in `order`. Default false. */
  readonly recordOrder?: boolean;
}

/** What runInterleaved did. */
export interface RunResult {
  readonly steps: number;
  readonly stepsPerCpu: readonly number[];
  /** CPU of each step, when recordOrder was set. */
  readonly order: readonly number[];
}

interface Live {
  readonly task: Task;
  readonly next: () => boolean;
}

/** Run `tasks` interleaved on `machine`, deterministically. */
export function runInterleaved(machine: Machine, tasks: readonly Task[], options: RunOptions = {}): RunResult {
  const random = (options.order ?? 'random') === 'random';
  const maxSteps = options.maxSteps ?? Infinity;
  const stepsPerCpu = new Array<number>(machine.config.cpus).fill(0);
  const order: number[] = [];
  const live: Live[] = tasks.map((task) => {
    const cpu = machine.cpu(task.cpu);
    const steps = task.steps;
    if (isStepList(steps)) {
      let k = 0;
      return { task, next: () => (k < steps.length ? (steps[k++]!(cpu), true) : false) };
    }
    return { task, next: () => steps.next().done !== true };
  });
  let steps = 0;
  let turn = 0;
  while (live.length > 0 && steps < maxSteps) {
    const pick = random ? machine.rng.below(live.length) : turn++ % live.length;
    const t = live[pick]!;
    const id = t.task.cpu;
    machine.apic.deliver(id);
    if (t.task.name !== undefined) machine.cpu(id).setContext(t.task.name);
    const ran = machine.runOn(id, () => t.next());
    if (!ran) {
      live.splice(pick, 1);
      if (!random && turn > 0) turn--;
      continue;
    }
    steps++;
    stepsPerCpu[id] = stepsPerCpu[id]! + 1;
    if (options.recordOrder === true) order.push(id);
  }
  machine.apic.deliverAll();
  return { steps, stepsPerCpu, order };
}

function isStepList(steps: Iterator<unknown> | readonly Step[]): steps is readonly Step[] {
  return Array.isArray(steps);
}
