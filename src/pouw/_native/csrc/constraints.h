/* constraints.h -- the trace constraint checker of docs/vm-and-trace.md, in C.
 *
 * The mock prover's kernel: it checks every constraint of the specification
 * for every step of a canonical trace (version 1) and names the first step
 * and rule that fails.  It reads the caller's buffer in place (no copy, no
 * allocation), touches no Python object and so runs without the GIL.
 *
 * Intent ids are variable-length BLAKE3 hashes; the checker does not hash
 * them.  It writes each intent's id pre-image (the spec's encoding) into a
 * caller-provided buffer, with their offsets, and the caller hashes them and
 * compares with the header (kind 1: the intent id; kind 2: the batch id).
 *
 * The Merkle folds (two per step, each `depth` node hashes: nearly all the
 * work) are computed a chunk of PW_CK_CHUNK steps ahead with pw_fold_many
 * (pw_fold_simd.h: SIMD lanes, one fold per lane), skipping the implied ones;
 * the rules then run step by step against them, so the first failing step
 * and rule are what a step-at-a-time check gives.
 *
 * Order of the checks (the Python oracle, pouw._reference.constraints, uses
 * the same order, so both name the same step and rule):
 *   1. framing (what the decoder checks: magic, version, depth, kind,
 *      n_steps, coinbase < 2^depth, exact length)            -> MALFORMED, step -1;
 *   2. for each step i, in this order: op range, status range, account range,
 *      unused arg1, sequencing (the program shape), account, UNDO operands,
 *      status, gas_left, REFUND/REWARD amount, arithmetic of never-failing
 *      ops, leaf after, Merkle before, Merkle after;
 *   3. the end of the trace is the end of an intent          -> INCOMPLETE, step n-1;
 *   4. the header's coinbase: a trace without a REWARD step has coinbase 0
 *      (with one, step 2's ACCOUNT rule binds it)            -> COINBASE_UNUSED, step -1;
 *   5. (caller) the header's intent_id                       -> INTENT_ID / BATCH_ID, step -1.
 * Codes are not in this order: COINBASE_UNUSED was added after the others and
 * codes never change, so it comes last in the enum.
 */
#ifndef POUW_CONSTRAINTS_H
#define POUW_CONSTRAINTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pw_isa.h"
#include "pw_state_hash.h"

/* ---- rules ---- */

/* Every rule the checker can name.  Codes are stable (they travel in error
 * messages and tests); pouw.prover.rules.Rule mirrors them by name. */
enum pw_ck_rule {
    PW_CK_OK = 0,
    PW_CK_MALFORMED,
    PW_CK_OP_RANGE,
    PW_CK_STATUS_RANGE,
    PW_CK_ACCOUNT_RANGE,
    PW_CK_ARG1_UNUSED,
    PW_CK_EXPECT_NONCE,
    PW_CK_EXPECT_FEE,
    PW_CK_EXPECT_BODY,
    PW_CK_EXPECT_UNDO,
    PW_CK_EXPECT_REFUND,
    PW_CK_EXPECT_REWARD,
    PW_CK_ONE_INTENT,
    PW_CK_ACCOUNT,
    PW_CK_UNDO_OPERANDS,
    PW_CK_STATUS,
    PW_CK_GAS,
    PW_CK_AMOUNT,
    PW_CK_ARITH,
    PW_CK_LEAF_AFTER,
    PW_CK_MERKLE_BEFORE,
    PW_CK_MERKLE_AFTER,
    PW_CK_INCOMPLETE,
    PW_CK_INTENT_ID,
    PW_CK_BATCH_ID,
    PW_CK_NO_SPACE,
    PW_CK_COINBASE_UNUSED,
    PW_CK_N_RULES
};

