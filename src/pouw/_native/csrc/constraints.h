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
 * Order of the checks (the Python oracle, pouw._reference.constraints, uses
 * the same order, so both name the same step and rule):
 *   1. framing (magic, version, depth, kind, n_steps, exact length) -> MALFORMED;
 *   2. the header's coinbase < 2^depth                      -> step -1;
 *   3. for each step i, in this order: op range, status range, account range,
 *      unused arg1, sequencing (the program shape), account, UNDO operands,
 *      status, gas_left, REFUND/REWARD amount, arithmetic of never-failing
 *      ops, leaf after, Merkle before, Merkle after;
 *   4. the end of the trace is the end of an intent          -> step n-1;
 *   5. (caller) the header's intent_id                       -> step -1.
 */
#ifndef POUW_CONSTRAINTS_H
#define POUW_CONSTRAINTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pw_hash.h"
#include "pw_isa.h"

/* ---- rules ---- */

/* Every rule the checker can name.  Codes are stable (they travel in error
 * messages and tests); pouw.prover.rules.Rule mirrors them by name. */
enum pw_ck_rule {
    PW_CK_OK = 0,
    PW_CK_MALFORMED,
    PW_CK_COINBASE_RANGE,
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
    PW_CK_N_RULES
};

/* Rule names (upper case, as in the Python enum) and one-line statements. */
static const char *const pw_ck_rule_name[PW_CK_N_RULES] = {
    "OK",           "MALFORMED",     "COINBASE_RANGE", "OP_RANGE",      "STATUS_RANGE",
    "ACCOUNT_RANGE", "ARG1_UNUSED",  "EXPECT_NONCE",   "EXPECT_FEE",    "EXPECT_BODY",
    "EXPECT_UNDO",  "EXPECT_REFUND", "EXPECT_REWARD",  "ONE_INTENT",    "ACCOUNT",
    "UNDO_OPERANDS", "STATUS",       "GAS",            "AMOUNT",        "ARITH",
    "LEAF_AFTER",   "MERKLE_BEFORE", "MERKLE_AFTER",   "INCOMPLETE",    "INTENT_ID",
    "BATCH_ID",     "NO_SPACE",
};

static const char *const pw_ck_rule_text[PW_CK_N_RULES] = {
    "every constraint holds",
    "not a canonical version-1 trace (magic, version, depth, kind, n_steps or length)",
    "the header's coinbase index is not below 2^depth",
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
    "an UNDO, REFUND, REWARD or FEE's nonce increment would overflow or underflow",
    "the leaf after is not the effect of the op",
    "the leaf before folded up the path is not the root before",
    "the leaf after folded up the path is not root_after",
    "the trace ends inside an intent",
    "the header's intent_id is not the intent's id",
    "the header's intent_id is not the batch id",
    "the caller's pre-image buffer is too small (a bug in the caller)",
};

/* ---- pre-image buffer sizes ---- */

#define PW_CK_INTENT_DOMAIN "pouw.intent.v1"
#define PW_CK_INTENT_DOMAIN_LEN 14u
/* domain || sender u32 || nonce u64 || gas_limit u64 || gas_price u64 || n_body u32 */
#define PW_CK_INTENT_HEAD (PW_CK_INTENT_DOMAIN_LEN + 4u + 8u + 8u + 8u + 4u)
/* op u8 || account u32 || arg0 u64 per body op */
#define PW_CK_BODY_ENTRY 13u

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
    if ((uint32_t)buf[PW_HDR_VERSION] + ((uint32_t)buf[PW_HDR_VERSION + 1] << 8) != PW_TRACE_VERSION)
        return PW_CK_MALFORMED;
    v->depth = buf[PW_HDR_DEPTH];
    v->kind = buf[PW_HDR_KIND];
    v->n_steps = pw_load32_le(buf + PW_HDR_N_STEPS);
    v->coinbase = pw_load32_le(buf + PW_HDR_COINBASE);
    if (v->depth < PW_MIN_DEPTH || v->depth > PW_MAX_DEPTH) return PW_CK_MALFORMED;
    if (v->kind != (int)PW_TRACE_KIND_INTENT && v->kind != (int)PW_TRACE_KIND_BATCH)
        return PW_CK_MALFORMED;
    if (v->n_steps < 1 || v->n_steps > PW_MAX_STEPS) return PW_CK_MALFORMED;
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

/* ---- the checker ---- */

#include "constraints_step.h"

#endif /* POUW_CONSTRAINTS_H */
