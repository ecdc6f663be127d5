/* pw_state_hash.h -- the account tree's two hashes behind one interface.
 *
 * The state tree (docs/vm-and-trace.md, "State") hashes with one of
 *   PW_HASH_BLAKE3    keyed BLAKE3 (pw_hash.h): leaf = keyed(K_LEAF, owner ||
 *                     balance u64 LE || nonce u64 LE), node = keyed(K_NODE, l || r);
 *   PW_HASH_POSEIDON  circomlib's Poseidon over BN254's Fr (bn254_poseidon.h):
 *                     leaf = Poseidon(3)(owner, balance, nonce), node =
 *                     Poseidon(2)(l, r), every value the 32-byte big-endian
 *                     encoding of a field element, `owner` read as one.
 * Under both the empty leaf (zero owner, balance and nonce) is 32 zero bytes.
 *
 * A pw_hasher names the hash and, for Poseidon, the converted constants of
 * widths 3 and 4 (owned by Python Constants objects that outlive every use)
 * and the field backend.  Every function here is allocation free, touches no
 * Python object and may run without the GIL.
 *
 * Values that come from outside (a trace being checked) may not be field
 * elements: Poseidon functions report such an input through `bad` (or a
 * return of -1) and then write 32 zero bytes, so that no non-canonical
 * encoding ever stands for an element (no two byte strings hash alike).
 * BLAKE3 takes any 32 bytes.
 *
 * The many-at-once forms are what make Poseidon fast: the IFMA backend hashes
 * 8 independent inputs per permutation (bn_psd_hash_batch), so callers that
 * can defer their hashes (the VM, the checker, a genesis) hand them over in
 * batches; a lone hash runs on the scalar multiply.
 */
#ifndef POUW_PW_STATE_HASH_H
#define POUW_PW_STATE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn254_poseidon.h"
#include "pw_fold_simd.h"
#include "pw_hash.h"
#include "pw_isa.h" /* the hash ids PW_HASH_* (the trace's hash byte) */

typedef struct {
    int kind;             /* PW_HASH_* */
    int backend;          /* the field backend (Poseidon): pouw._native.field.backend_code() */
    int simd_level;       /* the BLAKE3 fold kernel (pw_fold_simd.h level) */
    const bn_psd *node;   /* Poseidon width 3 (two inputs); NULL for BLAKE3 */
    const bn_psd *leaf;   /* Poseidon width 4 (three inputs); NULL for BLAKE3 */
} pw_hasher;

/* Inputs hashed per batch call: bounds the stack scratch (3 columns of rows). */
#define PW_SH_CHUNK 64u

/* ---- field element encodings ---- */

/* x := the big-endian 32 bytes b as 4 little-endian limbs; 1 when x < r. */
static inline int pw_fr_load_be(const uint8_t b[32], uint64_t x[4]) {
    int i, k;
    for (i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (k = 0; k < 8; k++) w = (w << 8) | b[8 * (3 - i) + k];
        x[i] = w;
    }
    return bn_lt_p(&BN_FR, x);
}

static inline void pw_fr_store_be(uint8_t b[32], const uint64_t x[4]) {
    int i, k;
    for (i = 0; i < 4; i++)
        for (k = 0; k < 8; k++) b[8 * (3 - i) + k] = (uint8_t)(x[i] >> (56 - 8 * k));
}

/* A Montgomery row from a big-endian encoding; 0 (and row := 0) when not below r. */
static inline int pw_fr_load_mont(int backend, const uint8_t b[32], uint64_t row[4]) {
    if (!pw_fr_load_be(b, row)) {
        memset(row, 0, 32);
        return 0;
    }
    bn_to_mont_at(backend, &BN_FR, row, row);
    return 1;
}

static inline void pw_fr_store_mont(int backend, uint8_t b[32], const uint64_t row[4]) {
    uint64_t x[4];
    bn_from_mont_at(backend, &BN_FR, x, row);
    pw_fr_store_be(b, x);
}

/* ---- many at once ---- */

/* out[i] := Poseidon of row i of the columns (pw_sh's batches): on IFMA, 8 rows
 * a permutation, except that a last group of one row runs on the scalar ADX
 * multiply (same Montgomery form), which is faster than 8 lanes for one. */