/* Rule names (upper case, as in the Python enum) and one-line statements. */
static const char *const pw_ck_rule_name[PW_CK_N_RULES] = {
    "OK",           "MALFORMED",     "OP_RANGE",      "STATUS_RANGE",  "ACCOUNT_RANGE",
    "ARG1_UNUSED",  "EXPECT_NONCE",  "EXPECT_FEE",    "EXPECT_BODY",   "EXPECT_UNDO",
    "EXPECT_REFUND", "EXPECT_REWARD", "ONE_INTENT",   "ACCOUNT",       "UNDO_OPERANDS",
    "STATUS",       "GAS",           "AMOUNT",        "ARITH",         "LEAF_AFTER",
    "MERKLE_BEFORE", "MERKLE_AFTER", "INCOMPLETE",    "INTENT_ID",     "BATCH_ID",
    "NO_SPACE",     "COINBASE_UNUSED",
};

static const char *const pw_ck_rule_text[PW_CK_N_RULES] = {
    "every constraint holds",
    "not a canonical version-1 trace (magic, version, depth, kind, n_steps, coinbase or length)",
    "op is not 1..7",
    "status is not 0..7",
    "account is not below 2^depth",
    "arg1 is not 0 for an op that does not use it",
    "an intent must start with NONCE",
    "NONCE must be followed by FEE on the same account",
    "FEE must be followed by at least one DEBIT or CREDIT",
    "an UNDO is due for a successful body op of a failed intent",
    "REFUND must follow the body and its UNDOs",
    "REFUND must be followed by REWARD",
    "a kind-1 trace holds exactly one intent",
    "account is not the one the program gives (sender, coinbase or the undone op's)",
    "UNDO does not reverse the last successful body op not yet undone (amount or op)",
    "status is not what the rules give for this op, leaf and gas",
    "gas_left is not what the gas rules give",
    "REFUND/REWARD amount is not gas_left*gas_price / (gas_limit-gas_left)*gas_price",
    "an UNDO, REFUND or REWARD would overflow or underflow",
    "the leaf after is not the effect of the op",
    "the leaf before folded up the path is not the root before",
    "the leaf after folded up the path is not root_after",
    "the trace ends inside an intent",
    "the header's intent_id is not the intent's id",
    "the header's intent_id is not the batch id",
    "the caller's pre-image buffer is too small (a bug in the caller)",
    "a trace without a REWARD step has coinbase 0",
};

/* ---- pre-image buffer sizes ---- */

/* domain || sender u32 || nonce u64 || gas_limit u64 || gas_price u64 || n_body u32
 * (pw_isa.h) */
#define PW_CK_INTENT_HEAD (PW_INTENT_DOMAIN_LEN + PW_PROGRAM_HEAD)
/* op u8 || account u32 || arg0 u64 per body op */
#define PW_CK_BODY_ENTRY PW_BODY_OP_SIZE

/* An intent spans at least 3 steps (NONCE, FEE, one body op), so a trace of n
 * steps holds k <= n/3 whole intents whose pre-images take
 * 46k + 13*(n - 2k) = 20k + 13n <= 20n bytes.  Pre-images are written only for
 * whole programs, so 20n + 64 always suffices; the checker still bounds every
 * write by the capacity it is given. */
static inline size_t pw_ck_preimage_capacity(size_t n_steps) { return 20u * n_steps + 64u; }

/* Offsets: one per intent plus the end. */
static inline size_t pw_ck_offsets_capacity(size_t n_steps) { return n_steps / 3u + 2u; }

/* ---- the decoded view of a trace ---- */

typedef struct {
    int hash; /* PW_HASH_*: the header's (version 1: BLAKE3) */
    int depth;
    int kind;
    uint32_t n_steps;
    uint32_t coinbase;
    const uint8_t *pre_root;
    const uint8_t *intent_id;
    const uint8_t *col[PW_N_COLS]; /* start of each column inside the caller's buffer */
} pw_ck_view;

/* Check the framing of `buf[0:len]` (what the decoder checks) and fill `v`.
 * Returns PW_CK_OK or PW_CK_MALFORMED.  Reads only inside the buffer. */
