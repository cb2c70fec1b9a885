// SPDX-License-Identifier: GPL-2.0-only
/*
 * The C side of `vmapsim bench --floor`: the two loops the ported allocators
 * spend their time in, written in plain C and compiled with gcc -O2 on the
 * machine that runs the benchmark, so that the JavaScript figures have a
 * native figure from the same run to be compared with.
 *
 *   walk     alloc_vmap_area's first-fit walk of 2.6.35..3.18: rb_next() from
 *            the lowest area, testing each area against the request and
 *            moving addr past it with ALIGN(va_end + PAGE_SIZE, align).
 *   descent  __find_vmap_area's descent: binary searches for a long seeded
 *            sequence of area addresses (too long for the branch predictor
 *            to learn, as in a real stream).
 *
 * The tree is built the same way as on the JavaScript side (same seeded
 * permutation of node slots, balanced over address-sorted keys), so both
 * sides chase pointers through the same shape. Arguments: nodes, reps,
 * rounds. Output: one JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct node {
	struct node *parent, *left, *right;
	unsigned long color;
	unsigned long va_start, va_end;
};

#define PAGE_SIZE 4096UL
#define ALIGN(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define BASE 0xffffc90000000000UL

static struct node *slots;
static uint32_t *perm;
static uint32_t seed = 1;

static uint32_t next_rand(void)
{
	seed = (seed * 1103515245u + 12345u) & 0x7fffffffu;
	return seed;
}

static struct node *build(long lo, long hi, struct node *parent)
{
	if (lo > hi)
		return NULL;
	long m = (lo + hi) / 2;
	struct node *n = &slots[perm[m]];
	n->va_start = BASE + (unsigned long)m * 0x3000UL;
	n->va_end = n->va_start + 0x2000UL;
	n->parent = parent;
	n->left = build(lo, m - 1, n);
	n->right = build(m + 1, hi, n);
	return n;
}

static struct node *rb_next(struct node *node)
{
	struct node *parent;

	if (node->parent == node)
		return NULL;
	if (node->right) {
		node = node->right;
		while (node->left)
			node = node->left;
		return node;
	}
	while ((parent = node->parent) && node == parent->right)
		node = parent;
	return parent;
}

static unsigned long touches;

__attribute__((noinline)) static long walk(struct node *root, unsigned long size, unsigned long vend, unsigned long align)
{
	struct node *first = root;
	unsigned long addr = BASE;
	long steps = 0;

	while (first->left)
		first = first->left;
	while (addr + size > first->va_start && addr + size <= vend) {
		addr = ALIGN(first->va_end + PAGE_SIZE, align);
		if (addr + size - 1 < addr)
			break;
		steps++;
		struct node *n = rb_next(first);
		if (!n)
			break;
		touches++;
		first = n;
	}
	return steps;
}

__attribute__((noinline)) static long descent(struct node *root, const unsigned long *keys, long nkeys)
{
	long levels = 0;

	for (long i = 0; i < nkeys; i++) {
		unsigned long addr = keys[i];
		struct node *n = root;
		while (n) {
			levels++;
			touches++;
			if (addr < n->va_start)
				n = n->left;
			else if (addr > n->va_start)
				n = n->right;
			else
				break;
		}
	}
	return levels;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long nodes = argc > 1 ? atol(argv[1]) : 2048;
	long reps = argc > 2 ? atol(argv[2]) : 2000;
	long rounds = argc > 3 ? atol(argv[3]) : 5;
	volatile unsigned long size = 0x2000UL, vend = 0xffffe8ffffffffffUL, align = 1;

	slots = calloc(nodes, sizeof(*slots));
	perm = malloc(nodes * sizeof(*perm));
	long nkeys = 65536;
	unsigned long *keys = malloc(nkeys * sizeof(*keys));
	for (long i = 0; i < nodes; i++)
		perm[i] = i;
	for (long i = nodes - 1; i > 0; i--) {
		uint32_t j = next_rand() % (uint32_t)(i + 1);
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	struct node *root = build(0, nodes - 1, NULL);
	for (long i = 0; i < nkeys; i++)
		keys[i] = BASE + (unsigned long)(next_rand() % (uint32_t)nodes) * 0x3000UL;

	double best_walk = 1e300, best_descent = 1e300;
	long steps = 0, levels = 0;
	for (long r = 0; r < rounds; r++) {
		double t0 = now_ns();
		steps = 0;
		for (long i = 0; i < reps; i++)
			steps += walk(root, size, vend, align);
		double t1 = now_ns();
		levels = 0;
		for (long i = 0; i < reps; i++)
			levels += descent(root, keys, nkeys);
		double t2 = now_ns();
		if ((t1 - t0) / steps < best_walk)
			best_walk = (t1 - t0) / steps;
		if ((t2 - t1) / levels < best_descent)
			best_descent = (t2 - t1) / levels;
	}
	printf("{\"walkNsPerStep\":%.4f,\"descentNsPerLevel\":%.4f,\"stepsPerWalk\":%ld,\"levelsPerDescent\":%ld,\"touches\":%lu}\n",
	       best_walk, best_descent, steps / reps, levels / reps, touches);
	return 0;
}
