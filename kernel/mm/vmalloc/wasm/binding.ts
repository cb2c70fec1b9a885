// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one boundary between TypeScript and a wasm allocator core
 * (kernel/mm/vmalloc/as/, docs/wasm.md): operations in, results and
 * counters out.
 *
 * WasmCore is the typed binding: it instantiates a version's module with
 * the environment's hooks as imports, passes u64 values as u32 halves,
 * reads the touch counter and the allocator's lists through exports, and
 * turns the core's BUG_ON into a KernelBug carrying the version, function,
 * line (the manifest's line table, as for the TypeScript ports) and
 * condition. The core's state stays in linear memory after a BUG, so the
 * oops report can still print it (snapshot()).
 *
 * wasm_allocator is that binding as a VmapAllocator, what the registry
 * hands out for `<version>@wasm` (kernel/manifest/index.ts), so that the
 * golden replay and the tests drive the core as they drive a port;
 * eras.ts gives it each API era's allocator interface (vmapsim run), and
 * batch.ts queues operations for one crossing per batch.
 */

import { KernelBug } from '../../../include/asm-generic/bug.js';
import { ERR_PTR, IS_ERR_VALUE } from '../../../include/linux/errno.js';
import { fromBigInt, hex, toBigInt, type ulong } from '../../../include/u64.js';
import { type AllocatorSnapshot, type AreaView, GFP_KERNEL, NOOP_HOOK, NUMA_NO_NODE, type VmallocEnv, type VmapAllocator, type vmap_area_common } from '../common.js';
import { type allocator_id, bug_line } from '../shims/customised.js';
import { acquireInstance, type InstanceSlot, type PooledInstance, releaseInstance } from './pool.js';

/* The core's hook bits (kernel/mm/vmalloc/as/shims.ts). */
const HOOK_VUNMAP_PAGE_RANGE = 1 << 0;
const HOOK_FLUSH_CACHE_VUNMAP = 1 << 1;
const HOOK_PURGE_FRAGMENTED = 1 << 2;
const HOOK_SHOULD_FAILSLAB = 1 << 3;
const HOOK_LOCKS = 1 << 4;
const HOOK_SCHEDULE_WORK = 1 << 5;
const HOOK_PURGE_RELEASED = 1 << 6;
const HOOK_PURGE_AREA_READ = 1 << 7;
/* The vmap-node cores' bits (kernel/mm/vmalloc/as/smp.ts). */
const HOOK_SMP_PROCESSOR_ID = 1 << 16;
const HOOK_WORK_ON = 1 << 17;
const HOOK_TRACE = 1 << 18;

/** The lists a core shows for snapshots (list_first/list_next). */
export const LIST_BUSY = 0;
export const LIST_PURGE = 1;
export const LIST_FREE = 2;
/** 5.2's vmap_purge_list (an llist of areas still in the busy list). */
export const LIST_LLIST = 3;

/*
 * The few WebAssembly JS API types used here (the project's lib is ES2022
 * without DOM, which is where TypeScript declares them).
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmGlobal {
  readonly value: unknown;
}

interface CoreExports {
  memory: WasmMemory;
  OFFSETOF_VA_START: WasmGlobal;
  OFFSETOF_VA_END: WasmGlobal;
  init(ncpu: number, hooks: number, sLo: number, sHi: number, eLo: number, eHi: number): void;
  op_alloc(sLo: number, sHi: number, aLo: number, aHi: number, vsLo: number, vsHi: number, veLo: number, veHi: number, node: number, gfp: number): number;
  op_find(lo: number, hi: number): number;
  op_free(va: number): void;
  op_free_lazy(va: number): void;
  op_purge(): void;
  get_touches(): number;
  get_alloc_touches(): number;
  put_touches(t: number): void;
  get_lazy_nr(): number;
  get_lazy_max_pages(): number;
  list_first(which: number): number;
  list_next(which: number, va: number): number;
  area_lazy(va: number): number;
  run_work?(work: number): void;
  scratch_alloc(bytes: number): number;
  /* The vmap-node cores only (linux-6.12.exports.ts). */
  op_vm_unmap_aliases?(): void;
  op_shrink?(): number;
  set_cpu?(cpu: number): void;
  get_nr_vmap_nodes?(): number;
  pool_len?(node: number, pages: number): number;
  run_stream(code: number, arg: number, vals: number, live: number, n: number): number;
  /* What the API layers call (docs/wasm.md, "The API layer over a core"); a core without them runs no API layer. */
  OFFSETOF_VA_FLAGS?: WasmGlobal;
  OFFSETOF_VA_VM?: WasmGlobal;
  SIZEOF_VA_VM?: WasmGlobal;
  PURGE_RANGE?: WasmGlobal;
  op_free_noflush?(va: number): void;
  op_set_iounmap_nonlazy?(): void;
  op_purge_range?(sLo: number, sHi: number, eLo: number, eHi: number, sync: number, force: number): number;
  /* The free-list part of the golden state line in one call (free-tree cores). */
  FREE_STATE?: WasmGlobal;
  free_state?(): void;
  /* pcpu_get_vm_areas, the 6.1 core's exceed lookup and seeding (docs/wasm.md). */
  op_pcpu_get_vm_areas?(offsets: number, sizes: number, nrVms: number, aLo: number, aHi: number, gfp: number): number;
  op_pcpu_free_vas?(vas: number): void;
  op_find_exceed?(lo: number, hi: number): number;
  op_seed_area?(sLo: number, sHi: number, eLo: number, eHi: number, lazy: number): number;
}