static inline int pw_ck_frame(const uint8_t *buf, size_t len, pw_ck_view *v) {
    int c;
    size_t off;
    if (buf == NULL || len < PW_HEADER_SIZE) return PW_CK_MALFORMED;
    if (memcmp(buf + PW_HDR_MAGIC, PW_TRACE_MAGIC, 4) != 0) return PW_CK_MALFORMED;
    v->hash = pw_trace_hash(buf);
    if (v->hash < 0) return PW_CK_MALFORMED;
    v->depth = buf[PW_HDR_DEPTH];
    v->kind = buf[PW_HDR_KIND];
    v->n_steps = pw_load32_le(buf + PW_HDR_N_STEPS);
    v->coinbase = pw_load32_le(buf + PW_HDR_COINBASE);
    if (v->depth < PW_MIN_DEPTH || v->depth > PW_MAX_DEPTH) return PW_CK_MALFORMED;
    if (v->kind != (int)PW_TRACE_KIND_INTENT && v->kind != (int)PW_TRACE_KIND_BATCH)
        return PW_CK_MALFORMED;
    if (v->n_steps < 1 || v->n_steps > PW_MAX_STEPS) return PW_CK_MALFORMED;
    if (v->depth < 32 && (v->coinbase >> v->depth) != 0) return PW_CK_MALFORMED;
    /* n_steps <= 2^20 and a step is <= 126 + 1024 bytes: no size_t overflow. */
    if (len != pw_trace_size(v->n_steps, v->depth)) return PW_CK_MALFORMED;
    v->pre_root = buf + PW_HDR_PRE_ROOT;
    v->intent_id = buf + PW_HDR_INTENT_ID;
    off = PW_HEADER_SIZE;
    for (c = 0; c < PW_N_COLS; c++) {
        v->col[c] = buf + off;
        off += (size_t)v->n_steps * pw_col_width(c, v->depth);
    }
    return PW_CK_OK;
}

/* Column accessors for step i (the view guarantees i < n_steps). */
#define PW_CK_U8(v, c, i) ((v)->col[c][(size_t)(i)])
#define PW_CK_U32(v, c, i) pw_load32_le((v)->col[c] + 4u * (size_t)(i))
#define PW_CK_U64(v, c, i) pw_load64_le((v)->col[c] + 8u * (size_t)(i))
#define PW_CK_H32(v, c, i) ((v)->col[c] + 32u * (size_t)(i))

/* a * b in u64; returns 1 on overflow. */
static inline int pw_ck_mul_overflows(uint64_t a, uint64_t b, uint64_t *out) {
    *out = a * b;
    return a != 0 && *out / a != b;
}

/* ---- the Merkle folds, a chunk of steps at a time ---- */

/* Steps whose folds are computed together (pw_fold_many runs them in SIMD
 * lanes); the rules then run step by step over the chunk.  Bounds the
 * scratch: folds are pure functions of a step's bytes, so computing them
 * ahead changes no result, only when the work is done. */
#define PW_CK_CHUNK 128u

/* The checker's scratch (caller-allocated: sizeof(pw_ck_scratch), ~22 KB). */
typedef struct {
    const uint8_t *owner[2 * PW_CK_CHUNK]; /* fold j's leaf: owner (in the trace), */
    uint64_t balance[2 * PW_CK_CHUNK];     /* balance and nonce */
    uint64_t nonce[2 * PW_CK_CHUNK];
    const uint8_t *leaf[2 * PW_CK_CHUNK];  /* its leaf hash (in `leaves`) */
    const uint8_t *path[2 * PW_CK_CHUNK];  /* its step's path (in the trace) */
    uint32_t index[2 * PW_CK_CHUNK];       /* its step's account */
    uint8_t leaves[2 * PW_CK_CHUNK][32];
    uint8_t roots[2 * PW_CK_CHUNK][32];    /* fold j's root */
    uint8_t bad[2 * PW_CK_CHUNK];          /* fold j met a value that is no field element (Poseidon) */
    uint8_t bad_leaf[2 * PW_CK_CHUNK];
    int16_t before[PW_CK_CHUNK];           /* fold of step c0+k's leaf before, -1: implied */
    int16_t after[PW_CK_CHUNK];            /* fold of its leaf after, -1: leaf unchanged */
} pw_ck_scratch;

/* 1 when step i's leaf before, account and path are step i-1's leaf after,
 * account and path: its fold before is then step i-1's fold after, which
 * step i-1's MERKLE_AFTER check already matched with root_after[i-1] =
 * root_before[i] (a step is only checked once every earlier step passed). */
