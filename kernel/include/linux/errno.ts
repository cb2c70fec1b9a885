// SPDX-License-Identifier: GPL-2.0-only
/* The errno values and ERR_PTR convention the ported code returns. */

export const ENOMEM = 12;
export const EBUSY = 16;
export const EINVAL = 22;

/** ERR_PTR(-errno): a ported function returns a negative number where C returns an error pointer. */
export type ERR_PTR = number;

export function ERR_PTR(err: number): ERR_PTR {
  return err;
}

/** IS_ERR(ptr) */
export function IS_ERR<T extends object>(p: T | ERR_PTR): p is ERR_PTR {
  return typeof p === 'number';
}

/** PTR_ERR(ptr) */
export function PTR_ERR(p: ERR_PTR): number {
  return p;
}

const NAMES: Record<number, string> = { [ENOMEM]: 'ENOMEM', [EBUSY]: 'EBUSY', [EINVAL]: 'EINVAL' };

/** "EBUSY" for -EBUSY. */
export function errname(err: number): string {
  return NAMES[-err] ?? `E${-err}`;
}
