// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { RB_BLACK, RB_LEFT, RB_RIGHT, RB_RED, rb_node, rb_root, type rb_side } from '../../../../kernel/include/linux/rbtree.js';
import {
  __rb_parent,
  type rb_augment_callbacks,
  rb_erase,
  rb_erase_augmented,
  rb_first,
  rb_insert_augmented,
  rb_insert_color,
  rb_last,
  rb_link_node,
  rb_next,
  rb_prev,
  rb_replace_node,
  rbtree_6_1,
} from '../../../../kernel/lib/rbtree/linux-6.1.js';

/* A plain keyed node. */
class KNode extends rb_node {
  constructor(readonly key: number) {
    super();
  }
}

/* Descend like the kernel's insert loops: equal keys go right. */
function link<T extends KNode>(root: rb_root, node: T): void {
  let p = root.rb_node as T | null;
  let parent: T | null = null;
  let side: rb_side = RB_LEFT;
  while (p) {
    parent = p;
    if (node.key < p.key) {
      side = RB_LEFT;
      p = p.rb_left as T | null;
    } else {
      side = RB_RIGHT;
      p = p.rb_right as T | null;
    }
  }
  rb_link_node(node, parent, side, root);
}

function insert(root: rb_root, key: number): KNode {
  const n = new KNode(key);
  link(root, n);
  rb_insert_color(n, root);
  return n;
}

function inorder<T extends rb_node>(root: rb_root): T[] {
  const out: T[] = [];
  const walk = (n: rb_node | null): void => {
    if (!n) return;
    walk(n.rb_left);
    out.push(n as T);
    walk(n.rb_right);
  };
  walk(root.rb_node);
  return out;
}

/* Checks the red-black rules and the parent links; returns the black height. */
function checkRb(root: rb_root): number {
  const r = root.rb_node;
  if (!r) return 0;
  expect(r.__rb_parent, 'root has no parent').to.equal(null);
  expect(r.__rb_color, 'root is black').to.equal(RB_BLACK);
  const height = (n: rb_node | null, parent: rb_node | null): number => {
    if (!n) return 1;
    expect(n.__rb_parent, 'parent link').to.equal(parent);
    if (n.__rb_color === RB_RED) {
      expect(n.rb_left === null || n.rb_left.__rb_color === RB_BLACK, 'no red-red (left)').to.equal(true);
      expect(n.rb_right === null || n.rb_right.__rb_color === RB_BLACK, 'no red-red (right)').to.equal(true);
    } else expect(n.__rb_color).to.equal(RB_BLACK);
    const hl = height(n.rb_left, n);
    const hr = height(n.rb_right, n);
    expect(hl, 'equal black height').to.equal(hr);
    return hl + (n.__rb_color === RB_BLACK ? 1 : 0);
  };
  return height(r, null);
}

/* "key" + b/r, children in parentheses when there are any, "-" for none. */
function shape(n: rb_node | null): string {
  if (!n) return '-';
  const k = n as KNode;
  const self = `${k.key}${n.__rb_color === RB_BLACK ? 'B' : 'r'}`;
  if (!n.rb_left && !n.rb_right) return self;
  return `${self}(${shape(n.rb_left)},${shape(n.rb_right)})`;
}

type Cmd = { op: 'insert'; key: number } | { op: 'erase'; pick: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 200 }).map((key): Cmd => ({ op: 'insert', key })) },
  { weight: 2, arbitrary: fc.nat(1000).map((pick): Cmd => ({ op: 'erase', pick })) },
);

