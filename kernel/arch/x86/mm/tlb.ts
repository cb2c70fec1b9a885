// SPDX-License-Identifier: GPL-2.0-only
/*
 * flush_tlb_all() and flush_tlb_kernel_range() of arch/x86/mm/tlb.c, for the
 * three eras that differ in what a kernel (vmalloc) flush does, behind a
 * typed registry like the allocator's:
 *
 *   linux-2.6   (2.6.28 .. 3.5)  the range is ignored: on_each_cpu(do_flush_tlb_all),
 *                                 every online CPU toggles CR4.PGE (__flush_tlb_all);
 *                                 no nr_tlb_* counters exist yet.
 *   linux-3.17  (3.17 .. 6.14)   more than tlb_single_page_flush_ceiling (33) pages:
 *                                 on_each_cpu(do_flush_tlb_all); else
 *                                 on_each_cpu(do_kernel_range_flush), INVLPG per page.
 *   linux-6.15  (6.15 ..)        as 3.17, but with INVLPGB + TLBSYNC instead of IPIs
 *                                 when the CPU has it.
 *
 * Texts read: linux-2.6: the 2.6.3x arch/x86/mm/tlb.c and asm/tlbflush.h as
 * described in docs/reference/x86-tlb.md §2.1 (gebi/linux-2.6 @ ff1883fe;
 * index id 284752183); linux-3.17: arch/x86/mm/tlb.c of Debian 6.1.192
 * (docs/sources.md#text-linux-6.1), whose kernel-flush functions keep the 3.17 structure
 * (a5102476a24b set the ceiling to 33) and whose counting rules are modelled
 * for the whole era; linux-6.15: tip commit 82378c6c2f43 "x86/mm: Use INVLPGB
 * for kernel TLB flushes" as quoted in x86-tlb.md §2.3 (flush_tlb_kernel_range
 * -> get_flush_tlb_info -> kernel_tlb_flush_all/range).
 *
 * Counting (x86-tlb.md §2.3): flush_tlb_all() counts NR_TLB_REMOTE_FLUSH once;
 * do_flush_tlb_all() counts NR_TLB_REMOTE_FLUSH_RECEIVED on every CPU that
 * runs it, the initiator included; do_kernel_range_flush() counts
 * NR_TLB_LOCAL_FLUSH_ONE once per page per CPU (flush_tlb_one_kernel);
 * flush_tlb_kernel_range() itself counts nothing, sends its IPIs on the CAL
 * vector and emits no tlb:tlb_flush event. The INVLPGB paths count nothing.
 *
 * Not modelled: leave_mm() of lazy-TLB CPUs in the 2.6 do_flush_tlb_all
 * (there are no user mms), PTI's invalidate_other.
 */

import type { Cpu } from '../../../../hw/index.js';
import { ult, type ulong, usub, ushr } from '../../../include/u64.js';
import { on_each_cpu_mask, type smp_context, smp_processor_id } from '../../../kernel/smp.js';
import { NR_TLB_LOCAL_FLUSH_ONE, NR_TLB_REMOTE_FLUSH, NR_TLB_REMOTE_FLUSH_RECEIVED, vm_event_states } from '../../../mm/vmstat.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
/** TLB_FLUSH_ALL: -1UL */
export const TLB_FLUSH_ALL: ulong = -1;

/** Deliberate flush bugs, for the checker to catch (all off in a faithful kernel). */
export interface tlb_fault_injection {
  /** Flush with a CR3 reload only (global vmalloc entries survive). */
  readonly cr3Only?: boolean;
  /** Leave this CPU out of every kernel flush's on_each_cpu. */
  readonly skipCpu?: number | null;
}

/** Per-CPU calls of the flush functions, and the requests, for reports and tests. */
export class tlb_flush_stats {
  readonly do_flush_tlb_all: number[];
  readonly do_kernel_range_flush: number[];
  /** flush_tlb_kernel_range() calls, and how each was done. */
  kernel_range_requests = 0;
  kernel_range_full = 0;
  kernel_range_ranged = 0;
  /** Pages named by ranged flushes (each flushed on every CPU). */
  kernel_range_pages = 0;
  /** flush_tlb_all() calls. */
  flush_tlb_all = 0;
  /** INVLPGB broadcasts issued by kernel flushes (6.15 era). */
  invlpgb = 0;