static inline void pw_sh_hash_batch(const pw_hasher *h, const bn_psd *P, size_t m,
                                    const uint64_t *const *cols, uint64_t *out) {
    const uint64_t *tail[BN_PSD_MAX_T];
    int j;
    if (h->backend != BN_BACKEND_IFMA || m % 8 != 1) {
        bn_psd_hash_batch(h->backend, P, m, cols, out);
        return;
    }
    bn_psd_hash_batch(h->backend, P, m - 1, cols, out);
    for (j = 0; j < P->t - 1; j++) tail[j] = cols[j] + 4 * (m - 1);
    bn_psd_hash_batch(BN_BACKEND_ADX, P, 1, tail, out + 4 * (m - 1));
}

/* out + 32*i := node(l[i], r[i]) for i < n.  bad (n flags, or NULL when the
 * inputs are known to be canonical) gets 1 where an input is not a field
 * element (Poseidon), and that output is zero. */
static inline void pw_sh_node_many(const pw_hasher *h, size_t n, const uint8_t *const *l,
                                   const uint8_t *const *r, uint8_t *out, uint8_t *bad) {
    uint64_t a[PW_SH_CHUNK][4], b[PW_SH_CHUNK][4], o[PW_SH_CHUNK][4];
    const uint64_t *cols[2];
    size_t i0, i, m;
    if (h->kind == PW_HASH_BLAKE3) {
        /* node(l, r) is a fold of depth 1 from leaf l with sibling r at an even
         * index: the SIMD fold kernels hash the pairs in lanes */
        static const uint32_t even[PW_SH_CHUNK] = {0};
        for (i0 = 0; i0 < n; i0 += m) {
            m = n - i0 < PW_SH_CHUNK ? n - i0 : PW_SH_CHUNK;
            pw_fold_many_at(h->simd_level, m, l + i0, even, r + i0, 1, out + 32 * i0);
        }
        if (bad) memset(bad, 0, n);
        return;
    }
    cols[0] = &a[0][0];
    cols[1] = &b[0][0];
    for (i0 = 0; i0 < n; i0 += m) {
        m = n - i0 < PW_SH_CHUNK ? n - i0 : PW_SH_CHUNK;
        for (i = 0; i < m; i++) {
            int ok = pw_fr_load_mont(h->backend, l[i0 + i], a[i]);
            ok &= pw_fr_load_mont(h->backend, r[i0 + i], b[i]);
            if (bad) bad[i0 + i] = (uint8_t)!ok;
        }
        pw_sh_hash_batch(h, h->node, m, cols, &o[0][0]);
        for (i = 0; i < m; i++) {
            if (bad && bad[i0 + i])
                memset(out + 32 * (i0 + i), 0, 32);
            else
                pw_fr_store_mont(h->backend, out + 32 * (i0 + i), o[i]);
        }
    }
}

/* out + 32*i := leaf(owner[i], balance[i], nonce[i]); bad as pw_sh_node_many
 * (an owner that is not below r, under Poseidon). */
static inline void pw_sh_leaf_many(const pw_hasher *h, size_t n, const uint8_t *const *owner,
                                   const uint64_t *balance, const uint64_t *nonce, uint8_t *out,
                                   uint8_t *bad) {
    uint64_t a[PW_SH_CHUNK][4], b[PW_SH_CHUNK][4], c[PW_SH_CHUNK][4];
    const uint64_t *cols[3];
    size_t i0, i, m;
    if (h->kind == PW_HASH_BLAKE3) {
        pw_leaf_hash_many_at(h->simd_level, n, owner, balance, nonce, out);
        if (bad) memset(bad, 0, n);
        return;
    }
    cols[0] = &a[0][0];
    cols[1] = &b[0][0];
    cols[2] = &c[0][0];
    for (i0 = 0; i0 < n; i0 += m) {
        m = n - i0 < PW_SH_CHUNK ? n - i0 : PW_SH_CHUNK;
        for (i = 0; i < m; i++) {
            int ok = pw_fr_load_mont(h->backend, owner[i0 + i], a[i]);
            b[i][0] = balance[i0 + i];
            c[i][0] = nonce[i0 + i];
            b[i][1] = b[i][2] = b[i][3] = c[i][1] = c[i][2] = c[i][3] = 0;
            bn_to_mont_at(h->backend, &BN_FR, b[i], b[i]); /* a u64 is below r */
            bn_to_mont_at(h->backend, &BN_FR, c[i], c[i]);
            if (bad) bad[i0 + i] = (uint8_t)!ok;
        }
        pw_sh_hash_batch(h, h->leaf, m, cols, &a[0][0]); /* out aliases column 0 */
        for (i = 0; i < m; i++) {
            const uint8_t *ow = owner[i0 + i];
            int empty = balance[i0 + i] == 0 && nonce[i0 + i] == 0, k;
            for (k = 0; k < 32 && empty; k++) empty = ow[k] == 0;
            if (empty || (bad && bad[i0 + i]))
                memset(out + 32 * (i0 + i), 0, 32);
            else
                pw_fr_store_mont(h->backend, out + 32 * (i0 + i), a[i]);
        }
    }
}

