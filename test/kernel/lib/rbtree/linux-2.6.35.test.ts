// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { RB_LEFT, RB_RIGHT, rb_link_node, rb_node, rb_root } from '../../../../kernel/include/linux/rbtree.js';
import { rb_erase, rb_first, rb_insert_color, rb_last, rb_next, rb_prev } from '../../../../kernel/lib/rbtree/linux-2.6.35.js';
import { checkRbRules, inorder, keyed, shape } from './rbcheck.js';

function insert(root: rb_root, key: number): keyed {
  let p = root.rb_node;
  let parent: rb_node | null = null;
  let side: typeof RB_LEFT | typeof RB_RIGHT = RB_LEFT;
  while (p) {
    parent = p;
    if (key < (p as keyed).key) {
      side = RB_LEFT;
      p = p.rb_left;
    } else {
      side = RB_RIGHT;
      p = p.rb_right;
    }
  }
  const n = new keyed(key);
  rb_link_node(n, parent, side, root);
  rb_insert_color(n, root);
  return n;
}

describe('lib/rbtree.c of 2.6.35', () => {
  it('keeps the red-black rules and sorted order under random inserts and erases', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 300 }), (ops) => {
        const root = new rb_root();
        const live = new Map<number, keyed>();
        for (const [ins, k] of ops) {
          if (ins && !live.has(k)) live.set(k, insert(root, k));
          else if (!ins && live.has(k)) {
            rb_erase(live.get(k) as keyed, root);
            live.delete(k);
          }
          checkRbRules(root);
        }
        const sorted = [...live.keys()].sort((a, b) => a - b);
        expect(inorder(root)).to.deep.equal(sorted);
        // rb_next/rb_prev/rb_first/rb_last agree with the sorted keys
        const fwd: number[] = [];
        for (let n = rb_first(root); n; n = rb_next(n)) fwd.push((n as keyed).key);
        const back: number[] = [];
        for (let n = rb_last(root); n; n = rb_prev(n)) back.push((n as keyed).key);
        expect(fwd).to.deep.equal(sorted);
        expect(back).to.deep.equal([...sorted].reverse());
      }),
    );
  });

  it('keeps the black height within 2 log2(n + 1)', () => {
    const root = new rb_root();
    for (let k = 0; k < 1000; k++) insert(root, k);
    expect(checkRbRules(root)).to.be.at.most(2 * Math.log2(1001));
  });

  /*
   * Inserting 1, 2, 3 ascending: 1 is the black root; 2 is a red right
   * child; 3 is red under red 2 with a black (NULL) uncle, on the right of
   * a right child, so the grandparent 1 is rotated left: 2 becomes the black
   * root with red children 1 and 3. Then 4: its parent 3 is red and the
   * uncle 1 is red, so 1 and 3 turn black, 2 red, and the root is blackened
   * again: (2b 1b (3b . 4r)). Erasing 1 (black leaf) leaves a double black
   * on the left of 2 whose sibling 3 is black with a red right child: the
   * sibling takes 2's colour, 2 and 4 turn black, 2 rotates left:
   * (3b 2b 4b).
   */
  it('produces the tree shapes the C rotations produce', () => {
    const root = new rb_root();
    const one = insert(root, 1);
    insert(root, 2);
    insert(root, 3);
    expect(shape(root.rb_node)).to.equal('(2b 1r 3r)');
    insert(root, 4);
    expect(shape(root.rb_node)).to.equal('(2b 1b (3b . 4r))');
    rb_erase(one, root);
    expect(shape(root.rb_node)).to.equal('(3b 2b 4b)');
  });

  it('returns NULL from rb_next and rb_prev for a cleared node', () => {
    const n = new keyed(1);
    n.__rb_parent = n;
    expect(rb_next(n)).to.equal(null);
    expect(rb_prev(n)).to.equal(null);
  });
});