const TWO_32 = 4294967296;

/** The u32 halves of an unsigned long held in the signed view (kernel/include/u64.ts). */
export function halves(x: ulong): [number, number] {
  const h = Math.floor(x / TWO_32);
  return [(x - h * TWO_32) >>> 0, h | 0];
}

/** The unsigned long of two u32 halves, in the signed view (U64RangeError when not exact there). */
export function joinHalves(lo: number, hi: number): ulong {
  const h = hi | 0;
  if (h >= -0x200000 && h < 0x200000) return h * TWO_32 + (lo >>> 0) + 0;
  return fromBigInt((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/** How the environment gives the vmalloc range (a bigint for values outside the signed view's exact window). */
export interface WasmRange {
  readonly VMALLOC_START: bigint;
  readonly VMALLOC_END: bigint;
}

/** One wasm core instance: one allocator of `core` (a version with a core under kernel/mm/vmalloc/as/). */
/** What a released core's exports are: any use throws. */
const RELEASED = new Proxy({} as CoreExports, {
  get: (_t, name) => {
    throw new Error(`a released wasm core was used (${String(name)})`);
  },
});

export class WasmCore {
  readonly x: CoreExports;
  /** The environment's hooks as given (what the imports call). */
  private readonly h: VmallocEnv['hooks'];
  /** The instance this core holds until release(). */
  private readonly instance: PooledInstance;
  private u32: Uint32Array;
  private readonly names = new Map<number, string>();
  private readonly warned = new Set<number>();
  /** The objects that stand for a core's per-node locks and work items in the hooks (one per index or address, stable). */
  private readonly handles = new Map<string, object>();
  private readonly offStart: number;
  private readonly offEnd: number;
  /** The va->flags / va->vm offsets and va->vm's size, read once (-1 when the version's vmap_area has no such field). */
  private readonly offFlags: number;
  private readonly offVm: number;
  private readonly sizeofVm: number;
  /** The handles of the per-node locks and work items, by index or address (see handle()). */
  private readonly vnHandles: object[] = [];
  private readonly workHandles = new Map<number, object>();
  /** VMALLOC_END when the signed view rounds it (5-level paging): the number the API layer passes, and the exact halves the core gets. */
  private readonly endExact: { readonly rounded: ulong; readonly halves: [number, number] } | null = null;

  constructor(
    readonly core: string,
    readonly env: VmallocEnv,
    readonly id: allocator_id,
    range?: WasmRange,
  ) {
    const h = env.hooks;
    this.h = h;
    this.instance = acquireInstance(id.core ?? core, (slot) => WasmCore.imports(slot as InstanceSlot<WasmCore>));
    this.instance.slot.owner = this;
    this.x = this.instance.exports as CoreExports;
    this.u32 = new Uint32Array(this.x.memory.buffer);
    this.offStart = this.x.OFFSETOF_VA_START.value as number;
    this.offEnd = this.x.OFFSETOF_VA_END.value as number;
    this.offFlags = this.x.OFFSETOF_VA_FLAGS ? (this.x.OFFSETOF_VA_FLAGS.value as number) : -1;
    this.offVm = this.x.OFFSETOF_VA_VM ? (this.x.OFFSETOF_VA_VM.value as number) : -1;
    this.sizeofVm = this.x.SIZEOF_VA_VM ? (this.x.SIZEOF_VA_VM.value as number) : 0;
    let bits = 0;
    if (h.vunmap_page_range !== NOOP_HOOK) bits |= HOOK_VUNMAP_PAGE_RANGE;
    if (h.flush_cache_vunmap !== NOOP_HOOK) bits |= HOOK_FLUSH_CACHE_VUNMAP;
    if (h.purge_fragmented_blocks_allcpus !== NOOP_HOOK) bits |= HOOK_PURGE_FRAGMENTED;
    if (h.should_failslab) bits |= HOOK_SHOULD_FAILSLAB;
    if (h.spin_lock || h.spin_unlock || h.cond_resched_lock || h.mutex_lock || h.mutex_unlock || h.spin_trylock || h.mutex_trylock) bits |= HOOK_LOCKS;
    if (h.schedule_work) bits |= HOOK_SCHEDULE_WORK;
    if (h.purge_released) bits |= HOOK_PURGE_RELEASED;
    if (h.purge_area_read) bits |= HOOK_PURGE_AREA_READ;
    if (h.raw_smp_processor_id) bits |= HOOK_SMP_PROCESSOR_ID;
    if (h.schedule_work_on || h.flush_work) bits |= HOOK_WORK_ON;
    if (h.trace_alloc_vmap_area || h.trace_free_vmap_area_noflush || h.trace_purge_vmap_area_lazy) bits |= HOOK_TRACE;
    const start = range ? range.VMALLOC_START : toBigInt(env.VMALLOC_START);
    const end = range ? range.VMALLOC_END : (env.VMALLOC_END_U64 ?? toBigInt(env.VMALLOC_END));
    if (env.VMALLOC_END_U64 !== undefined) this.endExact = { rounded: env.VMALLOC_END, halves: [Number(end & 0xffffffffn), Number(end >> 32n)] };
    this.x.init(env.ncpu, bits, Number(start & 0xffffffffn), Number(start >> 32n), Number(end & 0xffffffffn), Number(end >> 32n));
  }

  /**
   * The imports of one instance (pool.ts): each reaches the core that holds
   * the instance now (slot.owner), its hooks, line table and caches.
   */
  private static imports(slot: InstanceSlot<WasmCore>): object {
    const me = (): WasmCore => slot.owner as WasmCore;
    const u = (lo: number, hi: number): ulong => joinHalves(lo, hi);
    /* A trace event's value: the exact VMALLOC_END (5-level) goes out as the number the API layer passes for it (which the boot prints as the exact value). */
    const ut = (lo: number, hi: number): ulong => {
      const x = me().endExact;
      return x && lo >>> 0 === x.halves[0] >>> 0 && (hi | 0) === (x.halves[1] | 0) ? x.rounded : joinHalves(lo, hi);
    };
    const hk = () => me().h;
    return {
      env: {
        abort: (_m: number, _f: number, line: number, col: number) => {
          throw new Error(`${me().id.name}: wasm core aborted at ${line}:${col}`);
        },
        bug: (func: number, cond: number, site: number) => {
          const t = me();
          const f = t.str(func);
          const c = t.str(cond);
          throw new KernelBug(t.id.name, f, bug_line(t.id, f, c, site), c);
        },
        warn: (func: number, cond: number, site: number, once: number) => {
          const t = me();
          const f = t.str(func);
          const c = t.str(cond);
          const line = bug_line(t.id, f, c, site);
          if (once) {
            if (t.warned.has(line)) return;
            t.warned.add(line);
          }
          t.h.warn({ version: t.id.name, func: f, line, cond: c });
        },
        flush_tlb_kernel_range: (a: number, b: number, c: number, d: number) => hk().flush_tlb_kernel_range(u(a, b), u(c, d)),
        vunmap_page_range: (a: number, b: number, c: number, d: number) => hk().vunmap_page_range(u(a, b), u(c, d)),
        flush_cache_vunmap: (a: number, b: number, c: number, d: number) => hk().flush_cache_vunmap(u(a, b), u(c, d)),
        purge_fragmented_blocks_allcpus: () => hk().purge_fragmented_blocks_allcpus(),
        purged: (nr: number, a: number, b: number, c: number, d: number) => hk().purged(nr, u(a, b), u(c, d)),
        should_failslab: (gfp: number) => (hk().should_failslab?.(gfp) ? 1 : 0),
        lock: (what: number, name: number) => {
          const t = me();
          const h = t.h;
          const n = name ? t.str(name) : '';
          switch (what) {
            case 0:
              return h.spin_lock?.(n);
            case 1:
              return h.spin_unlock?.(n);
            case 2:
              return h.cond_resched_lock?.(n);
            case 3:
              return h.mutex_lock?.(n);
            case 4:
              return h.mutex_unlock?.(n);
            case 5:
              return h.purge_released?.();
            default:
              return h.purge_area_read?.();
          }
        },
        trylock: (what: number, name: number) => {
          const t = me();
          const n = t.str(name);
          const taken = what === 0 ? t.h.spin_trylock?.(n) : t.h.mutex_trylock?.(n);
          return taken === false ? 0 : 1;
        },
        schedule_work: (work: number) => {
          const t = me();
          return t.h.schedule_work?.(() => t.x.run_work?.(work));
        },
        raw_smp_processor_id: () => hk().raw_smp_processor_id?.() ?? 0,
        lock_vn: (what: number, name: number, instance: number) => {
          const t = me();
          const n = t.str(name);
          const vn = (t.vnHandles[instance] ??= t.handle(`vn ${instance}`));
          return what === 0 ? t.h.spin_lock?.(n, vn) : t.h.spin_unlock?.(n, vn);
        },
        schedule_work_on: (cpu: number, work: number) => {
          const t = me();
          return t.h.schedule_work_on?.(cpu, t.workHandle(work), () => t.x.run_work?.(work));
        },
        flush_work: (work: number) => {
          const t = me();
          return t.h.flush_work?.(t.workHandle(work)) ? 1 : 0;
        },
        trace_alloc_vmap_area: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, i: number, j: number, k: number, failed: number) =>
          hk().trace_alloc_vmap_area?.(ut(a, b), ut(c, d), ut(e, f), ut(g, i), ut(j, k), failed),
        trace_free_vmap_area_noflush: (a: number, b: number, nr: number, max: number) => hk().trace_free_vmap_area_noflush?.(u(a, b), nr, max),
        trace_purge_vmap_area_lazy: (a: number, b: number, c: number, d: number, n: number) => hk().trace_purge_vmap_area_lazy?.(ut(a, b), ut(c, d), n),
      },
    };
  }

  /**
   * Hand the instance back (pool.ts): it is reset to its state after
   * instantiation and serves the next core of the same module. This core
   * and everything built on it (its allocator, areas, API layer) must not
   * be used afterwards; a use throws.
   */
  release(): void {
    if (!this.instance.inUse || this.instance.slot.owner !== this) throw new Error(`${this.id.name}: the core was released already`);
    releaseInstance(this.instance);
    (this as { x: CoreExports }).x = RELEASED;
  }

  /** The stable object a per-node lock or a work item of the core is to the hooks. */
  private handle(key: string): object {
    let o = this.handles.get(key);
    if (!o) {
      o = { core: this.id.name, key };
      this.handles.set(key, o);
    }
    return o;
  }

  private workHandle(work: number): object {
    let o = this.workHandles.get(work);
    if (!o) {
      o = this.handle(`work ${work}`);
      this.workHandles.set(work, o);
    }
    return o;
  }

  /** A static AssemblyScript string of the core (a BUG site's function or condition, a lock's name). */
  private str(ptr: number): string {
    let s = this.names.get(ptr);
    if (s === undefined) {
      const bytes = new DataView(this.x.memory.buffer).getUint32(ptr - 4, true);
      s = String.fromCharCode(...new Uint16Array(this.x.memory.buffer, ptr, bytes >>> 1));
      this.names.set(ptr, s);
    }
    return s;
  }

  private words(): Uint32Array {
    // memory.grow detaches the old buffer, which leaves the view with length 0.
    if (this.u32.length === 0) this.u32 = new Uint32Array(this.x.memory.buffer);
    return this.u32;
  }

  /** alloc_vmap_area(): the area's address in the core, or an ERR_PTR value (negative errno). */
  alloc(size: ulong, align: ulong, vstart: ulong, vend: ulong, node = NUMA_NO_NODE, gfp_mask = GFP_KERNEL): number {
    const s = halves(size);
    const a = halves(align);
    const b = halves(vstart);
    const e = this.endExact && vend === this.endExact.rounded ? this.endExact.halves : halves(vend);
    return this.x.op_alloc(s[0], s[1], a[0], a[1], b[0], b[1], e[0], e[1], node, gfp_mask);
  }

  /** alloc_vmap_area(..., va_flags, NULL) of a vmap-node core (op_alloc_flags): vm_map_ram's VMAP_RAM | VMAP_BLOCK. */
  allocFlags(size: ulong, align: ulong, vstart: ulong, vend: ulong, node: number, gfp_mask: number, va_flags: number): number {
    const op = (this.x as unknown as { op_alloc_flags?: (...a: number[]) => number }).op_alloc_flags;
    if (!op) throw new Error(`${this.id.name}: the core has no op_alloc_flags (docs/wasm.md)`);
    const s = halves(size);
    const a = halves(align);
    const b = halves(vstart);
    const e = this.endExact && vend === this.endExact.rounded ? this.endExact.halves : halves(vend);
    return op(s[0], s[1], a[0], a[1], b[0], b[1], e[0], e[1], node, gfp_mask, va_flags >>> 0);
  }

  /** alloc_vmap_area() with exact u64 arguments (any value, 5-level ranges included). */
  allocU64(size: bigint, align: bigint, vstart: bigint, vend: bigint, node = NUMA_NO_NODE, gfp_mask = GFP_KERNEL): number {
    const L = (v: bigint) => Number(BigInt.asUintN(64, v) & 0xffffffffn);
    const H = (v: bigint) => Number(BigInt.asUintN(64, v) >> 32n);
    return this.x.op_alloc(L(size), H(size), L(align), H(align), L(vstart), H(vstart), L(vend), H(vend), node, gfp_mask);
  }

  /** find_vmap_area(addr): an area's address or 0. */
  find(addr: ulong): number {
    const a = halves(addr);
    return this.x.op_find(a[0], a[1]);
  }

  findU64(addr: bigint): number {
    const v = BigInt.asUintN(64, addr);
    return this.x.op_find(Number(v & 0xffffffffn), Number(v >> 32n));
  }

  /** va->va_start, va->va_end of an area of the core. */
  vaStart(va: number): ulong {
    const w = this.words();
    const i = (va + this.offStart) >>> 2;
    return joinHalves(w[i]!, w[i + 1]!);
  }
  vaEnd(va: number): ulong {
    const w = this.words();
    const i = (va + this.offEnd) >>> 2;
    return joinHalves(w[i]!, w[i + 1]!);
  }
  vaStartU64(va: number): bigint {
    const w = this.words();
    const i = (va + this.offStart) >>> 2;
    return (BigInt(w[i + 1]!) << 32n) | BigInt(w[i]!);
  }
  vaEndU64(va: number): bigint {
    const w = this.words();
    const i = (va + this.offEnd) >>> 2;
    return (BigInt(w[i + 1]!) << 32n) | BigInt(w[i]!);
  }

  /** Linear memory for pcpu_get_vm_areas' offsets and sizes (u64 each), grown as needed. */
  private pcpuArgs = { ptr: 0, cap: 0 };

  /**
   * pcpu_get_vm_areas(offsets, sizes, nr_vms, align) of a core that has it
   * (op_pcpu_get_vm_areas): the areas' addresses, or null. gfp_mask only
   * for the cores whose text takes one (2.6.35).
   */
  pcpuGetVmAreas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong, gfp_mask = GFP_KERNEL): number[] | null {
    const x = this.x;
    if (!x.op_pcpu_get_vm_areas || !x.op_pcpu_free_vas) throw new Error(`${this.id.name}: this core has no pcpu_get_vm_areas()`);
    if (this.pcpuArgs.cap < nr_vms) this.pcpuArgs = { ptr: x.scratch_alloc(16 * nr_vms), cap: nr_vms };
    const base = this.pcpuArgs.ptr;
    for (let i = 0; i < nr_vms; i++) {
      const o = halves(offsets[i]!);
      const z = halves(sizes[i]!);
      const w = this.words();
      w[(base >>> 2) + 2 * i] = o[0];
      w[(base >>> 2) + 2 * i + 1] = o[1];
      w[((base + 8 * nr_vms) >>> 2) + 2 * i] = z[0];
      w[((base + 8 * nr_vms) >>> 2) + 2 * i + 1] = z[1];
    }
    const a = halves(align);
    const vas = x.op_pcpu_get_vm_areas(base, base + 8 * nr_vms, nr_vms, a[0], a[1], gfp_mask);
    if (!vas) return null;
    const w = this.words();
    const out: number[] = [];
    for (let i = 0; i < nr_vms; i++) out.push(w[(vas >>> 2) + i]!);
    x.op_pcpu_free_vas(vas);
    return out;
  }

  /** The areas of one of the core's lists, in list order (not counted). */
  list(which: number): number[] {
    const out: number[] = [];
    for (let va = this.x.list_first(which); va !== 0; va = this.x.list_next(which, va)) out.push(va);
    return out;
  }

  get touches(): number {
    return this.x.get_touches();
  }
  set touches(t: number) {
    this.x.put_touches(t);
  }

  /* ---- the API layer's side of the boundary ---- */

  /**
   * The objects the API layer hangs off va->vm / va->private (a vm_struct),
   * by the area's address: the slot in linear memory holds that address
   * while it points at one, 0 for NULL, as the C pointer would. Bounded by
   * the number of vmap_area slots the core ever handed out.
   */
  private readonly vms = new Map<number, unknown>();

  private slot(va: number, offset: number, what: string): number {
    if (offset < 0) throw new Error(`${this.id.name}: the core has no va->${what} (docs/wasm.md)`);
    return (va + offset) >>> 2;
  }

  /** va->flags (its low word; the flag bits are below 2^32). undefined when the version's vmap_area has none. */
  vaFlags(va: number): number | undefined {
    if (this.offFlags < 0) return undefined;
    return this.words()[this.slot(va, this.offFlags, 'flags')]!;
  }
  setVaFlags(va: number, flags: number): void {
    this.words()[this.slot(va, this.offFlags, 'flags')] = flags >>> 0;
  }

  /** va->vm (va->private before 3.10): what setVaVm stored, or null for NULL. */
  vaVm(va: number): unknown {
    const w = this.words();
    const i = this.slot(va, this.offVm, 'vm');
    const hi = this.sizeofVm === 8 ? w[i + 1]! : 0;
    if (w[i] === 0 && hi === 0) return null;
    if (w[i] !== va || hi !== 0) throw new Error(`${this.id.name}: va->vm of the area at ${va} holds ${hi}:${w[i]}, not a vm_struct the API layer set`);
    return this.vms.get(va) ?? null;
  }
  setVaVm(va: number, vm: unknown): void {
    const w = this.words();
    const i = this.slot(va, this.offVm, 'vm');
    if (this.sizeofVm === 8) w[i + 1] = 0;
    if (vm === null || vm === undefined) {
      w[i] = 0;
      this.vms.delete(va);
    } else {
      w[i] = va;
      this.vms.set(va, vm);
    }
  }

  /** The era's lazy free without unmapping (2.6: free_unmap_vmap_area_noflush, 6.1: free_vmap_area_noflush). */
  freeNoflush(va: number): void {
    if (!this.x.op_free_noflush) throw new Error(`${this.id.name}: the core has no op_free_noflush (docs/wasm.md)`);
    this.x.op_free_noflush(va);
  }

  /**
   * __purge_vmap_area_lazy over [start, end): the function's result (0 where
   * it is void) and the range as it left it (2.6 widens *start, *end).
   */
  purgeRange(start: ulong, end: ulong, sync: number, force_flush: number): { ret: number; start: ulong; end: ulong } {
    const op = this.x.op_purge_range;
    const at = this.x.PURGE_RANGE;
    if (!op || !at) throw new Error(`${this.id.name}: the core has no op_purge_range (docs/wasm.md)`);
    const s = halves(start);
    const e = halves(end);
    const ret = op(s[0], s[1], e[0], e[1], sync, force_flush);
    const w = this.words();
    const i = (at.value as number) >>> 2;
    return { ret, start: joinHalves(w[i]!, w[i + 1]!), end: joinHalves(w[i + 2]!, w[i + 3]!) };
  }
}

/** IS_ERR() of what alloc() returns. */
export function isErrPtr(p: number): boolean {
  return IS_ERR_VALUE(p);
}

/** An area of a wasm core, as the VmapAllocator interface hands it out. */
export class wasm_area implements vmap_area_common {
  constructor(
    private readonly core: WasmCore,
    readonly ptr: number,
  ) {}
  get va_start(): ulong {
    return this.core.vaStart(this.ptr);
  }
  set va_start(_v: ulong) {
    throw new Error('a wasm core area is read-only from TypeScript');
  }
  get va_end(): ulong {
    return this.core.vaEnd(this.ptr);
  }
  set va_end(_v: ulong) {
    throw new Error('a wasm core area is read-only from TypeScript');
  }
  /** va->flags, in linear memory (the API layer sets VM_VM_AREA). */
  get flags(): number {
    return this.core.vaFlags(this.ptr) as number;
  }
  set flags(f: number) {
    this.core.setVaFlags(this.ptr, f);
  }
  /** va->vm (3.10+) */
  get vm(): unknown {
    return this.core.vaVm(this.ptr);
  }
  set vm(v: unknown) {
    this.core.setVaVm(this.ptr, v);
  }
  /** va->private (2.6.x): the same slot */
  get private(): unknown {
    return this.core.vaVm(this.ptr);
  }
  set private(v: unknown) {
    this.core.setVaVm(this.ptr, v);
  }
}

/* FNV-1a 64 over the 8 little-endian bytes of each value (golden/FORMAT.md's free-tree state line). */
function fnv1a64(values: bigint[]): string {
  const M = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const v of values)
    for (let b = 0n; b < 64n; b += 8n) {
      h ^= (v >> b) & 0xffn;
      h = (h * 0x100000001b3n) & M;
    }
  return h.toString(16).padStart(16, '0');
}