static inline int pw_ck_fold_implied(const pw_ck_view *v, uint32_t i) {
    const size_t plen = 32u * (size_t)v->depth;
    if (i == 0) return 0;
    return PW_CK_U32(v, PW_COL_ACCOUNT, i) == PW_CK_U32(v, PW_COL_ACCOUNT, i - 1) &&
           PW_CK_U64(v, PW_COL_BALANCE_BEFORE, i) == PW_CK_U64(v, PW_COL_BALANCE_AFTER, i - 1) &&
           PW_CK_U64(v, PW_COL_NONCE_BEFORE, i) == PW_CK_U64(v, PW_COL_NONCE_AFTER, i - 1) &&
           memcmp(PW_CK_H32(v, PW_COL_OWNER, i), PW_CK_H32(v, PW_COL_OWNER, i - 1), 32) == 0 &&
           memcmp(v->col[PW_COL_PATH] + plen * i, v->col[PW_COL_PATH] + plen * (i - 1), plen) == 0;
}

/* Every fold steps [c0, c1) need (c1 - c0 <= PW_CK_CHUNK), into s: a step's
 * leaf before unless implied, its leaf after when the leaf changed. */
static inline void pw_ck_fold_chunk(const pw_ck_view *v, uint32_t c0, uint32_t c1,
                                    const pw_hasher *h, pw_ck_scratch *s) {
    const size_t plen = 32u * (size_t)v->depth;
    uint32_t i;
    int n = 0, j;
#define PW_CK_ADD_FOLD(bal, non)                                   \
    do {                                                           \
        s->owner[n] = PW_CK_H32(v, PW_COL_OWNER, i);               \
        s->balance[n] = (bal);                                     \
        s->nonce[n] = (non);                                       \
        s->path[n] = v->col[PW_COL_PATH] + plen * i;               \
        s->index[n] = PW_CK_U32(v, PW_COL_ACCOUNT, i);             \
    } while (0)
    for (i = c0; i < c1; i++) {
        const uint64_t bb = PW_CK_U64(v, PW_COL_BALANCE_BEFORE, i);
        const uint64_t nb = PW_CK_U64(v, PW_COL_NONCE_BEFORE, i);
        const uint64_t ba = PW_CK_U64(v, PW_COL_BALANCE_AFTER, i);
        const uint64_t na = PW_CK_U64(v, PW_COL_NONCE_AFTER, i);
        s->before[i - c0] = s->after[i - c0] = -1;
        if (!pw_ck_fold_implied(v, i)) {
            PW_CK_ADD_FOLD(bb, nb);
            s->before[i - c0] = (int16_t)n++;
        }
        if (ba != bb || na != nb) {
            PW_CK_ADD_FOLD(ba, na);
            s->after[i - c0] = (int16_t)n++;
        }
    }
#undef PW_CK_ADD_FOLD
    pw_sh_leaf_many(h, (size_t)n, s->owner, s->balance, s->nonce, &s->leaves[0][0], s->bad_leaf);
    for (j = 0; j < n; j++) s->leaf[j] = s->leaves[j];
    pw_sh_fold_many(h, (size_t)n, s->leaf, s->index, s->path, v->depth, &s->roots[0][0], s->bad);
    for (j = 0; j < n; j++) s->bad[j] |= s->bad_leaf[j];
}

/* ---- the checker ---- */

/* Where the checker is in the program of the current intent. */
enum {
    PW_CK_PH_NONCE = 0, /* an intent starts here (or the trace ends) */
    PW_CK_PH_FEE,       /* after NONCE */
    PW_CK_PH_BODY1,     /* after FEE: the first body op */
    PW_CK_PH_BODY,      /* inside the body: more body ops, or its end */
    PW_CK_PH_UNDO,      /* after the body of a paying intent: UNDOs due, then REFUND */
    PW_CK_PH_REWARD     /* after REFUND */
};

