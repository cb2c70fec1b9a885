// SPDX-License-Identifier: GPL-2.0-only
/**
 * The cycle cost model: one number per modelled event, each with the source it comes
 * from (docs/reference/x86-tlb.md §4 and §6, which cite the original measurements).
 * The table can be overridden from a JSON object `{ "invlpg": 900, ... }`; unknown keys
 * and bad values are rejected with one sentence.
 */

import { readFileSync } from 'fs';

/** One cost: cycles, what it is charged for, and where the number comes from. */
export interface CostSpec {
  readonly cycles: number;
  readonly description: string;
  readonly source: string;
}

/** Where pageAlloc, pageFree, pteWrite and pteClear come from: one fit for the four. */
const PAGE_COSTS_FIT = 'concurrency.md §Path costs, "Fitted on the one-CPU test_vmalloc figures": the four page costs scaled together (0.4425 of the earlier estimates, 247 cycles a page allocated, mapped, unmapped and freed) by the same least squares as apiCall';

/** Every cost the machine charges, with its default and source. */
export const COST_SPECS = {
  tlbHit: {
    cycles: 0,
    description: 'a translation that hits the L1 dTLB',
    source: 'x86-tlb.md §4.1: "TLB hit: 0 (folded into the load)"',
  },
  stlbHit: {
    cycles: 10,
    description: 'a translation that misses L1 and hits the second-level TLB',
    source: 'x86-tlb.md §6 "STLB hit ≈ 10"; PC Watch Haswell: 12 (IvB 11)',
  },
  tlbMiss: {
    cycles: 20,
    description: 'a translation that misses both TLB levels (before the walk reads any entry)',
    source: 'x86-tlb.md §4.1/§6: walk hitting the paging-structure caches ≈ 20–30; PC Watch: STLB miss ≈ +20',
  },
  walkLevel: {
    cycles: 14,
    description: 'each paging-structure entry the walker reads (or writes back A/D)',
    source: 'x86-tlb.md §4.1: one memory access per level at the cache level where the table lives, L2 ≈ 14',
  },
  invlpg: {
    cycles: 250,
    description: 'one INVLPG',
    source: 'x86-tlb.md §4: Ingo Molnar 2015, 260 cycles; 237 hot / 883 cold; §6 "≈ 250 hot"',
  },
  cr3Write: {
    cycles: 100,
    description: 'one MOV to CR3 (with or without its flush)',
    source: 'x86-tlb.md §4: Ingo Molnar 2015, 96 cycles (251 hot / 366 cold on another part); §6 100–250',
  },
  cr4Write: {
    cycles: 375,
    description: 'one MOV to CR4 (a PGE toggle is two writes)',
    source: 'x86-tlb.md §4: CR4.PGE toggle pair 746 hot / 1,795 cold (Ingo Molnar 2015), halved per write',
  },
  invpcidAddress: {
    cycles: 250,
    description: 'one INVPCID type 0 (individual address)',
    source: 'x86-tlb.md §4.1: "INVPCID single-address: same as INVLPG"',
  },
  invpcidContext: {
    cycles: 100,
    description: 'one INVPCID type 1, 2 or 3 (context or all-context)',
    source: 'x86-tlb.md §4.1: "INVPCID all-context: assume ≈ CR3 cost" [M]',
  },
  invlpgb: {
    cycles: 40,
    description: 'one INVLPGB issued (the broadcast itself costs the receivers nothing)',
    source: 'x86-tlb.md §4.1: "INVLPGB: issue ~tens of cycles per instruction" [L]',
  },
  tlbsync: {
    cycles: 1200,
    description: 'one TLBSYNC (waits for the slowest CPU to finish the broadcasts)',
    source: 'x86-tlb.md §4.1: "≈ IPI-delivery latency without handler/interrupt costs" [L]',
  },
  csdEnqueue: {
    cycles: 75,
    description: 'queueing one call-function request for a target CPU (csd_lock + llist_add)',
    source: 'x86-tlb.md §4.1: "csd_lock + llist_add (~50–100, cache-line ping-pong)"',
  },
  ipiSend: {
    cycles: 100,
    description: 'sending one IPI to one target (one ICR write)',
    source: 'x86-tlb.md §4.1: "one ICR write (~30–100)"; per-target total 150–300 with csdEnqueue',
  },
  ipiDelivery: {
    cycles: 1200,
    description: 'IPI latency from send to handler entry, charged to a sender that waits',
    source: 'x86-tlb.md §4.1: "IPI one-way delivery to handler entry: 1,000–1,500 same socket" [M/L]',
  },
  irqEntry: {
    cycles: 400,
    description: 'interrupt entry and exit on the target CPU, per interrupt handled',
    source: 'x86-tlb.md §4.1: "entry/exit (~300–600, more with PTI/IBRS)"',
  },
  ackWait: {
    cycles: 200,
    description: 'the final ACK cache-line transfer back to a sender that waits',
    source: 'x86-tlb.md §4.1: "ACK = one cache-line transfer back (~100–200 same socket)"',
  },
  /* The rest of the kernel path (timed mode and every cost figure): estimates, marked [E], or fitted where the source says so. */
  apiCall: {
    cycles: 545,
    description: 'fixed work of one vmalloc-family call besides the allocator search, page allocation and PTEs (vm_struct and page-array kmalloc/kfree, bookkeeping)',
    source: 'concurrency.md §Path costs, "Fitted on the one-CPU test_vmalloc figures": least squares over the published cycles of fix_size, full_fit, long_busy_list and random_size in the v5.1 RFC run (Uladzislau Rezki, linux-mm, index id 23182348597); his pc638 run (id 18656630050) checks it',
  },
  areaTouch: {
    cycles: 14.9,
    description: 'one vmap_area the allocator looks at (an rb_entry()/list_entry() evaluation: a pointer chase)',
    source: "concurrency.md §Path costs: the kernel's own alloc_vmap_area (2.6.35, gcc -O2) on bench-lazy-churn, 4.96 ns per area touched, 14.9 cycles at 3 GHz",
  },
  coldArea: {
    cycles: 250,
    description: 'each lazily freed vmap_area a purge takes: its line was last touched when the area was freed, up to a purge period before, and is read again from memory (charged where each version\'s purge first walks its list)',
    source: 'x86-tlb.md §4.1: one access that misses to DRAM ≈ 200–300 cycles; docs/concurrency.md §Cold areas. Not multiplied by the emulation in qemu-tcg: the miss is the host\'s',
  },
  pageAlloc: {
    cycles: 133,
    description: 'alloc_page() from the per-CPU free lists',
    source: PAGE_COSTS_FIT,
  },
  pageFree: {
    cycles: 88,
    description: '__free_page() to the per-CPU free lists',
    source: PAGE_COSTS_FIT,
  },
  pageZero: {
    cycles: 400,
    description: 'zeroing one 4 KiB page (clear_page with REP STOSB)',
    source: 'concurrency.md §Path costs [E]: 4 KiB at 16-32 bytes a cycle hot, more from DRAM',
  },
  pteWrite: {
    cycles: 13,
    description: 'one PTE set by vmap_pte_range (or an ioremap PTE)',
    source: PAGE_COSTS_FIT,
  },
  pteClear: {
    cycles: 13,
    description: 'one PTE cleared by vunmap_pte_range (ptep_get_and_clear)',
    source: PAGE_COSTS_FIT,
  },
  lockAcquire: {
    cycles: 20,
    description: 'an uncontended spin_lock/spin_unlock or mutex_lock/mutex_unlock pair (timed mode)',
    source: 'concurrency.md §Path costs [E]: one locked cmpxchg on a line this CPU owns, about 20 cycles',
  },
  remoteTouch: {
    cycles: 150,
    description: 'one vmap_area touched under a spinlock taken over from another CPU: its line was last written there and moves to this cache (replaces areaTouch; timed mode)',
    source: 'x86-tlb.md §4.1: a cache-line transfer between cores of one socket 100-200 cycles (the ACK figure); the first 9 areas a taken-over hold touches are taken as written there, a count fitted on a real 64-CPU lock_stat (docs/concurrency.md §Cache lines under a lock, §lock_stat)',
  },
  lockHandoff: {
    cycles: 150,
    description: 'taking a lock another CPU released last (the lock line moves between caches; timed mode)',
    source: 'x86-tlb.md §4.1: a cache-line transfer between cores 100-200 cycles (the ACK figure)',
  },
  wakeup: {
    cycles: 3000,
    description: 'from queueing work for an idle CPU to its kworker running (try_to_wake_up, the reschedule IPI, the idle exit; timed mode)',
    source: 'concurrency.md §Path costs [E]: a remote wake-up of 1-2 us on hardware',
  },
  migrate: {
    cycles: 30000,
    description: 'moving a task to an idle CPU once idle balancing picks it (timed mode)',
    source: 'concurrency.md §Path costs [E]: a runqueue lock pair and the switch-in on the idle CPU, about 10 us',
  },
  schedTick: {
    cycles: 12000000,
    description: 'the scheduler tick period; idle balancing pulls a preempted task at a tick (timed mode)',
    source: 'concurrency.md §Path costs: Debian kernels have CONFIG_HZ_250, 4 ms, at 3 GHz',
  },
  hostCores: {
    cycles: 0,
    description: 'not cycles: the host cores that run the vCPU threads (0: one for each vCPU, no sharing; timed mode); its cycle bucket holds the time a vCPU waited for a host core',
    source: 'concurrency.md §Path costs, "Host cores": hardware runs every CPU on its own core; qemu-tcg fitted on the public loop times',
  },
  hostLatency: {
    cycles: 0,
    description: "the host scheduler's period over the vCPU threads (CFS sched_latency): with R runnable vCPUs on hostCores H < R, each runs in turns of hostLatency x H / R, no shorter than hostMinSlice (0: even sharing, no turns; timed mode)",
    source: 'concurrency.md §Path costs, "Host turns": CFS sysctl_sched_latency 6 ms scaled by 1 + ilog2(2 host CPUs) = 12 ms (kernel/sched/fair.c, SCHED_TUNABLESCALING_LOG); 36M cycles at 3 GHz; 0 on hardware',
  },
  hostMinSlice: {
    cycles: 0,
    description: 'the shortest host turn of a vCPU thread (CFS sched_min_granularity; timed mode)',
    source: 'concurrency.md §Path costs, "Host turns": CFS sysctl_sched_min_granularity 0.75 ms scaled by 1 + ilog2(2) = 1.5 ms (kernel/sched/fair.c); 4.5M cycles at 3 GHz; 0 on hardware',
  },
  hypervisor: {
    cycles: 0,
    description: 'not cycles: 1 when the CPUs report the CPUID hypervisor bit (X86_FEATURE_HYPERVISOR), so native_pv_lock_init() leaves virt_spin_lock_key on and spinlocks are test-and-set (virt_spin_lock); 0 on hardware',
    source: 'concurrency.md §Path costs, "Test-and-set spinlocks under a hypervisor": arch/x86/kernel/paravirt.c native_pv_lock_init() and arch/x86/include/asm/qspinlock.h virt_spin_lock() (6.1 and 6.12, docs/sources.md); QEMU x86_cpu_load_model() sets CPUID_EXT_HYPERVISOR for every built-in model',
  },
} as const satisfies Record<string, CostSpec>;

