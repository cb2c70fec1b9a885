// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvfree_rcu() batching (CONFIG_KVFREE_RCU_BATCHED): the per-CPU krc
 * structures, the monitor work that detaches a batch after
 * KFREE_DRAIN_JIFFIES, the rcu_work that frees it after a grace period,
 * the bulk pages (kvfree_rcu_bulk_data) and their per-CPU page cache.
 * Pointers into the vmalloc space go on channel 2 (idx 1) and are freed by
 * vfree() one by one from the kworker; channel 1 (slab pointers,
 * kfree_bulk) is not reached by the modelled callers and says so.
 *
 * Version: linux-7.3. Upstream path: mm/slab_common.c (the kvfree_rcu
 * code moved there from kernel/rcu/tree.c in 6.14).
 * Text read: Debian linux-source-7.3 7.3.4, mm/slab_common.c lines
 * 1370-2300 (docs/sources.md#text-linux-7.3-rcu). Function names,
 * control flow and order of side effects follow it; debug objects,
 * kmemleak, KASAN, the shrinker and the sheaf path (kfree_rcu_sheaf: false
 * for a vmalloc address) are left out, as they do nothing for a vmalloc'd
 * object on a non-debug kernel.
 *
 * The same text serves linux-6.12, whose kvfree_rcu code is in
 * kernel/rcu/tree.c (Debian linux-source-6.12 6.12.95, lines 3200-3900,
 * docs/sources.md#text-linux-7.3-rcu): kvfree_rcu_queue_batch,
 * kfree_rcu_monitor, add_ptr_to_bulk_krc_lock and
 * __schedule_delayed_monitor_work are the same text; kvfree_rcu_bulk,
 * kfree_rcu_work, kvfree_rcu_drain_ready and kvfree_call_rcu differ in
 * names (rcu_head, rcu_gp_oldstate: 16 bytes as rcu_gp_seq, so
 * KVFREE_BULK_MAX_ENTR is 507 there too), trace strings, and 7.3's sheaf
 * path, which a vmalloc address never takes; KFREE_DRAIN_JIFFIES (5 * HZ)
 * and rcu_min_cached_objs (5) are the same.
 *
 * Locks: krcp->lock is taken through the kernel's lock table in timed mode
 * (`krc.lock#cpu`). Work: rcu_reclaim_wq (WQ_UNBOUND) and
 * system_highpri_wq items run on the queuing CPU's kworker
 * (kernel/kernel/workqueue.ts).
 */

import type { Machine } from '../../hw/index.js';
import type { ulong } from '../include/u64.js';
import type { rcu_gp_oldstate, rcu_state } from '../kernel/rcu/tree.js';
import { delayed_work, rcu_work, system_wq, work_struct } from '../kernel/workqueue.js';
import type { page } from './page_alloc.js';

/** What the kvfree_rcu code calls outside itself. */
export interface kvfree_rcu_host {
  readonly machine: Machine;
  readonly wq: system_wq;
  readonly rcu: rcu_state;
  /** __get_free_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN) */
  __get_free_page(): page | null;
  free_page(p: page): void;
  /** vfree(), as kernel code on the current CPU. */
  vfree(addr: ulong): void;
  is_vmalloc_addr(addr: ulong): boolean;
  raw_spin_lock(name: string): void;
  raw_spin_unlock(name: string): void;
}

/* Maximum number of jiffies to wait before draining a batch: 5 * HZ. */
const HZ = 250;
export const KFREE_DRAIN_JIFFIES = 5 * HZ;
const KFREE_N_BATCHES = 2;
const FREE_N_CHANNELS = 2;
/** (PAGE_SIZE - sizeof(struct kvfree_rcu_bulk_data)) / sizeof(void *): (4096 - 40) / 8. */
export const KVFREE_BULK_MAX_ENTR = 507;
/** rcu_min_cached_objs (module parameter, default 5). */
const rcu_min_cached_objs = 5;
/** rcu_delay_page_cache_fill_msec (default 5000). */
const rcu_delay_page_cache_fill_msec = 5000;

/** struct kvfree_rcu_bulk_data: one page of pointers. */
export class kvfree_rcu_bulk_data {
  gp_snap: rcu_gp_oldstate = 0;
  nr_records = 0;
  readonly records: ulong[] = [];
  constructor(readonly page: page) {}
}

/** An object queued through its own rcu_head (channel 3). */
interface kvfree_rcu_head {
  next: kvfree_rcu_head | null;
  readonly ptr: ulong;
}

/** struct kfree_rcu_cpu_work: one batch waiting for a grace period. */
export class kfree_rcu_cpu_work {
  readonly rcu_work: rcu_work;
  head_free: kvfree_rcu_head | null = null;
  head_free_gp_snap: rcu_gp_oldstate = 0;
  /** bulk_head_free[i]: list order, first entry first. */
  readonly bulk_head_free: kvfree_rcu_bulk_data[][] = [[], []];
  constructor(
    readonly krcp: kfree_rcu_cpu,
    fn: (krwp: kfree_rcu_cpu_work) => void,
  ) {
    this.rcu_work = new rcu_work(new work_struct('kfree_rcu_work', () => fn(this)));
  }
}

/** struct kfree_rcu_cpu: one CPU's batching state. */
export class kfree_rcu_cpu {
  head: kvfree_rcu_head | null = null;
  head_gp_snap: rcu_gp_oldstate = 0;
  head_count = 0;
  /** bulk_head[i]: list order; list_add puts a new block first. */
  readonly bulk_head: kvfree_rcu_bulk_data[][] = [[], []];
  readonly bulk_count: number[] = [0, 0];
  readonly krw_arr: kfree_rcu_cpu_work[];
  readonly monitor_work: delayed_work;
  readonly page_cache_work: delayed_work;
  initialized = false;
  backoff_page_cache_fill = 0;
  work_in_progress = 0;
  /** bkvcache (an llist: the last added is taken first). */
  readonly bkvcache: kvfree_rcu_bulk_data[] = [];
  nr_bkv_objs = 0;
  constructor(
    readonly cpu: number,
    s: kvfree_rcu,
  ) {
    this.krw_arr = Array.from({ length: KFREE_N_BATCHES }, () => new kfree_rcu_cpu_work(this, (w) => s.kfree_rcu_work(w)));
    this.monitor_work = new delayed_work(new work_struct('kfree_rcu_monitor', () => s.kfree_rcu_monitor(this)));
    this.page_cache_work = new delayed_work(new work_struct('fill_page_cache_func', () => s.fill_page_cache_func(this)));
  }
  get lock(): string {
    return `krc.lock#${this.cpu}`;
  }
}

/** The kvfree_rcu() machinery of one kernel. */
export class kvfree_rcu {
  readonly krc: kfree_rcu_cpu[];
  /** Objects vfree()d by the batching so far, and by the inline synchronize_rcu() fallback. */
  nr_freed = 0;
  nr_inline = 0;

  constructor(readonly h: kvfree_rcu_host) {
    this.krc = h.machine.cpus.map((c) => new kfree_rcu_cpu(c.id, this));
    this.kvfree_rcu_init();
  }

  private cpu(): number {
    return this.h.machine.currentCpu < 0 ? 0 : this.h.machine.currentCpu;
  }

  /** kvfree_rcu_init(): every CPU's krc initialized (the workqueue, clamping and shrinker aside). */
  kvfree_rcu_init(): void {
    for (const krcp of this.krc) krcp.initialized = true;
  }

  private krc_this_cpu_lock(): kfree_rcu_cpu {
    const krcp = this.krc[this.cpu()]!;
    this.h.raw_spin_lock(krcp.lock);
    return krcp;
  }

  private krc_this_cpu_unlock(krcp: kfree_rcu_cpu): void {
    this.h.raw_spin_unlock(krcp.lock);
  }

  private get_cached_bnode(krcp: kfree_rcu_cpu): kvfree_rcu_bulk_data | null {
    if (!krcp.nr_bkv_objs) return null;
    krcp.nr_bkv_objs--;
    return krcp.bkvcache.pop() ?? null;
  }

  private put_cached_bnode(krcp: kfree_rcu_cpu, bnode: kvfree_rcu_bulk_data): boolean {
    if (krcp.nr_bkv_objs >= rcu_min_cached_objs) return false;
    krcp.bkvcache.push(bnode);
    krcp.nr_bkv_objs++;
    return true;
  }

  kvfree_rcu_bulk(krcp: kfree_rcu_cpu, bnode: kvfree_rcu_bulk_data | null, idx: number): void {
    const b = bnode as kvfree_rcu_bulk_data;
    if (!this.WARN_ON_ONCE(!this.h.rcu.poll_state_synchronize_rcu_full(b.gp_snap))) {
      if (idx === 0) {
        throw new Error('kvfree_rcu_bulk: kfree_bulk() of slab objects is not modelled');
      } else {
        for (let i = 0; i < b.nr_records; i++) {
          this.h.vfree(b.records[i]!);
          this.nr_freed++;
        }
      }
    }

    this.h.raw_spin_lock(krcp.lock);
    if (this.put_cached_bnode(krcp, b)) bnode = null;
    this.h.raw_spin_unlock(krcp.lock);

    if (bnode) this.h.free_page(bnode.page);
    // cond_resched_tasks_rcu_qs(): a Tasks-RCU quiescent state; nothing to model.
  }

  kvfree_rcu_list(head: kvfree_rcu_head | null): void {
    let next: kvfree_rcu_head | null;
    for (; head; head = next) {
      next = head.next;
      this.h.vfree(head.ptr); // kvfree(ptr) of a vmalloc address
      this.nr_freed++;
    }
  }

  /** kfree_rcu_work(): in workqueue context after a grace period, free the batch. */
  kfree_rcu_work(krwp: kfree_rcu_cpu_work): void {
    const krcp = krwp.krcp;
    const bulk_head: kvfree_rcu_bulk_data[][] = [];

    this.h.raw_spin_lock(krcp.lock);
    // Channels 1 and 2.
    for (let i = 0; i < FREE_N_CHANNELS; i++) bulk_head[i] = krwp.bulk_head_free[i]!.splice(0);
    // Channel 3.
    const head = krwp.head_free;
    krwp.head_free = null;
    const head_gp_snap = krwp.head_free_gp_snap;
    this.h.raw_spin_unlock(krcp.lock);

    for (let i = 0; i < FREE_N_CHANNELS; i++) for (const bnode of bulk_head[i]!) this.kvfree_rcu_bulk(krcp, bnode, i);

    if (head && !this.WARN_ON_ONCE(!this.h.rcu.poll_state_synchronize_rcu_full(head_gp_snap))) this.kvfree_rcu_list(head);
  }

  need_offload_krc(krcp: kfree_rcu_cpu): boolean {
    for (let i = 0; i < FREE_N_CHANNELS; i++) if (krcp.bulk_head[i]!.length) return true;
    return !!krcp.head;
  }

  private need_wait_for_krwp_work(krwp: kfree_rcu_cpu_work): boolean {
    for (let i = 0; i < FREE_N_CHANNELS; i++) if (krwp.bulk_head_free[i]!.length) return true;
    return !!krwp.head_free;
  }

  krc_count(krcp: kfree_rcu_cpu): number {
    let sum = krcp.head_count;
    for (let i = 0; i < FREE_N_CHANNELS; i++) sum += krcp.bulk_count[i]!;
    return sum;
  }

  private __schedule_delayed_monitor_work(krcp: kfree_rcu_cpu): void {
    const delay = this.krc_count(krcp) >= KVFREE_BULK_MAX_ENTR ? 1 : KFREE_DRAIN_JIFFIES;
    const wq = this.h.wq;
    if (wq.delayed_work_pending(krcp.monitor_work)) {
      const delay_left = krcp.monitor_work.expires_jiffies - wq.jiffies();
      if (delay < delay_left) wq.mod_delayed_work_on(this.cpu(), krcp.monitor_work, delay);
      return;
    }
    wq.queue_delayed_work_on(this.cpu(), krcp.monitor_work, delay);
  }

  private schedule_delayed_monitor_work(krcp: kfree_rcu_cpu): void {
    this.h.raw_spin_lock(krcp.lock);
    this.__schedule_delayed_monitor_work(krcp);
    this.h.raw_spin_unlock(krcp.lock);
  }

  private kvfree_rcu_drain_ready(krcp: kfree_rcu_cpu): void {
    const bulk_ready: kvfree_rcu_bulk_data[][] = [];
    let head_ready: kvfree_rcu_head | null = null;

    this.h.raw_spin_lock(krcp.lock);
    for (let i = 0; i < FREE_N_CHANNELS; i++) {
      const ready: kvfree_rcu_bulk_data[] = [];
      bulk_ready[i] = ready;
      const list = krcp.bulk_head[i]!;
      // list_for_each_entry_safe_reverse: from the oldest block; list_move to the head of bulk_ready.
      while (list.length) {
        const bnode = list[list.length - 1]!;
        if (!this.h.rcu.poll_state_synchronize_rcu_full(bnode.gp_snap)) break;
        krcp.bulk_count[i] = krcp.bulk_count[i]! - bnode.nr_records;
        list.pop();
        ready.unshift(bnode);
      }
    }

    if (krcp.head && this.h.rcu.poll_state_synchronize_rcu(krcp.head_gp_snap)) {
      head_ready = krcp.head;
      krcp.head_count = 0;
      krcp.head = null;
    }
    this.h.raw_spin_unlock(krcp.lock);

    for (let i = 0; i < FREE_N_CHANNELS; i++) for (const bnode of bulk_ready[i]!) this.kvfree_rcu_bulk(krcp, bnode, i);

    if (head_ready) this.kvfree_rcu_list(head_ready);
  }

  /** kvfree_rcu_queue_batch(): detach what is queued to a free batch and queue its rcu_work. True if queued. */
  private kvfree_rcu_queue_batch(krcp: kfree_rcu_cpu): boolean {
    let queued = false;

    this.h.raw_spin_lock(krcp.lock);
    for (let i = 0; i < KFREE_N_BATCHES; i++) {
      const krwp = krcp.krw_arr[i]!;

      if (this.need_wait_for_krwp_work(krwp)) continue;

      if (this.need_offload_krc(krcp)) {
        for (let j = 0; j < FREE_N_CHANNELS; j++) {
          if (!krwp.bulk_head_free[j]!.length) {
            krcp.bulk_count[j] = 0;
            // list_replace_init(&krcp->bulk_head[j], &krwp->bulk_head_free[j])
            krwp.bulk_head_free[j]!.push(...krcp.bulk_head[j]!.splice(0));
          }
        }

        if (!krwp.head_free) {
          krwp.head_free = krcp.head;
          krwp.head_free_gp_snap = this.h.rcu.get_state_synchronize_rcu_full();
          krcp.head_count = 0;
          krcp.head = null;
        }

        queued = this.h.wq.queue_rcu_work(krwp.rcu_work, (fn) => this.h.rcu.call_rcu(fn)); // call_rcu_hurry
        this.WARN_ON_ONCE(!queued);
        break;
      }
    }

    this.h.raw_spin_unlock(krcp.lock);
    return queued;
  }

  /** kfree_rcu_monitor(): after KFREE_DRAIN_JIFFIES, free what is ready and queue a batch for the rest. */
  kfree_rcu_monitor(krcp: kfree_rcu_cpu): void {
    this.kvfree_rcu_drain_ready(krcp);
    this.kvfree_rcu_queue_batch(krcp);
    if (this.need_offload_krc(krcp)) this.schedule_delayed_monitor_work(krcp);
  }

  fill_page_cache_func(krcp: kfree_rcu_cpu): void {
    const nr_pages = krcp.backoff_page_cache_fill ? 1 : rcu_min_cached_objs;

    for (let i = krcp.nr_bkv_objs; i < nr_pages; i++) {
      const pg = this.h.__get_free_page();
      if (!pg) break;
      const bnode = new kvfree_rcu_bulk_data(pg);

      this.h.raw_spin_lock(krcp.lock);
      const pushed = this.put_cached_bnode(krcp, bnode);
      this.h.raw_spin_unlock(krcp.lock);

      if (!pushed) {
        this.h.free_page(pg);
        break;
      }
    }

    krcp.work_in_progress = 0;
    krcp.backoff_page_cache_fill = 0;
  }

  /** add_ptr_to_bulk_krc_lock(): record ptr in a bulk page of this CPU's krc (locked on return). */
  private add_ptr_to_bulk_krc_lock(ptr: ulong, can_alloc: boolean): { krcp: kfree_rcu_cpu; ok: boolean } {
    let krcp = this.krc_this_cpu_lock();
    if (!krcp.initialized) return { krcp, ok: false };

    const idx = this.h.is_vmalloc_addr(ptr) ? 1 : 0;
    let bnode: kvfree_rcu_bulk_data | null = krcp.bulk_head[idx]![0] ?? null;

    if (!bnode || bnode.nr_records === KVFREE_BULK_MAX_ENTR) {
      bnode = this.get_cached_bnode(krcp);
      if (!bnode && can_alloc) {
        this.krc_this_cpu_unlock(krcp);
        const pg = this.h.__get_free_page();
        bnode = pg ? new kvfree_rcu_bulk_data(pg) : null;
        // raw_spin_lock_irqsave(&(*krcp)->lock): the same krcp
        this.h.raw_spin_lock(krcp.lock);
        krcp = krcp as kfree_rcu_cpu;
      }

      if (!bnode) return { krcp, ok: false };

      bnode.nr_records = 0;
      bnode.records.length = 0;
      krcp.bulk_head[idx]!.unshift(bnode); // list_add
    }

    bnode.nr_records++;
    bnode.records[bnode.nr_records - 1] = ptr;
    bnode.gp_snap = this.h.rcu.get_state_synchronize_rcu_full();
    krcp.bulk_count[idx] = krcp.bulk_count[idx]! + 1;

    return { krcp, ok: true };
  }

  /** run_page_cache_worker(): refill the bulk-page cache (hrtimer at 0, then page_cache_work on system_highpri_wq). */
  private run_page_cache_worker(krcp: kfree_rcu_cpu): void {
    if (!rcu_min_cached_objs) return;
    // rcu_scheduler_active == RCU_SCHEDULER_RUNNING
    if (!krcp.work_in_progress) {
      krcp.work_in_progress = 1;
      if (krcp.backoff_page_cache_fill) {
        this.h.wq.queue_delayed_work_on(this.cpu(), krcp.page_cache_work, Math.ceil((rcu_delay_page_cache_fill_msec * HZ) / 1000));
      } else {
        // hrtimer_start(&krcp->hrtimer, 0) -> schedule_page_work_fn -> queue_delayed_work(system_highpri_wq, ..., 0)
        this.h.wq.queue_delayed_work_on(this.cpu(), krcp.page_cache_work, 0);
      }
    }
  }

  /**
   * kvfree_call_rcu(head, ptr): queue ptr to be freed after a grace period.
   * `head` is false for the one-argument kvfree_rcu_mightsleep(ptr), true for
   * kvfree_rcu(ptr, rhf) (the rcu_head at the start of the object).
   */
  kvfree_call_rcu(head: boolean, ptr: ulong): void {
    // if (!head) might_sleep(); kfree_rcu_sheaf(ptr) is false for a vmalloc address; debug_rcu_head_queue(): no debug objects.
    let { krcp, ok: success } = this.add_ptr_to_bulk_krc_lock(ptr, !head);
    unlock_return: {
      if (!success) {
        this.run_page_cache_worker(krcp);

        if (!head) break unlock_return; // inline if kvfree_rcu(one_arg) call

        krcp.head = { next: krcp.head, ptr };
        krcp.head_count++;

        krcp.head_gp_snap = this.h.rcu.get_state_synchronize_rcu();
        success = true;
      }

      // kmemleak_ignore(ptr); set timer to drain after KFREE_DRAIN_JIFFIES (rcu_scheduler_active == RCU_SCHEDULER_RUNNING)
      this.__schedule_delayed_monitor_work(krcp);
    }
    this.krc_this_cpu_unlock(krcp);

    if (!success) {
      this.h.rcu.synchronize_rcu();
      this.h.vfree(ptr); // kvfree(ptr)
      this.nr_inline++;
    }
  }

  /** Objects queued and not yet freed, over all CPUs. */
  get nr_queued(): number {
    let n = 0;
    for (const krcp of this.krc) {
      n += this.krc_count(krcp);
      for (const krwp of krcp.krw_arr) {
        for (const l of krwp.bulk_head_free) for (const b of l) n += b.nr_records;
        for (let h = krwp.head_free; h; h = h.next) n++;
      }
    }
    return n;
  }

  private WARN_ON_ONCE(cond: boolean): boolean {
    return cond;
  }
}
