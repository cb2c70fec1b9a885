// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel environment of the native allocators of `vmapsim bench`'s
 * "C here" columns (constants, BUG_ON, the no-op hooks of the bench environment)
 * and their replay driver: REPLAY_MAIN(struct, init) runs init (the
 * allocator's boot-time set-up, untimed), reads a bench op stream that
 * scripts/bench/native.ts has packed into a flat binary file, replays it once
 * and prints one JSON object. With --trace it first prints a line per
 * allocation ("a ADDR TOUCHES" or "a EBUSY TOUCHES"), goes on after a
 * failure (a free of a failed allocation is skipped), and a BUG prints
 * "BUG FUNC": the form the differential test compares with the port.
 *
 * Packed stream: "VMAPOPS1", u32 nops, u32 nallocs, u8 code[nops] (0 a, 1 f,
 * 2 l, 3 p), padding to 8, u32 arg[nops], padding to 8, then u64
 * size[nallocs], align[], vstart[], vend[]; little-endian.
 */
#ifndef VMAPSIM_NATIVE_REPLAY_H
#define VMAPSIM_NATIVE_REPLAY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define ULONG_MAX (~0UL)
#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
/* min()/max() evaluate each argument once, as the kernel's do (rb_entry() in an argument is counted once). */
#define max(a, b) ({ typeof(a) _max_a = (a); typeof(b) _max_b = (b); _max_a > _max_b ? _max_a : _max_b; })
#define min(a, b) ({ typeof(a) _min_a = (a); typeof(b) _min_b = (b); _min_a < _min_b ? _min_a : _min_b; })
#define VMALLOC_START 0xffffc90000000000UL
#define VMALLOC_END 0xffffe8ffffffffffUL

/* BUG(): report the function (on stdout too, for --trace) and stop with status 3. */
static void native_bug(const char *func, int line)
{
	printf("BUG %s\n", func);
	fflush(stdout);
	fprintf(stderr, "BUG at %s:%d\n", func, line);
	exit(3);
}
#define BUG() native_bug(__func__, __LINE__)
#define BUG_ON(c) do { if (c) BUG(); } while (0)

static inline int is_power_of_2(unsigned long n)
{
	return n != 0 && ((n & (n - 1)) == 0);
}

static inline int fls(int x)
{
	return x ? 32 - __builtin_clz((unsigned int)x) : 0;
}

/* The bench environment: one CPU, hooks that do nothing but count flushes. */
static int num_online_cpus(void) { return 1; }
static __attribute__((unused)) unsigned long vmap_area_pcpu_hole;
static unsigned long nr_flushes;
static void purge_fragmented_blocks_allcpus(void) {}
static void unmap_vmap_area(unsigned long start, unsigned long end) { (void)start; (void)end; }
static void flush_cache_vunmap(unsigned long start, unsigned long end) { (void)start; (void)end; }
static void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	(void)start;
	(void)end;
	nr_flushes++;
}

/*
 * kmalloc()/kmem_cache_alloc() and their frees for struct vmap_area: a LIFO
 * free list in front of malloc(), as a slab's per-CPU freelist is in front
 * of its pages (glibc's malloc/free would cost more than SLUB's fast path).
 */
static void *vmap_area_cache;

static inline void *kmem_cache_alloc_va(size_t size)
{
	void *p = vmap_area_cache;

	if (p) {
		vmap_area_cache = *(void **)p;
		return p;
	}
	return malloc(size);
}

static inline void kmem_cache_free_va(void *p)
{
	*(void **)p = vmap_area_cache;
	vmap_area_cache = p;
}

struct packed_stream {
	uint32_t nops, nallocs;
	uint8_t *code;
	uint32_t *arg;
	uint64_t *size, *align, *vstart, *vend;
};

