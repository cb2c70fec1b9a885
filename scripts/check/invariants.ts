// SPDX-License-Identifier: GPL-2.0-only
/*
 * The invariant checker (DESIGN.md principle 6): one function, callable
 * after any operation on any version, that reads the version's public,
 * kernel-named fields and reports every rule that does not hold.
 *
 * Families are told apart by the capabilities their manifest declares
 * (kernel/manifest/<name>.ts, caps.busy / lazy / cache / search), not by
 * version name or by the fields an object happens to have:
 *   all        vmap_area_root + vmap_area_list (the busy tree and list)
 *   cache      free_vmap_cache (mmotm-2010-vmap-cache-v1, 2.6.39, 3.18)
 *   free tree  free_vmap_area_root + free_vmap_area_list, subtree_max_size,
 *              find_vmap_lowest_match (5.2, 6.1)
 *   nodes      vmap_nodes[], each with busy and lazy rb_lists and size
 *              pools (6.12): the trees and lists are checked per node,
 *              pooled areas count as neither free nor busy but must still
 *              tile the space with the rest
 *   lazy       purge_vmap_area_root + purge_vmap_area_list (6.1), the
 *              vmap_purge_list llist (5.2), else VM_LAZY_FREE (0x01) in
 *              va->flags on the busy list (2.6.35 .. 3.18)
 *
 * Rules checked:
 *   - every tree: root black with no parent, parent pointers match, no red
 *     node with a red child, the same number of black nodes on every path;
 *     in-order sorted, every area non-empty (va_start < va_end, unsigned),
 *     no two overlapping; in-order equals the order of its list (with
 *     consistent prev pointers);
 *   - the cache names a node of the busy tree (or NULL);
 *   - vmap_lazy_nr equals the pages of the lazily freed areas;
 *   - an allocator without kernel structures (the first-fit model, caps
 *     search lowest-fit-scan, or one without a manifest): its snapshot's
 *     areas are non-empty, sorted and disjoint, and vmap_lazy_nr counts
 *     the lazy ones;
 *   - free tree: subtree_max_size of every node is the largest block of its
 *     subtree; the free list is sorted and coalesced (no two blocks touch);
 *     free, busy and lazily freed ranges tile [1, ULONG_MAX) exactly; the
 *     version's own find_vmap_lowest_match() agrees with a linear scan of
 *     free_vmap_area_list for a few sizes and vstarts (alignment 1, as the
 *     kernel's DEBUG_AUGMENT_LOWEST_MATCH_CHECK does in 5.2), without
 *     moving the touch counter.
 *
 * Machine invariants (PTEs of live areas present, of freed areas absent,
 * no stale TLB entry) need the emulated machine, which the allocator ports
 * do not reach yet. They plug in through `MachineInvariant` below; none is
 * implemented here.
 */

