// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-dirty-log: KVM_GET_DIRTY_LOG's dirty bitmaps (reference/
 * vmalloc-history.md §6.2), the other regression "mm: vmap area cache"
 * was tested against (Avi Kivity).
 *
 * Each memslot has a dirty bitmap of kvm_dirty_bitmap_bytes() =
 * ALIGN(npages, BITS_PER_LONG) / 8 bytes, vmalloc'd. QEMU calls the ioctl
 * per slot: for the VGA framebuffer at the display refresh rate (a 16 MiB
 * slot, 4096 pages: 512 bytes, a 2-page area with the guard page), and
 * during live migration once per slot per pass (a 4 GiB slot: 128 KiB, a
 * 33-page area).
 *
 * prealloc=false, x86 kvm_vm_ioctl_get_dirty_log() of 2.6.34 .. 2.6.36, on
 * an ioctl that finds the bitmap dirty: vmalloc a fresh bitmap, memset it,
 * publish it in a copy of the memslots under SRCU, copy the old bitmap to
 * user space, vfree it. One vmalloc and one lazy vfree per ioctl: stale
 * areas pile up until vmap_lazy_nr passes lazy_max_pages(), then a purge
 * flushes every CPU ("vmalloc() consumes extra systime, triggers tlb flush,
 * etc.", Takuya Yoshikawa). An ioctl that finds the bitmap clean only
 * clears the user buffer.
 *
 * prealloc=true, "KVM: pre-allocate one more dirty bitmap to avoid
 * vmalloc()" (Takuya Yoshikawa, 515a01279a18, mainline ~2.6.37): the slot's
 * bitmap is vmalloc'd once at twice the size and each ioctl flips between
 * the halves (memset the other half, swap, copy out): no vmalloc, no vfree,
 * no purge, no flush per ioctl.
 *
 * Modelled on the machine: CPU 0 runs QEMU's ioctl thread; CPUs 1..N-1 run
 * vCPUs that mark pages dirty between ioctls (set_bit in the current bitmap
 * through their own MMU and TLB: `guest_writes` writes of random bits per
 * ioctl period, each vCPU in turn). The bitmap page writes (memset), the
 * vCPU writes and the copy_to_user reads all go through the MMU, so stale
 * TLB entries of freed bitmaps are real. SRCU, the memslots copy (kzalloc)
 * and the user buffer are not modelled (they touch no vmalloc space). The
 * migration slot's 4 GiB is not backed: only its bitmap is.
 *
 * The pattern is run on every kernel of the machine, with prealloc chosen by
 * the parameter, so the same ioctl stream can be compared across allocator
 * and flush eras (the per-ioctl vmalloc existed only in 2.6.34-2.6.36).
 */

import { bootKernel, Kernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import type { ulong } from '../../kernel/include/u64.js';
import { SplitMix64 } from '../check/prng.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';
import { sample } from '../run/stats.js';
import { bootState, describeBoot, PAGE_SIZE } from './boot-state.js';

/** kvm_dirty_bitmap_bytes(memslot): ALIGN(npages, BITS_PER_LONG) / 8. */
export function dirtyBitmapBytes(npages: number): number {
  return (Math.ceil(npages / 64) * 64) / 8;
}

/** Pages of the vmap area a vmalloc of `bytes` takes, the guard page included. */
export function areaPages(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE) + 1;
}

/** A 4 GiB guest-RAM slot. */
export const MIGRATION_SLOT_PAGES = (4 * 1024 * 1024 * 1024) / PAGE_SIZE;

interface Slot {
  readonly npages: number;
  readonly n: number;
  /** The current bitmap (prealloc: one half of `head`). */
  bitmap: ulong;
  /** prealloc: the 2n-byte allocation. */
  head: ulong;
}

export const kvmDirtyLog: Scenario = {
  name: 'kvm-dirty-log',
  description: "KVM_GET_DIRTY_LOG's dirty bitmaps: a fresh vmalloc and a vfree per ioctl (2.6.34-2.6.36) or Takuya Yoshikawa's pre-allocated pair; stale areas between purges, flushes and IPIs per ioctl",
  params: [
    { name: 'slot_pages', kind: 'int', default: 4096, min: 1, max: 16777216, description: 'pages per memslot (4096: a 16 MiB VGA framebuffer, a 512-byte bitmap)' },
    { name: 'slots', kind: 'int', default: 1, min: 1, max: 64, description: 'memslots of slot_pages pages, each asked once per ioctl round' },
    { name: 'ioctls', kind: 'int', default: 20000, min: 0, description: 'ioctl rounds (one KVM_GET_DIRTY_LOG per slot per round)' },
    { name: 'migration', kind: 'bool', default: false, description: 'add a 4 GiB guest-RAM slot (128 KiB bitmap, 33-page area), asked once per round (a migration pass)' },
    { name: 'prealloc', kind: 'bool', default: false, description: 'Takuya Yoshikawa\'s pre-allocated second bitmap (~2.6.37): no vmalloc per ioctl' },
    { name: 'dirty_percent', kind: 'int', default: 100, min: 0, max: 100, description: 'share of ioctls that find the bitmap dirty (only those swap bitmaps)' },
    { name: 'guest_writes', kind: 'int', default: 4, min: 0, max: 100000, description: 'dirty-bit writes by the vCPUs (CPUs 1..N-1) between two ioctl rounds' },
    { name: 'boot', kind: 'bool', default: true, description: 'boot with the long-lived areas of a real kernel (boot-state.ts)' },
    { name: 'checker', kind: 'bool', default: true, description: 'TLB-coherence checker on every TLB hit' },
  ],
  versions: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.35', 'linux-6.1'], cpus: [1, 4, 8] },
  run(ctx) {
    const prealloc = ctx.params.prealloc as boolean;
    const rounds = ctx.params.ioctls as number;
    const dirtyPct = ctx.params.dirty_percent as number;
    const guestWrites = ctx.params.guest_writes as number;
    const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, trace: !!ctx.trace, flushEra: ctx.flushEra as FlushEraName | undefined, machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs, checker: ctx.params.checker as boolean } });
    const rnd = new SplitMix64(ctx.seed);
    const notes: string[] = [];
    let calls = 0;
    if (ctx.params.boot) {
      const b = bootState(k, ctx.seed);
      calls += b.calls;
      k.flush_work();
      notes.push(describeBoot(b));
    }
    const qemu = 0;
    k.setTask(qemu, 'qemu-kvm', 2000);
    for (let c = 1; c < ctx.cpus; c++) k.setTask(c, `qemu-kvm`, 2000 + c);
    const touches: number[] = [];
    let failed = 0;
    const vmalloc = (bytes: number): ulong => {
      const t0 = k.touchesOn(qemu);
      calls++;
      const a = k.vmalloc(qemu, bytes, 'kvm_vm_ioctl_get_dirty_log');
      touches.push(k.touchesOn(qemu) - t0);
      if (a === 0) failed++;
      return a;
    };
    const vfree = (a: ulong) => {
      calls++;
      k.vfree(qemu, a);
    };
    /** memset(bitmap, 0, n) / copy_to_user(..., bitmap, n): one access per 8 bytes would be n/8; one per page is what the TLB sees. */
    const eachPage = (a: ulong, n: number, f: (p: ulong) => void) => {
      for (let off = 0; off < n; off += PAGE_SIZE) f(a + off);
    };

    // kvm_set_memory_region -> the slots' bitmaps.
    const sizes = Array.from({ length: ctx.params.slots as number }, () => ctx.params.slot_pages as number);
    if (ctx.params.migration) sizes.push(MIGRATION_SLOT_PAGES);
    const slots: Slot[] = sizes.map((npages) => {
      const n = dirtyBitmapBytes(npages);
      const head = vmalloc(prealloc ? 2 * n : n);
      if (head === 0) throw new Error(`kvm-dirty-log: the slot bitmap vmalloc failed on ${ctx.kernel}`);
      eachPage(head, prealloc ? 2 * n : n, (p) => k.write64(qemu, p, 0));
      return { npages, n, bitmap: head, head };
    });

    const purges0 = k.purges.length;
    const ipis0 = k.ipisSent();
    const cycles0 = flushCycles(k);
    // Lazily freed pages that are not bitmaps (boot churn) until the first purge takes them.
    const otherLazy = k.allocator.vmap_lazy_nr;
    let ioctls = 0;
    let swaps = 0;
    let peakStale = 0;
    // Mean lazy pages one dirty ioctl frees (the slots' area sizes).
    const lazyPerSwap = slots.reduce((a, s) => a + areaPages(s.n), 0) / slots.length;
    const staleSeries: number[] = [];
    /** Dirty ioctls done when each purge ran. */
    const purgeAt: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // The guest runs: vCPUs mark pages dirty in the current bitmaps.
      for (let g = 0; g < guestWrites && ctx.cpus > 1; g++) {
        const s = slots[rnd.rnd(slots.length)]!;
        const bit = rnd.rnd(s.npages);
        k.write64(1 + (g % (ctx.cpus - 1)), s.bitmap + Math.floor(bit / 64) * 8, bit);
      }
      for (const s of slots) {
        ioctls++;
        if (rnd.rnd(100) >= dirtyPct) continue; // clean: clear_user() only
        swaps++;
        if (prealloc) {
          const other = s.bitmap === s.head ? s.head + s.n : s.head;
          eachPage(other, s.n, (p) => k.write64(qemu, p, 0));
          const old = s.bitmap;
          s.bitmap = other;
          eachPage(old, s.n, (p) => k.read64(qemu, p)); // copy_to_user
        } else {
          const fresh = vmalloc(s.n);
          if (fresh === 0) continue; // -ENOMEM
          eachPage(fresh, s.n, (p) => k.write64(qemu, p, 0));
          const old = s.bitmap;
          s.bitmap = fresh; // rcu_assign_pointer + synchronize_srcu_expedited
          eachPage(old, s.n, (p) => k.read64(qemu, p)); // copy_to_user
          vfree(old);
        }
        while (purgeAt.length < k.purges.length - purges0) purgeAt.push(swaps);
      }
      const bitmapLazy = k.purges.length > purges0 ? k.allocator.vmap_lazy_nr : Math.max(0, k.allocator.vmap_lazy_nr - otherLazy);
      const stale = prealloc ? 0 : Math.round(bitmapLazy / lazyPerSwap);
      if (stale > peakStale) peakStale = stale;
      staleSeries.push(stale);
      ctx.progress?.(r, rounds);
    }
    k.flush_work();
    const purges = k.purges.slice(purges0);
    const ipis = k.ipisSent() - ipis0;
    const flushCyc = flushCycles(k) - cycles0;
    const lmp = k.allocator.lazy_max_pages();
    notes.push(
      `bitmaps: ${slots.map((s) => `${s.npages} pages -> ${s.n} bytes (${areaPages(prealloc ? 2 * s.n : s.n)}-page area${prealloc ? ', two halves' : ''})`).join('; ')}`,
      `${ioctls} ioctls, ${swaps} found dirty; lazy_max_pages() = ${lmp}; ${purges.length} purge${purges.length === 1 ? '' : 's'}${cadence(purgeAt)}; up to ${peakStale} stale bitmap areas between purges`,
      `per ioctl: ${(ipis / Math.max(ioctls, 1)).toFixed(3)} IPIs, ${(flushCyc / Math.max(ioctls, 1)).toFixed(1)} flush/IPI cycles (modelled)${purges.length ? `; per purge: ${(ipis / purges.length).toFixed(1)} IPIs, ${(flushCyc / purges.length).toFixed(0)} flush/IPI cycles` : ''}`,
    );
    if (!prealloc && staleSeries.length >= 10) {
      const step = staleSeries.length / 10;
      notes.push(`stale bitmap areas at each tenth of the run: ${Array.from({ length: 10 }, (_, i) => staleSeries[Math.min(staleSeries.length - 1, Math.round((i + 1) * step) - 1)]).join(', ')}`);
    }
    if (!prealloc && swaps > 0) notes.push(`the pre-allocated pair (prealloc=true) makes none of these vmalloc/vfree calls, purges or flushes`);
    const m = machineFigures(k, { operations: calls, allocations: touches.length, failedAllocations: failed, touches, bugs: 0 });
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    return { figures: m.figures, counters: m.counters, flushCost: m.flushCost, lockStat: m.lockStat, touchSeries: sample(touches), notes, reports: k.machine.checker.reports.slice(0, 3).map((r) => JSON.stringify(r)) };
  },
  summarize(cells) {
    const out: string[] = [];
    for (const c of cells) {
      const f = c.result.figures;
      if (f.operations === 0) continue;
      out.push(`${c.kernel} ${c.cpus} CPUs: ${f.purges} purge${f.purges === 1 ? '' : 's'}, ${f.ipisSent ?? 0} IPIs, ${f.fullFlushes ?? 0} full flushes, ${f.invlpg ?? 0} INVLPGs`);
    }
    out.push('published: Takuya Yoshikawa measured VGA updates 1.5x faster with the pre-allocated bitmap; Avi Kivity\'s own report was not found');
    return out;
  },
};

/** ", the first at dirty ioctl N, then every M" from the dirty-ioctl count at each purge. */
function cadence(at: readonly number[]): string {
  if (!at.length) return '';
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  const same = gaps.every((g) => g === gaps[0]);
  return `, the first at dirty ioctl ${at[0]}${gaps.length ? (same ? `, then every ${gaps[0]}` : `, then every ${Math.min(...gaps)}-${Math.max(...gaps)}`) : ''}`;
}

/** The flush-related modelled cycles so far (flush instructions, IPIs, waits: machine-metrics' breakdown). */
function flushCycles(k: Kernel): number {
  const f = machineFigures(k, { operations: 0, allocations: 0, failedAllocations: 0, touches: [], bugs: 0 }).flushCost;
  return Object.values(f).reduce((a, b) => a + b, 0);
}