/** Name of one cost. */
export type CostKey = keyof typeof COST_SPECS;

/** Cycles per event, one number per cost. */
export type CostTable = { readonly [K in CostKey]: number };

/** All cost names, in declaration order. */
export const COST_KEYS: readonly CostKey[] = Object.freeze(Object.keys(COST_SPECS) as CostKey[]);

/** The default cost table. */
export const DEFAULT_COSTS: CostTable = Object.freeze(
  Object.fromEntries(COST_KEYS.map((k) => [k, COST_SPECS[k].cycles])) as { [K in CostKey]: number },
);

/** Index of each cost in a cost vector (and in the per-CPU cycle buckets). */
export const COST_INDEX: { readonly [K in CostKey]: number } = Object.freeze(
  Object.fromEntries(COST_KEYS.map((k, i) => [k, i])) as { [K in CostKey]: number },
);

/** A cost that is not in the table or not a non-negative finite number. */
export class CostTableError extends Error {
  override readonly name = 'CostTableError';
}

/**
 * Check `json` (a parsed JSON value) as a partial cost table and merge it over `base`.
 * `origin` names where it came from, for the error sentence.
 */
export function parseCostTable(json: unknown, origin: string, base: CostTable = DEFAULT_COSTS): CostTable {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CostTableError(`${origin} must hold a JSON object mapping cost names to cycles.`);
  }
  const out: { [K in CostKey]: number } = { ...base };
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(COST_SPECS, key)) {
      throw new CostTableError(
        `${origin} names an unknown cost "${key}"; the known costs are ${COST_KEYS.join(', ')}.`,
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CostTableError(
        `${origin}: cost "${key}" must be a non-negative number of cycles, got ${JSON.stringify(value)}.`,
      );
    }
    out[key as CostKey] = value;
  }
  return Object.freeze(out);
}

