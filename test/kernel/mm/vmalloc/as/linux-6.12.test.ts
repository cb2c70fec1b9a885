// SPDX-License-Identifier: GPL-2.0-only
import { describeVmapNodeCore } from '../../../../helpers/wasm-nodes.js';

/*
 * linux-6.12 has no golden traces of its own (data/golden): the core is
 * held to its TypeScript port, op for op, on every golden op stream, and
 * to the 6.1 align-1 traces the port replays exactly. Lines of 6.12.95's
 * mm/vmalloc.c: decode_vn_id's warning 963, alloc_vmap_area's first BUG_ON
 * 2039.
 */
describeVmapNodeCore('linux-6.12', { decode_vn_id: 963, bug_aligned: 2039 });
