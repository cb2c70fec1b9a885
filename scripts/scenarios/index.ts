// SPDX-License-Identifier: GPL-2.0-only
/* The built-in scenarios of `vmapsim run`, by name. */

import type { Scenario } from '../run/scenario.js';
import { alignShift } from './align-shift.js';
import { exactRangeAlign } from './exact-range-align.js';
import { fragmentedVmapBlocks } from './fragmented-vmap-blocks.js';
import { neSplitFailslab } from './ne-split-failslab.js';
import { pcpuSpuriousFailure } from './pcpu-spurious-failure.js';
import { purgeLockHold } from './purge-lock-hold.js';
import { gfs2VmallocLoop } from './gfs2-vmalloc-loop.js';
import { hughIoremapBug } from './hugh-ioremap-bug.js';
import { kdumpVmcoreCopy } from './kdump-vmcore-copy.js';
import { kvmDirtyLog } from './kvm-dirty-log.js';
import { lazyPurgeListScan } from './lazy-purge-list-scan.js';
import { staleTlbFaultInjection } from './stale-tlb-fault-injection.js';
import { staleTlbReadAfterVfree } from './stale-tlb-read-after-vfree.js';
import { staleTlbVmUnmapAliases } from './stale-tlb-vm-unmap-aliases.js';
import { testVmalloc } from './test-vmalloc.js';
import { vmallocLoop } from './vmalloc-loop.js';
import { vmMapRamExhaustion } from './vm-map-ram-exhaustion.js';
import { vmMapRamGuardGap } from './vm-map-ram-guard-gap.js';
import { workload } from './workload.js';
import { poolDecay } from './pool-decay.js';
import { nowaitVmalloc } from './nowait-vmalloc.js';
import { vreallocInPlace } from './vrealloc-in-place.js';

export const SCENARIOS: readonly Scenario[] = [gfs2VmallocLoop, hughIoremapBug, alignShift, exactRangeAlign, workload, testVmalloc, vmallocLoop, kvmDirtyLog, staleTlbReadAfterVfree, staleTlbVmUnmapAliases, staleTlbFaultInjection, vmMapRamGuardGap, lazyPurgeListScan, kdumpVmcoreCopy, vmMapRamExhaustion, neSplitFailslab, purgeLockHold, fragmentedVmapBlocks, pcpuSpuriousFailure, poolDecay, nowaitVmalloc, vreallocInPlace];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}
