// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 guest's spinlock slow path under a hypervisor, in modelled time.
 *
 * Kernel text: arch/x86/include/asm/qspinlock.h virt_spin_lock() and
 * arch/x86/kernel/paravirt.c native_pv_lock_init(), Linux 6.1 (Debian
 * 6.1.192) and 6.12 (Debian 6.12.95); kernel/locking/qspinlock.c
 * queued_spin_lock_slowpath() calls virt_spin_lock() before it queues.
 * Where the text was read: docs/sources.md, "Spinlocks under a hypervisor".
 *
 * native_pv_lock_init() leaves the static key virt_spin_lock_key on when
 * the boot CPU has X86_FEATURE_HYPERVISOR (6.12 turns a default-off key on,
 * 6.1 turns a default-on key off on bare metal: the same effect). With the
 * key on, a contended spin_lock() does not queue: virt_spin_lock() reads
 * the lock word, and while it is not 0 (or its cmpxchg 0 -> locked loses)
 * it does cpu_relax() and reads again. The kernel's reason: fair (queued)
 * locks suffer badly when the vCPU next in line is preempted by the host.
 * So whichever spinner is running when the word goes to 0 takes the lock;
 * there is no FIFO handoff.
 *
 * In modelled time (docs/concurrency.md, "Test-and-set spinlocks under a
 * hypervisor"): a vCPU reads the lock word only while it runs on a host
 * core (hw/hostCores.ts, nextOnCore). It takes the lock at the first time,
 * from when it reached it, at which the lock is free and it is on a core.
 * A spinner off its core when the holder releases does not get the lock
 * then; one that is on a core may take it in that gap (the lock's schedule
 * of holds, kernel/kernel/locking/spinlock.ts, firstFit). The phase of the
 * cpu_relax() loop (a PAUSE and a read, tens of emulated cycles) is below
 * the resolution of a hold and is not modelled.
 */

import { COST_INDEX } from '../../../hw/costs.js';
import type { HostCores } from '../../../hw/hostCores.js';
import type { Machine } from '../../../hw/index.js';

/**
 * virt_spin_lock_key after native_pv_lock_init(): on when the CPUs report
 * the CPUID hypervisor bit (costs.hypervisor; the qemu-tcg profile).
 */
export function virt_spin_lock_key(m: Machine): boolean {
  return m.costVector[COST_INDEX.hypervisor]! > 0;
}

/** When the lock is next free from `t`, and who held it last (the lock's schedule). */
export type lock_word_reader<T extends { start: number }> = (t: number) => T;

/**
 * virt_spin_lock(): the test-and-set loop of a spinner on `cpu` that
 * reached the lock at `now`. `read` gives the first time from `t` at which
 * the lock word is 0; the spinner sees it only on a host core. Returns the
 * reading at which its cmpxchg wins.
 */
export function virt_spin_lock<T extends { start: number }>(host: HostCores | null, cpu: number, now: number, read: lock_word_reader<T>): T {
  let t = now;
  for (;;) {
    // __retry: val = atomic_read(&lock->val), on this vCPU's turn.
    const val = read(t);
    const on = host === null ? val.start : host.nextOnCore(cpu, val.start);
    // The word is 0 while this vCPU runs: atomic_try_cmpxchg() takes it.
    if (on === val.start) return val;
    // cpu_relax(); goto __retry: it reads again when its turn comes.
    t = on;
  }
}
