// SPDX-License-Identifier: GPL-2.0-only
/*
 * Red-black trees as rewritten by Michel Lespinasse for Linux 3.5 (2012):
 * lib/rbtree.c together with the inline half of
 * include/linux/rbtree_augmented.h (__rb_erase_augmented, rb_erase_augmented,
 * rb_insert_augmented, __rb_change_child, rb_set_parent_color).
 *
 * Version: linux-6.1. Upstream paths: lib/rbtree.c,
 *   include/linux/rbtree_augmented.h, include/linux/rbtree.h,
 *   include/linux/rbtree_types.h.
 * Text read: Debian linux-source-6.1 6.1.192-2 (linux-source-6.1.tar.xz),
 *   the four files above.
 * Eras: the insert and erase rebalancing (case analysis, rotation order,
 *   recolouring, and where the augment callbacks are called) has not changed
 *   since the 3.5 rewrite; later releases only added WRITE_ONCE() stores,
 *   the cached-leftmost wrappers and the RCU replace variant. This one file
 *   therefore serves every allocator era that runs on the new tree:
 *   linux-3.18, linux-5.2 and linux-6.1. A sequence of inserts and erases
 *   gives the kernel's exact tree shape.
 *
 * Representation: C packs parent and colour into __rb_parent_color; the
 * shared rb_node class (kernel/include/linux/rbtree.ts) keeps them as the
 * two fields __rb_parent and __rb_color. Copying the packed word copies both
 * fields; rb_set_parent_color() makes both assignments. A saved packed word
 * (`pc` in __rb_erase_augmented) is held as a parent and a colour local.
 *
 * struct rb_augment_callbacks is the interface below. The vmalloc ports that
 * keep an augmented tree (5.2, 6.1) write their own RB_DECLARE_CALLBACKS(_MAX)
 * expansions, because those count rb_entry() evaluations; the building
 * blocks they need are exported here.
 *
 * Not ported: rb_replace_node_rcu, the postorder iterators, the _cached
 * variants (no allocator in scope uses them).
 */

import {
  RB_BLACK,
  RB_EMPTY_NODE,
  RB_RED,
  rb_is_black,
  rb_is_red,
  rb_link_node,
  rb_node,
  rb_parent,
  rb_root,
  rb_set_parent,
  type RbtreeOps,
} from '../../include/linux/rbtree.js';

export { rb_link_node };

/** struct rb_augment_callbacks */
export interface rb_augment_callbacks {
  /** Recompute the augmented value from node up to (not including) stop. */
  propagate(node: rb_node, stop: rb_node | null): void;
  /** Copy the augmented value of old into new (new takes old's place). */
  copy(old: rb_node, new_: rb_node): void;
  /** After a rotation: new took old's place; fix both augmented values. */
  rotate(old: rb_node, new_: rb_node): void;
}

/** The augment_rotate argument of __rb_insert / __rb_erase_color. */
export type rb_augment_rotate = (old: rb_node, new_: rb_node) => void;

/* ---- inline helpers of rbtree.h / rbtree_augmented.h / rbtree.c ---- */

/** rb_set_parent_color(rb, p, color): one packed store in C, two fields here. */
export function rb_set_parent_color(rb: rb_node, p: rb_node | null, color: number): void {
  rb.__rb_parent = p;
  rb.__rb_color = color;
}

/** rb_set_black() of lib/rbtree.c: set the colour bit, keep the parent. */
export function rb_set_black(rb: rb_node): void {
  rb.__rb_color = RB_BLACK;
}

/**
 * rb_red_parent(red): the parent of a node known to be red; in C the packed
 * word is the parent pointer itself because the red colour bit is 0.
 */
export function rb_red_parent(red: rb_node): rb_node | null {
  return red.__rb_parent;
}

/** __rb_parent(pc) for a node's packed word: its parent. */
export function __rb_parent(rb: rb_node): rb_node | null {
  return rb.__rb_parent;
}

