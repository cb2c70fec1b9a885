// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { hex } from '../../../../kernel/include/u64.js';
import { InputError } from '../../../../scripts/lib/input-error.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { parseTracefs } from '../../../../scripts/replay/tracefs/parse.js';
import { SAMPLE } from './sample.js';

const HEADER = ['# tracer: nop', '#', '# entries-in-buffer/entries-written: 6/6   #P:2', '#'];

/** A trace line as tracefs prints it. */
function line(task: string, cpu: number, ts: string, event: string, fields: string): string {
  return `${task.padStart(16)} [${String(cpu).padStart(3, '0')}] ..... ${ts.padStart(12)}: ${event}: ${fields}`;
}

const ALLOC = 'va_start: 18446683600570023936 size=8192 align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0';

function expectInputError(f: () => unknown, where: string, what: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(InputError);
    expect((e as Error).message.startsWith(where), (e as Error).message).to.equal(true);
    expect((e as Error).message).to.match(what);
    return;
  }
  expect.fail('no InputError');
}

describe('tracefs parser', () => {
  it('reads every line of the public sample: 10,020 events, #P:1, 5000/5000/20', () => {
    const t = parseTracefs(SAMPLE.trace, readText(SAMPLE.trace));
    expect(t.events).to.have.length(10020);
    expect(t.eventLines).to.equal(10020);
    expect(t.entries).to.deep.equal({ inBuffer: 10020, written: 10020 });
    expect(t.cpus).to.equal(1);
    expect(t.lost).to.equal(0);
    expect(t.skipped.size).to.equal(0);
    const kinds = (k: string) => t.events.filter((e) => e.kind === k).length;
    expect([kinds('alloc_vmap_area'), kinds('free_vmap_area_noflush'), kinds('purge_vmap_area_lazy')]).to.deep.equal([5000, 5000, 20]);
    const first = t.events[0]!;
    expect(first.kind).to.equal('alloc_vmap_area');
    if (first.kind === 'alloc_vmap_area') {
      expect(hex(first.addr)).to.equal('ffffc900005dd000'); // 18446683600576172032
      expect(first.size).to.equal(200704);
      expect(hex(first.vend)).to.equal('ffffe8ffffffffff');
      expect(first.task).to.equal('init');
      expect(first.pid).to.equal(1);
    }
    const purge = t.events.find((e) => e.kind === 'purge_vmap_area_lazy');
    expect(purge && purge.task).to.equal('kworker/0:1');
  });

  it('reads each event kind and counts other events', () => {
    const text = [
      ...HEADER,
      line('init-1', 0, '1.000001', 'alloc_vmap_area', ALLOC),
      line('init-1', 0, '1.000002', 'free_vmap_area_noflush', 'va_start=0xffffc90000000000 nr_lazy=2 nr_lazy_max=16384'),
      line('init-1', 0, '1.000003', 'tlb_flush', 'pages:-1 reason:local mm shootdown (3)'),
      line('kworker/1:0-9', 1, '1.000004', 'purge_vmap_area_lazy', 'start=0xffffc90000000000 end=0xffffc90000002000 num_purged=1'),
      'CPU:1 [LOST 3 EVENTS]',
      '',
    ].join('\n');
    const t = parseTracefs('t.txt', text);
    expect(t.cpus).to.equal(2);
    expect(t.events.map((e) => e.kind)).to.deep.equal(['alloc_vmap_area', 'free_vmap_area_noflush', 'purge_vmap_area_lazy']);
    expect(t.eventLines).to.equal(4);
    expect([...t.skipped]).to.deep.equal([['tlb_flush', 1]]);
    expect(t.lost).to.equal(3);
    const [a, f, p] = t.events;
    if (a?.kind !== 'alloc_vmap_area' || f?.kind !== 'free_vmap_area_noflush' || p?.kind !== 'purge_vmap_area_lazy') throw new Error('kinds');
    expect([hex(a.addr), a.size, a.align, a.failed, a.line]).to.deep.equal(['ffffc90000000000', 8192, 1, 0, 5]);
    expect([hex(f.va_start), f.nr_lazy, f.nr_lazy_max]).to.deep.equal(['ffffc90000000000', 2, 16384]);
    expect([hex(p.start), hex(p.end), p.num_purged, p.cpu, p.task, p.pid]).to.deep.equal(['ffffc90000000000', 'ffffc90000002000', 1, 1, 'kworker/1:0', 9]);
  });

  it('sorts lines of several CPUs by timestamp, keeping the file order for equal timestamps', () => {
    // As tracefs prints per-CPU buffers merged, but here CPU 1's lines come late.
    const text = [
      ...HEADER,
      line('a-10', 0, '2.000001', 'free_vmap_area_noflush', 'va_start=0x1000 nr_lazy=1 nr_lazy_max=16384'),
      line('a-10', 0, '2.000005', 'free_vmap_area_noflush', 'va_start=0x5000 nr_lazy=5 nr_lazy_max=16384'),
      line('b-11', 1, '2.000003', 'free_vmap_area_noflush', 'va_start=0x3000 nr_lazy=3 nr_lazy_max=16384'),
      line('b-11', 1, '2.000005', 'free_vmap_area_noflush', 'va_start=0x6000 nr_lazy=6 nr_lazy_max=16384'),
      line('b-11', 1, '2.0000021', 'free_vmap_area_noflush', 'va_start=0x2000 nr_lazy=2 nr_lazy_max=16384'),
    ].join('\n');
    const t = parseTracefs('t.txt', text);
    expect(t.events.map((e) => (e.kind === 'free_vmap_area_noflush' ? hex(e.va_start) : '?'))).to.deep.equal(['1000', '2000', '3000', '5000', '6000']);
  });

  it('accepts task names with spaces and dashes, and a TGID column', () => {
    const text = [
      '          <idle>-0       [000] d.s.. 1.5: free_vmap_area_noflush: va_start=0x1000 nr_lazy=1 nr_lazy_max=8192',
      '  my task-name-42   (     42) [001] ..... 1.6: free_vmap_area_noflush: va_start=0x2000 nr_lazy=2 nr_lazy_max=8192',
    ].join('\n');
    const t = parseTracefs('t.txt', text);
    expect(t.events.map((e) => [e.task, e.pid, e.cpu])).to.deep.equal([
      ['<idle>', 0, 0],
      ['my task-name', 42, 1],
    ]);
    expect(t.cpus).to.equal(null);
  });

  it('names the file and line of a malformed event line', () => {
    const ok = line('init-1', 0, '1.0', 'alloc_vmap_area', ALLOC);
    expectInputError(() => parseTracefs('x.trace', [...HEADER, ok, line('init-1', 0, '1.1', 'alloc_vmap_area', ALLOC.replace('size=8192', 'size=0x2000'))].join('\n')), 'x.trace:6: ', /alloc_vmap_area: fields do not match/);
    expectInputError(() => parseTracefs('x.trace', [ok, line('init-1', 0, '1.1', 'free_vmap_area_noflush', 'va_start=0x1000 nr_lazy=x nr_lazy_max=8192')].join('\n')), 'x.trace:2: ', /free_vmap_area_noflush/);
    expectInputError(() => parseTracefs('x.trace', [ok, line('w-9', 0, '1.1', 'purge_vmap_area_lazy', 'start=0x1 end=0x2')].join('\n')), 'x.trace:2: ', /purge_vmap_area_lazy/);
    expectInputError(() => parseTracefs('x.trace', [ok, 'garbage here'].join('\n')), 'x.trace:2: ', /not a trace line/);
    expectInputError(() => parseTracefs('x.trace', line('init-1', 0, '1.0', 'alloc_vmap_area', ALLOC.replace('18446683600570023936', '18446744073709551616'))), 'x.trace:1: ', /does not fit in 64 bits/);
  });
});