describe('lib/rbtree (3.5+ rewrite, as in 6.1)', () => {
  describe('after random inserts and erases', () => {
    it('the tree keeps the red-black rules and in-order equals sorted order', () => {
      fc.assert(
        fc.property(fc.array(cmdArb, { maxLength: 300 }), (cmds) => {
          const root = new rb_root();
          const live: KNode[] = [];
          for (const c of cmds) {
            if (c.op === 'insert') live.push(insert(root, c.key));
            else if (live.length) {
              const i = c.pick % live.length;
              rb_erase(live[i]!, root);
              live.splice(i, 1);
            }
            checkRb(root);
          }
          const keys = inorder<KNode>(root).map((n) => n.key);
          expect(keys).to.deep.equal(live.map((n) => n.key).sort((a, b) => a - b));
        }),
        { numRuns: 200 },
      );
    });

    it('rb_first, rb_last, rb_next and rb_prev agree with the sorted order', () => {
      fc.assert(
        fc.property(fc.array(cmdArb, { maxLength: 200 }), (cmds) => {
          const root = new rb_root();
          const live: KNode[] = [];
          for (const c of cmds) {
            if (c.op === 'insert') live.push(insert(root, c.key));
            else if (live.length) {
              const i = c.pick % live.length;
              rb_erase(live[i]!, root);
              live.splice(i, 1);
            }
          }
          const sorted = inorder<KNode>(root);
          expect(sorted.map((n) => n.key)).to.deep.equal(live.map((n) => n.key).sort((a, b) => a - b));
          expect(rb_first(root)).to.equal(sorted.length ? sorted[0] : null);
          expect(rb_last(root)).to.equal(sorted.length ? sorted[sorted.length - 1] : null);
          // Walk forwards and backwards by the iterators.
          const fwd: rb_node[] = [];
          for (let n = rb_first(root); n; n = rb_next(n)) fwd.push(n);
          const back: rb_node[] = [];
          for (let n = rb_last(root); n; n = rb_prev(n)) back.push(n);
          expect(fwd).to.deep.equal(sorted);
          expect(back).to.deep.equal([...sorted].reverse());
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('a hand-derived shape', () => {
    /*
     * Derived by hand from __rb_insert / __rb_erase_augmented /
     * ____rb_erase_color (B = black, r = red):
     *
     *  insert 10: no parent -> rb_set_parent_color(node, NULL, BLACK).  10B
     *  insert 20: right of 10, black parent -> stop.                     10B(-,20r)
     *  insert 30: right of 20; parent 20 red, gparent 10, parent is the
     *    right child; uncle (10's left) NULL, so not case 1; parent->rb_left
     *    is NULL != node, so not case 2; case 3: left rotate at 10:
     *    __rb_rotate_set_parents(10, 20, RED) -> 20 takes 10's place and
     *    black colour, 10 red under it.                                  20B(10r,30r)
     *  insert 15: 20 -> 10 -> right of 10; parent 10 red, uncle 30 red:
     *    case 1, 30 and 10 black, node = 20 red; 20 has no parent ->
     *    black.                                                          20B(10B(-,15r),30B)
     *  insert 25: left of 30, black parent.                              20B(10B(-,15r),30B(25r,-))
     *  insert 5:  left of 10, black parent.                              20B(10B(5r,15r),30B(25r,-))
     *  insert 1:  left of 5; parent 5 red, gparent 10, uncle 15 red:
     *    case 1, 15 and 5 black, 10 red; its parent 20 is black -> stop.
     *                                                   20B(10r(5B(1r,-),15B),30B(25r,-))
     *  erase 15: no children; pc = (10, black), 10->rb_right = NULL,
     *    rebalance = 10. ____rb_erase_color(10): node NULL, sibling =
     *    10->rb_right = NULL, so node == sibling: the mirrored branch,
     *    sibling = 10->rb_left = 5 (black). tmp1 = 5->rb_left = 1 is red,
     *    so straight to case 4 mirrored: tmp2 = 5->rb_right = NULL,
     *    10->rb_left = NULL, 5->rb_right = 10, 1 black under 5,
     *    __rb_rotate_set_parents(10, 5, BLACK): 5 takes 10's parent (20)
     *    and colour (red), 10 black under 5, 20->rb_left = 5.
     *                                                   20B(5r(1B,10B),30B(25r,-))
     *  erase 20 (the root, two children): child = 30, 30->rb_left = 25, so
     *    case 3: parent = 30, successor = 25; child2 = 25->rb_right = NULL;
     *    30->rb_left = NULL; 25->rb_right = 30; 25->rb_left = 5; 25 takes
     *    the root's place and its pc (NULL, black). child2 NULL and the
     *    successor was red -> rebalance NULL.        25B(5r(1B,10B),30B)
     */
    it('inserting 10 20 30 15 25 5 1 then erasing 15 and 20 gives the derived trees', () => {
      const root = new rb_root();
      const nodes = new Map<number, KNode>();
      for (const k of [10, 20, 30]) nodes.set(k, insert(root, k));
      expect(shape(root.rb_node)).to.equal('20B(10r,30r)');
      for (const k of [15, 25, 5, 1]) nodes.set(k, insert(root, k));
      expect(shape(root.rb_node)).to.equal('20B(10r(5B(1r,-),15B),30B(25r,-))');
      rb_erase(nodes.get(15) as KNode, root);
      expect(shape(root.rb_node)).to.equal('20B(5r(1B,10B),30B(25r,-))');
      rb_erase(nodes.get(20) as KNode, root);
      expect(shape(root.rb_node)).to.equal('25B(5r(1B,10B),30B)');
      checkRb(root);
    });
  });

  describe('rb_replace_node', () => {
    it('puts the new node in the old one\'s place with its colour and children', () => {
      const root = new rb_root();
      const nodes = [10, 20, 30, 15].map((k) => insert(root, k));
      const repl = new KNode(11);
      rb_replace_node(nodes[0]!, repl, root);
      expect(shape(root.rb_node)).to.equal('20B(11B(-,15r),30B)');
      expect(__rb_parent(nodes[3]!)).to.equal(repl);
      checkRb(root);
    });
  });

  describe('RbtreeOps value', () => {
    it('exposes the era\'s operations', () => {
      expect(rbtree_6_1.rb_insert_color).to.equal(rb_insert_color);
      expect(rbtree_6_1.rb_erase).to.equal(rb_erase);
    });
  });

  describe('the augmented variant with max-style callbacks', () => {
    /* A test-only node: subtree_max is the largest `val` in its subtree. */
    class ANode extends KNode {
      subtree_max: number;
      constructor(
        key: number,
        readonly val: number,
      ) {
        super(key);
        this.subtree_max = val;
      }
    }

    // The RB_DECLARE_CALLBACKS_MAX expansion for ANode.
    function compute_max(node: ANode, exit: boolean): boolean {
      let max = node.val;
      if (node.rb_left && (node.rb_left as ANode).subtree_max > max) max = (node.rb_left as ANode).subtree_max;
      if (node.rb_right && (node.rb_right as ANode).subtree_max > max) max = (node.rb_right as ANode).subtree_max;
      if (exit && node.subtree_max === max) return true;
      node.subtree_max = max;
      return false;
    }
    const cb: rb_augment_callbacks = {
      propagate(rb, stop) {
        let n: rb_node | null = rb;
        while (n !== stop) {
          const node = n as ANode;
          if (compute_max(node, true)) break;
          n = node.__rb_parent;
        }
      },
      copy(o, n) {
        (n as ANode).subtree_max = (o as ANode).subtree_max;
      },
      rotate(o, n) {
        (n as ANode).subtree_max = (o as ANode).subtree_max;
        compute_max(o as ANode, false);
      },
    };

    function ainsert(root: rb_root, key: number, val: number): ANode {
      const node = new ANode(key, val);
      // Update the maxima on the way down, as augmented inserts do.
      for (let p = root.rb_node as ANode | null; p; p = (node.key < p.key ? p.rb_left : p.rb_right) as ANode | null)
        if (p.subtree_max < val) p.subtree_max = val;
      link(root, node);
      rb_insert_augmented(node, root, cb);
      return node;
    }

    function checkAug(n: rb_node | null): number {
      if (!n) return -Infinity;
      const a = n as ANode;
      const want = Math.max(a.val, checkAug(n.rb_left), checkAug(n.rb_right));
      expect(a.subtree_max, `subtree_max of key ${a.key}`).to.equal(want);
      return want;
    }

    it('keeps every subtree maximum correct through random inserts and erases', () => {
      const acmd = fc.oneof(
        { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 1000 })).map(([key, val]) => ({ op: 'insert' as const, key, val })) },
        { weight: 2, arbitrary: fc.nat(1000).map((pick) => ({ op: 'erase' as const, pick })) },
      );
      fc.assert(
        fc.property(fc.array(acmd, { maxLength: 250 }), (cmds) => {
          const root = new rb_root();
          const live: ANode[] = [];
          for (const c of cmds) {
            if (c.op === 'insert') live.push(ainsert(root, c.key, c.val));
            else if (live.length) {
              const i = c.pick % live.length;
              rb_erase_augmented(live[i]!, root, cb);
              live.splice(i, 1);
            }
            checkRb(root);
            checkAug(root.rb_node);
          }
          expect(inorder<ANode>(root).map((n) => n.key)).to.deep.equal(live.map((n) => n.key).sort((a, b) => a - b));
        }),
        { numRuns: 200 },
      );
    });

    it('gives the same shapes as the plain tree', () => {
      fc.assert(
        fc.property(fc.array(cmdArb, { maxLength: 120 }), (cmds) => {
          const r1 = new rb_root();
          const r2 = new rb_root();
          const l1: KNode[] = [];
          const l2: ANode[] = [];
          for (const c of cmds) {
            if (c.op === 'insert') {
              l1.push(insert(r1, c.key));
              l2.push(ainsert(r2, c.key, c.key));
            } else if (l1.length) {
              const i = c.pick % l1.length;
              rb_erase(l1[i]!, r1);
              rb_erase_augmented(l2[i]!, r2, cb);
              l1.splice(i, 1);
              l2.splice(i, 1);
            }
          }
          expect(shape(r2.rb_node)).to.equal(shape(r1.rb_node));
        }),
        { numRuns: 100 },
      );
    });
  });
});