/** `new->__rb_parent_color = old->__rb_parent_color`: copy both halves. */
export function __rb_copy_parent_color(from: rb_node, to: rb_node): void {
  to.__rb_parent = from.__rb_parent;
  to.__rb_color = from.__rb_color;
}

/** __rb_change_child(old, new, parent, root): make parent (or root) point at new. */
export function __rb_change_child(old: rb_node, new_: rb_node | null, parent: rb_node | null, root: rb_root): void {
  if (parent) {
    if (parent.rb_left === old) parent.rb_left = new_;
    else parent.rb_right = new_;
  } else root.rb_node = new_;
}

/*
 * Rotation helper: new inherits old's parent and colour, old gets new as
 * its parent and `color` as its colour, and old's parent (or the root) now
 * points at new.
 */
export function __rb_rotate_set_parents(old: rb_node, new_: rb_node, root: rb_root, color: number): void {
  const parent = rb_parent(old);
  new_.__rb_parent = old.__rb_parent;
  new_.__rb_color = old.__rb_color;
  rb_set_parent_color(old, new_, color);
  __rb_change_child(old, new_, parent, root);
}

/* ---- insertion ---- */

/*
 * Rebalance after rb_link_node() has put the red leaf `node` in place.
 * Loop invariant: node is red.
 */
export function __rb_insert(node: rb_node, root: rb_root, augment_rotate: rb_augment_rotate): void {
  let parent = rb_red_parent(node);
  let gparent: rb_node;
  let tmp: rb_node | null;

  for (;;) {
    if (!parent) {
      // node is the root: the first node, or a colour flip climbed here.
      rb_set_parent_color(node, null, RB_BLACK);
      break;
    }

    // Under a black parent nothing is violated.
    if (rb_is_black(parent)) break;

    gparent = rb_red_parent(parent) as rb_node;

    tmp = gparent.rb_right;
    if (parent !== tmp) {
      // parent is gparent's left child
      if (tmp && rb_is_red(tmp)) {
        // Case 1, red uncle: recolour parent and uncle black, gparent red,
        // and go on at gparent, whose own parent may be red.
        rb_set_parent_color(tmp, gparent, RB_BLACK);
        rb_set_parent_color(parent, gparent, RB_BLACK);
        node = gparent;
        parent = rb_parent(node);
        rb_set_parent_color(node, parent, RB_RED);
        continue;
      }

      tmp = parent.rb_right;
      if (node === tmp) {
        // Case 2, black uncle and node an inner (right) child: rotate left
        // at parent, which leads into case 3.
        tmp = node.rb_left;
        parent.rb_right = tmp;
        node.rb_left = parent;
        if (tmp) rb_set_parent_color(tmp, parent, RB_BLACK);
        rb_set_parent_color(parent, node, RB_RED);
        augment_rotate(parent, node);
        parent = node;
        tmp = node.rb_right;
      }

      // Case 3, black uncle and node an outer (left) child: rotate right
      // at gparent; parent ends up black on top, gparent red below it.
      gparent.rb_left = tmp; // tmp is parent->rb_right
      parent.rb_right = gparent;
      if (tmp) rb_set_parent_color(tmp, gparent, RB_BLACK);
      __rb_rotate_set_parents(gparent, parent, root, RB_RED);
      augment_rotate(gparent, parent);
      break;
    } else {
      tmp = gparent.rb_left;
      if (tmp && rb_is_red(tmp)) {
        // Case 1 mirrored: colour flips.
        rb_set_parent_color(tmp, gparent, RB_BLACK);
        rb_set_parent_color(parent, gparent, RB_BLACK);
        node = gparent;
        parent = rb_parent(node);
        rb_set_parent_color(node, parent, RB_RED);
        continue;
      }

      tmp = parent.rb_left;
      if (node === tmp) {
        // Case 2 mirrored: rotate right at parent.
        tmp = node.rb_right;
        parent.rb_left = tmp;
        node.rb_right = parent;
        if (tmp) rb_set_parent_color(tmp, parent, RB_BLACK);
        rb_set_parent_color(parent, node, RB_RED);
        augment_rotate(parent, node);
        parent = node;
        tmp = node.rb_left;
      }

      // Case 3 mirrored: rotate left at gparent.
      gparent.rb_right = tmp; // tmp is parent->rb_left
      parent.rb_left = gparent;
      if (tmp) rb_set_parent_color(tmp, gparent, RB_BLACK);
      __rb_rotate_set_parents(gparent, parent, root, RB_RED);
      augment_rotate(gparent, parent);
      break;
    }
  }
}

