// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read the text of a tracefs trace buffer (`cat /sys/kernel/tracing/trace`)
 * holding the vmalloc events of 6.2+ kernels:
 *
 *   TASK-PID [CPU] FLAGS TIMESTAMP: alloc_vmap_area: va_start: %lu size=%lu align=%lu vstart=0x%lx vend=0x%lx failed=%d
 *   TASK-PID [CPU] FLAGS TIMESTAMP: free_vmap_area_noflush: va_start=0x%lx nr_lazy=%lu nr_lazy_max=%lu
 *   TASK-PID [CPU] FLAGS TIMESTAMP: purge_vmap_area_lazy: start=0x%lx end=0x%lx num_purged=%u
 *
 * (formats of include/trace/events/vmalloc.h; the reference is
 * docs/reference/real-kernel-facts.md). Any task, any CPU. `#` header
 * lines are read for `#P:N` (CPUs) and the entries counts; lines of other
 * events are counted and skipped; `CPU:N [LOST M EVENTS]` lines are counted.
 * Anything else that is not blank is malformed: an InputError naming the
 * file, the line and the problem.
 *
 * The events come back sorted by timestamp, stably (the text of one CPU is
 * already in order; lines of several CPUs with equal timestamps keep their
 * order in the file).
 */

import { fromBigInt, type ulong } from '../../../kernel/include/u64.js';
import { InputError } from '../../lib/input-error.js';

interface EventBase {
  /** 1-based line in the file. */
  readonly line: number;
  readonly task: string;
  readonly pid: number;
  readonly cpu: number;
  /** The timestamp as printed (seconds). */
  readonly timestamp: string;
  /** The timestamp in nanoseconds, for ordering. */
  readonly ns: number;
  /** The line as it was. */
  readonly text: string;
}

export interface AllocEvent extends EventBase {
  readonly kind: 'alloc_vmap_area';
  readonly addr: ulong;
  readonly size: ulong;
  readonly align: ulong;
  readonly vstart: ulong;
  readonly vend: ulong;
  readonly failed: number;
}

export interface FreeEvent extends EventBase {
  readonly kind: 'free_vmap_area_noflush';
  readonly va_start: ulong;
  readonly nr_lazy: number;
  readonly nr_lazy_max: number;
}

export interface PurgeEvent extends EventBase {
  readonly kind: 'purge_vmap_area_lazy';
  readonly start: ulong;
  readonly end: ulong;
  readonly num_purged: number;
}

export type VmallocEvent = AllocEvent | FreeEvent | PurgeEvent;

export interface TracefsTrace {
  readonly file: string;
  /** Lines in the file. */
  readonly lines: number;
  /** CPUs from the header's `#P:N`, or null if there is none. */
  readonly cpus: number | null;
  /** `entries-in-buffer/entries-written: A/B`, when present. */
  readonly entries: { inBuffer: number; written: number } | null;
  /** The vmalloc events, sorted by timestamp (stable). */
  readonly events: VmallocEvent[];
  /** Event lines read, of every kind. */
  readonly eventLines: number;
  /** Other events, by name: counted, not used. */
  readonly skipped: ReadonlyMap<string, number>;
  /** Events the buffer lost (`CPU:N [LOST M EVENTS]`). */
  readonly lost: number;
}

/*
 * TASK-PID, optionally a TGID column "(  123)" or "(-------)", [CPU], the
 * optional irq-info flags (4 or 5 characters), TIMESTAMP:, EVENT:, fields.
 * The task name may hold spaces and dashes: the last "-digits" before the
 * CPU column ends it.
 */
const LINE_RE = /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:(\S{4,5})\s+)?(\d+)\.(\d+):\s+([A-Za-z_][\w]*):\s?(.*)$/;
const LOST_RE = /^CPU:(\d+) \[LOST (\d+) EVENTS\]$/;

const ALLOC_RE = /^va_start: (\d+) size=(\d+) align=(\d+) vstart=0x([0-9a-f]+) vend=0x([0-9a-f]+) failed=(-?\d+)$/;
const FREE_RE = /^va_start=0x([0-9a-f]+) nr_lazy=(\d+) nr_lazy_max=(\d+)$/;
const PURGE_RE = /^start=0x([0-9a-f]+) end=0x([0-9a-f]+) num_purged=(\d+)$/;

/** An unsigned long printed in decimal (%lu) or hex (%lx, without 0x). */
function ulongOf(file: string, line: number, field: string, digits: string, radix: 10 | 16): ulong {
  const v = BigInt(radix === 16 ? '0x' + digits : digits);
  if (v >= 1n << 64n) throw new InputError(file, line, `${field}: ${digits} does not fit in 64 bits`);
  try {
    return fromBigInt(v, field);
  } catch {
    throw new InputError(file, line, `${field}: ${digits} cannot be held exactly (outside the signed 2^53 window)`);
  }
}

