// SPDX-License-Identifier: GPL-2.0-only
/* The built-in scenarios of `vmapsim run`, by name. */

import { Scenario } from '../run/scenario';
import { alignShift } from './align-shift';
import { exactRangeAlign } from './exact-range-align';
import { fragmentedVmapBlocks } from './fragmented-vmap-blocks';
import { neSplitFailslab } from './ne-split-failslab';
import { pcpuSpuriousFailure } from './pcpu-spurious-failure';
import { purgeLockHold } from './purge-lock-hold';
import { gfs2VmallocLoop } from './gfs2-vmalloc-loop';
import { hughIoremapBug } from './hugh-ioremap-bug';
import { kdumpVmcoreCopy } from './kdump-vmcore-copy';
import { kvmDirtyLog } from './kvm-dirty-log';
import { lazyPurgeListScan } from './lazy-purge-list-scan';
import { staleTlbFaultInjection } from './stale-tlb-fault-injection';
import { staleTlbReadAfterVfree } from './stale-tlb-read-after-vfree';
import { staleTlbVmUnmapAliases } from './stale-tlb-vm-unmap-aliases';
import { testVmalloc } from './test-vmalloc';
import { vmallocLoop } from './vmalloc-loop';
import { vmMapRamExhaustion } from './vm-map-ram-exhaustion';
import { vmMapRamGuardGap } from './vm-map-ram-guard-gap';
import { workload } from './workload';
import { poolDecay } from './pool-decay';
import { nowaitVmalloc } from './nowait-vmalloc';
import { vreallocInPlace } from './vrealloc-in-place';

export const SCENARIOS: readonly Scenario[] = [gfs2VmallocLoop, hughIoremapBug, alignShift, exactRangeAlign, workload, testVmalloc, vmallocLoop, kvmDirtyLog, staleTlbReadAfterVfree, staleTlbVmUnmapAliases, staleTlbFaultInjection, vmMapRamGuardGap, lazyPurgeListScan, kdumpVmcoreCopy, vmMapRamExhaustion, neSplitFailslab, purgeLockHold, fragmentedVmapBlocks, pcpuSpuriousFailure, poolDecay, nowaitVmalloc, vreallocInPlace];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}
