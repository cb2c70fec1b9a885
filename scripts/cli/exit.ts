// SPDX-License-Identifier: GPL-2.0-only
/* Exit statuses of the vmapsim command. */

/** Everything matched / ran. */
export const EXIT_OK = 0;
/** A divergence, a failed check, a kernel BUG where none was expected. */
export const EXIT_DIVERGED = 1;
/** Bad input or bad usage: one line naming the file, line and field. */
export const EXIT_BAD_INPUT = 2;