/* roots + 32*i := the root that leaf hash leaves[i] gives at leaf index
 * indexes[i] with the depth siblings paths[i] (leaf level first; bit l of the
 * index set: the running hash is the right child at level l).  bad as
 * pw_sh_node_many: a leaf or sibling that is not a field element (Poseidon).
 * Poseidon folds run level by level, PW_SH_CHUNK at a time, so each level is
 * one batch of independent hashes; BLAKE3 folds run in SIMD lanes. */
static inline void pw_sh_fold_many(const pw_hasher *h, size_t n, const uint8_t *const *leaves,
                                   const uint32_t *indexes, const uint8_t *const *paths, int depth,
                                   uint8_t *roots, uint8_t *bad) {
    uint64_t cur[PW_SH_CHUNK][4], a[PW_SH_CHUNK][4], b[PW_SH_CHUNK][4], sib[4];
    uint8_t ok[PW_SH_CHUNK];
    const uint64_t *cols[2];
    size_t i0, i, m;
    int l;
    if (h->kind == PW_HASH_BLAKE3) {
        if (n) pw_fold_many_at(h->simd_level, n, leaves, indexes, paths, depth, roots);
        if (bad) memset(bad, 0, n);
        return;
    }
    cols[0] = &a[0][0];
    cols[1] = &b[0][0];
    for (i0 = 0; i0 < n; i0 += m) {
        m = n - i0 < PW_SH_CHUNK ? n - i0 : PW_SH_CHUNK;
        for (i = 0; i < m; i++) ok[i] = (uint8_t)pw_fr_load_mont(h->backend, leaves[i0 + i], cur[i]);
        for (l = 0; l < depth; l++) {
            for (i = 0; i < m; i++) {
                ok[i] &= (uint8_t)pw_fr_load_mont(h->backend, paths[i0 + i] + 32 * l, sib);
                if ((indexes[i0 + i] >> l) & 1u) {
                    bn_copy(a[i], sib);
                    bn_copy(b[i], cur[i]);
                } else {
                    bn_copy(a[i], cur[i]);
                    bn_copy(b[i], sib);
                }
            }
            pw_sh_hash_batch(h, h->node, m, cols, &cur[0][0]);
        }
        for (i = 0; i < m; i++) {
            if (bad) bad[i0 + i] = (uint8_t)!ok[i];
            if (ok[i])
                pw_fr_store_mont(h->backend, roots + 32 * (i0 + i), cur[i]);
            else
                memset(roots + 32 * (i0 + i), 0, 32);
        }
    }
}

/* ---- one at a time ---- */

/* out := node(l, r); 0, or -1 (out zero) when an input is not a field element. */
static inline int pw_sh_node(const pw_hasher *h, const uint8_t l[32], const uint8_t r[32],
                             uint8_t out[32]) {
    uint8_t bad;
    if (h->kind == PW_HASH_BLAKE3) {
        pw_node_hash(l, r, out);
        return 0;
    }
    pw_sh_node_many(h, 1, &l, &r, out, &bad);
    return bad ? -1 : 0;
}

/* out := leaf(owner, balance, nonce); 0, or -1 (out zero) when the owner is not
 * a field element under Poseidon. */
static inline int pw_sh_leaf(const pw_hasher *h, const uint8_t owner[32], uint64_t balance,
                             uint64_t nonce, uint8_t out[32]) {
    uint8_t bad;
    if (h->kind == PW_HASH_BLAKE3) {
        pw_leaf_hash(owner, balance, nonce, out);
        return 0;
    }
    pw_sh_leaf_many(h, 1, &owner, &balance, &nonce, out, &bad);
    return bad ? -1 : 0;
}

/* 1 when owner (32 bytes) may own an account under hash `kind`: any bytes for
 * BLAKE3, an integer below r for Poseidon. */
static inline int pw_sh_owner_ok(int kind, const uint8_t owner[32]) {
    uint64_t x[4];
    return kind != PW_HASH_POSEIDON || pw_fr_load_be(owner, x);
}

#endif /* POUW_PW_STATE_HASH_H */