/**
 * A wasm core as a VmapAllocator (the registry's `<version>@wasm`). The
 * state line and snapshot follow the allocator's capabilities: `flag`
 * (lazily freed areas marked in the busy list, 2.6), `purge-tree` (busy,
 * purge and free lists, 6.1) or `llist` (busy list holding the lazily freed
 * areas of the vmap_purge_list, and free list, 5.2).
 */
export class wasm_allocator implements VmapAllocator {
  readonly version: string;
  readonly core: WasmCore;

  constructor(
    core: string,
    env: VmallocEnv,
    id: allocator_id,
    private readonly lazy: 'flag' | 'purge-tree' | 'llist',
    range?: WasmRange,
  ) {
    this.version = id.name;
    this.core = new WasmCore(core, env, id, range);
    if (this.core.x.op_pcpu_get_vm_areas)
      this.pcpu_get_vm_areas = (offsets, sizes, nr_vms, align, gfp_mask = GFP_KERNEL) => {
        const vas = this.core.pcpuGetVmAreas(offsets, sizes, nr_vms, align, gfp_mask);
        return vas && vas.map((p) => new wasm_area(this.core, p));
      };
    const x = this.core.x;
    if (x.op_find_exceed) {
      const exceed = x.op_find_exceed;
      this.find_vmap_area_exceed_addr = (addr) => {
        const a = halves(addr);
        const p = exceed(a[0], a[1]);
        return p ? new wasm_area(this.core, p) : null;
      };
    }
    if (x.op_seed_area) {
      const seed = x.op_seed_area;
      this.seed_areas = (areas) => {
        if (this.core.x.list_first(LIST_BUSY) || this.core.x.get_lazy_nr()) throw new Error('seed_areas: the allocator is not fresh');
        for (const a of areas) {
          const s = halves(a.start);
          const e = halves(a.end);
          const r = seed(s[0], s[1], e[0], e[1], a.state === 'lazy' ? 1 : 0);
          if (r === 1) throw new Error(`seed_areas: [${hex(a.start)}, ${hex(a.end)}) is not free`);
          if (r) throw new Error(`seed_areas: cannot carve [${hex(a.start)}, ${hex(a.end)})`);
        }
      };
    }
  }

