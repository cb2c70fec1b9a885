// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { ParamError, parseParams } from '../../../scripts/run/params.js';
import { runMatrix } from '../../../scripts/run/runner.js';
import type { Params } from '../../../scripts/run/scenario.js';
import { toJson } from '../../../scripts/report/table.js';
import { testVmalloc } from '../../../scripts/scenarios/test-vmalloc.js';

const run = (kernel: string, cpus: number, words: string[], seed = 1) => {
  const params: Params = parseParams(testVmalloc.name, testVmalloc.params, ['boot=false', ...words]);
  return runMatrix(testVmalloc, { kernels: [kernel], cpus: [cpus], seed, params }).cells[0]!.result;
};
const summaries = (notes: readonly string[] = []) => notes.filter((n) => n.startsWith('Summary: ') || n.startsWith('All test took'));
const counts = (line: string) => line.replace(/ avg: \d+ usec/, ' avg: N usec');

describe('the test_vmalloc scenario', () => {
  /*
   * failslab=nowait after boot: the aligned cases' first request is a no-edge
   * split of the big free block. linux-5.2 takes the split node with
   * GFP_NOWAIT (refused, then refused again after the purge-and-retry): the
   * test's first __vmalloc_node returns NULL and the case fails. 6.1 uses the
   * node preloaded with GFP_KERNEL and passes (82dd23e84be3).
   */
  it('fails the aligned cases of linux-5.2 under failslab=nowait, not those of linux-6.1', () => {
    const words = ['run_test_mask=48', 'test_loop_count=20', 'failslab=nowait'];
    const r52 = run('linux-5.2', 1, words);
    expect(summaries(r52.notes).map(counts)).to.include.members([
      'Summary: fix_align_alloc_test passed: 0 failed: 1 repeat: 1 loops: 20 avg: N usec',
      'Summary: random_size_align_alloc_test passed: 0 failed: 1 repeat: 1 loops: 20 avg: N usec',
    ]);
    // two cases, each failing its first request twice (first try, retry after the purge)
    expect(r52.notes).to.include('failslab (ignore-gfp-wait: allocations that cannot sleep) armed after boot: 4 vmap_area allocation(s) failed');
    const r61 = run('linux-6.1', 1, words);
    expect(summaries(r61.notes).map(counts)).to.include.members([
      'Summary: fix_align_alloc_test passed: 1 failed: 0 repeat: 1 loops: 20 avg: N usec',
      'Summary: random_size_align_alloc_test passed: 1 failed: 0 repeat: 1 loops: 20 avg: N usec',
    ]);
  });

  it('prints one Summary line per selected case and the worker line, counting pcpu and kvfree_rcu as not modelled (linux-6.1, 1 CPU, 2 loops)', () => {
    const r = run('linux-6.1', 1, ['test_loop_count=2', 'run_test_mask=' + (1 | 8 | 16 | 32 | 64 | 128 | 256 | 512), 'sequential_test_order=true']);
    const lines = summaries(r.notes);
    expect(lines.map(counts)).to.deep.equal([
      'Summary: fix_size_alloc_test passed: 1 failed: 0 repeat: 1 loops: 2 avg: N usec',
      'Summary: random_size_alloc_test passed: 1 failed: 0 repeat: 1 loops: 2 avg: N usec',
      'Summary: fix_align_alloc_test passed: 1 failed: 0 repeat: 1 loops: 2 avg: N usec',
      'Summary: random_size_align_alloc_test passed: 1 failed: 0 repeat: 1 loops: 2 avg: N usec',
      'Summary: align_shift_alloc_test passed: 0 failed: 1 repeat: 1 loops: 2 avg: N usec',
      'Summary: pcpu_alloc_test passed: 0 failed: 0 repeat: 1 loops: 2 avg: N usec [not modelled x1: __alloc_percpu: mm/percpu.c is ported from 6.12 and 7.3 only (kernel/mm/percpu/index.ts); this kernel\'s percpu.c is not]',
      'Summary: kvfree_rcu_1_arg_vmalloc_test passed: 0 failed: 0 repeat: 1 loops: 2 avg: N usec [not modelled x1: kvfree_rcu(): the batching is ported from 7.3\'s mm/slab_common.c only (kernel/mm/slab_common.ts); this kernel\'s kernel/rcu/tree.c text is not]',
      'Summary: kvfree_rcu_2_arg_vmalloc_test passed: 0 failed: 0 repeat: 1 loops: 2 avg: N usec [not modelled x1: kvfree_rcu(): the batching is ported from 7.3\'s mm/slab_common.c only (kernel/mm/slab_common.ts); this kernel\'s kernel/rcu/tree.c text is not]',
      lines[8],
    ]);
    expect(lines[8]).to.match(/^All test took worker0=\d+ cycles$/);
    expect(r.bug).to.equal(undefined);
  });

  /*
   * full_fit_alloc_test keeps fls(num_online_cpus()) * 8,192 one-page areas per
   * worker, twice that before its junk is freed: 10 workers on 2 CPUs want
   * 327,680 pages, more than the 262,144 frames of a 1 GiB machine. (The
   * module does not check the junk allocations, so the case still passes.)
   */
  it('says when the machine runs out of memory under full_fit_alloc_test, and mem_gib gives it room', () => {
    const words = ['run_test_mask=2', 'nr_threads=10', 'test_loop_count=1'];
    const small = run('linux-6.12', 2, [...words, 'mem_gib=1']);
    expect((small.notes ?? []).find((n) => n.startsWith('out of memory: '))).to.match(/^out of memory: \d+ page allocation\(s\) found no free frame in the machine's 1 GiB \(mem_gib=\)/);
    const roomy = run('linux-6.12', 2, [...words, 'mem_gib=2']);
    expect((roomy.notes ?? []).some((n) => n.startsWith('out of memory: '))).to.equal(false);
    expect(summaries(roomy.notes).filter((l) => l.startsWith('Summary: ')).map(counts)).to.deep.equal(Array(10).fill('Summary: full_fit_alloc_test passed: 1 failed: 0 repeat: 1 loops: 1 avg: N usec'));
  });

  it('fails align_shift_alloc_test cleanly on linux-6.1 and repeats it test_repeat_count times', () => {
    const r = run('linux-6.1', 1, ['run_test_mask=64', 'test_repeat_count=3']);
    expect(summaries(r.notes)[0]).to.match(/^Summary: align_shift_alloc_test passed: 0 failed: 3 repeat: 3 loops: 1000 avg: \d+ usec$/);
    expect(r.figures.bugs).to.equal(0);
  });

  it('ends the run on linux-3.18 in the ALIGN()-wrap BUG_ON(va->va_start < vstart), with no Summary printed', () => {
    const r = run('linux-3.18', 1, ['run_test_mask=64']);
    expect(r.bug).to.include({ func: 'alloc_vmap_area', cond: 'va->va_start < vstart', version: 'linux-3.18' });
    expect(r.bug?.oops).to.contain('kernel BUG at mm/vmalloc.c:').and.to.contain('in align_shift_alloc_test');
    expect(summaries(r.notes)).to.deep.equal([]);
    expect(r.notes?.some((n) => n.includes('never prints its summary'))).to.equal(true);
    // one alignment before the allocator-only scenario: the lazily freed 1 << 44 area is still in the tree
    expect(r.bug?.oops).to.contain('align=200000000000');
  });

  it('fails align_shift_alloc_test on linux-2.6.35 and leaves the wrapped area mapped at address 0', () => {
    const r = run('linux-2.6.35', 1, ['run_test_mask=64']);
    expect(summaries(r.notes)[0]).to.match(/^Summary: align_shift_alloc_test passed: 0 failed: 1 /);
    expect(r.notes).to.include('an area of 8192 bytes is mapped at 0, below VMALLOC_START: returned as NULL, so vfree() never frees it');
  });

  it("passes full_fit_alloc_test on linux-6.1 at 1 CPU: 8192 pairs, the 1-page allocations fit the comb's holes", () => {
    const r = run('linux-6.1', 1, ['run_test_mask=2', 'test_loop_count=3']);
    expect(summaries(r.notes)[0]).to.match(/^Summary: full_fit_alloc_test passed: 1 failed: 0 repeat: 1 loops: 3 avg: \d+ usec$/);
    expect(r.figures.allocations).to.equal(2 + 2 * 8192 + 3);
    expect(r.figures.failedAllocations).to.equal(0);
  });

  it('starts one worker per online CPU with the v5.1 text (CPU lines) and ignores nr_threads as the kernel does', () => {
    const r = run('linux-5.2', 2, ['run_test_mask=1', 'test_loop_count=5', 'nr_threads=4']);
    expect(r.notes).to.include("test_vmalloc: unknown parameter 'nr_threads' ignored");
    const lines = summaries(r.notes);
    expect(lines.map(counts)).to.deep.equal([
      'Summary: fix_size_alloc_test passed: 1 failed: 0 repeat: 1 loops: 5 avg: N usec',
      lines[1],
      'Summary: fix_size_alloc_test passed: 1 failed: 0 repeat: 1 loops: 5 avg: N usec',
      lines[3],
    ]);
    expect(lines[1]).to.match(/^All test took CPU0=\d+ cycles$/);
    expect(lines[3]).to.match(/^All test took CPU1=\d+ cycles$/);
    expect(r.figures.allocations).to.equal(10);
  });

  it('starts nr_threads workers from 6.1 on (0 gives one) and ignores single_cpu_test there', () => {
    const three = run('linux-6.1', 2, ['run_test_mask=1', 'test_loop_count=2', 'nr_threads=3', 'single_cpu_test=true']);
    expect(three.notes).to.include("test_vmalloc: unknown parameter 'single_cpu_test' ignored");
    expect(summaries(three.notes).filter((l) => l.startsWith('All test took worker'))).to.have.length(3);
    const one = run('linux-6.1', 2, ['run_test_mask=1', 'test_loop_count=2']);
    expect(summaries(one.notes).filter((l) => l.startsWith('All test took'))).to.have.length(1);
  });

  it('maps and unmaps nr_pages pages with vm_map_ram_test on linux-6.12', () => {
    const r = run('linux-6.12', 1, ['run_test_mask=1024', 'test_loop_count=20', 'nr_pages=4']);
    expect(summaries(r.notes)[0]).to.match(/^Summary: vm_map_ram_test passed: 1 failed: 0 repeat: 1 loops: 20 avg: \d+ usec$/);
    expect(r.figures.allocations).to.equal(20);
  });

  it('gives the same output for the same seed and shuffles differently for another', () => {
    const words = ['run_test_mask=' + (8 | 32), 'test_loop_count=30'];
    const a = runMatrix(testVmalloc, { kernels: ['linux-6.1'], cpus: [2], seed: 5, params: parseParams('test_vmalloc', testVmalloc.params, [...words, 'nr_threads=2']) });
    const b = runMatrix(testVmalloc, { kernels: ['linux-6.1'], cpus: [2], seed: 5, params: parseParams('test_vmalloc', testVmalloc.params, [...words, 'nr_threads=2']) });
    expect(JSON.stringify(toJson(a))).to.equal(JSON.stringify(toJson(b)));
    const c = runMatrix(testVmalloc, { kernels: ['linux-6.1'], cpus: [2], seed: 6, params: parseParams('test_vmalloc', testVmalloc.params, [...words, 'nr_threads=2']) });
    expect(JSON.stringify(toJson(c))).to.not.equal(JSON.stringify(toJson(a)));
  });

  it('rejects a bad parameter with one line naming it and the accepted values', () => {
    expect(() => parseParams('test_vmalloc', testVmalloc.params, ['nr_threads=70000'])).to.throw(ParamError, 'test_vmalloc: parameter nr_threads=70000: expected a whole number from 0 to 65535');
    expect(() => parseParams('test_vmalloc', testVmalloc.params, ['sequential_test_order=yes'])).to.throw(ParamError, 'expected true or false');
  });
});

describe('the test_vmalloc scenario: kvfree_rcu cases on 6.12', () => {
  /*
   * 6.12's kvfree_rcu batching (kernel/rcu/tree.c) is 7.3's text for
   * vmalloc'd objects: both cases pass, and every object is vfree'd by the
   * batching after a grace period.
   */
  it('passes both kvfree_rcu cases on linux-6.12 and frees every object after a grace period', () => {
    const r = run('linux-6.12', 2, ['run_test_mask=768', 'test_loop_count=5', 'sequential_test_order=true']);
    const lines = summaries(r.notes).map(counts);
    expect(lines.slice(0, 2)).to.deep.equal([
      'Summary: kvfree_rcu_1_arg_vmalloc_test passed: 1 failed: 0 repeat: 1 loops: 5 avg: N usec',
      'Summary: kvfree_rcu_2_arg_vmalloc_test passed: 1 failed: 0 repeat: 1 loops: 5 avg: N usec',
    ]);
    expect(r.notes?.find((n) => n.startsWith('kvfree_rcu:'))).to.match(/^kvfree_rcu: 10 objects vfree'd by the batching after [1-9]\d* RCU grace periods \(0 inline after synchronize_rcu\), 0 still queued$/);
  });
});