/** A count (%lu/%u) that must be a safe integer. */
function countOf(file: string, line: number, field: string, digits: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new InputError(file, line, `${field}: ${digits} is too large`);
  return n;
}

const FORMATS: Record<string, string> = {
  alloc_vmap_area: 'va_start: %lu size=%lu align=%lu vstart=0x%lx vend=0x%lx failed=%d',
  free_vmap_area_noflush: 'va_start=0x%lx nr_lazy=%lu nr_lazy_max=%lu',
  purge_vmap_area_lazy: 'start=0x%lx end=0x%lx num_purged=%u',
};

/** Parse the text of a tracefs trace. */
export function parseTracefs(file: string, text: string): TracefsTrace {
  const rows = text.split('\n');
  if (rows.length && rows[rows.length - 1] === '') rows.pop();
  let cpus: number | null = null;
  let entries: { inBuffer: number; written: number } | null = null;
  const events: VmallocEvent[] = [];
  const skipped = new Map<string, number>();
  let eventLines = 0;
  let lost = 0;

  for (const [k, row] of rows.entries()) {
    const lineNo = k + 1;
    const raw = row.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    if (raw.startsWith('#')) {
      const p = /#P:(\d+)/.exec(raw);
      if (p) {
        cpus = Number(p[1]);
        if (cpus < 1) throw new InputError(file, lineNo, `#P:${p[1]}: the CPU count must be at least 1`);
      }
      const e = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/.exec(raw);
      if (e) entries = { inBuffer: Number(e[1]), written: Number(e[2]) };
      continue;
    }
    const l = LOST_RE.exec(raw.trim());
    if (l) {
      lost += Number(l[2]);
      continue;
    }
    const m = LINE_RE.exec(raw);
    if (!m) throw new InputError(file, lineNo, `not a trace line (expected "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS"): ${raw.trim().slice(0, 80)}`);
    // Every group but 4 (the flags) is mandatory in LINE_RE.
    const task = m[1]!, pid = m[2]!, cpu = m[3]!, secs = m[5]!, frac = m[6]!, name = m[7]!, fields = m[8]!;
    eventLines++;
    const fmt = FORMATS[name];
    if (!fmt) {
      skipped.set(name, (skipped.get(name) ?? 0) + 1);
      continue;
    }
    const ns = Number(secs) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
    if (!Number.isSafeInteger(ns)) throw new InputError(file, lineNo, `timestamp ${secs}.${frac} is too large`);
    const base = { line: lineNo, task: task.trim(), pid: Number(pid), cpu: Number(cpu), timestamp: `${secs}.${frac}`, ns, text: raw };
    const f = fields.trim();
    if (name === 'alloc_vmap_area') {
      const a = ALLOC_RE.exec(f);
      if (!a) throw new InputError(file, lineNo, `alloc_vmap_area: fields do not match "${fmt}": ${f.slice(0, 100)}`);
      events.push({
        ...base,
        kind: 'alloc_vmap_area',
        addr: ulongOf(file, lineNo, 'va_start', a[1]!, 10),
        size: ulongOf(file, lineNo, 'size', a[2]!, 10),
        align: ulongOf(file, lineNo, 'align', a[3]!, 10),
        vstart: ulongOf(file, lineNo, 'vstart', a[4]!, 16),
        vend: ulongOf(file, lineNo, 'vend', a[5]!, 16),
        failed: Number(a[6]),
      });
    } else if (name === 'free_vmap_area_noflush') {
      const a = FREE_RE.exec(f);
      if (!a) throw new InputError(file, lineNo, `free_vmap_area_noflush: fields do not match "${fmt}": ${f.slice(0, 100)}`);
      events.push({
        ...base,
        kind: 'free_vmap_area_noflush',
        va_start: ulongOf(file, lineNo, 'va_start', a[1]!, 16),
        nr_lazy: countOf(file, lineNo, 'nr_lazy', a[2]!),
        nr_lazy_max: countOf(file, lineNo, 'nr_lazy_max', a[3]!),
      });
    } else {
      const a = PURGE_RE.exec(f);
      if (!a) throw new InputError(file, lineNo, `purge_vmap_area_lazy: fields do not match "${fmt}": ${f.slice(0, 100)}`);
      events.push({
        ...base,
        kind: 'purge_vmap_area_lazy',
        start: ulongOf(file, lineNo, 'start', a[1]!, 16),
        end: ulongOf(file, lineNo, 'end', a[2]!, 16),
        num_purged: countOf(file, lineNo, 'num_purged', a[3]!),
      });
    }
  }

  // Stable sort by timestamp (Array.prototype.sort is stable).
  let sorted = true;
  for (let k = 1; k < events.length; k++)
    if (events[k]!.ns < events[k - 1]!.ns) {
      sorted = false;
      break;
    }
  if (!sorted) events.sort((x, y) => x.ns - y.ns);

  return { file, lines: rows.length, cpus, entries, events, eventLines, skipped, lost };
}
