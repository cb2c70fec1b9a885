// SPDX-License-Identifier: GPL-2.0-only
/*
 * A per-CPU timeline of a run in modelled time, in the Chrome trace-event
 * JSON format that the Perfetto UI (ui.perfetto.dev, "Open trace file") and
 * chrome://tracing open directly: one track per emulated CPU (pid 0, tid =
 * CPU), the tasks and kworkers that ran there and the kernel functions
 * inside them as complete slices ("ph": "X"), lock and ACK waits as slices
 * of their own, the vmalloc trace events as instant events ("ph": "i") with
 * their fields, and vmap_lazy_nr and the CPUs' TLB entries as counter
 * tracks ("ph": "C"). Timestamps are microseconds of modelled time at the
 * kernel's clock. Not kernel text: an observer of the scheduler and hooks.
 */

/** One trace event (the subset of the format this writer uses). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'C' | 'M';
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid?: number;
  readonly cat?: string;
  readonly s?: 't' | 'p' | 'g';
  readonly args?: Record<string, string | number>;
}

/**
 * Events a timeline keeps: some 120 MB of JSON. A longer run would exhaust
 * the heap building the file (the 16-CPU test_vmalloc module did), so later
 * events are counted and dropped, and `truncated()` says so.
 */
export const MAX_TIMELINE_EVENTS = 1_000_000;

/** Records slices, instants and counters; `toJson()` gives the file. */
export class Timeline {
  private readonly events: TraceEvent[] = [];
  /** Events dropped past MAX_TIMELINE_EVENTS, and the modelled time (us) of the first. */
  dropped = 0;
  private droppedFromUs = 0;
  private readonly open: { name: string; start: number; cat: string; args?: Record<string, string | number> }[][];

  constructor(
    readonly ncpu: number,
    readonly clockHz: number,
    readonly title: string,
    /** Most events kept (MAX_TIMELINE_EVENTS). */
    readonly limit: number = MAX_TIMELINE_EVENTS,
  ) {
    this.open = Array.from({ length: ncpu }, () => []);
    this.events.push({ name: 'process_name', ph: 'M', ts: 0, pid: 0, args: { name: title } });
    for (let c = 0; c < ncpu; c++) this.events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 0, tid: c, args: { name: `CPU ${c}` } });
  }

  private add(e: TraceEvent): void {
    if (this.events.length < this.limit) {
      this.events.push(e);
      return;
    }
    if (this.dropped++ === 0) this.droppedFromUs = e.ts;
  }

  /** A line for the run's notes when events were dropped, else null. */
  truncated(): string | null {
    if (!this.dropped) return null;
    return `timeline: the first ${this.limit.toLocaleString('en-US')} events kept, ${this.dropped.toLocaleString('en-US')} later ones dropped (from about ${(this.droppedFromUs / 1e3).toFixed(1)} ms of modelled time); a shorter run shows the whole of it`;
  }

  private us(cycles: number): number {
    return Math.round((cycles / this.clockHz) * 1e9) / 1e3;
  }

  /** A slice starts on `cpu` at modelled `cycles`. */
  begin(cpu: number, name: string, cycles: number, cat: string, args?: Record<string, string | number>): void {
    (this.open[cpu] as { name: string; start: number; cat: string }[]).push({ name, start: cycles, cat, ...(args ? { args } : {}) });
  }

  /** The innermost open slice on `cpu` ends at `cycles`. */
  end(cpu: number, cycles: number): void {
    const s = this.open[cpu]!.pop();
    if (!s) return;
    const ts = this.us(s.start);
    const dur = Math.max(0, this.us(cycles) - ts);
    this.add({ name: s.name, ph: 'X', ts, dur: Math.round(dur * 1e3) / 1e3, pid: 0, tid: cpu, cat: s.cat, ...(s.args ? { args: s.args } : {}) });
  }

  /** A complete slice known after the fact (a wait of `cycles` ending at `endCycles`). */
  slice(cpu: number, name: string, startCycles: number, endCycles: number, cat: string, args?: Record<string, string | number>): void {
    const ts = this.us(startCycles);
    this.add({ name, ph: 'X', ts, dur: Math.round(Math.max(0, this.us(endCycles) - ts) * 1e3) / 1e3, pid: 0, tid: cpu, cat, ...(args ? { args } : {}) });
  }

  /**
   * A task's step from `start` to `end` on `cpu`: steps of one task that
   * follow each other with nothing between them make one slice.
   */
  step(cpu: number, name: string, start: number, end: number, cat: string): void {
    const last = this.lastStep[cpu];
    if (last && last.name === name && last.end === start) {
      last.end = end;
      return;
    }
    if (last) this.slice(cpu, last.name, last.start, last.end, last.cat);
    this.lastStep[cpu] = { name, start, end, cat };
  }
  private readonly lastStep: ({ name: string; start: number; end: number; cat: string } | undefined)[] = [];

  /** An instant event on `cpu` (a trace event with its fields). */
  instant(cpu: number, name: string, cycles: number, args: Record<string, string | number>): void {
    this.add({ name, ph: 'i', s: 't', ts: this.us(cycles), pid: 0, tid: cpu, cat: 'trace', args });
  }

  /** A counter sample. */
  counter(name: string, cycles: number, values: Record<string, number>): void {
    this.add({ name, ph: 'C', ts: this.us(cycles), pid: 0, args: values });
  }

  /** The trace file: events sorted by time per track (metadata first). */
  toJson(): string {
    this.lastStep.forEach((l, cpu) => {
      if (l) this.slice(cpu, l.name, l.start, l.end, l.cat);
      this.lastStep[cpu] = undefined;
    });
    const meta = this.events.filter((e) => e.ph === 'M');
    const rest = this.events.filter((e) => e.ph !== 'M').sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    return JSON.stringify({ traceEvents: [...meta, ...rest], displayTimeUnit: 'ns', otherData: { generator: 'vmapsim', clock: `modelled cycles at ${this.clockHz / 1e9} GHz`, ...(this.dropped ? { dropped: this.dropped } : {}) } });
  }
}