static void read_stream(const char *file, struct packed_stream *s)
{
	FILE *f = fopen(file, "rb");
	char magic[8];
	size_t off;

	if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "VMAPOPS1", 8) ||
	    fread(&s->nops, 4, 1, f) != 1 || fread(&s->nallocs, 4, 1, f) != 1) {
		fprintf(stderr, "%s: not a packed op stream\n", file);
		exit(2);
	}
	off = (s->nops + 7) & ~7u;
	s->code = malloc(off);
	s->arg = malloc(((size_t)s->nops * 4 + 7) & ~7u);
	s->size = malloc(8 * (size_t)s->nallocs);
	s->align = malloc(8 * (size_t)s->nallocs);
	s->vstart = malloc(8 * (size_t)s->nallocs);
	s->vend = malloc(8 * (size_t)s->nallocs);
	if (fread(s->code, 1, off, f) != off ||
	    fread(s->arg, 1, ((size_t)s->nops * 4 + 7) & ~7u, f) != (((size_t)s->nops * 4 + 7) & ~7u) ||
	    fread(s->size, 8, s->nallocs, f) != s->nallocs || fread(s->align, 8, s->nallocs, f) != s->nallocs ||
	    fread(s->vstart, 8, s->nallocs, f) != s->nallocs || fread(s->vend, 8, s->nallocs, f) != s->nallocs) {
		fprintf(stderr, "%s: truncated packed op stream\n", file);
		exit(2);
	}
	fclose(f);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* CPU time of this process, ns (a loaded shared host stretches wall time, not this). */
static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

#define REPLAY_MAIN(AREA, INIT)                                                        \
	int main(int argc, char **argv)                                                    \
	{                                                                                  \
		struct packed_stream s;                                                        \
		AREA **live;                                                                   \
		unsigned long alloc_touches = 0;                                               \
		double t0, t1, c0, c1;                                                         \
		uint32_t i;                                                                    \
		int trace = argc == 3 && !strcmp(argv[2], "--trace");                          \
                                                                                       \
		if (argc != 2 && !trace) {                                                     \
			fprintf(stderr, "usage: %s PACKED-STREAM [--trace]\n", argv[0]);          \
			return 2;                                                                  \
		}                                                                              \
		read_stream(argv[1], &s);                                                      \
		INIT;                                                                          \
		live = calloc(s.nallocs ? s.nallocs : 1, sizeof(*live));                       \
		c0 = cpu_ns();                                                                 \
		t0 = now_ns();                                                                 \
		for (i = 0; i < s.nops; i++) {                                                 \
			uint32_t k = s.arg[i];                                                     \
			switch (s.code[i]) {                                                       \
			case 0: {                                                                  \
				unsigned long before = touches;                                        \
				live[k] = alloc_vmap_area(s.size[k], s.align[k], s.vstart[k], s.vend[k]); \
				alloc_touches += touches - before;                                     \
				if (trace) {                                                           \
					if (live[k])                                                       \
						printf("a %lx %lu\n", live[k]->va_start, touches - before);    \
					else                                                               \
						printf("a EBUSY %lu\n", touches - before);                     \
				} else if (!live[k]) {                                                 \
					fprintf(stderr, "op %u: allocation failed\n", i + 1);             \
					return 1;                                                          \
				}                                                                      \
				break;                                                                 \
			}                                                                          \
			case 1:                                                                    \
				if (live[k])                                                           \
					free_vmap_area(live[k]);                                           \
				live[k] = NULL;                                                        \
				break;                                                                 \
			case 2:                                                                    \
				if (live[k])                                                           \
					free_unmap_vmap_area(live[k]);                                     \
				live[k] = NULL;                                                        \
				break;                                                                 \
			default:                                                                   \
				purge_vmap_area_lazy();                                                \
			}                                                                          \
		}                                                                              \
		t1 = now_ns();                                                                 \
		c1 = cpu_ns();                                                                 \
		printf("{\"ops\":%u,\"nallocs\":%u,\"ns\":%.0f,\"cpuNs\":%.0f,\"touches\":%lu,\"flushes\":%lu}\n", \
		       s.nops, s.nallocs, t1 - t0, c1 - c0, alloc_touches, nr_flushes);      \
		return 0;                                                                      \
	}

#endif
