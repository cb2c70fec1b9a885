// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TLB vm events of /proc/vmstat (include/linux/vm_event_item.h,
 * mm/vmstat.c): per-CPU vm_event_states summed when printed, as
 * all_vm_events() does. Only the four CONFIG_DEBUG_TLBFLUSH counters that
 * the kernel-range flush paths touch are kept (added in 3.12 by Dave Hansen;
 * absent before: a 2.6-era kernel prints none of them).
 */

/** enum vm_event_item, the TLB part, in vmstat_text order. */
export const VM_TLB_EVENTS = ['nr_tlb_remote_flush', 'nr_tlb_remote_flush_received', 'nr_tlb_local_flush_all', 'nr_tlb_local_flush_one'] as const;
export type vm_tlb_event = (typeof VM_TLB_EVENTS)[number];

export const NR_TLB_REMOTE_FLUSH: vm_tlb_event = 'nr_tlb_remote_flush';
export const NR_TLB_REMOTE_FLUSH_RECEIVED: vm_tlb_event = 'nr_tlb_remote_flush_received';
export const NR_TLB_LOCAL_FLUSH_ALL: vm_tlb_event = 'nr_tlb_local_flush_all';
export const NR_TLB_LOCAL_FLUSH_ONE: vm_tlb_event = 'nr_tlb_local_flush_one';

/** Per-CPU vm_event_states of one kernel instance. */
export class vm_event_states {
  private readonly per: Record<vm_tlb_event, number>[];

  constructor(cpus: number) {
    this.per = Array.from({ length: cpus }, () => ({ nr_tlb_remote_flush: 0, nr_tlb_remote_flush_received: 0, nr_tlb_local_flush_all: 0, nr_tlb_local_flush_one: 0 }));
  }

  /** count_vm_tlb_events(item, n) on `cpu`. */
  count(cpu: number, item: vm_tlb_event, n = 1): void {
    const s = this.per[cpu];
    if (s === undefined) throw new RangeError(`cpu ${cpu} has no vm_event_states`);
    s[item] += n;
  }

  /** The per-CPU value. */
  on(cpu: number, item: vm_tlb_event): number {
    return this.per[cpu]?.[item] ?? 0;
  }

  /** all_vm_events()[item]: the sum over CPUs. */
  sum(item: vm_tlb_event): number {
    let t = 0;
    for (const s of this.per) t += s[item];
    return t;
  }

  /** The TLB lines of /proc/vmstat ("name value"), or nothing when the era has no such counters. */
  format(present: boolean): string {
    if (!present) return '';
    return VM_TLB_EVENTS.map((e) => `${e} ${this.sum(e)}\n`).join('');
  }
}