  /** find_vmap_area_exceed_addr() of the core, where it has one: the first area with addr < va_end. */
  readonly find_vmap_area_exceed_addr?: (addr: ulong) => wasm_area | null;

  /** Seeding from a /proc/vmallocinfo snapshot (not kernel code; the ports' seed_areas()), where the core has it. */
  readonly seed_areas?: (areas: readonly { start: ulong; end: ulong; state: 'busy' | 'lazy' }[]) => void;

  /** pcpu_get_vm_areas() of the core, where it has one (as the ports, the areas rather than their vm_structs). */
  readonly pcpu_get_vm_areas?: (offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong, gfp_mask?: number) => wasm_area[] | null;

  get touches(): number {
    return this.core.touches;
  }
  set touches(t: number) {
    this.core.touches = t;
  }

  /** Hand the core's instance back for the next allocator of this core (WasmCore.release()). */
  release(): void {
    this.core.release();
  }

  get vmap_lazy_nr(): number {
    return this.core.x.get_lazy_nr();
  }

  lazy_max_pages(): number {
    return this.core.x.get_lazy_max_pages();
  }

  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node = NUMA_NO_NODE, gfp_mask = GFP_KERNEL): wasm_area | ERR_PTR {
    const p = this.core.alloc(size, align, vstart, vend, node, gfp_mask);
    return isErrPtr(p) ? ERR_PTR(p) : new wasm_area(this.core, p);
  }

  find_vmap_area(addr: ulong): wasm_area | null {
    const p = this.core.find(addr);
    return p ? new wasm_area(this.core, p) : null;
  }

  free_vmap_area(va: vmap_area_common): void {
    this.core.x.op_free((va as wasm_area).ptr);
  }

  free_unmap_vmap_area(va: vmap_area_common): void {
    this.core.x.op_free_lazy((va as wasm_area).ptr);
  }

  purge_vmap_area_lazy(): void {
    this.core.x.op_purge();
  }

  golden_state(): string {
    const lazy = `lazy=${hex(this.core.x.get_lazy_nr())}`;
    if (this.lazy === 'flag') return lazy;
    const x = this.core.x;
    if (x.free_state && x.FREE_STATE) {
      x.free_state();
      const w = new Uint32Array(x.memory.buffer, x.FREE_STATE.value as number, 6);
      const h16 = (lo: number, hi: number, pad: boolean): string =>
        hi === 0 && !pad ? lo.toString(16) : hi.toString(16).padStart(pad ? 8 : 0, '0') + lo.toString(16).padStart(8, '0');
      return `free=${h16(w[0]!, w[1]!, false)} low=${h16(w[2]!, w[3]!, false)} sum=${h16(w[4]!, w[5]!, true)} ${lazy}`;
    }
    const free = this.core.list(LIST_FREE);
    const vals: bigint[] = [];
    for (const va of free) vals.push(this.core.vaStartU64(va), this.core.vaEndU64(va));
    const low = free.length ? this.core.vaStartU64(free[0]!).toString(16) : '0';
    return `free=${free.length.toString(16)} low=${low} sum=${fnv1a64(vals)} ${lazy}`;
  }

  snapshot(): AllocatorSnapshot {
    const c = this.core;
    const view = (va: number, state: 'busy' | 'lazy'): AreaView => ({ start: c.vaStart(va), end: c.vaEnd(va), state });
    let areas: AreaView[];
    if (this.lazy === 'flag') areas = c.list(LIST_BUSY).map((va) => view(va, c.x.area_lazy(va) ? 'lazy' : 'busy'));
    else if (this.lazy === 'llist') {
      const lazy = new Set(c.list(LIST_LLIST));
      areas = c.list(LIST_BUSY).map((va) => view(va, lazy.has(va) ? 'lazy' : 'busy'));
    } else {
      areas = [...c.list(LIST_BUSY).map((va) => view(va, 'busy')), ...c.list(LIST_PURGE).map((va) => view(va, 'lazy'))];
      areas.sort((p, q) => (BigInt.asUintN(64, BigInt(p.start)) < BigInt.asUintN(64, BigInt(q.start)) ? -1 : 1));
    }
    const snap: AllocatorSnapshot = { areas, state: this.golden_state() };
    if (this.lazy === 'flag') return snap;
    return { ...snap, free: c.list(LIST_FREE).map((va) => ({ start: c.vaStart(va), end: c.vaEnd(va) })) };
  }
}
