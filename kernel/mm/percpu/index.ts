// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mm/percpu.c texts that are ported, by the API era of the kernel that
 * runs them (a view of the kernels: linux-7.3's API era is 7.3's, and so
 * on). A kernel whose era is not here has no percpu allocator modelled.
 */

import { percpu } from '../percpu.js';
import { percpu_linux_6_12 } from './linux-6.12.js';

export const PERCPU_TEXTS: Readonly<Partial<Record<string, typeof percpu>>> = {
  'linux-6.12': percpu_linux_6_12,
  'linux-7.3': percpu,
};
