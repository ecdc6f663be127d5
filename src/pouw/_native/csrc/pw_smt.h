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
 * hashes, level `depth` the root.  The tree hashes with its pw_hasher
 * (pw_state_hash.h: BLAKE3 or Poseidon), chosen when it is made.
 *
 * pw_smt_apply takes a whole sequence of leaf writes and reads at once and
 * gives every one the sibling path and root it would have seen had they run
 * one by one, hashing level by level so that each level is one batch of
 * independent hashes (what Poseidon's 8-lane kernel needs; see there).
 */
#ifndef POUW_PW_SMT_H
#define POUW_PW_SMT_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "pw_state_hash.h"

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
    pw_hasher h;                /* the tree's hash (its Poseidon constants outlive the tree) */
    uint8_t zero[33][32];       /* Z[l]: root of an empty subtree of height l */
    uint8_t root[32];           /* cached node (depth, 0) */
    pw_map nodes;               /* (level << 32 | index) -> 32-byte hash, non-empty only */
} pw_smt;

static inline uint64_t pw_smt_key(int level, uint64_t index) {
    return ((uint64_t)level << 32) | index;
}

/* 0, or -1 when out of memory.  depth must be 1..32 (checked by the caller). */
static inline int pw_smt_init(pw_smt *t, int depth, const pw_hasher *h) {
    int l;
    t->depth = depth;
    t->h = *h;
    memset(t->zero[0], 0, 32);
    for (l = 0; l < depth; l++) pw_sh_node(&t->h, t->zero[l], t->zero[l], t->zero[l + 1]);
    memcpy(t->root, t->zero[depth], 32);
    return pw_map_init(&t->nodes, 32, 64);
}

static inline void pw_smt_free(pw_smt *t) { pw_map_free(&t->nodes); }

static inline int pw_smt_copy(pw_smt *dst, const pw_smt *src) {
    memcpy(dst->zero, src->zero, sizeof dst->zero);
    memcpy(dst->root, src->root, 32);
    dst->depth = src->depth;
    dst->h = src->h;
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
            pw_sh_node(&t->h, sib, h, h);
        else
            pw_sh_node(&t->h, h, sib, h);
        pw_smt_store(t, l + 1, index >> 1, h);
    }
    memcpy(t->root, h, 32);
    if (root) memcpy(root, h, 32);
    return 0;
}

/* Write n consecutive leaf hashes from `start` (start + n <= 2^depth), then
 * rehash each affected parent once, level by level, each level one batch (a
 * genesis builds in O(n) hashes instead of O(n * depth)).  0, or -1 when out
 * of memory (the tree is then inconsistent and must be discarded). */
static inline int pw_smt_set_range(pw_smt *t, uint64_t start, uint64_t n, const uint8_t *leaves) {
    uint64_t i, lo, hi, p, m;
    int l, rc = 0;
    const uint8_t **lr;
    uint8_t *out;
    if (n == 0) return 0;
    if (pw_map_reserve(&t->nodes, (size_t)n) < 0) return -1;
    for (i = 0; i < n; i++) pw_smt_store(t, 0, start + i, leaves + 32 * i);
    m = n / 2 + 2; /* the most parents of one level */
    lr = (const uint8_t **)PyMem_RawMalloc(2 * (size_t)m * sizeof(uint8_t *));
    out = (uint8_t *)PyMem_RawMalloc(32 * (size_t)m);
    if (lr == NULL || out == NULL) {
        rc = -1;
        goto done;
    }
    lo = start;
    hi = start + n - 1;
    for (l = 0; l < t->depth; l++) {
        lo >>= 1;
        hi >>= 1;
        for (p = lo; p <= hi; p++) {
            lr[p - lo] = pw_smt_node(t, l, 2 * p);
            lr[m + p - lo] = pw_smt_node(t, l, 2 * p + 1);
        }
        pw_sh_node_many(&t->h, (size_t)(hi - lo + 1), lr, lr + m, out, NULL);
        /* the inputs point into the map: store only once they are hashed */
        if (pw_map_reserve(&t->nodes, (size_t)(hi - lo + 1)) < 0) {
            rc = -1;
            goto done;
        }
        for (p = lo; p <= hi; p++) pw_smt_store(t, l + 1, p, out + 32 * (p - lo));
    }
    memcpy(t->root, pw_smt_node(t, t->depth, 0), 32);
done:
    PyMem_RawFree(lr);
    PyMem_RawFree(out);
    return rc;
}