/** Read a JSON cost-table override from `path` and merge it over `base` (see parseCostTable). */
export function loadCostTable(path: string, base: CostTable = DEFAULT_COSTS): CostTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CostTableError(`cannot read cost table ${path}: ${(e as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CostTableError(`cost table ${path} is not valid JSON: ${(e as Error).message}.`);
  }
  return parseCostTable(json, `cost table ${path}`, base);
}

/** The table as a vector indexed by COST_INDEX (hot-path form). */
export function costVector(table: CostTable): Float64Array {
  return Float64Array.from(COST_KEYS, (k) => table[k]);
}

/** A named cost profile: a full table and where its numbers come from. */
export interface CostProfile {
  readonly name: string;
  readonly description: string;
  readonly costs: CostTable;
}

/*
 * qemu-tcg: the machine the public real-kernel figures were measured on
 * (QEMU's software CPU emulation, qemu64), fitted on those public figures
 * only (docs/concurrency.md, "The qemu-tcg profile"): TCG runs the guest's
 * instructions TCG_SLOWDOWN times slower than hardware, and everything that
 * crosses vCPUs (an IPI, a wake-up, a task pulled by idle balancing) waits
 * for another host thread to notice, which costs tens of microseconds.
 */
const TCG_SLOWDOWN = 7;
/*
 * The kernel-path estimates (hardware cycles) that the qemu-tcg fit was made
 * with. The hardware profile's own figures were later fitted on the one-CPU
 * test_vmalloc cycles of real machines; qemu-tcg keeps these, because its
 * loop times, not those machines, fix what a call costs under emulation.
 */
const TCG_PATH = { apiCall: 1500, pageAlloc: 300, pageFree: 200, pteWrite: 30, pteClear: 30 } as const;
/*
 * The host ran the vCPU threads on about two cores: workload i's aggregate
 * throughput (N x 25,000 iterations over the loop time) is 65.8k/s at one
 * CPU and 125k/s at two, and never more than that at four or eight
 * (docs/concurrency.md, "Host cores").
 */
const TCG_HOST_CORES = 2;
/*
 * The host's CFS defaults (kernel/sched/fair.c): sysctl_sched_latency 6 ms
 * and sysctl_sched_min_granularity 0.75 ms, each scaled by
 * 1 + ilog2(online CPUs) (SCHED_TUNABLESCALING_LOG, the default) for the
 * two host cores: 12 ms and 1.5 ms, at 3 GHz. Not fitted
 * (docs/concurrency.md, "Host turns").
 */
const TCG_HOST_LATENCY = 12e-3 * 3e9;
const TCG_HOST_MIN_SLICE = 1.5e-3 * 3e9;
const TCG_COSTS: CostTable = Object.freeze({
  ...(Object.fromEntries(COST_KEYS.map((k) => [k, DEFAULT_COSTS[k] * TCG_SLOWDOWN])) as { [K in CostKey]: number }),
  // The path costs this profile was fitted with (the public loop times of
  // workloads a and i fix them): the hardware estimates before their own fit
  // on the one-CPU test_vmalloc figures, times the slowdown
  // (docs/concurrency.md, "Fitted on the one-CPU test_vmalloc figures").
  ...(Object.fromEntries(Object.entries(TCG_PATH).map(([k, v]) => [k, v * TCG_SLOWDOWN])) as { [K in keyof typeof TCG_PATH]: number }),
  ipiDelivery: 120000,
  ackWait: 6000,
  wakeup: 60000,
  migrate: 150000,
  schedTick: DEFAULT_COSTS.schedTick,
  hostCores: TCG_HOST_CORES,
  // QEMU sets the CPUID hypervisor bit for its guests, so the guest's
  // spinlocks are test-and-set (virt_spin_lock); the host's CFS gives the
  // vCPU threads turns (docs/concurrency.md, "Host turns").
  hypervisor: 1,
  hostLatency: TCG_HOST_LATENCY,
  hostMinSlice: TCG_HOST_MIN_SLICE,
  // No line transfer on top of the emulated touch: the host time-shared
  // fewer cores than the guest had vCPUs (docs/concurrency.md, workload i),
  // so the vCPU that takes a lock over often runs on the core that wrote
  // the data, and a host transfer (~150 cycles) is small beside the 7x
  // emulated touch. With the transfer added, linux-6.12 i at 2 CPUs leaves
  // the fit (21 purges against the real 28).
  remoteTouch: DEFAULT_COSTS.areaTouch * TCG_SLOWDOWN,
  // A purged area's line comes from the host's memory: the emulation adds
  // its per-access work to the touch (areaTouch), not to the miss. 230
  // cycles (77 ns at 3 GHz) is inside the DRAM range of the hardware figure,
  // fitted on the public purge counts (docs/concurrency.md, "Cold areas").
  coldArea: 230,
});

/** The built-in profiles, by name. */
export const COST_PROFILES: readonly CostProfile[] = [
  { name: 'hardware', description: 'a recent x86-64 server part, each figure sourced (the default)', costs: DEFAULT_COSTS },
  { name: 'qemu-tcg', description: 'QEMU software emulation (qemu64), as the real-kernel figures were measured; fitted, docs/concurrency.md', costs: TCG_COSTS },
];

/**
 * `--costs NAME|FILE`: a built-in profile by name, or a JSON file. A file
 * names every cost, or names a profile to start from as `"base": NAME` and
 * overrides some; a missing, unknown or negative field is a CostTableError.
 */
export function resolveCostProfile(spec: string): CostTable {
  const named = COST_PROFILES.find((p) => p.name === spec);
  if (named) return named.costs;
  if (!/[/\\]|\.json$/.test(spec)) {
    throw new CostTableError(`unknown cost profile "${spec}" (known: ${COST_PROFILES.map((p) => p.name).join(', ')}; or a JSON file)`);
  }
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (e) {
    throw new CostTableError(`cannot read cost file ${spec}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CostTableError(`cost file ${spec} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CostTableError(`cost file ${spec} must hold a JSON object`);
  const { base, ...rest } = json as Record<string, unknown>;
  let start: CostTable | null = null;
  if (base !== undefined) {
    const p = COST_PROFILES.find((x) => x.name === base);
    if (!p) throw new CostTableError(`cost file ${spec}: field "base" names no profile (known: ${COST_PROFILES.map((x) => x.name).join(', ')})`);
    start = p.costs;
  } else {
    const missing = COST_KEYS.find((k) => !(k in rest));
    if (missing) throw new CostTableError(`cost file ${spec}: field "${missing}" is missing (name every cost, or start from a profile with "base")`);
  }
  return parseCostTable(rest, `cost file ${spec}`, start ?? DEFAULT_COSTS);
}
