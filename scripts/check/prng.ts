// SPDX-License-Identifier: GPL-2.0-only
/* splitmix64 for the workload generator: the kernel layer's stream (kernel/lib/random.ts). */

export { SplitMix64 } from '../../kernel/lib/random.js';
