// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: red-black trees as rewritten by Michel Lespinasse for
 * Linux 3.5, lib/rbtree.c with the inline half of
 * include/linux/rbtree_augmented.h, as of linux-6.1: the twin of
 * ../linux-6.1.ts over the packed `__rb_parent_color` word of C.
 *
 * Text: transcribed from the TypeScript port ../linux-6.1.ts (read in
 *   Debian linux-source-6.1 6.1.192-2), with the packed-word helpers and
 *   __rb_erase_augmented checked against Debian's linux-source-6.12
 *   lib/rbtree.c and include/linux/rbtree_augmented.h (unchanged there but
 *   for WRITE_ONCE). docs/sources.md.
 *
 * struct rb_augment_callbacks is a class whose three methods are the
 * callbacks (each user declares its own, as RB_DECLARE_CALLBACKS does),
 * and the functions that take the callbacks or their rotate are generic
 * over that class, so every callback call is a direct call the compiler
 * can inline, as C's __always_inline expansion with a constant
 * `&callbacks` makes them (docs/wasm.md, function pointers). A function
 * reference would be a call_indirect through a table index loaded from
 * linear memory, which the optimiser cannot resolve.
 */

import { RB_BLACK, RB_EMPTY_NODE, RB_RED, rb_is_black, rb_is_red, rb_node, rb_parent, rb_root } from '../../../include/linux/as/rbtree';

/*
 * struct rb_augment_callbacks { propagate, copy, rotate }: a class with
 *   propagate(node: rb_node | null, stop: rb_node | null): void
 *   copy(old: rb_node, new_: rb_node): void
 *   rotate(old: rb_node, new_: rb_node): void
 * `void (*augment_rotate)(struct rb_node *old, struct rb_node *new)` is
 * such a class too, called as augment_rotate.rotate(old, new).
 */

/* ---- include/linux/rbtree_augmented.h ---- */

@inline
function __rb_parent(pc: usize): rb_node | null {
  return changetype<rb_node | null>(pc & ~(3 as usize));
}
@inline
function __rb_is_black(pc: usize): bool {
  return (pc & 1) != 0;
}

@inline
export function rb_set_parent(rb: rb_node, p: rb_node | null): void {
  rb.__rb_parent_color = (rb.__rb_parent_color & 1) + changetype<usize>(p);
}

@inline
export function rb_set_parent_color(rb: rb_node, p: rb_node | null, color: usize): void {
  rb.__rb_parent_color = changetype<usize>(p) + color;
}

@inline
export function __rb_change_child(old: rb_node, new_: rb_node | null, parent: rb_node | null, root: rb_root): void {
  if (parent) {
    if (parent.rb_left === old) parent.rb_left = new_;
    else parent.rb_right = new_;
  } else root.rb_node = new_;
}

/* ---- lib/rbtree.c ---- */

@inline
function rb_set_black(rb: rb_node): void {
  rb.__rb_parent_color += RB_BLACK;
}

@inline
function rb_red_parent(red: rb_node): rb_node | null {
  return changetype<rb_node | null>(red.__rb_parent_color);
}

/*
 * Helper function for rotations: new takes old's parent and colour, old
 * gets new as parent and `color`, and old's parent (or the root) points at
 * new.
 */
@inline
function __rb_rotate_set_parents(old: rb_node, new_: rb_node, root: rb_root, color: usize): void {
  const parent = rb_parent(old);
  new_.__rb_parent_color = old.__rb_parent_color;
  rb_set_parent_color(old, new_, color);
  __rb_change_child(old, new_, parent, root);
}

