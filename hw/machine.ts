// SPDX-License-Identifier: GPL-2.0-only
/**
 * The machine: CPUs, physical memory and its frame allocator, the kernel's root page
 * table (whose kernel half every address space shares), APICs, the coherence checker, the
 * cost vector and machine-wide counters. A Machine is a value: build one per test or run;
 * nothing is shared between machines.
 */

import { ENTRIES_PER_TABLE } from './address.js';
import { Apic } from './apic.js';
import { CoherenceChecker } from './checker.js';
import { type MachineConfig, type MachineConfigInput, resolveConfig } from './config.js';
import { costVector } from './costs.js';
import type { HostCores } from './hostCores.js';
import { Cpu } from './cpu.js';
import { type FrameAllocOptions, FrameAllocator } from './frames.js';
import { PhysicalMemory } from './physmem.js';
import { Prng } from './prng.js';
import { declareStats } from './stats.js';

/** Machine-wide counters. */
export const MACHINE_STATS = declareStats({
  clock: ['clock', 'events', 'logical event clock: accesses, flush and CR writes, entry writes, IPIs'],
  entryWrites: ['entryWrites', 'count', 'paging-structure entries written through writeEntry/clearEntry'],
  framesAllocated: ['frames.allocated', 'frames', 'frames allocated now'],
  framesPeak: ['frames.peak', 'frames', 'most frames allocated at once'],
  framesStored: ['frames.stored', 'frames', 'frames holding host storage (ever written)'],
  invlpgbBroadcasts: ['invlpgb.broadcasts', 'count', 'INVLPGB broadcasts delivered to every CPU'],
});

const M = MACHINE_STATS.index;

/** An emulated multi-CPU x86-64 machine. */
export class Machine {
  readonly config: MachineConfig;
  readonly mem: PhysicalMemory;
  readonly frames: FrameAllocator;
  /** Cycles per cost, indexed by COST_INDEX. */
  readonly costVector: Float64Array;
  /** Frame of the kernel's top-level table (swapper_pg_dir); every CPU boots with it in CR3. */
  readonly kernelRoot: number;
  readonly checker: CoherenceChecker;
  readonly apic: Apic;
  readonly stats: Float64Array = new Float64Array(MACHINE_STATS.decls.length);
  /** Seeded generator for workloads and the scheduler (TLBs have their own). */
  readonly rng: Prng;
  /** Logical event clock. */
  clock = 0;
  /** CPU whose code is running (-1: none; set by runOn and the scheduler). */
  currentCpu = -1;
  /**
   * The host cores the vCPUs share (costs.hostCores, hw/hostCores.ts); null:
   * one core for each CPU. Only the scheduler sets it, in timed mode.
   */
  host: HostCores | null = null;
  /** Observer of interrupt handlers a waiting sender made run (a timeline); null: none. */
  irqObserver: ((cpu: number, vector: string, start: number, end: number) => void) | null = null;
  private readonly cpuList: Cpu[];
  private readonly labels: string[] = ['-'];
  private readonly labelIds = new Map<string, number>([['-', 0]]);

  constructor(config: MachineConfigInput = {}) {
    this.config = resolveConfig(config);
    this.mem = new PhysicalMemory(this.config.physMemBytes);
    this.frames = new FrameAllocator(this.mem, 1);
    this.costVector = costVector(this.config.costs);
    const root = this.frames.alloc({ zero: true });
    if (root === null) throw new Error('physical memory cannot hold the kernel page table');
    this.kernelRoot = root;
    const seedRng = new Prng(this.config.seed);
    this.rng = seedRng.fork(0);
    this.checker = new CoherenceChecker(this, this.config.cpus, this.config.checker);
    this.cpuList = [];
    for (let i = 0; i < this.config.cpus; i++) this.cpuList.push(new Cpu(this, i, seedRng.fork(i + 1)));
    this.apic = new Apic(this);
  }

  /** CPU `i`. */
  cpu(i: number): Cpu {
    const c = this.cpuList[i];
    if (c === undefined) throw new RangeError(`cpu ${i} does not exist: this machine has cpus 0 to ${this.cpuList.length - 1}`);
    return c;
  }

