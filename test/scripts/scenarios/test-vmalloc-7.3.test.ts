// SPDX-License-Identifier: GPL-2.0-only
/* The test_vmalloc scenario with 7.3's module text (lib/test_vmalloc.c of 7.3.4). */
import { expect } from 'chai';
import { parseParams } from '../../../scripts/run/params.js';
import { runMatrix } from '../../../scripts/run/runner.js';
import type { Params } from '../../../scripts/run/scenario.js';
import { testVmalloc } from '../../../scripts/scenarios/test-vmalloc.js';

const run = (kernel: string, cpus: number, words: string[], seed = 1) => {
  const params: Params = parseParams(testVmalloc.name, testVmalloc.params, ['boot=false', ...words]);
  return runMatrix(testVmalloc, { kernels: [kernel], cpus: [cpus], seed, params }).cells[0]!.result;
};
const summaries = (notes: readonly string[] = []) => notes.filter((n) => n.startsWith('Summary: '));

describe('the test_vmalloc scenario, 7.3 module text', () => {
  /*
   * Three threads on two CPUs, long_busy_list and align_shift (full_fit
   * too, before the catch-up's stack floor made that run miss the nesting):
   * a thread's failed align_shift allocations purge under vmap_purge_lock
   * (reclaim_and_purge_vmap_areas) while a kworker's drain work takes it in
   * a catch-up above. That run used to end in a TypeError in
   * __purge_vmap_area_lazy (two purges on one list); it now runs again with
   * vmap_purge_lock atomic and says so.
   */
  it('runs threads that purge under vmap_purge_lock beside the drain work to the end, with the mutex atomic and the note saying why', () => {
    const r = run('linux-7.3', 2, ['run_test_mask=68', 'test_loop_count=10', 'nr_threads=3', 'sequential_test_order=true']);
    const s = summaries(r.notes);
    expect(s).to.have.length(6);
    expect(s.filter((l) => l.startsWith('Summary: align_shift_alloc_test passed: 0 failed: 0 xfailed: 1 '))).to.have.length(3);
    expect(s.filter((l) => l.startsWith('Summary: long_busy_list_alloc_test passed: 1 failed: 0 xfailed: 0 '))).to.have.length(3);
    const model = (r.notes ?? []).filter((n) => n.startsWith('lock model: '));
    expect(model).to.have.length(1);
    expect(model[0]).to.match(/^lock model: mutex vmap_purge_lock ran atomic \(no other CPU runs while it is held\): in a first run \S+ on CPU \d takes mutex vmap_purge_lock, held by \S+ on CPU \d, suspended below it/);
  });

  /*
   * align_shift_alloc_test asks for alignments up to 1 << 63, which no
   * vmalloc range can give: -1, which 7.3 counts as xfailed (6.12: failed).
   */
  it('counts align_shift_alloc_test as xfailed, with the xfailed field in the Summary line', () => {
    const r = run('linux-7.3', 1, ['run_test_mask=64', 'test_loop_count=1']);
    expect(summaries(r.notes)).to.have.length(1);
    expect(summaries(r.notes)[0]).to.match(/^Summary: align_shift_alloc_test passed: 0 failed: 0 xfailed: 1 repeat: 1 loops: 1 avg: \d+ usec$/);
    const old = run('linux-6.12', 1, ['run_test_mask=64', 'test_loop_count=1']);
    expect(summaries(old.notes)[0]).to.match(/^Summary: align_shift_alloc_test passed: 0 failed: 1 repeat: 1 loops: 1 avg: \d+ usec$/);
  });

  /*
   * no_block_alloc_test in an empty vmalloc space: every GFP_ATOMIC or
   * GFP_NOWAIT __vmalloc of one page fits: passed, 20 allocations.
   */
  it('passes no_block_alloc_test in an empty space', () => {
    const r = run('linux-7.3', 1, ['run_test_mask=2048', 'test_loop_count=20']);
    expect(summaries(r.notes)[0]).to.match(/^Summary: no_block_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 20 avg: \d+ usec$/);
    expect([r.figures.allocations, r.figures.failedAllocations]).to.deep.equal([20, 0]);
  });

  /*
   * vrealloc_test, 10 loops on 2 CPUs (no INVLPGB): each loop is vrealloc
   * NULL -> 1 page (a new area), -> 4 pages (a new area, the old one freed
   * lazily), -> 1 page (3 tail pages freed and unmapped with an immediate
   * flush_tlb_kernel_range: one IPI to the other CPU), -> half a page and
   * back to one page (in place), vfree. Five vrealloc calls per loop are
   * counted as allocations: 50. Lazily freed: 2 + 5 pages per loop, 70 in
   * all, far below lazy_max_pages(): no purge, so the 10 IPIs are the
   * shrinks' own.
   */
  it('passes vrealloc_test; each loop\'s shrink across a page boundary flushes at once (one IPI at 2 CPUs)', () => {
    const r = run('linux-7.3', 2, ['run_test_mask=4096', 'test_loop_count=10']);
    expect(summaries(r.notes)[0]).to.match(/^Summary: vrealloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 10 avg: \d+ usec$/);
    expect(r.figures.allocations).to.equal(50);
    expect(r.figures.purges).to.equal(0);
    expect(r.figures.ipisSent).to.equal(10);
  });
});

