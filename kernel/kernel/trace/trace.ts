// SPDX-License-Identifier: GPL-2.0-only
/*
 * A trace buffer printing events exactly as tracefs's `trace` file does
 * (kernel/trace/trace_output.c: "%16s-%-7d [%03d] FLAGS %5llu.%06lu: EVENT: FIELDS"),
 * and the four events vmapsim emits, with their print formats:
 *
 *   vmalloc:alloc_vmap_area        "va_start: %lu size=%lu align=%lu vstart=0x%lx vend=0x%lx failed=%d"
 *   vmalloc:free_vmap_area_noflush "va_start=0x%lx nr_lazy=%lu nr_lazy_max=%lu"
 *   vmalloc:purge_vmap_area_lazy   "start=0x%lx end=0x%lx num_purged=%u"
 *   tlb:tlb_flush                  "pages:%ld reason:%s (%d)"
 *
 * (include/trace/events/vmalloc.h of 6.2+, text: Debian's 6.12,
 * docs/sources.md#text-linux-6.12; include/trace/events/tlb.h; formats also in
 * docs/reference/real-kernel-facts.md.)
 *
 * Timestamps are the emitting CPU's modelled cycles divided by a stated clock
 * rate (default 3 GHz), printed as seconds.microseconds (truncated). The
 * FLAGS column is always "....." (IRQs on, no resched, preempt depth 0).
 */

import { hex, udec, type ulong } from '../../include/u64.js';

/** The events, as SYSTEM:NAME. */
export type trace_event_name = 'vmalloc:alloc_vmap_area' | 'vmalloc:free_vmap_area_noflush' | 'vmalloc:purge_vmap_area_lazy' | 'tlb:tlb_flush';

/** One recorded event. */
export interface trace_entry {
  readonly event: trace_event_name;
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  readonly flags: string;
  /** Modelled cycles of the emitting CPU. */
  readonly cycles: number;
  /** The formatted fields (after "NAME: "), or a function that formats them when the line is read. */
  readonly fields: string | (() => string);
}

/** The task an event is charged to. */
export interface task_struct {
  readonly comm: string;
  readonly pid: number;
}

/** The reasons of tlb:tlb_flush (enum tlb_flush_reason), in order. */
export const TLB_FLUSH_REASONS = ['flush on task switch', 'remote shootdown', 'local shootdown', 'local mm shootdown', 'remote ipi send'] as const;

/** Print formats of the events. */
export function fmt_alloc_vmap_area(addr: ulong, size: ulong, align: ulong, vstart: ulong, vend: ulong | bigint, failed: number): string {
  // vend as an exact u64 when the double cannot hold it (5-level paging's VMALLOC_END, kernel/boot.ts)
  const end = typeof vend === 'bigint' ? BigInt.asUintN(64, vend).toString(16) : hex(vend);
  return `va_start: ${udec(addr)} size=${udec(size)} align=${udec(align)} vstart=0x${hex(vstart)} vend=0x${end} failed=${failed}`;
}
export function fmt_free_vmap_area_noflush(va_start: ulong, nr_lazy: number, nr_lazy_max: number): string {
  return `va_start=0x${hex(va_start)} nr_lazy=${udec(nr_lazy)} nr_lazy_max=${udec(nr_lazy_max)}`;
}
export function fmt_purge_vmap_area_lazy(start: ulong, end: ulong, npurged: number): string {
  return `start=0x${hex(start)} end=0x${hex(end)} num_purged=${npurged >>> 0}`;
}
export function fmt_tlb_flush(reason: number, pages: number): string {
  return `pages:${pages} reason:${TLB_FLUSH_REASONS[reason] ?? ''} (${reason})`;
}

/** The trace line of an entry, as tracefs prints it. */
export function format_trace_line(e: trace_entry, clockHz: number): string {
  const total = Math.floor((e.cycles / clockHz) * 1e6); // microseconds
  const secs = Math.floor(total / 1e6);
  const usecs = total - secs * 1e6;
  const name = e.event.slice(e.event.indexOf(':') + 1);
  const task = `${e.comm.padStart(16)}-${String(e.pid).padEnd(7)}`;
  const ts = `${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}`;
  const fields = typeof e.fields === 'string' ? e.fields : e.fields();
  return `${task} [${String(e.cpu).padStart(3, '0')}] ${e.flags} ${ts}: ${name}: ${fields}`;
}

/** A per-kernel trace buffer (the global tracing instance). */
export class trace_buffer {
  readonly entries: trace_entry[] = [];
  /** Events being recorded (tracefs events/SYSTEM/NAME/enable). */
  readonly enabled = new Set<trace_event_name>(['vmalloc:alloc_vmap_area', 'vmalloc:free_vmap_area_noflush', 'vmalloc:purge_vmap_area_lazy', 'tlb:tlb_flush']);

  constructor(
    /** Modelled clock rate, Hz: timestamp = cycles / clockHz. */
    readonly clockHz = 3e9,
    /** Stop recording after this many entries (later ones are counted as written). */
    readonly limit = 1_000_000,
  ) {}

  /** Entries written, recorded or not. */
  written = 0;

  record(e: trace_entry): void {
    if (!this.enabled.has(e.event)) return;
    this.written++;
    if (this.entries.length < this.limit) this.entries.push(e);
  }

  /** The lines, without header. */
  lines(): string[] {
    return this.entries.map((e) => format_trace_line(e, this.clockHz));
  }

  /** The `trace` file: the nop tracer header, then the lines. */
  format(ncpu: number): string {
    const head = [
      '# tracer: nop',
      '#',
      `# entries-in-buffer/entries-written: ${this.entries.length}/${this.written}   #P:${ncpu}`,
      '#',
      '#                                _-----=> irqs-off/BH-disabled',
      '#                               / _----=> need-resched',
      '#                              | / _---=> hardirq/softirq',
      '#                              || / _--=> preempt-depth',
      '#                              ||| / _-=> migrate-disable',
      '#                              |||| /     delay',
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
      '#              | |         |   |||||     |         |',
    ];
    return [...head, ...this.lines()].join('\n') + '\n';
  }

  clear(): void {
    this.entries.length = 0;
    this.written = 0;
  }
}
