// SPDX-License-Identifier: GPL-2.0-only
/*
 * boot-state: the long-lived vmalloc-space areas a booted kernel already
 * holds when a test module or a workload starts, and the era helpers the
 * machine scenarios share (which kernel release a named kernel stands for,
 * __vmalloc_node_range() over every API era).
 *
 * reference/real-kernel-facts.md: Debian's 6.1 and 6.12 kernels showed about
 * 70 to 165 areas in /proc/vmallocinfo after boot (more with more CPUs):
 * 4-page vmalloc'd thread stacks, per-CPU IRQ stacks (vmap), percpu chunks,
 * ACPI and HPET ioremaps, and "unpurged vm_area" lines. What is modelled
 * here, in this order, all on CPU 0 unless said otherwise:
 *
 * Kernels with vmapped stacks (CONFIG_VMAP_STACK, 4.9; here linux-5.2 and
 * later):
 *  - ioremaps: ACPI tables (phys 0xbffe0000, 2 pages, and 0xbffe1000,
 *    1 page: two mappings of the same region, as acpi_os_map_iomem makes),
 *    HPET (0xfed00000, 1 KiB -> 1 page), the IOAPIC-adjacent PCI BAR of a
 *    virtio device (0xfebf0000, 4 pages), a framebuffer-ish BAR (0xfd000000,
 *    16 pages): 5 areas;
 *  - per possible CPU, an IRQ stack: vmap() of 4 pages (IRQ_STACK_SIZE
 *    16 KiB; map_irq_stack, x86-64 since 5.2): 1 area per CPU;
 *  - thread stacks: __vmalloc_node_range(THREAD_SIZE = 16 KiB,
 *    THREAD_ALIGN = 16 KiB) as alloc_thread_stack_node does: 48 for the
 *    global kthreads and early user tasks (kthreadd, init, rcu_*, kswapd,
 *    kworkers of unbound pools, udev and friends), and 7 per CPU (idle task,
 *    cpuhp/N, migration/N, ksoftirqd/N, kworker/N:0, kworker/N:0H,
 *    kworker/N:1) plus the 2 stacks each CPU keeps in its cached_stacks[]
 *    (NR_CACHED_STACKS) after tasks exit, still vmalloc'd: 9 per CPU;
 *  - boot churn: 20 + 2 per CPU short-lived tasks (modprobe, udev workers)
 *    that exited with the per-CPU stack cache full: their stacks were
 *    vfree'd and sit lazily freed ("unpurged vm_area") until the first purge;
 *  - a few long-lived vmalloc()s by subsystems (the dentry/inode hash
 *    tables are not vmalloc'd on x86-64 with enough RAM; modelled: 4
 *    vmallocs of 1, 2, 4 and 8 pages standing for BPF, the console, ftrace
 *    and a driver).
 *  Totals: 1 CPU 5 + 1 + 57 + 4 = 67 live areas and 22 unpurged; 8 CPUs
 *  5 + 8 + 120 + 4 = 137 live and 36 unpurged (173 lines), in the range
 *  real-kernel-facts.md reports.
 *
 * Kernels without vmapped stacks (linux-2.6.35 .. linux-3.18): thread stacks
 * came from the page allocator and IRQ stacks were per-CPU data, so the
 * vmalloc space held only ioremaps and subsystem vmallocs: the 5 ioremaps
 * above, 1 vmalloc per CPU (per-CPU tables of the time: a few pages each)
 * and 56 subsystem vmallocs of 1-16 pages (seeded sizes), about the 62
 * long-lived areas Minchan Kim's measurement implies (62 steps per search
 * when every free purged; reference §6.1).
 *
 * Not modelled: percpu chunks (pcpu_get_vm_areas places them top-down from
 * VMALLOC_END, out of the way of the bottom-up searches here), the
 * modules area (not the vmalloc range on x86-64), early_ioremap (fixmap).
 */

import type { Kernel } from '../../kernel/boot.js';
import type { ulong } from '../../kernel/include/u64.js';
import { PAGE_SIZE, THREAD_ALIGN, THREAD_SIZE } from '../../kernel/include/asm/page.js';
import { releaseNumber } from '../../kernel/manifest/release.js';
import { vmallocNodeRange } from '../../kernel/mm/vmalloc/api/node-range.js';
import { PAGE_KERNEL } from '../../kernel/mm/pgtable.js';
import { SplitMix64 } from '../../kernel/lib/random.js';

/* Moved to kernel/ (kernel text uses them); re-exported for the scenarios. */
export { PAGE_SIZE, THREAD_ALIGN, THREAD_SIZE } from '../../kernel/include/asm/page.js';
export { kernelRelease, releaseNumber } from '../../kernel/manifest/release.js';
export { vmallocNodeRange } from '../../kernel/mm/vmalloc/api/node-range.js';

/** CONFIG_VMAP_STACK era (4.9 on): thread stacks and IRQ stacks live in the vmalloc space. */
export function hasVmappedStacks(version: string): boolean {
  return releaseNumber(version) >= 4.09;
}

/** What bootState() left behind. */
export interface BootState {
  /** Live areas by kind. */
  readonly ioremaps: number;
  readonly irqStacks: number;
  readonly threadStacks: number;
  readonly vmallocs: number;
  /** Areas freed during "boot" and left lazily freed. */
  readonly unpurged: number;
  /** Kernel API calls made. */
  readonly calls: number;
  /** Every live address (for a workload that wants to free nothing of it). */
  readonly live: readonly ulong[];
}

