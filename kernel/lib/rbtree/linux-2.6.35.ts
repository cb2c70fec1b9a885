// SPDX-License-Identifier: GPL-2.0-only
/*
 * Red-black trees as of Linux 2.6.35: lib/rbtree.c (Andrea Arcangeli, David
 * Woodhouse), before the 3.5 rewrite. Ported function by function with the
 * same rotations and recolouring, so that a sequence of inserts and erases
 * gives the same tree shape as the kernel's.
 *
 * Text read: rivsidn/linux-2.6.35.6 lib/rbtree.c (see docs/sources.md).
 * The rb_augment_* helpers of this era are not used by vmalloc and are not
 * ported.
 */

import {
  RB_BLACK,
  rb_color,
  rb_is_black,
  rb_is_red,
  rb_node,
  rb_parent,
  rb_root,
  rb_set_black,
  rb_set_color,
  rb_set_parent,
  rb_set_red,
  type RbtreeOps,
} from '../../include/linux/rbtree.js';

function __rb_rotate_left(node: rb_node, root: rb_root): void {
  const right = node.rb_right as rb_node;
  const parent = rb_parent(node);

  if ((node.rb_right = right.rb_left)) rb_set_parent(right.rb_left as rb_node, node);
  right.rb_left = node;

  rb_set_parent(right, parent);

  if (parent) {
    if (node === parent.rb_left) parent.rb_left = right;
    else parent.rb_right = right;
  } else root.rb_node = right;
  rb_set_parent(node, right);
}

function __rb_rotate_right(node: rb_node, root: rb_root): void {
  const left = node.rb_left as rb_node;
  const parent = rb_parent(node);

  if ((node.rb_left = left.rb_right)) rb_set_parent(left.rb_right as rb_node, node);
  left.rb_right = node;

  rb_set_parent(left, parent);

  if (parent) {
    if (node === parent.rb_right) parent.rb_right = left;
    else parent.rb_left = left;
  } else root.rb_node = left;
  rb_set_parent(node, left);
}

export function rb_insert_color(node: rb_node, root: rb_root): void {
  let parent: rb_node | null;
  let gparent: rb_node;

  while ((parent = rb_parent(node)) && rb_is_red(parent)) {
    gparent = rb_parent(parent) as rb_node;

    if (parent === gparent.rb_left) {
      {
        const uncle = gparent.rb_right;
        if (uncle && rb_is_red(uncle)) {
          rb_set_black(uncle);
          rb_set_black(parent);
          rb_set_red(gparent);
          node = gparent;
          continue;
        }
      }

      if (parent.rb_right === node) {
        __rb_rotate_left(parent, root);
        const tmp: rb_node = parent;
        parent = node;
        node = tmp;
      }

      rb_set_black(parent);
      rb_set_red(gparent);
      __rb_rotate_right(gparent, root);
    } else {
      {
        const uncle = gparent.rb_left;
        if (uncle && rb_is_red(uncle)) {
          rb_set_black(uncle);
          rb_set_black(parent);
          rb_set_red(gparent);
          node = gparent;
          continue;
        }
      }

      if (parent.rb_left === node) {
        __rb_rotate_right(parent, root);
        const tmp: rb_node = parent;
        parent = node;
        node = tmp;
      }

      rb_set_black(parent);
      rb_set_red(gparent);
      __rb_rotate_left(gparent, root);
    }
  }

  rb_set_black(root.rb_node as rb_node);
}