@inline
function __rb_insert<A>(node: rb_node, root: rb_root, augment_rotate: A): void {
  let parent = rb_red_parent(node);
  let gparent: rb_node;
  let tmp: rb_node | null;

  while (true) {
    // Loop invariant: node is red.
    if (!parent) {
      // The inserted node is the root: the first node, or case 1 recursed up.
      rb_set_parent_color(node, null, RB_BLACK);
      break;
    }

    // A black parent: done. Otherwise two reds in a row must be fixed.
    if (rb_is_black(parent)) break;

    gparent = rb_red_parent(parent)!;

    tmp = gparent.rb_right;
    if (parent !== tmp) {
      // parent == gparent->rb_left
      if (tmp && rb_is_red(tmp)) {
        // Case 1: the uncle is red: flip colours, recurse at gparent.
        rb_set_parent_color(tmp, gparent, RB_BLACK);
        rb_set_parent_color(parent, gparent, RB_BLACK);
        node = gparent;
        parent = rb_parent(node);
        rb_set_parent_color(node, parent, RB_RED);
        continue;
      }

      tmp = parent.rb_right;
      if (node === tmp) {
        // Case 2: node is the parent's right child: rotate left at parent.
        tmp = node.rb_left;
        parent.rb_right = tmp;
        node.rb_left = parent;
        if (tmp) rb_set_parent_color(tmp, parent, RB_BLACK);
        rb_set_parent_color(parent, node, RB_RED);
        augment_rotate.rotate(parent, node);
        parent = node;
        tmp = node.rb_right;
      }

      // Case 3: node is the parent's left child: rotate right at gparent.
      gparent.rb_left = tmp; // == parent->rb_right
      parent.rb_right = gparent;
      if (tmp) rb_set_parent_color(tmp, gparent, RB_BLACK);
      __rb_rotate_set_parents(gparent, parent, root, RB_RED);
      augment_rotate.rotate(gparent, parent);
      break;
    } else {
      tmp = gparent.rb_left;
      if (tmp && rb_is_red(tmp)) {
        // Case 1: colour flips.
        rb_set_parent_color(tmp, gparent, RB_BLACK);
        rb_set_parent_color(parent, gparent, RB_BLACK);
        node = gparent;
        parent = rb_parent(node);
        rb_set_parent_color(node, parent, RB_RED);
        continue;
      }

      tmp = parent.rb_left;
      if (node === tmp) {
        // Case 2: right rotate at parent.
        tmp = node.rb_right;
        parent.rb_left = tmp;
        node.rb_right = parent;
        if (tmp) rb_set_parent_color(tmp, parent, RB_BLACK);
        rb_set_parent_color(parent, node, RB_RED);
        augment_rotate.rotate(parent, node);
        parent = node;
        tmp = node.rb_left;
      }

      // Case 3: left rotate at gparent.
      gparent.rb_right = tmp; // == parent->rb_left
      parent.rb_left = gparent;
      if (tmp) rb_set_parent_color(tmp, gparent, RB_BLACK);
      __rb_rotate_set_parents(gparent, parent, root, RB_RED);
      augment_rotate.rotate(gparent, parent);
      break;
    }
  }
}

/*
 * Inline version for rb_erase() use: restore the black height below
 * parent. Loop invariants: node is black (or NULL on the first pass), node
 * is not the root, every path through parent and node is one black short.
 */
