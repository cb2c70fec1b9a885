// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { fmt_alloc_vmap_area, fmt_free_vmap_area_noflush, fmt_purge_vmap_area_lazy, fmt_tlb_flush, format_trace_line } from '../../../../kernel/kernel/trace/trace.js';

const u = (d: bigint): number => Number(BigInt.asIntN(64, d));
const HZ = 1e6; // one cycle per microsecond: cycles are the timestamp in µs
const line = (comm: string, pid: number, flags: string, us: number, event: Parameters<typeof format_trace_line>[0]['event'], fields: string) =>
  format_trace_line({ event, comm, pid, cpu: 0, flags, cycles: us, fields }, HZ);

describe('kernel/kernel/trace: trace lines as tracefs prints them', () => {
  it('reproduces the sample lines of real-kernel-facts.md character for character', () => {
    expect(line('init', 1, '.....', 60616305, 'vmalloc:alloc_vmap_area', fmt_alloc_vmap_area(u(18446683600576352256n), 200704, 1, -0x370000000000, -0x170000000001, 0))).to.equal(
      '            init-1       [000] .....    60.616305: alloc_vmap_area: va_start: 18446683600576352256 size=200704 align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0',
    );
    expect(line('init', 1, '.....', 12338819, 'vmalloc:free_vmap_area_noflush', fmt_free_vmap_area_noflush(u(0xffffc90000511000n), 165, 16384))).to.equal(
      '            init-1       [000] .....    12.338819: free_vmap_area_noflush: va_start=0xffffc90000511000 nr_lazy=165 nr_lazy_max=16384',
    );
    expect(line('kworker/0:0', 9, '.....', 12415946, 'vmalloc:purge_vmap_area_lazy', fmt_purge_vmap_area_lazy(u(0xffffc900001cc000n), u(0xffffc90004465000n), 3277))).to.equal(
      '     kworker/0:0-9       [000] .....    12.415946: purge_vmap_area_lazy: start=0xffffc900001cc000 end=0xffffc90004465000 num_purged=3277',
    );
    expect(line('init', 1, 'd..1.', 10455092, 'tlb:tlb_flush', fmt_tlb_flush(3, -1))).to.equal('            init-1       [000] d..1.    10.455092: tlb_flush: pages:-1 reason:local mm shootdown (3)');
  });

  it('reproduces the first line of the real 6.12 trace', () => {
    expect(line('init', 1, '.....', 4883389, 'vmalloc:alloc_vmap_area', fmt_alloc_vmap_area(u(18446683600576172032n), 200704, 1, -0x370000000000, -0x170000000001, 0))).to.equal(
      '            init-1       [000] .....     4.883389: alloc_vmap_area: va_start: 18446683600576172032 size=200704 align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0',
    );
  });
});
