/* pw_smt.h -- a u64-keyed hash map and the sparse Merkle tree of the VM state.
 *
 * pw_map: open addressing, linear probing, backward-shift deletion (no
 * tombstones), fixed-size values stored inline.  Memory comes from
 * PyMem_RawMalloc/PyMem_RawFree, which need no GIL; every function here may
 * run without the GIL as long as the caller owns the map exclusively.
 *
 * pw_smt: the fixed-depth binary tree of docs/vm-and-trace.md.  Only non-empty
 * nodes are stored (key = level << 32 | index, value = 32-byte hash); a node
 * equal to the empty-subtree hash Z[level] is absent.  Level 0 holds leaf
 * hashes, level `depth` the root.
 */
#ifndef POUW_PW_SMT_H
#define POUW_PW_SMT_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "pw_hash.h"

#define PW_MAP_EMPTY UINT64_MAX

typedef struct {
    uint64_t *keys; /* cap slots; PW_MAP_EMPTY marks a free slot */
    uint8_t *vals;  /* cap * vsize bytes */
    size_t cap;     /* a power of two, or 0 before init */
    size_t len;
    size_t vsize;
} pw_map;

static inline uint64_t pw_mix64(uint64_t x) { /* splitmix64 finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* 0, or -1 when out of memory (the map is then empty but valid to free). */
static inline int pw_map_init(pw_map *m, size_t vsize, size_t cap) {
    size_t c = 16, i;
    while (c < cap) c <<= 1;
    m->keys = (uint64_t *)PyMem_RawMalloc(c * sizeof(uint64_t));
    m->vals = (uint8_t *)PyMem_RawMalloc(c * vsize);
    m->vsize = vsize;
    m->len = 0;
    if (m->keys == NULL || m->vals == NULL) {
        PyMem_RawFree(m->keys);
        PyMem_RawFree(m->vals);
        m->keys = NULL;
        m->vals = NULL;
        m->cap = 0;
        return -1;
    }
    m->cap = c;
    for (i = 0; i < c; i++) m->keys[i] = PW_MAP_EMPTY;
    return 0;
}

static inline void pw_map_free(pw_map *m) {
    PyMem_RawFree(m->keys);
    PyMem_RawFree(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->len = 0;
}

/* Slot of `key`, or the free slot where it would go. */
static inline size_t pw_map_slot(const pw_map *m, uint64_t key) {
    size_t mask = m->cap - 1, i = (size_t)pw_mix64(key) & mask;
    while (m->keys[i] != key && m->keys[i] != PW_MAP_EMPTY) i = (i + 1) & mask;
    return i;
}

static inline uint8_t *pw_map_get(const pw_map *m, uint64_t key) {
    size_t i;
    if (m->cap == 0) return NULL;
    i = pw_map_slot(m, key);
    return m->keys[i] == key ? m->vals + i * m->vsize : NULL;
}

/* Rehash into `cap` slots; 0 or -1 (map unchanged) when out of memory. */
static inline int pw_map_resize(pw_map *m, size_t cap) {
    pw_map n;
    size_t i;
    if (pw_map_init(&n, m->vsize, cap) < 0) return -1;
    for (i = 0; i < m->cap; i++) {
        if (m->keys[i] != PW_MAP_EMPTY) {
            size_t j = pw_map_slot(&n, m->keys[i]);
            n.keys[j] = m->keys[i];
            memcpy(n.vals + j * n.vsize, m->vals + i * m->vsize, m->vsize);
        }
    }
    n.len = m->len;
    pw_map_free(m);
    *m = n;
    return 0;
}

/* Make room for `extra` more keys without another allocation (load <= 0.7). */
static inline int pw_map_reserve(pw_map *m, size_t extra) {
    size_t need = m->len + extra, cap = m->cap;
    if (need * 10 <= cap * 7) return 0;
    if (cap < 16) cap = 16;
    while (need * 10 > cap * 7) cap <<= 1;
    return pw_map_resize(m, cap);
}

/* Value slot of `key`, inserted (contents unspecified) if absent; NULL when out of memory. */
static inline uint8_t *pw_map_put(pw_map *m, uint64_t key) {
    size_t i;
    if (pw_map_reserve(m, 1) < 0) return NULL;
    i = pw_map_slot(m, key);
    if (m->keys[i] != key) {
        m->keys[i] = key;
        m->len++;
    }
    return m->vals + i * m->vsize;
}

static inline void pw_map_del(pw_map *m, uint64_t key) {
    size_t mask, i, j;
    if (m->cap == 0) return;
    mask = m->cap - 1;
    i = pw_map_slot(m, key);
    if (m->keys[i] != key) return;
    /* backward shift: pull later members of the probe run into the hole */
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (m->keys[j] == PW_MAP_EMPTY) break;
        home = (size_t)pw_mix64(m->keys[j]) & mask;
        /* keep j where it is if its home lies cyclically in (i, j] */
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j)) continue;
        m->keys[i] = m->keys[j];
        memcpy(m->vals + i * m->vsize, m->vals + j * m->vsize, m->vsize);
        i = j;
    }
    m->keys[i] = PW_MAP_EMPTY;
    m->len--;
}