typedef struct {
    int phase;
    int dead;            /* NONCE or FEE failed: the intent ends after its body */
    int body_failed;     /* a body op failed: the rest is SKIPPED, UNDOs are due */
    uint32_t sender;     /* NONCE's account */
    uint32_t nonce_step; /* index of the intent's NONCE */
    uint32_t fee_step;   /* index of its FEE */
    uint32_t body_start; /* index of its first body op */
    uint32_t fail_step;  /* index of its failing body op (when body_failed) */
    uint32_t undo_left;  /* UNDOs still due */
    uint32_t undo_next;  /* the body op the next UNDO reverses */
    uint64_t gas_limit, gas_price, gas;
} pw_ck_intent;

/* Append the intent's id pre-image (spec: "Its intent id is blake3(...)") for
 * the program NONCE at s->nonce_step, FEE at s->fee_step and the body
 * [s->body_start, end).  Returns 0, or -1 when a capacity would be exceeded. */
static inline int pw_ck_emit(const pw_ck_view *v, const pw_ck_intent *s, uint32_t end, uint8_t *pre,
                             size_t pre_cap, size_t *pre_len, uint64_t *off, size_t off_cap,
                             uint32_t *k) {
    uint32_t n_body = end - s->body_start, j;
    size_t need = PW_CK_INTENT_HEAD + (size_t)PW_CK_BODY_ENTRY * n_body;
    uint8_t *p;
    if ((size_t)*k + 2u > off_cap || need > pre_cap - *pre_len) return -1;
    off[*k] = *pre_len;
    p = pre + *pre_len;
    memcpy(p, PW_INTENT_DOMAIN, PW_INTENT_DOMAIN_LEN);
    p += PW_INTENT_DOMAIN_LEN;
    pw_store32_le(p, s->sender);
    pw_store64_le(p + 4, PW_CK_U64(v, PW_COL_ARG0, s->nonce_step));
    pw_store64_le(p + 12, PW_CK_U64(v, PW_COL_ARG0, s->fee_step));
    pw_store64_le(p + 20, PW_CK_U64(v, PW_COL_ARG1, s->fee_step));
    pw_store32_le(p + 28, n_body);
    p += PW_PROGRAM_HEAD;
    for (j = s->body_start; j < end; j++, p += PW_CK_BODY_ENTRY) {
        p[0] = PW_CK_U8(v, PW_COL_OP, j);
        pw_store32_le(p + 1, PW_CK_U32(v, PW_COL_ACCOUNT, j));
        pw_store64_le(p + 5, PW_CK_U64(v, PW_COL_ARG0, j));
    }
    *pre_len += need;
    *k += 1;
    off[*k] = *pre_len;
    return 0;
}

/* Check every constraint of the trace in buf[0:len].
 *
 * Caller guarantees: `buf` is readable for `len` bytes and stays alive and
 * unchanged during the call; `pre` is writable for `pre_cap` bytes and `off`
 * for `off_cap` entries (pw_ck_preimage_capacity / pw_ck_offsets_capacity of
 * the header's n_steps always suffice); `scratch` is the caller's, one per
 * concurrent call; `hashers[id]` is the hasher of hash id `id` (a BLAKE3 one
 * with a fold level the host supports, a Poseidon one with its constants, or
 * with node == NULL when the caller has none: its traces are then MALFORMED).  No allocation, no Python object: may run
 * without the GIL.
 *
 * Returns the first failing rule (PW_CK_OK when every step passes and the
 * header's coinbase is bound) and sets *bad_step to its step (-1 for the
 * header or when every step passes).  On
 * PW_CK_OK, *n_intents intents' id pre-images are in `pre`, intent j at
 * pre[off[j]:off[j+1]]; the caller hashes them and checks the header's
 * intent_id (rule PW_CK_INTENT_ID or PW_CK_BATCH_ID, step -1). */