/* ---- erase rebalancing ---- */

/*
 * Restore the black height after a black node was removed under `parent`.
 * Loop invariants: node is black (null on the first pass), parent is not
 * null, and every path through parent and node is one black node short.
 */
export function ____rb_erase_color(parent: rb_node, root: rb_root, augment_rotate: rb_augment_rotate): void {
  let node: rb_node | null = null;
  let sibling: rb_node;
  let tmp1: rb_node | null;
  let tmp2: rb_node | null;

  for (;;) {
    sibling = parent.rb_right as rb_node;
    if (node !== sibling) {
      // node is parent's left child
      if (rb_is_red(sibling)) {
        // Case 1: red sibling. Rotate left at parent so that node gets a
        // black sibling (the old sibling's left child); parent turns red.
        tmp1 = sibling.rb_left as rb_node;
        parent.rb_right = tmp1;
        sibling.rb_left = parent;
        rb_set_parent_color(tmp1, parent, RB_BLACK);
        __rb_rotate_set_parents(parent, sibling, root, RB_RED);
        augment_rotate(parent, sibling);
        sibling = tmp1;
      }
      tmp1 = sibling.rb_right;
      if (!tmp1 || rb_is_black(tmp1)) {
        tmp2 = sibling.rb_left;
        if (!tmp2 || rb_is_black(tmp2)) {
          // Case 2: black sibling with black children. Paint the sibling
          // red; a red parent turns black and we are done, a black parent
          // is one short itself, so climb to it.
          rb_set_parent_color(sibling, parent, RB_RED);
          if (rb_is_red(parent)) rb_set_black(parent);
          else {
            node = parent;
            parent = rb_parent(node) as rb_node;
            if (parent) continue;
          }
          break;
        }
        // Case 3: the sibling's near (left) child is red, its far child is
        // black. Rotate right at the sibling so the red child becomes the
        // new sibling; case 4 then sorts out the colours.
        tmp1 = tmp2.rb_right;
        sibling.rb_left = tmp1;
        tmp2.rb_right = sibling;
        parent.rb_right = tmp2;
        if (tmp1) rb_set_parent_color(tmp1, sibling, RB_BLACK);
        augment_rotate(sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      // Case 4: the sibling's far (right) child is red. Rotate left at
      // parent: the sibling takes parent's colour, parent and the far child
      // become black.
      tmp2 = sibling.rb_left;
      parent.rb_right = tmp2;
      sibling.rb_left = parent;
      rb_set_parent_color(tmp1 as rb_node, sibling, RB_BLACK);
      if (tmp2) rb_set_parent(tmp2, parent);
      __rb_rotate_set_parents(parent, sibling, root, RB_BLACK);
      augment_rotate(parent, sibling);
      break;
    } else {
      sibling = parent.rb_left as rb_node;
      if (rb_is_red(sibling)) {
        // Case 1 mirrored: rotate right at parent.
        tmp1 = sibling.rb_right as rb_node;
        parent.rb_left = tmp1;
        sibling.rb_right = parent;
        rb_set_parent_color(tmp1, parent, RB_BLACK);
        __rb_rotate_set_parents(parent, sibling, root, RB_RED);
        augment_rotate(parent, sibling);
        sibling = tmp1;
      }
      tmp1 = sibling.rb_left;
      if (!tmp1 || rb_is_black(tmp1)) {
        tmp2 = sibling.rb_right;
        if (!tmp2 || rb_is_black(tmp2)) {
          // Case 2 mirrored: sibling colour flip.
          rb_set_parent_color(sibling, parent, RB_RED);
          if (rb_is_red(parent)) rb_set_black(parent);
          else {
            node = parent;
            parent = rb_parent(node) as rb_node;
            if (parent) continue;
          }
          break;
        }
        // Case 3 mirrored: rotate left at the sibling.
        tmp1 = tmp2.rb_left;
        sibling.rb_right = tmp1;
        tmp2.rb_left = sibling;
        parent.rb_left = tmp2;
        if (tmp1) rb_set_parent_color(tmp1, sibling, RB_BLACK);
        augment_rotate(sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      // Case 4 mirrored: rotate right at parent with colour flips.
      tmp2 = sibling.rb_right;
      parent.rb_left = tmp2;
      sibling.rb_right = parent;
      rb_set_parent_color(tmp1 as rb_node, sibling, RB_BLACK);
      if (tmp2) rb_set_parent(tmp2, parent);
      __rb_rotate_set_parents(parent, sibling, root, RB_BLACK);
      augment_rotate(parent, sibling);
      break;
    }
  }
}

/** The out-of-line instance that rb_erase_augmented() calls. */
export function __rb_erase_color(parent: rb_node, root: rb_root, augment_rotate: rb_augment_rotate): void {
  ____rb_erase_color(parent, root, augment_rotate);
}

/* ---- the non-augmented entry points use callbacks that do nothing ---- */

function dummy_propagate(_node: rb_node, _stop: rb_node | null): void {}
function dummy_copy(_old: rb_node, _new: rb_node): void {}
function dummy_rotate(_old: rb_node, _new: rb_node): void {}

export const dummy_callbacks: rb_augment_callbacks = {
  propagate: dummy_propagate,
  copy: dummy_copy,
  rotate: dummy_rotate,
};

/*
 * Unlink node and return the node at which the black height must be
 * repaired (null if the colours could be fixed locally). The augmented
 * values on the way are kept up to date through the callbacks.
 */
export function __rb_erase_augmented(node: rb_node, root: rb_root, augment: rb_augment_callbacks): rb_node | null {
  const child = node.rb_right;
  let tmp = node.rb_left;
  let parent: rb_node | null;
  let rebalance: rb_node | null;
  // pc = node->__rb_parent_color, held as its two halves
  let pc_parent: rb_node | null;
  let pc_color: number;

  if (!tmp) {
    // Case 1: at most one child (the right one). A lone child must be red
    // and node black, so the child simply takes node's place and colour.
    pc_parent = node.__rb_parent;
    pc_color = node.__rb_color;
    parent = pc_parent;
    __rb_change_child(node, child, parent, root);
    if (child) {
      child.__rb_parent = pc_parent;
      child.__rb_color = pc_color;
      rebalance = null;
    } else rebalance = pc_color === RB_BLACK ? parent : null;
    tmp = parent;
  } else if (!child) {
    // Case 1 again, the lone child being node's left one.
    pc_parent = node.__rb_parent;
    pc_color = node.__rb_color;
    tmp.__rb_parent = pc_parent;
    tmp.__rb_color = pc_color;
    parent = pc_parent;
    __rb_change_child(node, tmp, parent, root);
    rebalance = null;
    tmp = parent;
  } else {
    let successor: rb_node = child;
    let child2: rb_node | null;

    tmp = child.rb_left;
    if (!tmp) {
      // Case 2: the successor is node's right child itself; it keeps its
      // right subtree and adopts node's left one.
      parent = successor;
      child2 = successor.rb_right;

      augment.copy(node, successor);
    } else {
      // Case 3: the successor is the leftmost node under node's right
      // child. It is unlinked from its parent (its right child takes its
      // slot) and then moved into node's place.
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

    tmp = node.rb_left as rb_node;
    successor.rb_left = tmp;
    rb_set_parent(tmp, successor);

    pc_parent = node.__rb_parent;
    pc_color = node.__rb_color;
    tmp = pc_parent;
    __rb_change_child(node, successor, tmp, root);

    if (child2) {
      rb_set_parent_color(child2, parent, RB_BLACK);
      rebalance = null;
    } else {
      rebalance = rb_is_black(successor) ? parent : null;
    }
    successor.__rb_parent = pc_parent;
    successor.__rb_color = pc_color;
    tmp = successor;
  }

  augment.propagate(tmp as rb_node, null);
  return rebalance;
}

/** rb_erase_augmented(node, root, augment) */
export function rb_erase_augmented(node: rb_node, root: rb_root, augment: rb_augment_callbacks): void {
  const rebalance = __rb_erase_augmented(node, root, augment);
  if (rebalance) __rb_erase_color(rebalance, root, augment.rotate);
}

/** rb_insert_color(node, root): rebalance after rb_link_node(). */
export function rb_insert_color(node: rb_node, root: rb_root): void {
  __rb_insert(node, root, dummy_rotate);
}

/** rb_erase(node, root) */
export function rb_erase(node: rb_node, root: rb_root): void {
  const rebalance = __rb_erase_augmented(node, root, dummy_callbacks);
  if (rebalance) ____rb_erase_color(rebalance, root, dummy_rotate);
}

/** __rb_insert_augmented(node, root, augment_rotate) */
export function __rb_insert_augmented(node: rb_node, root: rb_root, augment_rotate: rb_augment_rotate): void {
  __rb_insert(node, root, augment_rotate);
}

/**
 * rb_insert_augmented(node, root, augment): the caller has already updated
 * the augmented values along the path to the new leaf and linked it.
 */
export function rb_insert_augmented(node: rb_node, root: rb_root, augment: rb_augment_callbacks): void {
  __rb_insert_augmented(node, root, augment.rotate);
}

/* ---- iteration ---- */

/** The first node in sort order. */
export function rb_first(root: rb_root): rb_node | null {
  let n = root.rb_node;
  if (!n) return null;
  while (n.rb_left) n = n.rb_left;
  return n;
}

/** The last node in sort order. */
export function rb_last(root: rb_root): rb_node | null {
  let n = root.rb_node;
  if (!n) return null;
  while (n.rb_right) n = n.rb_right;
  return n;
}

export function rb_next(node: rb_node): rb_node | null {
  let parent: rb_node | null;

  if (RB_EMPTY_NODE(node)) return null;

  // With a right subtree, the successor is its leftmost node.
  if (node.rb_right) {
    node = node.rb_right;
    while (node.rb_left) node = node.rb_left;
    return node;
  }

  // Otherwise climb while we are a right child; the first ancestor reached
  // from its left side is the successor.
  while ((parent = rb_parent(node)) && node === parent.rb_right) node = parent;

  return parent;
}

export function rb_prev(node: rb_node): rb_node | null {
  let parent: rb_node | null;

  if (RB_EMPTY_NODE(node)) return null;

  // With a left subtree, the predecessor is its rightmost node.
  if (node.rb_left) {
    node = node.rb_left;
    while (node.rb_right) node = node.rb_right;
    return node;
  }

  // Otherwise climb while we are a left child.
  while ((parent = rb_parent(node)) && node === parent.rb_left) node = parent;

  return parent;
}

/** rb_replace_node(victim, new, root): put new in victim's place, no rebalancing. */
export function rb_replace_node(victim: rb_node, replacement: rb_node, root: rb_root): void {
  const parent = rb_parent(victim);

  // *new = *victim: parent, colour and both children.
  replacement.__rb_parent = victim.__rb_parent;
  replacement.__rb_color = victim.__rb_color;
  replacement.rb_right = victim.rb_right;
  replacement.rb_left = victim.rb_left;

  // The children now hang under the replacement.
  if (victim.rb_left) rb_set_parent(victim.rb_left, replacement);
  if (victim.rb_right) rb_set_parent(victim.rb_right, replacement);
  __rb_change_child(victim, replacement, parent, root);
}

/** This era's operations as one value (3.5 through 6.1 and later). */
export const rbtree_6_1: RbtreeOps = {
  era: 'linux-6.1',
  rb_insert_color,
  rb_erase,
  rb_next,
  rb_prev,
  rb_first,
  rb_last,
};
