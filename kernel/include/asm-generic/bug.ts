// SPDX-License-Identifier: GPL-2.0-only
/*
 * BUG(), BUG_ON() and WARN_ON() for ported kernel code.
 *
 * In the kernel a BUG is an oops: the task dies with a report naming the file
 * and line. Here it raises a typed KernelBug carrying the kernel version, the
 * function, the line in that version's source file and the condition text,
 * so a run can report it oops-style and carry on; the emulator never crashes.
 * WARN_ON() does not unwind: it reports and returns its condition.
 */

/** Where a BUG/WARN sits in a given version's source. */
export interface BugSite {
  /** Kernel version name, as in the registry (e.g. "linux-2.6.35"). */
  readonly version: string;
  /** Function containing the check. */
  readonly func: string;
  /** Line in that version's source file. */
  readonly line: number;
  /** The condition text ("BUG()" for an unconditional BUG). */
  readonly cond: string;
}

/** A BUG()/BUG_ON() fired in ported kernel code. */
export class KernelBug extends Error implements BugSite {
  constructor(
    readonly version: string,
    readonly func: string,
    readonly line: number,
    readonly cond: string,
    readonly file = 'mm/vmalloc.c',
  ) {
    super(`kernel BUG at ${file}:${line}! ${func}: ${cond} (${version})`);
    this.name = 'KernelBug';
  }

  /** The golden-trace event text: "FUNC:LINE COND". */
  get site(): string {
    return `${this.func}:${this.line} ${this.cond}`;
  }

  /** A short oops-style report, as the kernel log would start it. */
  oops(state?: string): string {
    const lines = [
      `------------[ cut here ]------------`,
      `kernel BUG at ${this.file}:${this.line}!`,
      `invalid opcode: 0000 [#1] SMP`,
      `RIP: ${this.func}  (${this.version})`,
      `condition: ${this.cond}`,
    ];
    if (state) lines.push(`allocator state: ${state}`);
    lines.push(`---[ end trace ]---`);
    return lines.join('\n');
  }
}

/** A WARN_ON() that fired (the code goes on). */
export interface KernelWarning extends BugSite {}

/** Receives WARN_ON reports from ported code. */
export type WarnSink = (w: KernelWarning) => void;

/** True if the value is a KernelBug (also across realms). */
export function isKernelBug(e: unknown): e is KernelBug {
  return e instanceof KernelBug;
}