describe('the test_vmalloc scenario, 7.3 module text: every case modelled', () => {
  /*
   * All 13 cases of 7.3's module with two workers, at 1, 2 and 4 CPUs (few
   * loops and 3000 percpu objects, for time; each worker's own shuffled
   * order): a Summary line per case and worker in 7.3's format, each case passed once or (align_shift,
   * expected to fail) xfailed once, none "not modelled".
   */
  for (const cpus of [1, 2, 4]) {
    it(`prints a verdict for all 13 cases and no "not modelled" at ${cpus} CPU(s)`, function () {
      this.timeout(120000);
      const r = run('linux-7.3', cpus, ['run_test_mask=8191', 'test_loop_count=3', 'nr_threads=2', 'nr_pcpu_objects=3000']);
      const lines = summaries(r.notes);
      expect(lines).to.have.length(26);
      expect(lines.join('\n')).to.not.contain('not modelled');
      const verdicts = lines.map((l) => l.replace(/^Summary: (\S+) passed: (\d+) failed: (\d+) xfailed: (\d+) repeat: 1 loops: 3 avg: \d+ usec$/, '$1 $2 $3 $4'));
      const one = [
        'fix_size_alloc_test 1 0 0',
        'full_fit_alloc_test 1 0 0',
        'long_busy_list_alloc_test 1 0 0',
        'random_size_alloc_test 1 0 0',
        'fix_align_alloc_test 1 0 0',
        'random_size_align_alloc_test 1 0 0',
        'align_shift_alloc_test 0 0 1',
        'pcpu_alloc_test 1 0 0',
        'kvfree_rcu_1_arg_vmalloc_test 1 0 0',
        'kvfree_rcu_2_arg_vmalloc_test 1 0 0',
        'vm_map_ram_test 1 0 0',
        'no_block_alloc_test 1 0 0',
        'vrealloc_test 1 0 0',
      ];
      expect(verdicts.slice().sort()).to.deep.equal([...one, ...one].sort());
      expect(r.bug).to.equal(undefined);
      // pcpu_alloc_test's chunks came from pcpu_get_vm_areas, and the kvfree_rcu objects were freed after grace periods
      expect(r.notes?.find((n) => n.startsWith('percpu (mm/percpu.c)'))).to.match(/: [1-9]\d* chunks created \([1-9]\d* pcpu_get_vm_areas calls/);
      expect(r.notes?.find((n) => n.startsWith('kvfree_rcu:'))).to.match(/^kvfree_rcu: 12 objects vfree'd by the batching after [1-9]\d* RCU grace periods \(0 inline after synchronize_rcu\), 0 still queued$/);
    });
  }
});
