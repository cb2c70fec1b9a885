// SPDX-License-Identifier: GPL-2.0-only
/* The API layers take the allocator family they were written against. */

import type { VmapAllocator } from '../mm/vmalloc/common.js';
import type { allocator_2_6 } from '../mm/vmalloc/api/linux-2.6.35.js';
import type { allocator_6 } from '../mm/vmalloc/api/linux-6.1.js';

export const as2 = (a: VmapAllocator): allocator_2_6 => a as unknown as allocator_2_6;
export const as6 = (a: VmapAllocator): allocator_6 => a as unknown as allocator_6;