/* dst := a copy of src (dst uninitialised); 0 or -1 when out of memory. */
static inline int pw_map_copy(pw_map *dst, const pw_map *src) {
    dst->keys = (uint64_t *)PyMem_RawMalloc(src->cap * sizeof(uint64_t));
    dst->vals = (uint8_t *)PyMem_RawMalloc(src->cap * src->vsize);
    if (dst->keys == NULL || dst->vals == NULL) {
        PyMem_RawFree(dst->keys);
        PyMem_RawFree(dst->vals);
        dst->keys = NULL;
        dst->vals = NULL;
        dst->cap = dst->len = 0;
        return -1;
    }
    memcpy(dst->keys, src->keys, src->cap * sizeof(uint64_t));
    memcpy(dst->vals, src->vals, src->cap * src->vsize);
    dst->cap = src->cap;
    dst->len = src->len;
    dst->vsize = src->vsize;
    return 0;
}

/* ---- the sparse Merkle tree ---- */

typedef struct {
    int depth;                  /* 1 .. 32 */
    uint8_t zero[33][32];       /* Z[l]: root of an empty subtree of height l */
    uint8_t root[32];           /* cached node (depth, 0) */
    pw_map nodes;               /* (level << 32 | index) -> 32-byte hash, non-empty only */
} pw_smt;

static inline uint64_t pw_smt_key(int level, uint64_t index) {
    return ((uint64_t)level << 32) | index;
}

/* 0, or -1 when out of memory.  depth must be 1..32 (checked by the caller). */
static inline int pw_smt_init(pw_smt *t, int depth) {
    int l;
    t->depth = depth;
    memset(t->zero[0], 0, 32);
    for (l = 0; l < depth; l++) pw_node_hash(t->zero[l], t->zero[l], t->zero[l + 1]);
    memcpy(t->root, t->zero[depth], 32);
    return pw_map_init(&t->nodes, 32, 64);
}

static inline void pw_smt_free(pw_smt *t) { pw_map_free(&t->nodes); }

static inline int pw_smt_copy(pw_smt *dst, const pw_smt *src) {
    memcpy(dst->zero, src->zero, sizeof dst->zero);
    memcpy(dst->root, src->root, 32);
    dst->depth = src->depth;
    return pw_map_copy(&dst->nodes, &src->nodes);
}

static inline const uint8_t *pw_smt_node(const pw_smt *t, int level, uint64_t index) {
    const uint8_t *v = pw_map_get(&t->nodes, pw_smt_key(level, index));
    return v ? v : t->zero[level];
}

/* Store a node, or drop it when it equals Z[level].  Needs one free slot reserved. */
static inline void pw_smt_store(pw_smt *t, int level, uint64_t index, const uint8_t h[32]) {
    uint64_t key = pw_smt_key(level, index);
    if (memcmp(h, t->zero[level], 32) == 0) {
        pw_map_del(&t->nodes, key);
    } else {
        memcpy(pw_map_put(&t->nodes, key), h, 32);
    }
}

/* The depth sibling hashes of leaf `index`, leaf level first (index < 2^depth). */
static inline void pw_smt_path(const pw_smt *t, uint64_t index, uint8_t *path) {
    int l;
    for (l = 0; l < t->depth; l++, index >>= 1) memcpy(path + 32 * l, pw_smt_node(t, l, index ^ 1u), 32);
}

/* Write leaf hash `leaf` at `index` (< 2^depth) and rehash its path.  The
 * siblings go to `path` (depth*32 bytes) and the new root to `root`; either
 * may be NULL.  0, or -1 (tree unchanged) when out of memory. */
static inline int pw_smt_update(pw_smt *t, uint64_t index, const uint8_t leaf[32], uint8_t *path,
                                uint8_t *root) {
    uint8_t h[32];
    int l;
    if (pw_map_reserve(&t->nodes, (size_t)t->depth + 1) < 0) return -1;
    memcpy(h, leaf, 32);
    pw_smt_store(t, 0, index, h);
    for (l = 0; l < t->depth; l++, index >>= 1) {
        const uint8_t *sib = pw_smt_node(t, l, index ^ 1u);
        if (path) memcpy(path + 32 * l, sib, 32);
        if (index & 1u)
            pw_node_hash(sib, h, h);
        else
            pw_node_hash(h, sib, h);
        pw_smt_store(t, l + 1, index >> 1, h);
    }
    memcpy(t->root, h, 32);
    if (root) memcpy(root, h, 32);
    return 0;
}

/* Write n consecutive leaf hashes from `start` (start + n <= 2^depth), then
 * rehash each affected parent once, level by level (a genesis builds in
 * O(n) hashes instead of O(n * depth)).  0, or -1 when out of memory (the
 * tree is then inconsistent and must be discarded). */
static inline int pw_smt_set_range(pw_smt *t, uint64_t start, uint64_t n, const uint8_t *leaves) {
    uint64_t i, lo, hi, p;
    int l;
    uint8_t h[32];
    if (n == 0) return 0;
    for (i = 0; i < n; i++) {
        if (pw_map_reserve(&t->nodes, 1) < 0) return -1;
        pw_smt_store(t, 0, start + i, leaves + 32 * i);
    }
    lo = start;
    hi = start + n - 1;
    for (l = 0; l < t->depth; l++) {
        lo >>= 1;
        hi >>= 1;
        for (p = lo; p <= hi; p++) {
            if (pw_map_reserve(&t->nodes, 1) < 0) return -1;
            pw_node_hash(pw_smt_node(t, l, 2 * p), pw_smt_node(t, l, 2 * p + 1), h);
            pw_smt_store(t, l + 1, p, h);
        }
    }
    memcpy(t->root, pw_smt_node(t, t->depth, 0), 32);
    return 0;
}

#endif /* POUW_PW_SMT_H */
