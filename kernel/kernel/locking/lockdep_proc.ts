// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/lock_stat (CONFIG_LOCK_STAT) for the modelled locks: the class
 * statistics of kernel/locking/lockdep.c and their text as
 * kernel/locking/lockdep_proc.c prints it (lock_stat version 0.4).
 * Ported from Linux 6.12 (Debian 6.12.95): kernel/locking/lockdep_proc.c's
 * lock_stat_cmp(), seq_line(), snprint_time(), seq_time(), seq_lock_time(),
 * seq_stats() and seq_header(), and the sums of lockdep.c's lock_stats()
 * (lock_time_add()); read as docs/sources.md lists it (anchor
 * text-linux-6.12-lockstat). The counting itself (lockdep.c's
 * __lock_contended(), __lock_acquired(), lock_release_holdtime()) is done
 * by kernel/kernel/locking/spinlock.ts at its waits, grants and releases.
 *
 * What differs from a real /proc/lock_stat:
 * - Times are modelled cycles turned into nanoseconds at the machine's clock,
 *   so the columns are microseconds of modelled time, as the kernel's are.
 * - The model has no instruction pointers, so the contention points
 *   (the "[<addr>] func+off" lines under a class) are not printed.
 * - Every lock is exclusive (no rwlock in the model), so every class has only
 *   its write line, printed as "name:" (seq_stats() adds "-W" only when a
 *   class also has readers).
 * - A bounce is a wait or a hold where another CPU held the lock last; a
 *   lockdep_map starts with the CPU that initialised it, the model's locks
 *   with none, so a lock's first acquisition is never a bounce here.
 * - A class is what vmapsim names a lock without its instance suffix
 *   (`vn->busy.lock#3` is in class `vn->busy.lock`): lockdep keys a class by
 *   its init site, one for all the vmap nodes' locks too.
 */

import type { lock_stats } from './spinlock.js';
import { lock_class } from './spinlock.js';

/** One class's struct lock_class_stats, in cycles, with each CPU's wait cycles. */
export interface lock_class_stats {
  name: string;
  kind: 'spinlock' | 'mutex';
  /** bounces[bounce_contended_write]: contentions where another CPU held the lock last. */
  conBounces: number;
  /** write_waittime: nr (contentions), min, max, total. */
  contentions: number;
  waittimeMin: number;
  waittimeMax: number;
  waittimeTotal: number;
  /** bounces[bounce_acquired_write]: acquisitions on another CPU than the last. */
  acqBounces: number;
  /** write_holdtime: nr (acquisitions that were released), min, max, total. */
  acquisitions: number;
  holdtimeMin: number;
  holdtimeMax: number;
  holdtimeTotal: number;
  /** The wait cycles of each CPU (not in /proc/lock_stat; lockdep sums its per-CPU stats). */
  waitByCpu: number[];
}

/** lock_stats(class): every lock of a class summed, as lockdep sums a class's per-CPU statistics. */
export function lock_class_stats_of(locks: readonly lock_stats[]): lock_class_stats[] {
  const by = new Map<string, lock_class_stats>();
  for (const l of locks) {
    const name = lock_class(l.name);
    let s = by.get(name);
    if (!s) {
      s = {
        name,
        kind: l.kind,
        conBounces: 0,
        contentions: 0,
        waittimeMin: 0,
        waittimeMax: 0,
        waittimeTotal: 0,
        acqBounces: 0,
        acquisitions: 0,
        holdtimeMin: 0,
        holdtimeMax: 0,
        holdtimeTotal: 0,
        waitByCpu: Array.from(l.waitCycles, () => 0),
      };
      by.set(name, s);
    }
    // lock_time_add(): a min of 0 means none recorded yet.
    if (l.contended > 0) {
      s.waittimeMin = s.contentions === 0 ? l.waitMin : Math.min(s.waittimeMin, l.waitMin);
      s.waittimeMax = Math.max(s.waittimeMax, l.waitMax);
    }
    if (l.holdCount > 0) {
      s.holdtimeMin = s.acquisitions === 0 ? l.holdMin : Math.min(s.holdtimeMin, l.holdMin);
      s.holdtimeMax = Math.max(s.holdtimeMax, l.maxHold);
    }
    s.conBounces += l.conBounces;
    s.contentions += l.contended;
    s.acqBounces += l.acqBounces;
    s.acquisitions += l.holdCount;
    s.holdtimeTotal += l.holdTotal;
    s.waittimeTotal += l.totalWait;
    l.waitCycles.forEach((w, cpu) => {
      s.waitByCpu[cpu] = s.waitByCpu[cpu]! + w;
    });
  }
  return [...by.values()];
}

/** lock_stat_cmp(): most contentions first (the kernel's sort() is not stable; ties keep first-use order here). */
export function lock_stat_cmp(l: lock_class_stats, r: lock_class_stats): number {
  return r.contentions - l.contentions;
}

function seq_line(c: string, offset: number, length: number): string {
  return ' '.repeat(offset) + c.repeat(length) + '\n';
}

/** snprint_time(): nanoseconds as microseconds with two decimals, rounded for display. */
export function snprint_time(nr: number): string {
  nr = Math.round(nr) + 5;
  const div = Math.trunc(nr / 1000);
  const rem = nr - div * 1000;
  return `${div}.${String(Math.trunc(rem / 10)).padStart(2, '0')}`;
}

const pad = (s: string | number, w: number) => String(s).padStart(w);

function seq_time(ns: number): string {
  return ' ' + pad(snprint_time(ns), 14);
}

function seq_lock_time(nr: number, min: number, max: number, total: number, toNs: (c: number) => number): string {
  return pad(nr, 14) + seq_time(toNs(min)) + seq_time(toNs(max)) + seq_time(toNs(total)) + seq_time(nr ? Math.trunc(toNs(total) / nr) : 0);
}

/** seq_stats(): a class's write line. The name column is 38 characters wide at most, as snprintf(name, 38) leaves it. */
function seq_stats(s: lock_class_stats, toNs: (c: number) => number): string {
  if (s.acquisitions === 0) return '';
  const name = s.name.slice(0, 37);
  return `${pad(name, 40)}:${pad(s.conBounces, 14)} ${seq_lock_time(s.contentions, s.waittimeMin, s.waittimeMax, s.waittimeTotal, toNs)} ${pad(s.acqBounces, 14)} ${seq_lock_time(s.acquisitions, s.holdtimeMin, s.holdtimeMax, s.holdtimeTotal, toNs)}\n`;
}

function seq_header(): string {
  const cols = ['class name', 'con-bounces', 'contentions', 'waittime-min', 'waittime-max', 'waittime-total', 'waittime-avg', 'acq-bounces', 'acquisitions', 'holdtime-min', 'holdtime-max', 'holdtime-total', 'holdtime-avg'];
  return (
    'lock_stat version 0.4\n' +
    seq_line('-', 0, 40 + 1 + 12 * (14 + 1)) +
    `${pad(cols[0]!, 40)} ${cols
      .slice(1)
      .map((c) => pad(c, 14))
      .join(' ')}\n` +
    seq_line('-', 0, 40 + 1 + 12 * (14 + 1)) +
    '\n'
  );
}

/**
 * The text of /proc/lock_stat: the header, then each class that was taken,
 * most contended first. `clockHz` turns modelled cycles into nanoseconds.
 */
export function lock_stat_show(classes: readonly lock_class_stats[], clockHz: number): string {
  const toNs = (c: number) => (c * 1e9) / clockHz;
  return seq_header() + [...classes].sort(lock_stat_cmp).map((s) => seq_stats(s, toNs)).join('');
}