function __rb_erase_color(node: rb_node | null, parent: rb_node | null, root: rb_root): void {
  let other: rb_node;

  while ((!node || rb_is_black(node)) && node !== root.rb_node) {
    const p = parent as rb_node;
    if (p.rb_left === node) {
      other = p.rb_right as rb_node;
      if (rb_is_red(other)) {
        rb_set_black(other);
        rb_set_red(p);
        __rb_rotate_left(p, root);
        other = p.rb_right as rb_node;
      }
      if ((!other.rb_left || rb_is_black(other.rb_left)) && (!other.rb_right || rb_is_black(other.rb_right))) {
        rb_set_red(other);
        node = p;
        parent = rb_parent(node);
      } else {
        if (!other.rb_right || rb_is_black(other.rb_right)) {
          rb_set_black(other.rb_left as rb_node);
          rb_set_red(other);
          __rb_rotate_right(other, root);
          other = p.rb_right as rb_node;
        }
        rb_set_color(other, rb_color(p));
        rb_set_black(p);
        rb_set_black(other.rb_right as rb_node);
        __rb_rotate_left(p, root);
        node = root.rb_node;
        break;
      }
    } else {
      other = p.rb_left as rb_node;
      if (rb_is_red(other)) {
        rb_set_black(other);
        rb_set_red(p);
        __rb_rotate_right(p, root);
        other = p.rb_left as rb_node;
      }
      if ((!other.rb_left || rb_is_black(other.rb_left)) && (!other.rb_right || rb_is_black(other.rb_right))) {
        rb_set_red(other);
        node = p;
        parent = rb_parent(node);
      } else {
        if (!other.rb_left || rb_is_black(other.rb_left)) {
          rb_set_black(other.rb_right as rb_node);
          rb_set_red(other);
          __rb_rotate_left(other, root);
          other = p.rb_left as rb_node;
        }
        rb_set_color(other, rb_color(p));
        rb_set_black(p);
        rb_set_black(other.rb_left as rb_node);
        __rb_rotate_right(p, root);
        node = root.rb_node;
        break;
      }
    }
  }
  if (node) rb_set_black(node);
}

export function rb_erase(node: rb_node, root: rb_root): void {
  let child: rb_node | null;
  let parent: rb_node | null;
  let color: number;

  if (!node.rb_left) child = node.rb_right;
  else if (!node.rb_right) child = node.rb_left;
  else {
    const old = node;
    let left: rb_node | null;

    node = node.rb_right;
    while ((left = node.rb_left) !== null) node = left;

    const oldParent = rb_parent(old);
    if (oldParent) {
      if (oldParent.rb_left === old) oldParent.rb_left = node;
      else oldParent.rb_right = node;
    } else root.rb_node = node;

    child = node.rb_right;
    parent = rb_parent(node);
    color = rb_color(node);

    if (parent === old) {
      parent = node;
    } else {
      if (child) rb_set_parent(child, parent);
      (parent as rb_node).rb_left = child;

      node.rb_right = old.rb_right;
      rb_set_parent(old.rb_right as rb_node, node);
    }

    // node->rb_parent_color = old->rb_parent_color
    node.__rb_parent = old.__rb_parent;
    node.__rb_color = old.__rb_color;
    node.rb_left = old.rb_left;
    rb_set_parent(old.rb_left as rb_node, node);

    if (color === RB_BLACK) __rb_erase_color(child, parent, root);
    return;
  }

  parent = rb_parent(node);
  color = rb_color(node);

  if (child) rb_set_parent(child, parent);
  if (parent) {
    if (parent.rb_left === node) parent.rb_left = child;
    else parent.rb_right = child;
  } else root.rb_node = child;

  if (color === RB_BLACK) __rb_erase_color(child, parent, root);
}

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

  if (rb_parent(node) === node) return null;

  // A right child: go down it, then left as far as possible.
  if (node.rb_right) {
    node = node.rb_right;
    while (node.rb_left) node = node.rb_left;
    return node;
  }

  // Otherwise climb while we are a right child; the first parent we reach
  // from its left side is the successor.
  while ((parent = rb_parent(node)) && node === parent.rb_right) node = parent;

  return parent;
}

export function rb_prev(node: rb_node): rb_node | null {
  let parent: rb_node | null;

  if (rb_parent(node) === node) return null;

  // A left child: go down it, then right as far as possible.
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

  if (parent) {
    if (victim === parent.rb_left) parent.rb_left = replacement;
    else parent.rb_right = replacement;
  } else root.rb_node = replacement;
  if (victim.rb_left) rb_set_parent(victim.rb_left, replacement);
  if (victim.rb_right) rb_set_parent(victim.rb_right, replacement);

  replacement.__rb_parent = victim.__rb_parent;
  replacement.__rb_color = victim.__rb_color;
  replacement.rb_left = victim.rb_left;
  replacement.rb_right = victim.rb_right;
}

/** This era's operations as one value. */
export const rbtree_2_6_35: RbtreeOps = {
  era: 'linux-2.6.35',
  rb_insert_color,
  rb_erase,
  rb_next,
  rb_prev,
  rb_first,
  rb_last,
};
