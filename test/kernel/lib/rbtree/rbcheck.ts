// SPDX-License-Identifier: GPL-2.0-only
/* Test helpers: red-black rules and in-order listing for any era's tree. */

import { RB_BLACK, RB_RED, rb_node, rb_root } from '../../../../kernel/include/linux/rbtree.js';

export class keyed extends rb_node {
  constructor(readonly key: number) {
    super();
  }
}

/** Throws with a reason if a rule is broken; returns the black height. */
export function checkRbRules(root: rb_root): number {
  const r = root.rb_node;
  if (r === null) return 0;
  if (r.__rb_color !== RB_BLACK) throw new Error('root is not black');
  if (r.__rb_parent !== null) throw new Error('root has a parent');
  const walk = (n: rb_node | null, parent: rb_node | null): number => {
    if (n === null) return 1;
    if (n.__rb_parent !== parent) throw new Error('parent pointer is wrong');
    if (n.__rb_color === RB_RED && parent && parent.__rb_color === RB_RED) throw new Error('red node with a red parent');
    const l = walk(n.rb_left, n);
    const rr = walk(n.rb_right, n);
    if (l !== rr) throw new Error('black heights differ');
    return l + (n.__rb_color === RB_BLACK ? 1 : 0);
  };
  return walk(r, null);
}

export function inorder(root: rb_root): number[] {
  const out: number[] = [];
  const walk = (n: rb_node | null) => {
    if (!n) return;
    walk(n.rb_left);
    out.push((n as keyed).key);
    walk(n.rb_right);
  };
  walk(root.rb_node);
  return out;
}

/** The tree as nested [key colour left right] text, for shape assertions. */
export function shape(n: rb_node | null): string {
  if (!n) return '.';
  const k = (n as keyed).key;
  const c = n.__rb_color === RB_RED ? 'r' : 'b';
  if (!n.rb_left && !n.rb_right) return `${k}${c}`;
  return `(${k}${c} ${shape(n.rb_left)} ${shape(n.rb_right)})`;
}