import { PAGE_SIZE } from '../../kernel/include/asm/page.js';
import { list_head } from '../../kernel/include/linux/list.js';
import { RB_BLACK, RB_RED, rb_node, rb_root } from '../../kernel/include/linux/rbtree.js';
import { capsOf } from '../../kernel/manifest/index.js';
import { ALIGN, hex, ugt, ule, ult, ULONG_MAX, type ulong, umax } from '../../kernel/include/u64.js';
import type { VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { wasm_allocator } from '../../kernel/mm/vmalloc/wasm/binding.js';

/** A tree node as every version's struct vmap_area has it. */
type VaNode = rb_node & { va_start: ulong; va_end: ulong; list?: list_head<VaNode>; subtree_max_size?: ulong; flags?: number };

/**
 * EXTENSION POINT for the machine (not implemented): a check that also sees
 * the emulated machine, e.g. "every page of a live area has a present PTE",
 * "no PTE of a purged area is present", "no CPU holds a TLB entry for a
 * purged area". Pass them in `CheckOptions.machine`; each returns its
 * violation messages.
 */
export interface MachineInvariant {
  readonly name: string;
  check(alloc: VmapAllocator): string[];
}

export interface CheckOptions {
  /** Machine-level checks (see MachineInvariant). */
  machine?: readonly MachineInvariant[];
  /** Skip the lowest-match probes (the only check that costs a search). */
  skipLowestMatch?: boolean;
}

const VM_LAZY_FREE_LIST_ERA = 0x01; // 2.6.35 .. 3.18 (include/linux/vmalloc.h of those eras)

function r(n: VaNode): string {
  return `[${hex(n.va_start)}, ${hex(n.va_end)})`;
}

/** Check one rbtree; returns its nodes in order. */
function checkTree(root: rb_root, name: string, out: string[]): VaNode[] {
  const nodes: VaNode[] = [];
  const top = root.rb_node as VaNode | null;
  if (!top) return nodes;
  if (top.__rb_parent !== null) out.push(`${name}: the root ${r(top)} has a parent`);
  if (top.__rb_color !== RB_BLACK) out.push(`${name}: the root ${r(top)} is red`);
  let blackHeight = -1;
  // Iterative in-order walk carrying the black count of the path.
  const stack: { n: VaNode; blacks: number }[] = [];
  let n: VaNode | null = top;
  let blacks = 0;
  let guard = 0;
  for (;;) {
    while (n) {
      if (++guard > 50_000_000) {
        out.push(`${name}: walk does not end (a cycle?)`);
        return nodes;
      }
      const b: number = blacks + (n.__rb_color === RB_BLACK ? 1 : 0);
      if (n.__rb_color !== RB_BLACK && n.__rb_color !== RB_RED) out.push(`${name}: ${r(n)} has colour ${n.__rb_color}`);
      for (const c of [n.rb_left, n.rb_right] as (VaNode | null)[]) {
        if (!c) {
          if (blackHeight < 0) blackHeight = b;
          else if (b !== blackHeight) out.push(`${name}: black height ${b} below ${r(n)}, ${blackHeight} elsewhere`);
          continue;
        }
        if (c.__rb_parent !== n) out.push(`${name}: ${r(c)} does not point back to its parent ${r(n)}`);
        if (n.__rb_color === RB_RED && c.__rb_color === RB_RED) out.push(`${name}: red ${r(n)} has a red child ${r(c)}`);
      }
      stack.push({ n, blacks: b });
      blacks = b;
      n = n.rb_left as VaNode | null;
    }
    const e = stack.pop();
    if (!e) break;
    nodes.push(e.n);
    blacks = e.blacks;
    n = e.n.rb_right as VaNode | null;
  }
  let prev: VaNode | null = null;
  for (const v of nodes) {
    if (!ult(v.va_start, v.va_end)) out.push(`${name}: empty or wrapped area ${r(v)} (va_end <= va_start)`);
    if (prev && !ule(prev.va_end, v.va_start))
      out.push(ult(prev.va_start, v.va_start) ? `${name}: ${r(prev)} overlaps ${r(v)}` : `${name}: in-order not sorted: ${r(prev)} before ${r(v)}`);
    prev = v;
  }
  return nodes;
}

/** In-order must equal the list, node for node. */
function checkListOrder(head: list_head<VaNode>, nodes: VaNode[], name: string, out: string[]): VaNode[] {
  const listed: VaNode[] = [];
  let l = head.next;
  let guard = 0;
  while (l !== head) {
    if (l.next.prev !== l) out.push(`${name}: list prev pointer broken after ${r(l.owner as VaNode)}`);
    listed.push(l.owner as VaNode);
    l = l.next;
    if (++guard > nodes.length + 10_000_000) {
      out.push(`${name}: list does not end (a cycle?)`);
      break;
    }
  }
  if (listed.length !== nodes.length) out.push(`${name}: the list has ${listed.length} entries, the tree ${nodes.length}`);
  const k = Math.min(listed.length, nodes.length);
  for (let i = 0; i < k; i++)
    if (listed[i] !== nodes[i]) {
      out.push(`${name}: list entry ${i} is ${r(listed[i]!)}, the tree's in-order ${r(nodes[i]!)}`);
      break;
    }
  return listed;
}

function pages(v: VaNode): number {
  return Math.floor((v.va_end - v.va_start) / PAGE_SIZE);
}

/** Check subtree_max_size bottom-up; returns the true maximum of the subtree. */
function checkAugment(n: VaNode | null, out: string[]): ulong {
  if (!n) return 0;
  const m = umax(n.va_end - n.va_start, umax(checkAugment(n.rb_left as VaNode | null, out), checkAugment(n.rb_right as VaNode | null, out)));
  if (n.subtree_max_size !== m) out.push(`free tree: subtree_max_size of ${r(n)} is ${hex(n.subtree_max_size ?? 0)}, its subtree's largest block is ${hex(m)}`);
  return m;
}

/** The lowest free block of the list that holds size at vstart (align 1), by a plain scan. */
function linearLowest(free: VaNode[], size: ulong, vstart: ulong): VaNode | null {
  for (const v of free) {
    const a = ugt(v.va_start, vstart) ? v.va_start : ALIGN(vstart, 1);
    const end = a + size;
    if (ult(end, a)) continue;
    if (ule(end, v.va_end) && !ult(a, vstart)) return v;
  }
  return null;
}

type Lowest5_2 = (size: ulong, align: ulong, vstart: ulong) => VaNode | null;
type Lowest6_1 = (root: rb_root, size: ulong, align: ulong, vstart: ulong, adjust: boolean) => VaNode | null;

/** The rules any allocator's snapshot keeps: areas in address order, disjoint, and vmap_lazy_nr counting the lazy ones. */
function checkSnapshot(alloc: VmapAllocator, out: string[]): void {
  const areas = alloc.snapshot().areas;
  let lazy = 0;
  for (let i = 0; i < areas.length; i++) {
    const v = areas[i]!;
    if (v.state === 'lazy') lazy += Math.floor((v.end - v.start) / PAGE_SIZE);
    if (!ult(v.start, v.end)) out.push(`area [${hex(v.start)}, ${hex(v.end)}) is empty or wraps`);
    const p = areas[i - 1];
    if (p && ult(v.start, p.end)) out.push(`areas overlap or are out of order: [${hex(p.start)}, ${hex(p.end)}) then [${hex(v.start)}, ${hex(v.end)})`);
  }
  if (lazy !== alloc.vmap_lazy_nr) out.push(`vmap_lazy_nr is ${hex(alloc.vmap_lazy_nr)}, the lazily freed areas hold ${hex(lazy)} pages`);
}

/** Every violated rule, as one line each; empty when everything holds. */
export function checkInvariants(alloc: VmapAllocator, opts: CheckOptions = {}): string[] {
  const out: string[] = [];
  const a = alloc as unknown as Record<string, unknown>;
  const caps = capsOf(alloc);
  if (!caps || caps.search === 'lowest-fit-scan' || alloc instanceof wasm_allocator) {
    // No kernel structures to walk in JavaScript (the first-fit model, a wasm core whose trees live in linear
    // memory, or an allocator without a manifest): the snapshot's own rules.
    checkSnapshot(alloc, out);
    for (const m of opts.machine ?? []) for (const msg of m.check(alloc)) out.push(`${m.name}: ${msg}`);
    return out;
  }

  // The busy tree and list (one per vmap_node from 6.9 on).
  let busy: VaNode[] = [];
  let lazyPages = 0;
  let lazyAreas: VaNode[] = [];
  let pooled: VaNode[] = [];
  type RbList = { root: rb_root; head: list_head<VaNode> };
  type Node = { id: number; busy: RbList; lazy: RbList; purge_list: list_head<VaNode>; pool: { head: list_head<VaNode>; len: number }[] };
  if (caps.busy === 'vmap-nodes') {
    for (const vn of a.vmap_nodes as Node[]) {
      const b = checkTree(vn.busy.root, `busy tree (node ${vn.id})`, out);
      checkListOrder(vn.busy.head, b, `busy list (node ${vn.id})`, out);
      busy = busy.concat(b);
      const z = checkTree(vn.lazy.root, `lazy tree (node ${vn.id})`, out);
      checkListOrder(vn.lazy.head, z, `lazy list (node ${vn.id})`, out);
      lazyAreas = lazyAreas.concat(z);
      vn.pool.forEach((p, k) => {
        let n = 0;
        for (let l = p.head.next; l !== p.head; l = l.next) {
          const v = l.owner as VaNode;
          pooled.push(v);
          n++;
          if (pages(v) !== k + 1) out.push(`pool ${k} (node ${vn.id}) holds ${r(v)}, ${pages(v)} pages`);
        }
        if (n !== p.len) out.push(`pool ${k} (node ${vn.id}): len ${p.len}, ${n} entries`);
      });
    }
    for (const v of lazyAreas) lazyPages += pages(v);
  } else {
    busy = checkTree(a.vmap_area_root as rb_root, 'busy tree', out);
    checkListOrder(a.vmap_area_list as list_head<VaNode>, busy, 'vmap_area_list', out);
  }
  const busySet = new Set(busy);

  // The free-area cache.
  if (caps.cache) {
    const c = a.free_vmap_cache as VaNode | null;
    if (c && !busySet.has(c)) out.push(`free_vmap_cache names ${r(c)}, which is not in the busy tree`);
  }

  // Lazily freed areas and vmap_lazy_nr.
  if (caps.lazy === 'vmap-nodes') {
    // counted above, from the per-node lazy trees
  } else if (caps.lazy === 'purge-tree') {
    const purge = checkTree(a.purge_vmap_area_root as rb_root, 'purge tree', out);
    checkListOrder(a.purge_vmap_area_list as list_head<VaNode>, purge, 'purge_vmap_area_list', out);
    lazyAreas = purge;
    for (const v of purge) {
      lazyPages += pages(v);
      if (busySet.has(v)) out.push(`purge tree: ${r(v)} is also in the busy tree`);
    }
  } else if (caps.lazy === 'llist') {
    let n = (a.vmap_purge_list as { first: { next: unknown; owner: VaNode } | null }).first;
    let guard = 0;
    while (n) {
      const v = n.owner;
      lazyPages += pages(v);
      if (!busySet.has(v)) out.push(`vmap_purge_list: ${r(v)} is not in the busy tree`);
      n = n.next as typeof n;
      if (++guard > busy.length + 1) {
        out.push('vmap_purge_list: longer than the busy list (a cycle?)');
        break;
      }
    }
  } else {
    for (const v of busy) if ((v.flags ?? 0) & VM_LAZY_FREE_LIST_ERA) lazyPages += pages(v);
  }
  if (lazyPages !== alloc.vmap_lazy_nr) out.push(`vmap_lazy_nr is ${hex(alloc.vmap_lazy_nr)}, the lazily freed areas hold ${hex(lazyPages)} pages`);

  // The free tree of 5.2 and later.
  if (caps.search === 'free-tree' || caps.search === 'free-tree-5.2') {
    const root = a.free_vmap_area_root as rb_root;
    const free = checkTree(root, 'free tree', out);
    checkListOrder(a.free_vmap_area_list as list_head<VaNode>, free, 'free_vmap_area_list', out);
    checkAugment(root.rb_node as VaNode | null, out);
    for (let i = 1; i < free.length; i++) {
      const p = free[i - 1]!;
      const v = free[i]!;
      if (p.va_end === v.va_start) out.push(`free list not coalesced: ${r(p)} touches ${r(v)}`);
    }
    // Free, busy and lazy ranges tile [1, ULONG_MAX).
    const all = [...free, ...busy, ...(lazyAreas.length && !busySet.has(lazyAreas[0]!) ? lazyAreas : []), ...pooled];
    all.sort((x, y) => (ult(x.va_start, y.va_start) ? -1 : x.va_start === y.va_start ? 0 : 1));
    let at: ulong = 1;
    for (const v of all) {
      if (v.va_start !== at) {
        out.push(ult(v.va_start, at) ? `space accounted twice at ${r(v)}` : `space lost: [${hex(at)}, ${hex(v.va_start)}) is neither free, busy nor lazy`);
        break;
      }
      at = v.va_end;
    }
    if (at !== ULONG_MAX && !out.some((m) => m.startsWith('space'))) out.push(`space lost: [${hex(at)}, ffffffffffffffff) is neither free, busy nor lazy`);

    // Lowest match: the version's own search against a linear scan.
    if (!opts.skipLowestMatch) {
      const saved = alloc.touches;
      const fn = a.find_vmap_lowest_match as (...x: unknown[]) => VaNode | null;
      const search =
        caps.lowestMatchTakesRoot
          ? (size: ulong, vstart: ulong) => (fn as unknown as Lowest6_1).call(alloc, root, size, 1, vstart, false)
          : (size: ulong, vstart: ulong) => (fn as unknown as Lowest5_2).call(alloc, size, 1, vstart);
      const VS = (a.env as { VMALLOC_START: ulong }).VMALLOC_START;
      const vstarts = [VS, ...free.slice(1, 4).map((v) => v.va_start + PAGE_SIZE)];
      const sizes = [PAGE_SIZE, 2 * PAGE_SIZE, 17 * PAGE_SIZE, 1025 * PAGE_SIZE];
      try {
        for (const vs of vstarts)
          for (const size of sizes) {
            const t = search(size, vs);
            const l = linearLowest(free, size, vs);
            if (t !== l)
              out.push(`lowest match for size ${hex(size)} at vstart ${hex(vs)}: the tree finds ${t ? r(t) : 'none'}, a linear scan ${l ? r(l) : 'none'}`);
          }
      } finally {
        alloc.touches = saved;
      }
    }
  }

  for (const m of opts.machine ?? []) for (const msg of m.check(alloc)) out.push(`${m.name}: ${msg}`);
  return out;
}

/** The busy (and free, purge) trees drawn sideways, colours and augment values shown. */
export function dumpTrees(alloc: VmapAllocator, maxNodes = 200): string {
  const a = alloc as unknown as Record<string, unknown>;
  const out: string[] = [];
  const draw = (name: string, root: rb_root | undefined) => {
    if (!root) return;
    out.push(`${name}:`);
    let count = 0;
    const rec = (n: VaNode | null, depth: number) => {
      if (!n || count > maxNodes) return;
      rec(n.rb_right as VaNode | null, depth + 1);
      if (++count <= maxNodes) {
        const extra = n.subtree_max_size !== undefined && name === 'free tree' ? ` max=${hex(n.subtree_max_size)}` : '';
        out.push(`${'    '.repeat(depth)}${n.__rb_color === RB_BLACK ? 'B' : 'R'} ${r(n)}${extra}`);
      }
      rec(n.rb_left as VaNode | null, depth + 1);
    };
    rec(root.rb_node as VaNode | null, 1);
    if (count > maxNodes) out.push(`    ... (more than ${maxNodes} nodes)`);
    if (!root.rb_node) out.push('    (empty)');
  };
  draw('busy tree', a.vmap_area_root as rb_root | undefined);
  if (capsOf(alloc)?.cache) out.push(`free_vmap_cache: ${a.free_vmap_cache ? r(a.free_vmap_cache as VaNode) : 'NULL'}`);
  draw('purge tree', a.purge_vmap_area_root as rb_root | undefined);
  draw('free tree', a.free_vmap_area_root as rb_root | undefined);
  out.push(`state: ${alloc.golden_state()}`);
  return out.join('\n');
}

/** Raised by assertInvariants: the violations, the trees and the last operations. */
export class InvariantViolation extends Error {
  constructor(
    readonly violations: string[],
    readonly dump: string,
    readonly recent: string[],
  ) {
    super(
      [
        `invariant violated (${violations.length}):`,
        ...violations.map((v) => `  ${v}`),
        'last operations:',
        ...recent.map((o) => `  ${o}`),
        dump,
      ].join('\n'),
    );
    this.name = 'InvariantViolation';
  }
}

/** Check, and throw an InvariantViolation with the dump if anything fails. `recent` lists the last ops, oldest first. */
export function assertInvariants(alloc: VmapAllocator, recent: string[] = [], opts: CheckOptions = {}): void {
  const v = checkInvariants(alloc, opts);
  if (v.length) throw new InvariantViolation(v, dumpTrees(alloc), recent);
}
