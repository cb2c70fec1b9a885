// SPDX-License-Identifier: GPL-2.0-only
/*
 * Customised: kernel interfaces re-implemented for the emulator
 * (tools/testing/vma's "customised" shims), shared by every allocator port.
 * README.md.
 */

import { KernelBug } from '../../../include/asm-generic/bug.js';
import type { list_head } from '../../../include/linux/list.js';
import type { rb_node } from '../../../include/linux/rbtree.js';
import type { VmallocEnv } from '../common.js';
import { vmalloc_stubs } from './stubbed.js';

/** Who an allocator object is: its kernel's name and BUG_ON/WARN_ON line table (from its manifest). */
export interface allocator_id {
  readonly name: string;
  /** "function:condition" -> the line of that site in the version's upstream file. */
  readonly lines: Readonly<Record<string, number>>;
  /** A wasm core's module other than its version's: a user's core compiled at load (kernel/mm/vmalloc/wasm/build.ts registerCompiledCore). */
  readonly core?: string;
}

/**
 * The line of a BUG_ON/WARN_ON site in a line table: "func:text", or
 * "func:text#N" for the Nth site of a function with the same condition
 * text. Throws if the table lacks it (a porting error, not a kernel BUG).
 */
export function bug_line(id: allocator_id, func: string, text: string, site = 1): number {
  const key = `${func}:${text}${site > 1 ? `#${site}` : ''}`;
  const line = id.lines[key];
  if (line === undefined) throw new Error(`${id.name}: no line for the site ${key} in its manifest's line table`);
  return line;
}

export class vmalloc_shims<VA> extends vmalloc_stubs {
  /** Registry name, e.g. "linux-2.6.35" (the manifest's). */
  readonly version: string;
  /** rb_entry()/list_entry() evaluations so far (the touch counter). */
  touches = 0;
  private readonly warned_once = new Set<number>();

  constructor(
    readonly env: VmallocEnv,
    readonly id: allocator_id,
  ) {
    super();
    this.version = id.name;
  }

  /* rb_entry()/list_entry() are container_of(); each evaluation is counted. */
  rb_entry(n: rb_node): VA {
    this.touches++;
    return n as unknown as VA;
  }

  /** rb_entry_safe(): NULL stays NULL and is not counted. */
  rb_entry_safe(n: rb_node | null): VA | null {
    if (!n) return null;
    this.touches++;
    return n as unknown as VA;
  }

  list_entry(l: list_head<VA>): VA {
    this.touches++;
    return l.owner as VA;
  }

  /** BUG_ON(): an oops at the version's line for this site. */
  BUG_ON(cond: boolean, func: string, text: string, site = 1): void {
    if (cond) throw new KernelBug(this.version, func, bug_line(this.id, func, text, site), text);
  }

  /** WARN_ON()/WARN(): report through the hook and hand the condition back. */
  WARN_ON(cond: boolean, func: string, text: string, site = 1): boolean {
    if (cond) this.env.hooks.warn({ version: this.version, func, line: bug_line(this.id, func, text, site), cond: text });
    return cond;
  }

  /** WARN_ON_ONCE(): as WARN_ON, reporting each site at most once. */
  WARN_ON_ONCE(cond: boolean, func: string, text: string, site = 1): boolean {
    if (cond) {
      const line = bug_line(this.id, func, text, site);
      if (!this.warned_once.has(line)) {
        this.warned_once.add(line);
        this.env.hooks.warn({ version: this.version, func, line, cond: text });
      }
    }
    return cond;
  }

  /* The same with the line given at the call: the shared pcpu_get_vm_areas() ports take each version's lines as an array. */
  BUG_ON_AT(cond: boolean, func: string, line: number, text: string): void {
    if (cond) throw new KernelBug(this.version, func, line, text);
  }

  WARN_ON_AT(cond: boolean, func: string, line: number, text: string): boolean {
    if (cond) this.env.hooks.warn({ version: this.version, func, line, cond: text });
    return cond;
  }

  WARN_ON_ONCE_AT(cond: boolean, func: string, line: number, text: string): boolean {
    if (cond && !this.warned_once.has(line)) {
      this.warned_once.add(line);
      this.env.hooks.warn({ version: this.version, func, line, cond: text });
    }
    return cond;
  }

  num_online_cpus(): number {
    return this.env.ncpu;
  }

  /** num_possible_cpus(): every CPU of the environment is possible and online. */
  num_possible_cpus(): number {
    return this.env.ncpu;
  }

  /** kmem_cache_alloc_node(vmap_area_cachep, ...); null models a failure (failslab). */
  kmem_cache_alloc(gfp_mask: number, _node?: number): VA | null {
    if (this.env.hooks.should_failslab?.(gfp_mask)) return null;
    return this.new_vmap_area();
  }

  /** The slab's constructor: a zeroed struct vmap_area of the version (each version class says which). */
  protected new_vmap_area(): VA {
    throw new Error(`${this.version}: no vmap_area slab (this version does not allocate through kmem_cache)`);
  }
}