/* ---- many writes and reads at once ---- */

/* Entries up to which pw_smt_apply finds an earlier write by scanning back. */
#define PW_SMT_SCAN_MAX 32u

/* Scratch of pw_smt_apply for up to `cap` entries (pw_smt_scratch_init). */
typedef struct {
    size_t cap;
    uint8_t *cur;         /* cap * 32: each entry's node at the current level */
    uint8_t *next;        /* cap * 32: the level above */
    const uint8_t **lr;   /* 2 * cap: the hash inputs of the level */
    uint32_t *upd;        /* cap: the entries that write */
    pw_map latest;        /* node index -> u32 entry: the last write of it so far, this level */
} pw_smt_scratch;

static inline void pw_smt_scratch_free(pw_smt_scratch *s) {
    PyMem_RawFree(s->cur);
    PyMem_RawFree(s->next);
    PyMem_RawFree(s->lr);
    PyMem_RawFree(s->upd);
    pw_map_free(&s->latest);
    memset(s, 0, sizeof *s);
}

/* 0, or -1 when out of memory (s then safe to free). */
static inline int pw_smt_scratch_init(pw_smt_scratch *s, size_t cap) {
    memset(s, 0, sizeof *s);
    if (cap == 0) cap = 1;
    s->cap = cap;
    s->cur = (uint8_t *)PyMem_RawMalloc(32 * cap);
    s->next = (uint8_t *)PyMem_RawMalloc(32 * cap);
    s->lr = (const uint8_t **)PyMem_RawMalloc(2 * cap * sizeof(uint8_t *));
    s->upd = (uint32_t *)PyMem_RawMalloc(cap * sizeof(uint32_t));
    if (pw_map_init(&s->latest, sizeof(uint32_t), 2 * cap) < 0 || s->cur == NULL ||
        s->next == NULL || s->lr == NULL || s->upd == NULL) {
        pw_smt_scratch_free(s);
        return -1;
    }
    return 0;
}

/* Apply n entries in order (n <= s->cap): entry k writes a leaf hash at
 * index[k] when write[k] (leaves + 32*j for the j-th writing entry), else only
 * reads index[k].  Entry
 * k's siblings (leaf level first) go to paths + 32*depth*k and the root after
 * it to roots + 32*k (either may be NULL): exactly what pw_smt_path and
 * pw_smt_update would give one entry after another.
 *
 * Why level by level works: the node of entry k at level l+1 is the hash of
 * its node at level l and its sibling at level l as of entry k, which is the
 * last earlier write of that sibling at level l, else the tree's node from
 * before the batch.  So level l of every entry needs only level l of the
 * earlier ones, and each level is one batch of independent hashes.
 * 0, or -1 when out of memory (the tree is then inconsistent). */