static int pw_ck_check(const uint8_t *buf, size_t len, uint8_t *pre, size_t pre_cap, uint64_t *off,
                       size_t off_cap, pw_ck_scratch *scratch, const pw_hasher *hashers, int64_t *bad_step,
                       uint32_t *n_intents, int *kind) {
    pw_ck_view V;
    pw_ck_intent S;
    const pw_ck_view *v = &V;
    const uint8_t *root_before;
    size_t pre_len = 0;
    uint32_t i, k = 0, c0, c1;
    int r, rewarded = 0;

#define PW_CK_FAIL(rule)       \
    do {                       \
        *bad_step = (int64_t)i; \
        *n_intents = k;        \
        return (rule);         \
    } while (0)

    *bad_step = -1;
    *n_intents = 0;
    *kind = 0;
    r = pw_ck_frame(buf, len, &V);
    if (r != PW_CK_OK) return r;
    if (hashers[V.hash].kind != V.hash || (V.hash == PW_HASH_POSEIDON && hashers[V.hash].node == NULL))
        return PW_CK_MALFORMED;
    *kind = V.kind;
    if (off_cap < 1) return PW_CK_NO_SPACE;
    off[0] = 0;
    memset(&S, 0, sizeof S);
    S.phase = PW_CK_PH_NONCE;
    root_before = V.pre_root;

    c0 = c1 = 0;
    for (i = 0; i < V.n_steps; i++) {
        const uint32_t op = PW_CK_U8(v, PW_COL_OP, i);
        const uint32_t st = PW_CK_U8(v, PW_COL_STATUS, i);
        const uint32_t acct = PW_CK_U32(v, PW_COL_ACCOUNT, i);
        const uint64_t a0 = PW_CK_U64(v, PW_COL_ARG0, i);
        const uint64_t a1 = PW_CK_U64(v, PW_COL_ARG1, i);
        const uint64_t gas_after = PW_CK_U64(v, PW_COL_GAS_LEFT, i);
        const uint64_t bb = PW_CK_U64(v, PW_COL_BALANCE_BEFORE, i);
        const uint64_t nb = PW_CK_U64(v, PW_COL_NONCE_BEFORE, i);
        const uint64_t ba = PW_CK_U64(v, PW_COL_BALANCE_AFTER, i);
        const uint64_t na = PW_CK_U64(v, PW_COL_NONCE_AFTER, i);
        const uint8_t *root_after = PW_CK_H32(v, PW_COL_ROOT_AFTER, i);
        const int is_body = op == PW_OP_DEBIT || op == PW_OP_CREDIT;
        uint32_t exp_st = PW_ST_OK;
        uint64_t exp_gas = S.gas, exp_ba = bb, exp_na = nb, amount = 0, fee;
        int arith = 0, amount_ovf = 0, fold_before, fold_after;

        if (i == c1) { /* the next chunk's folds */
            c0 = i;
            c1 = V.n_steps - i > PW_CK_CHUNK ? i + PW_CK_CHUNK : V.n_steps;
            pw_ck_fold_chunk(v, c0, c1, &hashers[V.hash], scratch);
        }
        fold_before = scratch->before[i - c0];
        fold_after = scratch->after[i - c0];

        /* 1. ranges and unused operands */
        if (op < PW_OP_NONCE || op > PW_OP_REWARD) PW_CK_FAIL(PW_CK_OP_RANGE);
        if (st > PW_ST_SKIPPED) PW_CK_FAIL(PW_CK_STATUS_RANGE);
        if (V.depth < 32 && (acct >> V.depth) != 0) PW_CK_FAIL(PW_CK_ACCOUNT_RANGE);
        if (a1 != 0 && op != PW_OP_FEE && op != PW_OP_UNDO) PW_CK_FAIL(PW_CK_ARG1_UNUSED);

        /* 4. sequencing: a non-body op ends the body */
        if (S.phase == PW_CK_PH_BODY && !is_body) {
            if (pw_ck_emit(v, &S, i, pre, pre_cap, &pre_len, off, off_cap, &k) != 0)
                PW_CK_FAIL(PW_CK_NO_SPACE);
            if (S.dead) {
                S.phase = PW_CK_PH_NONCE;
            } else {
                S.phase = PW_CK_PH_UNDO;
                S.undo_left = S.body_failed ? S.fail_step - S.body_start : 0;
                S.undo_next = S.fail_step - 1u;
            }
        }
        switch (S.phase) {
        case PW_CK_PH_NONCE:
            if (op != PW_OP_NONCE) PW_CK_FAIL(PW_CK_EXPECT_NONCE);
            if (V.kind == (int)PW_TRACE_KIND_INTENT && i > 0) PW_CK_FAIL(PW_CK_ONE_INTENT);
            memset(&S, 0, sizeof S);
            S.sender = acct;
            S.nonce_step = i;
            break;
        case PW_CK_PH_FEE:
            if (op != PW_OP_FEE) PW_CK_FAIL(PW_CK_EXPECT_FEE);
            break;
        case PW_CK_PH_BODY1:
            if (!is_body) PW_CK_FAIL(PW_CK_EXPECT_BODY);
            S.body_start = i;
            break;
        case PW_CK_PH_BODY:
            break; /* a body op: the body goes on */
        case PW_CK_PH_UNDO:
            if (S.undo_left > 0) {
                if (op != PW_OP_UNDO) PW_CK_FAIL(PW_CK_EXPECT_UNDO);
            } else if (op != PW_OP_REFUND) {
                PW_CK_FAIL(PW_CK_EXPECT_REFUND);
            }
            break;
        default: /* PW_CK_PH_REWARD */
            if (op != PW_OP_REWARD) PW_CK_FAIL(PW_CK_EXPECT_REWARD);
            break;
        }

        /* 4. the account each op must touch, and what an UNDO reverses */
        if (op == PW_OP_FEE || op == PW_OP_DEBIT || op == PW_OP_REFUND) {
            if (acct != S.sender) PW_CK_FAIL(PW_CK_ACCOUNT);
        } else if (op == PW_OP_REWARD) {
            if (acct != V.coinbase) PW_CK_FAIL(PW_CK_ACCOUNT);
        } else if (op == PW_OP_UNDO) {
            const uint32_t u = S.undo_next;
            if (acct != PW_CK_U32(v, PW_COL_ACCOUNT, u)) PW_CK_FAIL(PW_CK_ACCOUNT);
            if (a0 != PW_CK_U64(v, PW_COL_ARG0, u) || a1 != PW_CK_U8(v, PW_COL_OP, u))
                PW_CK_FAIL(PW_CK_UNDO_OPERANDS);
        }

        /* 1, 3. the status, gas and effect the rules give */
        switch (op) {
        case PW_OP_NONCE:
            exp_st = nb == a0 ? PW_ST_OK : PW_ST_BAD_NONCE;
            exp_gas = 0;
            break;
        case PW_OP_FEE:
            if (S.dead) {
                exp_st = PW_ST_SKIPPED;
            } else if (a0 < PW_INTRINSIC_GAS) {
                exp_st = PW_ST_INTRINSIC_GAS;
            } else if (pw_ck_mul_overflows(a0, a1, &fee) || fee > bb || nb == UINT64_MAX) {
                exp_st = PW_ST_CANNOT_PAY_FEE;
            } else {
                exp_gas = a0 - PW_INTRINSIC_GAS;
                exp_ba = bb - fee;
                exp_na = nb + 1u;
            }
            break;
        case PW_OP_DEBIT:
        case PW_OP_CREDIT:
            if (S.dead || S.body_failed) {
                exp_st = PW_ST_SKIPPED;
            } else if (S.gas < PW_DEBIT_GAS) { /* PW_DEBIT_GAS == PW_CREDIT_GAS */
                exp_st = PW_ST_OUT_OF_GAS;
                exp_gas = 0;
            } else {
                exp_gas = S.gas - (op == PW_OP_DEBIT ? PW_DEBIT_GAS : PW_CREDIT_GAS);
                if (op == PW_OP_DEBIT) {
                    if (bb < a0)
                        exp_st = PW_ST_INSUFFICIENT_BALANCE;
                    else
                        exp_ba = bb - a0;
                } else {
                    if (bb > UINT64_MAX - a0)
                        exp_st = PW_ST_OVERFLOW;
                    else
                        exp_ba = bb + a0;
                }
            }
            break;
        case PW_OP_UNDO:
            if (a1 == PW_OP_DEBIT) { /* credit back */
                if (bb > UINT64_MAX - a0)
                    arith = 1;
                else
                    exp_ba = bb + a0;
            } else { /* debit back (the operand check made a1 == PW_OP_CREDIT) */
                if (bb < a0)
                    arith = 1;
                else
                    exp_ba = bb - a0;
            }
            break;
        case PW_OP_REFUND:
            amount_ovf = pw_ck_mul_overflows(S.gas, S.gas_price, &amount);
            break;
        default: /* PW_OP_REWARD; a trace's gas never exceeds its limit (the GAS rule) */
            amount_ovf = pw_ck_mul_overflows(S.gas_limit - S.gas, S.gas_price, &amount);
            break;
        }
        if (st != exp_st) PW_CK_FAIL(PW_CK_STATUS);
        if (gas_after != exp_gas) PW_CK_FAIL(PW_CK_GAS);
        if (op == PW_OP_REFUND || op == PW_OP_REWARD) {
            if (amount_ovf || a0 != amount) PW_CK_FAIL(PW_CK_AMOUNT);
            if (bb > UINT64_MAX - a0)
                arith = 1;
            else
                exp_ba = bb + a0;
        }
        if (arith) PW_CK_FAIL(PW_CK_ARITH);
        if (ba != exp_ba || na != exp_na) PW_CK_FAIL(PW_CK_LEAF_AFTER);

        /* 2. Merkle: the leaf before under root_before, the leaf after under
         * root_after (folds from pw_ck_fold_chunk; an implied fold before is
         * root_before, an unchanged leaf folds to the root before) */
        if (fold_before >= 0 && (scratch->bad[fold_before] ||
                                 memcmp(scratch->roots[fold_before], root_before, 32) != 0))
            PW_CK_FAIL(PW_CK_MERKLE_BEFORE);
        if (fold_after >= 0 && scratch->bad[fold_after]) PW_CK_FAIL(PW_CK_MERKLE_AFTER);
        if (memcmp(fold_after >= 0 ? scratch->roots[fold_after] : root_before, root_after, 32) != 0)
            PW_CK_FAIL(PW_CK_MERKLE_AFTER);
        root_before = root_after;

        /* the program moves on */
        switch (op) {
        case PW_OP_NONCE:
            S.dead = exp_st != PW_ST_OK;
            S.phase = PW_CK_PH_FEE;
            break;
        case PW_OP_FEE:
            S.fee_step = i;
            S.gas_limit = a0;
            S.gas_price = a1;
            S.dead = exp_st != PW_ST_OK;
            S.phase = PW_CK_PH_BODY1;
            break;
        case PW_OP_DEBIT:
        case PW_OP_CREDIT:
            if (exp_st != PW_ST_OK && exp_st != PW_ST_SKIPPED) {
                S.body_failed = 1;
                S.fail_step = i;
            }
            S.phase = PW_CK_PH_BODY;
            break;
        case PW_OP_UNDO:
            S.undo_left--;
            S.undo_next--;
            break;
        case PW_OP_REFUND:
            S.phase = PW_CK_PH_REWARD;
            break;
        default: /* PW_OP_REWARD: it passed, so its account is the header's coinbase */
            S.phase = PW_CK_PH_NONCE;
            rewarded = 1;
            break;
        }
        S.gas = exp_gas;
    }

    /* 4. whole intents: the trace ends where an intent may end */
    i = V.n_steps - 1u;
    if (S.phase == PW_CK_PH_BODY) {
        if (!S.dead) PW_CK_FAIL(PW_CK_INCOMPLETE);
        if (pw_ck_emit(v, &S, V.n_steps, pre, pre_cap, &pre_len, off, off_cap, &k) != 0)
            PW_CK_FAIL(PW_CK_NO_SPACE);
    } else if (S.phase != PW_CK_PH_NONCE) {
        PW_CK_FAIL(PW_CK_INCOMPLETE);
    }
    *n_intents = k;
    /* the coinbase is bound by the REWARD steps (rule ACCOUNT), or must be 0 */
    if (!rewarded && V.coinbase != 0) return PW_CK_COINBASE_UNUSED; /* *bad_step is -1 */
    return PW_CK_OK;
#undef PW_CK_FAIL
}

#endif /* POUW_CONSTRAINTS_H */
