// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: struct rb_node / struct rb_root and the inline helpers of
 * include/linux/rbtree.h that both eras share, for the wasm cores. The
 * TypeScript twin is ../rbtree.ts.
 *
 * Unlike the TypeScript twin, parent and colour are packed in one word as
 * in C (`__rb_parent_color`; 2.6.35 spelt it `rb_parent_color`, one name is
 * used here for both eras): nodes are 8-byte aligned, bit 0 is the colour.
 * `struct rb_node **link` is a usize: the address of the slot
 * (root->rb_node, parent->rb_left or parent->rb_right), read and written
 * with load/store (docs/wasm.md). The setters differ between the eras
 * (2.6.35 masks with | and &, 3.5+ adds) and live in each era's lib file.
 */

export const RB_RED: usize = 0;
export const RB_BLACK: usize = 1;

/** struct rb_node (field order as in C) */
@unmanaged
export class rb_node {
  __rb_parent_color: usize;
  rb_right: rb_node | null;
  rb_left: rb_node | null;
}

/** struct rb_root */
@unmanaged
export class rb_root {
  rb_node: rb_node | null;
}

/** &root->rb_node, &node->rb_left, &node->rb_right: slot addresses. */
@inline
export function rb_root_link(root: rb_root): usize {
  return changetype<usize>(root) + offsetof<rb_root>('rb_node');
}
@inline
export function rb_left_link(n: rb_node): usize {
  return changetype<usize>(n) + offsetof<rb_node>('rb_left');
}
@inline
export function rb_right_link(n: rb_node): usize {
  return changetype<usize>(n) + offsetof<rb_node>('rb_right');
}
/** *link */
@inline
export function rb_deref(link: usize): rb_node | null {
  return changetype<rb_node | null>(load<usize>(link));
}

@inline
export function rb_parent(r: rb_node): rb_node | null {
  return changetype<rb_node | null>(r.__rb_parent_color & ~(3 as usize));
}
@inline
export function rb_color(r: rb_node): usize {
  return r.__rb_parent_color & 1;
}
@inline
export function rb_is_red(r: rb_node): bool {
  return !rb_color(r);
}
@inline
export function rb_is_black(r: rb_node): bool {
  return rb_color(r) != 0;
}
@inline
export function RB_EMPTY_ROOT(root: rb_root): bool {
  return root.rb_node === null;
}

/** RB_EMPTY_NODE(node) of 3.5+: a node not in a tree has its own address as its packed word (2.6.35's is in its lib file). */
@inline
export function RB_EMPTY_NODE(node: rb_node): bool {
  return node.__rb_parent_color == changetype<usize>(node);
}

/** RB_CLEAR_NODE(node) of 3.5+. */
@inline
export function RB_CLEAR_NODE(node: rb_node): void {
  node.__rb_parent_color = changetype<usize>(node);
}

/** rb_link_node(node, parent, rb_link) */
@inline
export function rb_link_node(node: rb_node, parent: rb_node | null, rb_link: usize): void {
  node.__rb_parent_color = changetype<usize>(parent);
  node.rb_left = node.rb_right = null;

  store<usize>(rb_link, changetype<usize>(node));
}