  constructor(cpus: number) {
    this.do_flush_tlb_all = new Array<number>(cpus).fill(0);
    this.do_kernel_range_flush = new Array<number>(cpus).fill(0);
  }
}

/** What the flush code needs from the kernel instance. */
export interface tlb_context extends smp_context {
  readonly vmstat: vm_event_states;
  readonly tlbstats: tlb_flush_stats;
  readonly tlbfaults: tlb_fault_injection;
}

/** One era's kernel TLB flush. */
export interface x86_kernel_tlb {
  readonly era: FlushEraName;
  /** Whether /proc/vmstat has the nr_tlb_* lines in this era (CONFIG_DEBUG_TLBFLUSH kernels). */
  readonly has_tlb_vm_events: boolean;
  flush_tlb_all(): void;
  flush_tlb_kernel_range(start: ulong, end: ulong): void;
}

/** The online mask a kernel flush IPIs (minus a CPU a fault injection skips). */
function flush_mask(k: tlb_context): readonly number[] {
  const skip = k.tlbfaults.skipCpu;
  return skip === undefined || skip === null ? k.cpu_online_mask : k.cpu_online_mask.filter((c) => c !== skip);
}

/** A CR3 reload of the current root and PCID (flush_tlb_local / native_write_cr3(__native_read_cr3())). */
function reload_cr3(cpu: Cpu): void {
  cpu.writeCr3(cpu.root, { pcid: cpu.pcid });
}

/* ---- linux-2.6: arch/x86/mm/tlb.c of 2.6.28 .. 3.5 ------------------------------------ */

class linux_2_6 implements x86_kernel_tlb {
  readonly era = 'linux-2.6' as const;
  readonly has_tlb_vm_events = false;
  constructor(private readonly k: tlb_context) {}

  /** __flush_tlb_all(): __flush_tlb_global() (CR4.PGE off and on) if the CPU has PGE, else __flush_tlb() (CR3). */
  __flush_tlb_all(cpu: Cpu): void {
    if (this.k.tlbfaults.cr3Only) return reload_cr3(cpu);
    if (this.k.machine.config.pge) cpu.toggleCr4Pge();
    else reload_cr3(cpu);
  }

  do_flush_tlb_all(cpu: Cpu): void {
    this.k.tlbstats.do_flush_tlb_all[cpu.id]!++;
    this.__flush_tlb_all(cpu);
    // if (percpu_read(cpu_tlbstate.state) == TLBSTATE_LAZY) leave_mm(cpu): no lazy mms here.
  }

  flush_tlb_all(): void {
    this.k.tlbstats.flush_tlb_all++;
    on_each_cpu_mask(this.k, flush_mask(this.k), (_: null, cpu) => this.do_flush_tlb_all(cpu), null, true);
  }

  /** asm/tlbflush.h: static inline flush_tlb_kernel_range(start, end) { flush_tlb_all(); } */
  flush_tlb_kernel_range(_start: ulong, _end: ulong): void {
    const s = this.k.tlbstats;
    s.kernel_range_requests++;
    s.kernel_range_full++;
    this.flush_tlb_all();
  }
}

/* ---- linux-3.17: 3.17 .. 6.14 (text: Debian 6.1.192 arch/x86/mm/tlb.c) ------------------- */

class flush_tlb_info {
  constructor(
    readonly start: ulong,
    readonly end: ulong,
  ) {}
}

class linux_3_17 implements x86_kernel_tlb {
  readonly era: FlushEraName = 'linux-3.17';
  readonly has_tlb_vm_events = true;
  /** tlb_single_page_flush_ceiling (debugfs knob), in pages. */
  tlb_single_page_flush_ceiling = 33;

  constructor(protected readonly k: tlb_context) {}

  /** native_flush_tlb_global(): INVPCID type 2 when available, else the CR4.PGE toggle with IRQs off. */
  native_flush_tlb_global(cpu: Cpu): void {
    if (this.k.machine.config.invpcid) {
      cpu.invpcid(2); // invpcid_flush_all()
      return;
    }
    cpu.toggleCr4Pge(); // __native_tlb_flush_global(cr4)
  }