  /** All CPUs, by id. */
  get cpus(): readonly Cpu[] {
    return this.cpuList;
  }

  // ---- frames and page-table entries (the kernel layer's interface) ----------------------

  /** Allocate a physical frame (null when memory is exhausted). */
  allocFrame(options: FrameAllocOptions = {}): number | null {
    return this.frames.alloc(options);
  }

  /** Free a physical frame; its contents stay until reused. */
  freeFrame(frame: number): void {
    this.frames.free(frame);
  }

  /** The u64 paging-structure entry at physical address `pa`. */
  readEntry(pa: number): bigint {
    return this.mem.readU64(pa);
  }

  /** Write a paging-structure entry (logged for the checker). No TLB is touched. */
  writeEntry(pa: number, value: bigint): void {
    this.clock++;
    this.stats[M.entryWrites]!++;
    if (this.checker.enabled) {
      const cpu = this.currentCpu;
      this.checker.recordEntryWrite(pa, this.mem.readU64(pa), value, cpu, cpu >= 0 ? this.cpu(cpu).now : 0);
    }
    this.mem.writeU64(pa, value);
  }

  /** Clear the entry at `pa` (write 0) and return its old value (ptep_get_and_clear). */
  clearEntry(pa: number): bigint {
    const old = this.mem.readU64(pa);
    this.writeEntry(pa, 0n);
    return old;
  }

  /**
   * A new address space: a zeroed top-level table whose kernel half (entries 256..511) is
   * copied from the kernel root, so every level below it is shared. Entries the kernel adds
   * to its root later are not copied (the pre-5.8 sync problem).
   */
  newAddressSpace(): number {
    const root = this.frames.alloc({ zero: true });
    if (root === null) throw new Error('physical memory is exhausted');
    for (let i = ENTRIES_PER_TABLE / 2; i < ENTRIES_PER_TABLE; i++) {
      const v = this.mem.readU64(this.kernelRoot * 4096 + i * 8);
      if (v !== 0n) this.mem.writeU64(root * 4096 + i * 8, v);
    }
    return root;
  }

  // ---- execution context -----------------------------------------------------------------

  /** Run `fn` as code on CPU `id` (sets currentCpu for its duration). */
  runOn<T>(id: number, fn: (cpu: Cpu) => T): T {
    const cpu = this.cpu(id);
    const previous = this.currentCpu;
    this.currentCpu = id;
    try {
      return fn(cpu);
    } finally {
      this.currentCpu = previous;
    }
  }

  /** Number for a context label (see Cpu.setContext). */
  intern(label: string): number {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(label);
      this.labelIds.set(label, id);
    }
    return id;
  }

  /** The label of a context number. */
  label(id: number): string {
    return this.labels[id] ?? '-';
  }

  /** Deliver one INVLPGB from `from` to every CPU (no interrupts). Called by Cpu.invlpgb. */
  broadcastInvalidate(from: number, firstPn: number | null, pages: number, stride: number, pcid: number, includeGlobal: boolean): void {
    this.stats[M.invlpgbBroadcasts]!++;
    let removed = 0;
    for (const cpu of this.cpuList) removed += cpu.receiveInvlpgb(firstPn, pages, stride, pcid, includeGlobal);
    const checker = this.checker;
    if (!checker.enabled) return;
    const cycle = this.cpu(from).now;
    if (firstPn === null) {
      for (const cpu of this.cpuList) checker.recordFullFlush(cpu.id, cycle, `invlpgb from cpu${from}`, -1);
    } else {
      for (let k = 0; k < pages; k++) checker.recordPageFlush(firstPn + k * stride, from, cycle, 'invlpgb (all cpus)', removed);
    }
  }

  /** Refresh the gauge counters (frames) before a report. */
  updateGauges(): void {
    this.stats[M.clock] = this.clock;
    this.stats[M.framesAllocated] = this.frames.allocated;
    this.stats[M.framesPeak] = this.frames.peak;
    this.stats[M.framesStored] = this.mem.storedFrames;
  }
}
