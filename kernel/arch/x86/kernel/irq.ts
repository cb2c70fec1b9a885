// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CAL and TLB lines of /proc/interrupts (arch/x86/kernel/irq.c,
 * arch_show_interrupts), from the machine's per-CPU interrupt counts:
 *
 *   seq_printf(p, "%*s: ", prec, "CAL");
 *   for_each_online_cpu(j) seq_printf(p, "%10u ", irq_stats(j)->irq_call_count);
 *   seq_puts(p, "  Function call interrupts\n");
 *
 * and the header of show_interrupts ("%*s" of prec + 8 spaces, then
 * "CPU%-8d" per CPU). prec is 3 (fewer than 1000 IRQs). 6.x prints
 * irq_call_count as is; 3.6 .. ~5.x printed irq_call_count - irq_tlb_count,
 * the same here because kernel flushes never count on TLB.
 * Text read: x86-tlb.md §2.5 (arch/x86/kernel/irq.c variants).
 */

import { CPU_STATS, Machine } from '../../../../hw/index.js';

/** The header, CAL and TLB lines of /proc/interrupts for the online CPUs. */
export function arch_show_interrupts(machine: Machine, online: readonly number[]): string {
  const prec = 3;
  let header = ' '.repeat(prec + 8);
  for (const j of online) header += `CPU${String(j).padEnd(8)}`;
  const line = (name: string, stat: 'ipi.received.CAL' | 'ipi.received.TLB', text: string): string => {
    let s = `${name.padStart(prec)}: `;
    for (const j of online) s += `${String(irq_count(machine, j, stat)).padStart(10)} `;
    return `${s}  ${text}\n`;
  };
  return `${header.trimEnd()}\n` + line('CAL', 'ipi.received.CAL', 'Function call interrupts') + line('TLB', 'ipi.received.TLB', 'TLB shootdowns');
}

/** irq_stats(cpu)->irq_call_count (CAL) or irq_tlb_count (TLB). */
export function irq_count(machine: Machine, cpu: number, stat: 'ipi.received.CAL' | 'ipi.received.TLB'): number {
  return machine.cpu(cpu).stats[cpuStatIndex(stat)]!;
}


function cpuStatIndex(stat: 'ipi.received.CAL' | 'ipi.received.TLB'): number {
  return stat === 'ipi.received.CAL' ? CPU_STATS.index.ipiReceivedCal : CPU_STATS.index.ipiReceivedTlb;
}