  /** __flush_tlb_all() */
  __flush_tlb_all(cpu: Cpu): void {
    if (this.k.tlbfaults.cr3Only) return reload_cr3(cpu);
    if (this.k.machine.config.pge) this.native_flush_tlb_global(cpu);
    else reload_cr3(cpu); // flush_tlb_local()
  }

  do_flush_tlb_all(cpu: Cpu): void {
    this.k.tlbstats.do_flush_tlb_all[cpu.id]!++;
    this.k.vmstat.count(cpu.id, NR_TLB_REMOTE_FLUSH_RECEIVED);
    this.__flush_tlb_all(cpu);
  }

  flush_tlb_all(): void {
    this.k.tlbstats.flush_tlb_all++;
    this.k.vmstat.count(smp_processor_id(this.k), NR_TLB_REMOTE_FLUSH);
    on_each_cpu_mask(this.k, flush_mask(this.k), (_: null, cpu) => this.do_flush_tlb_all(cpu), null, true);
  }

  /** flush_tlb_one_kernel(addr): count, then INVLPG. */
  flush_tlb_one_kernel(cpu: Cpu, addr: ulong): void {
    this.k.vmstat.count(cpu.id, NR_TLB_LOCAL_FLUSH_ONE);
    cpu.invlpg(addr); // flush_tlb_one_user -> native_flush_tlb_one_user
  }

  /** Flush the range one INVLPG at a time. */
  do_kernel_range_flush(f: flush_tlb_info, cpu: Cpu): void {
    this.k.tlbstats.do_kernel_range_flush[cpu.id]!++;
    if (this.k.tlbfaults.cr3Only) return reload_cr3(cpu);
    for (let addr = f.start; ult(addr, f.end); addr += PAGE_SIZE) this.flush_tlb_one_kernel(cpu, addr);
  }

  /** Too many pages: a full flush. */
  protected wants_full(start: ulong, end: ulong): boolean {
    // end == TLB_FLUSH_ALL || (end - start) > tlb_single_page_flush_ceiling << PAGE_SHIFT
    return end === TLB_FLUSH_ALL || ult(this.tlb_single_page_flush_ceiling * PAGE_SIZE, usub(end, start));
  }

  flush_tlb_kernel_range(start: ulong, end: ulong): void {
    const s = this.k.tlbstats;
    s.kernel_range_requests++;
    if (this.wants_full(start, end)) {
      s.kernel_range_full++;
      on_each_cpu_mask(this.k, flush_mask(this.k), (_: null, cpu) => this.do_flush_tlb_all(cpu), null, true);
    } else {
      s.kernel_range_ranged++;
      s.kernel_range_pages += ushr(usub(end, start), PAGE_SHIFT);
      const info = new flush_tlb_info(start, end); // get_flush_tlb_info(NULL, start, end, 0, false, TLB_GENERATION_INVALID)
      on_each_cpu_mask(this.k, flush_mask(this.k), (f: flush_tlb_info, cpu) => this.do_kernel_range_flush(f, cpu), info, true);
    }
  }
}

/* ---- linux-6.15: INVLPGB for kernel flushes (82378c6c2f43) ------------------------------- */

class linux_6_15 extends linux_3_17 {
  override readonly era: FlushEraName = 'linux-6.15';
  /** invlpgb_count_max: pages one INVLPGB may name (CPUID 8000_0008 EDX[15:0] + 1; 8 assumed, [L]). */
  invlpgb_count_max = 8;

  private has_invlpgb(): boolean {
    return this.k.machine.config.invlpgb && !this.k.tlbfaults.cr3Only && (this.k.tlbfaults.skipCpu ?? null) === null;
  }

  /** invlpgb_flush_all(): everything, globals included, on every CPU; then TLBSYNC. */
  invlpgb_flush_all(cpu: Cpu): void {
    this.k.tlbstats.invlpgb++;
    cpu.invlpgb({ includeGlobal: true });
    cpu.tlbsync();
  }