const BOOT_IOREMAPS: readonly { phys: number; size: number; caller: string }[] = [
  { phys: 0xbffe0000, size: 2 * PAGE_SIZE, caller: 'acpi_os_map_iomem' },
  { phys: 0xbffe1000, size: PAGE_SIZE, caller: 'acpi_os_map_iomem' },
  { phys: 0xfed00000, size: 1024, caller: 'hpet_enable' },
  { phys: 0xfebf0000, size: 4 * PAGE_SIZE, caller: 'pci_iomap_range' },
  { phys: 0xfd000000, size: 16 * PAGE_SIZE, caller: 'pci_iomap_range' },
];

/** Build the boot-time areas of `k` (see the header for what and why). Deterministic in `seed`. */
export function bootState(k: Kernel, seed: number): BootState {
  const ncpu = k.cpu_online_mask.length;
  const live: ulong[] = [];
  let calls = 0;
  const keep = (a: ulong, what: string): ulong => {
    calls++;
    if (a === 0) throw new Error(`boot state: ${what} failed on ${k.version}`);
    live.push(a);
    return a;
  };
  for (const r of BOOT_IOREMAPS) keep(k.ioremap(0, r.phys, r.size, r.caller), `ioremap(${r.phys.toString(16)})`);
  if (!hasVmappedStacks(k.version)) {
    const rnd = new SplitMix64(seed);
    for (let c = 0; c < ncpu; c++) keep(k.vmalloc(c, 2 * PAGE_SIZE, 'pcpu_tables'), 'per-CPU vmalloc');
    for (let i = 0; i < 56; i++) keep(k.vmalloc(0, (rnd.rnd(16) + 1) * PAGE_SIZE, 'subsys_vmalloc'), 'subsystem vmalloc');
    return { ioremaps: BOOT_IOREMAPS.length, irqStacks: 0, threadStacks: 0, vmallocs: ncpu + 56, unpurged: 0, calls, live };
  }
  for (let c = 0; c < ncpu; c++) keep(k.vmap(c, k.alloc_pages(4), 0x4, PAGE_KERNEL, 'irq_init_percpu_irqstack'), 'IRQ stack');
  const stack = (cpu: number) => keep(vmallocNodeRange(k, cpu, THREAD_SIZE, THREAD_ALIGN, 'kernel_clone'), 'thread stack');
  const global = 48;
  const perCpu = 9;
  for (let i = 0; i < global; i++) stack(0);
  for (let c = 0; c < ncpu; c++) for (let i = 0; i < perCpu; i++) stack(c);
  const churn = 20 + 2 * ncpu;
  for (let i = 0; i < churn; i++) {
    const cpu = i % ncpu;
    const a = vmallocNodeRange(k, cpu, THREAD_SIZE, THREAD_ALIGN, 'kernel_clone');
    calls += 2;
    if (a === 0) throw new Error(`boot state: short-lived stack failed on ${k.version}`);
    k.vfree(cpu, a);
  }
  for (const p of [1, 2, 4, 8]) keep(k.vmalloc(0, p * PAGE_SIZE, 'subsys_vmalloc'), 'subsystem vmalloc');
  return { ioremaps: BOOT_IOREMAPS.length, irqStacks: ncpu, threadStacks: global + perCpu * ncpu, vmallocs: 4, unpurged: churn, calls, live };
}

/** One line describing a boot state, for notes. */
export function describeBoot(b: BootState): string {
  const live = b.ioremaps + b.irqStacks + b.threadStacks + b.vmallocs;
  return `boot state: ${live} live areas (${b.threadStacks} thread stacks, ${b.irqStacks} IRQ stacks, ${b.ioremaps} ioremaps, ${b.vmallocs} other vmallocs) and ${b.unpurged} lazily freed stacks`;
}

/**
 * The percpu allocator's boot state on kernels whose mm/percpu.c is ported
 * (linux-7.3, kernel/mm/percpu.ts): the first chunk (embedded, outside the
 * vmalloc space) is full, and the dynamic allocations of boot that did not
 * fit went to one more chunk, whose vm area came from pcpu_get_vm_areas
 * with its maps from pcpu_mem_zalloc: both real 7.3 /proc/vmallocinfo
 * snapshots (data/real-traces, 1 and 2 CPUs) show exactly one such chunk.
 * How much of it boot uses is not in the snapshots: estimated at
 * PCPU_BOOT_OBJECTS objects of 64 bytes (64 KiB per unit; kernel objects
 * of a few words each: per-CPU counters, statistics, queues), then the
 * balance work runs once. Returns the pcpu_get_vm_areas calls made.
 */
export const PCPU_BOOT_OBJECTS = 1024;
export function bootPercpu(k: Kernel): number {
  const p = k.percpu;
  for (let i = 0; i < PCPU_BOOT_OBJECTS; i++) {
    const ptr = k.call(0, '__alloc_percpu', () => p.__alloc_percpu(64, 8));
    if (ptr === 0) throw new Error(`boot state: __alloc_percpu failed on ${k.version}`);
  }
  k.flush_work();
  return p.stats.get_vm_areas;
}