@inline
function ____rb_erase_color<A>(parent: rb_node, root: rb_root, augment_rotate: A): void {
  let node: rb_node | null = null;
  let sibling: rb_node;
  let tmp1: rb_node | null;
  let tmp2: rb_node | null;

  while (true) {
    sibling = parent.rb_right!;
    if (node !== sibling) {
      // node == parent->rb_left
      if (rb_is_red(sibling)) {
        // Case 1: left rotate at parent.
        tmp1 = sibling.rb_left!;
        parent.rb_right = tmp1;
        sibling.rb_left = parent;
        rb_set_parent_color(tmp1, parent, RB_BLACK);
        __rb_rotate_set_parents(parent, sibling, root, RB_RED);
        augment_rotate.rotate(parent, sibling);
        sibling = tmp1;
      }
      tmp1 = sibling.rb_right;
      if (!tmp1 || rb_is_black(tmp1)) {
        tmp2 = sibling.rb_left;
        if (!tmp2 || rb_is_black(tmp2)) {
          // Case 2: sibling colour flip (p could be either colour here).
          rb_set_parent_color(sibling, parent, RB_RED);
          if (rb_is_red(parent)) rb_set_black(parent);
          else {
            node = parent;
            parent = rb_parent(node)!;
            if (changetype<usize>(parent)) continue;
          }
          break;
        }
        // Case 3: right rotate at sibling.
        tmp1 = tmp2.rb_right;
        sibling.rb_left = tmp1;
        tmp2.rb_right = sibling;
        parent.rb_right = tmp2;
        if (tmp1) rb_set_parent_color(tmp1, sibling, RB_BLACK);
        augment_rotate.rotate(sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      // Case 4: left rotate at parent + colour flips.
      tmp2 = sibling.rb_left;
      parent.rb_right = tmp2;
      sibling.rb_left = parent;
      rb_set_parent_color(tmp1, sibling, RB_BLACK);
      if (tmp2) rb_set_parent(tmp2, parent);
      __rb_rotate_set_parents(parent, sibling, root, RB_BLACK);
      augment_rotate.rotate(parent, sibling);
      break;
    } else {
      sibling = parent.rb_left!;
      if (rb_is_red(sibling)) {
        // Case 1: right rotate at parent.
        tmp1 = sibling.rb_right!;
        parent.rb_left = tmp1;
        sibling.rb_right = parent;
        rb_set_parent_color(tmp1, parent, RB_BLACK);
        __rb_rotate_set_parents(parent, sibling, root, RB_RED);
        augment_rotate.rotate(parent, sibling);
        sibling = tmp1;
      }
      tmp1 = sibling.rb_left;
      if (!tmp1 || rb_is_black(tmp1)) {
        tmp2 = sibling.rb_right;
        if (!tmp2 || rb_is_black(tmp2)) {
          // Case 2: sibling colour flip.
          rb_set_parent_color(sibling, parent, RB_RED);
          if (rb_is_red(parent)) rb_set_black(parent);
          else {
            node = parent;
            parent = rb_parent(node)!;
            if (changetype<usize>(parent)) continue;
          }
          break;
        }
        // Case 3: left rotate at sibling.
        tmp1 = tmp2.rb_left;
        sibling.rb_right = tmp1;
        tmp2.rb_left = sibling;
        parent.rb_left = tmp2;
        if (tmp1) rb_set_parent_color(tmp1, sibling, RB_BLACK);
        augment_rotate.rotate(sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      // Case 4: right rotate at parent + colour flips.
      tmp2 = sibling.rb_right;
      parent.rb_left = tmp2;
      sibling.rb_right = parent;
      rb_set_parent_color(tmp1, sibling, RB_BLACK);
      if (tmp2) rb_set_parent(tmp2, parent);
      __rb_rotate_set_parents(parent, sibling, root, RB_BLACK);
      augment_rotate.rotate(parent, sibling);
      break;
    }
  }
}

/* Non-inline version for rb_erase_augmented() use. */
export function __rb_erase_color<A>(parent: rb_node, root: rb_root, augment_rotate: A): void {
  ____rb_erase_color(parent, root, augment_rotate);
}

/* The non-augmented entry points use callbacks that do nothing. */
@final @unmanaged
class dummy_callbacks_t {
  propagate(node: rb_node | null, stop: rb_node | null): void {}
  copy(old: rb_node, new_: rb_node): void {}
  rotate(old: rb_node, new_: rb_node): void {}
}

const dummy_callbacks = new dummy_callbacks_t();
/* dummy_rotate: the rotate of dummy_callbacks */
const dummy_rotate = dummy_callbacks;

/* ---- include/linux/rbtree_augmented.h: erase ---- */

@inline
function __rb_erase_augmented<A>(node: rb_node, root: rb_root, augment: A): rb_node | null {
  const child = node.rb_right;
  let tmp = node.rb_left;
  let parent: rb_node | null;
  let rebalance: rb_node | null;
  let pc: usize;

  if (!tmp) {
    // Case 1: node has at most one child (the right one, maybe NULL): a
    // red child takes node's place and colour; else node was black.
    pc = node.__rb_parent_color;
    parent = __rb_parent(pc);
    __rb_change_child(node, child, parent, root);
    if (child) {
      child.__rb_parent_color = pc;
      rebalance = null;
    } else rebalance = __rb_is_black(pc) ? parent : null;
    tmp = parent;
  } else if (!child) {
    // Still case 1, the child being node->rb_left.
    tmp.__rb_parent_color = pc = node.__rb_parent_color;
    parent = __rb_parent(pc);
    __rb_change_child(node, tmp, parent, root);
    rebalance = null;
    tmp = parent;
  } else {
    let successor: rb_node = child;
    let child2: rb_node | null;

    tmp = child.rb_left;
    if (!tmp) {
      // Case 2: the successor is node's right child.
      parent = successor;
      child2 = successor.rb_right;

      augment.copy(node, successor);
    } else {
      // Case 3: the successor is the leftmost node under node's right child.
      do {
        parent = successor;
        successor = tmp;
        tmp = tmp.rb_left;
      } while (tmp);
      child2 = successor.rb_right;
      parent.rb_left = child2;
      successor.rb_right = child;
      rb_set_parent(child, successor);

      augment.copy(node, successor);
      augment.propagate(parent, successor);
    }

    tmp = node.rb_left!;
    successor.rb_left = tmp;
    rb_set_parent(tmp, successor);

    pc = node.__rb_parent_color;
    tmp = __rb_parent(pc);
    __rb_change_child(node, successor, tmp, root);

    if (child2) {
      rb_set_parent_color(child2, parent, RB_BLACK);
      rebalance = null;
    } else {
      rebalance = rb_is_black(successor) ? parent : null;
    }
    successor.__rb_parent_color = pc;
    tmp = successor;
  }

  augment.propagate(tmp, null);
  return rebalance;
}

@inline
export function rb_erase_augmented<A>(node: rb_node, root: rb_root, augment: A): void {
  const rebalance = __rb_erase_augmented(node, root, augment);
  if (rebalance) __rb_erase_color(rebalance, root, augment); // augment->rotate
}

/* ---- lib/rbtree.c: the public entry points ---- */

export function rb_insert_color(node: rb_node, root: rb_root): void {
  __rb_insert(node, root, dummy_rotate);
}

export function rb_erase(node: rb_node, root: rb_root): void {
  let rebalance: rb_node | null;
  rebalance = __rb_erase_augmented(node, root, dummy_callbacks);
  if (rebalance) ____rb_erase_color(rebalance, root, dummy_rotate);
}

/*
 * Augmented rbtree manipulation functions: the rebalancing with the
 * user's rotate callback.
 */
export function __rb_insert_augmented<A>(node: rb_node, root: rb_root, augment_rotate: A): void {
  __rb_insert(node, root, augment_rotate);
}

@inline
export function rb_insert_augmented<A>(node: rb_node, root: rb_root, augment: A): void {
  __rb_insert_augmented(node, root, augment); // augment->rotate
}

export function rb_next(node: rb_node): rb_node | null {
  let parent: rb_node | null;

  if (RB_EMPTY_NODE(node)) return null;

  // With a right subtree, the successor is its leftmost node.
  if (node.rb_right) {
    node = node.rb_right!;
    while (node.rb_left) node = node.rb_left!;
    return node;
  }

  // Otherwise climb while we are a right child.
  while ((parent = rb_parent(node)) && node === parent!.rb_right) node = parent!;

  return parent;
}

export function rb_prev(node: rb_node): rb_node | null {
  let parent: rb_node | null;

  if (RB_EMPTY_NODE(node)) return null;

  // With a left subtree, the predecessor is its rightmost node.
  if (node.rb_left) {
    node = node.rb_left!;
    while (node.rb_right) node = node.rb_right!;
    return node;
  }

  // Otherwise climb while we are a left child.
  while ((parent = rb_parent(node)) && node === parent!.rb_left) node = parent!;

  return parent;
}
