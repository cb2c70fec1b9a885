// SPDX-License-Identifier: GPL-2.0-only
/*
 * The timeline against the trace-event format's documented schema (the
 * "Trace Event Format" document that chrome://tracing and Perfetto read):
 * every event well formed, timestamps monotonic per track, complete slices
 * properly nested on each track.
 */
import { expect } from 'chai';
import { parseParams } from '../../../../scripts/run/params.js';
import { runMatrix } from '../../../../scripts/run/runner.js';
import { vmallocLoop } from '../../../../scripts/scenarios/vmalloc-loop.js';
import { Timeline } from '../../../../kernel/kernel/trace/timeline.js';

interface Ev {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid?: number;
  s?: string;
  args?: Record<string, unknown>;
}

describe('kernel/kernel/trace/timeline: a run in modelled time for Perfetto', function () {
  this.timeout(120_000);
  const m = runMatrix(vmallocLoop, {
    kernels: ['linux-6.12'],
    cpus: [4],
    seed: 1,
    timeline: true,
    params: parseParams(vmallocLoop.name, vmallocLoop.params, ['iterations=12000', 'checker=false']),
  });
  const file = JSON.parse(m.cells[0]?.result.timeline as string) as { traceEvents: Ev[] };
  const ev = file.traceEvents;

  it('is a JSON object with a traceEvents array whose every event is well formed', () => {
    expect(ev.length).to.be.greaterThan(1000);
    for (const e of ev) {
      expect(e.name, JSON.stringify(e)).to.be.a('string').and.not.equal('');
      expect(['X', 'i', 'C', 'M'], JSON.stringify(e)).to.include(e.ph);
      expect(e.ts, JSON.stringify(e)).to.be.a('number').and.at.least(0);
      expect(e.pid, JSON.stringify(e)).to.equal(0);
      if (e.ph === 'X') expect(e.dur, JSON.stringify(e)).to.be.a('number').and.at.least(0);
      if (e.ph === 'X' || e.ph === 'i') expect(e.tid, JSON.stringify(e)).to.be.within(0, 3);
      if (e.ph === 'i') expect(e.s).to.equal('t');
      if (e.ph === 'C') for (const v of Object.values(e.args ?? {})) expect(v).to.be.a('number');
    }
  });

  it('has one named track per CPU, four here', () => {
    const names = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${e.tid}:${String(e.args?.name)}`);
    expect(names).to.deep.equal(['0:CPU 0', '1:CPU 1', '2:CPU 2', '3:CPU 3']);
  });

  it('keeps timestamps monotonic on every track', () => {
    const last = new Map<string, number>();
    for (const e of ev.filter((x) => x.ph !== 'M')) {
      const track = e.ph === 'C' ? `C:${e.name}` : String(e.tid);
      expect(e.ts, `${track} ${JSON.stringify(e)}`).to.be.at.least(last.get(track) ?? 0);
      last.set(track, e.ts);
    }
  });

  it('nests the slices of every track (a slice that starts inside another ends inside it)', () => {
    const eps = 0.002; // timestamps are rounded to the nanosecond
    for (let cpu = 0; cpu < 4; cpu++) {
      const stack: Ev[] = [];
      for (const s of ev.filter((e) => e.ph === 'X' && e.tid === cpu)) {
        while (stack.length && stack[stack.length - 1]!.ts + (stack[stack.length - 1]!.dur ?? 0) <= s.ts + eps) stack.pop();
        const top = stack[stack.length - 1];
        if (top) expect(s.ts + (s.dur ?? 0), `cpu${cpu}: ${s.name} in ${top.name}`).to.be.at.most(top.ts + (top.dur ?? 0) + eps);
        stack.push(s);
      }
    }
  });

  it('shows the purges with their IPIs: the kworker, the flush, the handlers on the other CPUs, and vmap_lazy_nr', () => {
    const names = new Set(ev.map((e) => e.name));
    for (const n of ['kworker/0:1-11', 'drain_vmap_area_work', 'flush_tlb_kernel_range', 'CAL IPI handler', 'purge', 'alloc_vmap_area', 'free_vmap_area_noflush', 'vmap_lazy_nr', 'vfree', 'vmalloc']) expect([...names], n).to.include(n);
    const purges = ev.filter((e) => e.name === 'purge').length;
    expect(purges).to.equal(m.cells[0]?.result.figures.purges);
    // a full flush on 4 CPUs: one call-function IPI to each of the 3 others per purge
    expect(ev.filter((e) => e.name === 'CAL IPI handler').length).to.equal(3 * purges);
  });

  it('keeps the first events up to its limit, drops the rest, and says how many from when, instead of exhausting the heap', () => {
    const t = new Timeline(2, 1e9, 'small', 5);
    for (let i = 0; i < 8; i++) t.instant(i % 2, 'e', 1000 * i, {});
    const f = JSON.parse(t.toJson()) as { traceEvents: Ev[]; otherData: { dropped?: number } };
    // The process and two track names are metadata; five events fill the limit with them.
    expect(f.traceEvents.filter((e) => e.ph === 'i').map((e) => e.ts)).to.deep.equal([0, 1]);
    expect(f.otherData.dropped).to.equal(6);
    expect(t.truncated()).to.equal('timeline: the first 5 events kept, 6 later ones dropped (from about 0.0 ms of modelled time); a shorter run shows the whole of it');
    expect(new Timeline(1, 1e9, 'whole').truncated()).to.equal(null);
  });
});
