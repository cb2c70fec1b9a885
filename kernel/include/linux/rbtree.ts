// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct rb_node / struct rb_root and the inline helpers of
 * include/linux/rbtree.h that every era shares.
 *
 * C packs the parent pointer and the colour into one word (rb_parent_color,
 * later __rb_parent_color); here they are two fields, __rb_parent and
 * __rb_color, and "copy the packed word" copies both. The rebalancing
 * algorithms live per era in kernel/lib/rbtree/.
 *
 * The C code links a new node through `struct rb_node **link`, a pointer to
 * the parent's rb_left/rb_right slot or to root->rb_node. TypeScript has no
 * pointer to a field, so a link is named by (parent, side): RB_LEFT/RB_RIGHT
 * under parent, or the root when parent is null.
 */

export const RB_RED = 0;
export const RB_BLACK = 1;

/** struct rb_node; a structure embedding one extends this class, so rb_entry() is a cast. */
export class rb_node {
  __rb_parent: rb_node | null = null;
  __rb_color: number = RB_RED;
  rb_right: rb_node | null = null;
  rb_left: rb_node | null = null;
}

/** struct rb_root */
export class rb_root {
  rb_node: rb_node | null = null;
}

/** RB_ROOT */
export function RB_ROOT(): rb_root {
  return new rb_root();
}

/** Which slot of the parent a link names. */
export const RB_LEFT = 0;
export const RB_RIGHT = 1;
export type rb_side = typeof RB_LEFT | typeof RB_RIGHT;

export function rb_parent(n: rb_node): rb_node | null {
  return n.__rb_parent;
}
export function rb_color(n: rb_node): number {
  return n.__rb_color;
}
export function rb_is_red(n: rb_node): boolean {
  return n.__rb_color === RB_RED;
}
export function rb_is_black(n: rb_node): boolean {
  return n.__rb_color === RB_BLACK;
}
export function rb_set_red(n: rb_node): void {
  n.__rb_color = RB_RED;
}
export function rb_set_black(n: rb_node): void {
  n.__rb_color = RB_BLACK;
}
export function rb_set_parent(n: rb_node, p: rb_node | null): void {
  n.__rb_parent = p;
}
export function rb_set_color(n: rb_node, color: number): void {
  n.__rb_color = color;
}

/** RB_EMPTY_ROOT(root) */
export function RB_EMPTY_ROOT(root: rb_root): boolean {
  return root.rb_node === null;
}

/** RB_EMPTY_NODE(node): a node not in a tree points at itself. */
export function RB_EMPTY_NODE(n: rb_node): boolean {
  return n.__rb_parent === n;
}

/** RB_CLEAR_NODE(node) */
export function RB_CLEAR_NODE(n: rb_node): void {
  n.__rb_parent = n;
}

/**
 * rb_link_node(node, parent, link): make node a red leaf under parent and
 * store it in the slot the link names (root->rb_node when parent is null).
 */
export function rb_link_node(node: rb_node, parent: rb_node | null, side: rb_side, root: rb_root): void {
  node.__rb_parent = parent;
  node.__rb_color = RB_RED;
  node.rb_left = node.rb_right = null;
  if (parent === null) root.rb_node = node;
  else if (side === RB_LEFT) parent.rb_left = node;
  else parent.rb_right = node;
}

/** The operations a tree of one era provides; ported users take one of these. */
export interface RbtreeOps {
  readonly era: string;
  rb_insert_color(node: rb_node, root: rb_root): void;
  rb_erase(node: rb_node, root: rb_root): void;
  rb_next(node: rb_node): rb_node | null;
  rb_prev(node: rb_node): rb_node | null;
  rb_first(root: rb_root): rb_node | null;
  rb_last(root: rb_root): rb_node | null;
}
