// SPDX-License-Identifier: GPL-2.0-only
/* The errno values and ERR_PTR convention the ported code returns. */

export const ENOENT = 2;
export const ENOMEM = 12;
export const EBUSY = 16;
export const EINVAL = 22;
export const ERANGE = 34;

/** MAX_ERRNO (include/linux/err.h) */
export const MAX_ERRNO = 4095;

/**
 * IS_ERR_VALUE(x) for an unsigned long x in the signed view (docs/u64.md):
 * x >= (unsigned long)-MAX_ERRNO, i.e. -4095 <= x <= -1.
 */
export function IS_ERR_VALUE(x: number): boolean {
  return x < 0 && x >= -MAX_ERRNO;
}

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

const NAMES: Record<number, string> = { [ENOENT]: 'ENOENT', [ENOMEM]: 'ENOMEM', [EBUSY]: 'EBUSY', [EINVAL]: 'EINVAL', [ERANGE]: 'ERANGE' };

/** "EBUSY" for -EBUSY. */
export function errname(err: number): string {
  return NAMES[-err] ?? `E${-err}`;
}