static inline int pw_smt_apply(pw_smt *t, pw_smt_scratch *s, size_t n, const uint32_t *index,
                               const uint8_t *write, const uint8_t *leaves, uint8_t *paths,
                               uint8_t *roots) {
    const size_t plen = 32u * (size_t)t->depth;
    const size_t allocated = s->latest.cap;
    /* Few entries: an earlier write of the sibling is found by scanning the
     * writes back (cheaper than hashing into a map); many: by the map. */
    const int scan = n <= PW_SMT_SCAN_MAX;
    uint8_t before[32];
    const uint8_t *last;
    size_t k, j, nu = 0, slots = 16;
    int l;
    if (n == 0) return 0;
    /* latest is used with the smallest power-of-two capacity >= 2n that its
     * allocation holds (the scratch may be far larger, kept from a big batch):
     * clearing it per level then costs O(n), not O(the biggest batch so far) */
    while (slots < 2 * n) slots <<= 1;
    s->latest.cap = slots <= allocated ? slots : allocated;
    for (k = 0; k < n; k++) {
        if (write[k]) {
            memcpy(s->cur + 32 * k, leaves + 32 * nu, 32);
            s->upd[nu++] = (uint32_t)k;
        }
    }
    for (l = 0; l < t->depth; l++) {
        /* One pass in entry order: each entry's sibling as of that entry (the
         * last earlier write of it at this level, else the tree's node), and
         * each write's hash inputs.  The pointers go into cur, the zero ladder
         * or the tree's map, none of which changes until the level is hashed
         * (latest never grows: its capacity is at least 2n). */
        if (!scan) {
            for (j = 0; j < s->latest.cap; j++) s->latest.keys[j] = PW_MAP_EMPTY;
            s->latest.len = 0;
        }
        for (k = 0, j = 0; k < n; k++) {
            const uint64_t at = (uint64_t)(index[k] >> l);
            const uint8_t *sib = NULL;
            uint32_t kk = (uint32_t)k, wk;
            if (scan) {
                size_t i = j;
                while (i-- > 0) {
                    if ((uint64_t)(index[s->upd[i]] >> l) == (at ^ 1u)) {
                        sib = s->cur + 32 * (size_t)s->upd[i];
                        break;
                    }
                }
            } else {
                const uint8_t *w = pw_map_get(&s->latest, at ^ 1u);
                if (w) {
                    memcpy(&wk, w, sizeof wk);
                    sib = s->cur + 32 * (size_t)wk;
                }
            }
            if (sib == NULL) sib = pw_smt_node(t, l, at ^ 1u);
            if (paths) memcpy(paths + plen * k + 32 * (size_t)l, sib, 32);
            if (write[k]) {
                const uint8_t *me = s->cur + 32 * k;
                s->lr[j] = (at & 1u) ? sib : me;
                s->lr[nu + j] = (at & 1u) ? me : sib;
                j++;
                if (!scan) memcpy(pw_map_put(&s->latest, at), &kk, sizeof kk);
            }
        }
        pw_sh_node_many(&t->h, nu, s->lr, s->lr + nu, s->next, NULL);
        /* every input is consumed: level l's last writes go into the tree
         * (in entry order, so the last write of a node is what stays), then
         * each write's node moves up a level */
        if (pw_map_reserve(&t->nodes, nu + 1) < 0) {
            s->latest.cap = allocated;
            return -1;
        }
        if (scan) {
            for (j = 0; j < nu; j++)
                pw_smt_store(t, l, index[s->upd[j]] >> l, s->cur + 32 * (size_t)s->upd[j]);
        } else {
            for (j = 0; j < s->latest.cap; j++) {
                if (s->latest.keys[j] != PW_MAP_EMPTY) {
                    uint32_t last_k;
                    memcpy(&last_k, s->latest.vals + j * sizeof(uint32_t), sizeof last_k);
                    pw_smt_store(t, l, s->latest.keys[j], s->cur + 32 * (size_t)last_k);
                }
            }
        }
        for (j = 0; j < nu; j++) memcpy(s->cur + 32 * (size_t)s->upd[j], s->next + 32 * j, 32);
    }
    s->latest.cap = allocated;
    /* roots: a write's own, a read's the last one before it */
    memcpy(before, t->root, 32);
    last = before;
    for (k = 0; k < n; k++) {
        if (write[k]) last = s->cur + 32 * k;
        if (roots) memcpy(roots + 32 * k, last, 32);
    }
    if (nu) {
        memcpy(t->root, last, 32);
        pw_smt_store(t, t->depth, 0, t->root); /* reserved above */
    }
    return 0;
}

#endif /* POUW_PW_SMT_H */