  kernel_tlb_flush_all(): void {
    const cpu = this.k.machine.cpu(smp_processor_id(this.k));
    if (this.has_invlpgb()) this.invlpgb_flush_all(cpu);
    else on_each_cpu_mask(this.k, flush_mask(this.k), (_: null, c) => this.do_flush_tlb_all(c), null, true);
  }

  /** invlpgb_kernel_range_flush(): INVLPGBs of at most invlpgb_count_max pages, then one TLBSYNC. */
  invlpgb_kernel_range_flush(info: flush_tlb_info, cpu: Cpu): void {
    let nr: number;
    for (let addr = info.start; ult(addr, info.end); addr += nr * PAGE_SIZE) {
      nr = ushr(usub(info.end, addr), PAGE_SHIFT);
      nr = Math.min(Math.max(nr, 1), this.invlpgb_count_max); // clamp_val(nr, 1, invlpgb_count_max)
      this.k.tlbstats.invlpgb++;
      cpu.invlpgb({ va: addr, pages: nr, includeGlobal: true }); // invlpgb_flush_addr_nosync(addr, nr)
    }
    cpu.tlbsync();
  }

  kernel_tlb_flush_range(info: flush_tlb_info): void {
    const cpu = this.k.machine.cpu(smp_processor_id(this.k));
    if (this.has_invlpgb()) this.invlpgb_kernel_range_flush(info, cpu);
    else on_each_cpu_mask(this.k, flush_mask(this.k), (f: flush_tlb_info, c) => this.do_kernel_range_flush(f, c), info, true);
  }

  override flush_tlb_kernel_range(start: ulong, end: ulong): void {
    const s = this.k.tlbstats;
    s.kernel_range_requests++;
    // get_flush_tlb_info(): (end - start) >> stride_shift > ceiling becomes start = 0, end = TLB_FLUSH_ALL.
    if (end === TLB_FLUSH_ALL || ushr(usub(end, start), PAGE_SHIFT) > this.tlb_single_page_flush_ceiling) {
      s.kernel_range_full++;
      this.kernel_tlb_flush_all();
    } else {
      s.kernel_range_ranged++;
      s.kernel_range_pages += ushr(usub(end, start), PAGE_SHIFT);
      this.kernel_tlb_flush_range(new flush_tlb_info(start, end));
    }
  }
}

/* ---- registry ------------------------------------------------------------------------- */

export interface FlushEraInfo {
  readonly name: string;
  readonly releases: string;
  readonly source: string;
  readonly description: string;
  readonly create: (k: tlb_context) => x86_kernel_tlb;
}

export const FLUSH_ERAS = [
  {
    name: 'linux-2.6',
    releases: '2.6.28 .. 3.5',
    source: 'arch/x86/mm/tlb.c + asm/tlbflush.h of 2.6.3x (x86-tlb.md §2.1)',
    description: 'range ignored: on_each_cpu(do_flush_tlb_all), every online CPU toggles CR4.PGE',
    create: (k: tlb_context): x86_kernel_tlb => new linux_2_6(k),
  },
  {
    name: 'linux-3.17',
    releases: '3.17 .. 6.14',
    source: 'arch/x86/mm/tlb.c of Debian 6.1.192 (docs/sources.md#text-linux-6.1)',
    description: '> 33 pages: on_each_cpu(do_flush_tlb_all); else on_each_cpu(do_kernel_range_flush), INVLPG per page',
    create: (k: tlb_context): x86_kernel_tlb => new linux_3_17(k),
  },
  {
    name: 'linux-6.15',
    releases: '6.15 ..',
    source: 'tip 82378c6c2f43 "x86/mm: Use INVLPGB for kernel TLB flushes" (x86-tlb.md §2.3)',
    description: 'INVLPGB + TLBSYNC broadcast when the CPU has it (no IPIs), else as linux-3.17',
    create: (k: tlb_context): x86_kernel_tlb => new linux_6_15(k),
  },
] as const satisfies readonly FlushEraInfo[];

export type FlushEraName = (typeof FLUSH_ERAS)[number]['name'];

/** The flush era of that name; throws with the known names otherwise. */
export function getFlushEra(name: string): FlushEraInfo {
  const e = FLUSH_ERAS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown TLB flush era "${name}" (known: ${FLUSH_ERAS.map((x) => x.name).join(', ')})`);
  return e;
}
