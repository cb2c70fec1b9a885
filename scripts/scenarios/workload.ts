// SPDX-License-Identifier: GPL-2.0-only
/*
 * workload: one of the golden traces' workloads (golden/FORMAT.md), drawn
 * live from the same splitmix64 generator, on any version. With the default
 * seeds it issues exactly the operations of the golden traces, so
 * `vmapsim run workload workload=top-of-space` shows the 2.6.x and 3.x
 * versions ending in the ALIGN()-wrap BUG while linux-5.2 and linux-6.1 run
 * the same input to the end.
 */

import { VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';
import type { vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { DEFAULT_NOPS, makeGenerator, WORKLOADS, type WorkloadName } from '../check/workloads.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

export const workload: Scenario = {
  name: 'workload',
  description: "the golden traces' workloads (random-mixed, ioremap-align, tiny-window, top-of-space, lazy-churn, fixed-busy-list, random), generated live on any version",
  params: [
    { name: 'workload', kind: 'enum', default: 'top-of-space', values: WORKLOADS, description: 'which generator (data/golden/FORMAT.md)' },
    { name: 'ops', kind: 'int', default: 0, min: 0, description: 'operations to run (0: the workload default)' },
    { name: 'param', kind: 'int', default: 0, min: 0, description: 'the workload parameter (0: its default)' },
  ],
  run(ctx) {
    const name = ctx.params.workload as WorkloadName;
    const nops = (ctx.params.ops as number) || DEFAULT_NOPS[name];
    const gen = makeGenerator(name, ctx.seed, ctx.params.param as number);
    const s = new AllocSession(ctx.kernel, ctx.cpus, { start: VMALLOC_START_4LEVEL, end: VMALLOC_END_4LEVEL });
    const live: vmap_area_common[] = [];
    let done = 0;
    s.run(() => {
      while (done < nops) {
        const op = gen.next();
        if (op.k === 'a') {
          const va = s.alloc(op.size, op.align, op.vstart, op.vend);
          const ok = typeof va !== 'string';
          if (ok) live.push(va);
          gen.allocated(ok);
        } else if (op.k === 'p') s.purge();
        else {
          if (!live.length) continue;
          const va = live.splice(op.i % live.length, 1)[0]!; // live is not empty
          if (op.k === 'f') s.free(va);
          else s.lazyFree(va);
        }
        done++;
        ctx.progress?.(done, nops);
      }
    });
    return s.result([`${name}, seed ${ctx.seed}: ${done} operations${s.bug ? ', ended by a kernel BUG' : ' completed'}`]);
  },
};
