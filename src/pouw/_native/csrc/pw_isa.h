/* pw_isa.h -- the VM's numeric constants and the trace layout (docs/vm-and-trace.md).
 *
 * Mirrored by pouw.isa; tests/test_trace.py checks that the two agree.
 * Pure constants and arithmetic on sizes: no allocation, callable without the GIL.
 */
#ifndef POUW_PW_ISA_H
#define POUW_PW_ISA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* opcodes */
enum {
    PW_OP_NONCE = 1,
    PW_OP_FEE = 2,
    PW_OP_DEBIT = 3,
    PW_OP_CREDIT = 4,
    PW_OP_UNDO = 5,
    PW_OP_REFUND = 6,
    PW_OP_REWARD = 7
};

/* step status codes */
enum {
    PW_ST_OK = 0,
    PW_ST_BAD_NONCE = 1,
    PW_ST_INTRINSIC_GAS = 2,
    PW_ST_CANNOT_PAY_FEE = 3,
    PW_ST_INSUFFICIENT_BALANCE = 4,
    PW_ST_OUT_OF_GAS = 5,
    PW_ST_OVERFLOW = 6,
    PW_ST_SKIPPED = 7
};

/* gas */
#define PW_INTRINSIC_GAS 21000u
#define PW_DEBIT_GAS 5000u
#define PW_CREDIT_GAS 5000u

/* state hashes: the trace's hash byte (pw_state_hash.h) */
enum { PW_HASH_BLAKE3 = 0, PW_HASH_POSEIDON = 1, PW_N_HASHES = 2 };

/* trace encoding, version 2 (version 1 still decodes: see pw_trace_hash) */
#define PW_TRACE_MAGIC "PWTR"
#define PW_TRACE_VERSION 2u
#define PW_HEADER_SIZE 80u
#define PW_MAX_STEPS (1u << 20)
#define PW_MIN_DEPTH 1
#define PW_MAX_DEPTH 32
#define PW_DEFAULT_DEPTH 20
#define PW_TRACE_KIND_INTENT 1u
#define PW_TRACE_KIND_BATCH 2u
/* bytes per step = PW_STEP_FIXED + 32 * depth */
#define PW_STEP_FIXED 126u

/* An intent's id is BLAKE3(PW_INTENT_DOMAIN || program), where the program is
 * sender u32 || nonce u64 || gas_limit u64 || gas_price u64 || n_body u32 (the
 * head) then op u8 || account u32 || arg0 u64 per body op, all little-endian
 * (pouw.isa.encode_program).  C only writes these pre-images; the hashing, and
 * the batch id's domain, live in Python (pouw.isa), as BLAKE3 of variable
 * length is not reimplemented here (see pw_hash.h). */
#define PW_INTENT_DOMAIN "pouw.intent.v1"
#define PW_INTENT_DOMAIN_LEN 14u
#define PW_PROGRAM_HEAD 32
#define PW_BODY_OP_SIZE 13
_Static_assert(sizeof(PW_INTENT_DOMAIN) - 1 == PW_INTENT_DOMAIN_LEN, "PW_INTENT_DOMAIN_LEN");

/* header field offsets.  Version 1 had a u16 version at 4..5; version 2 has
 * a u8 version at 4 and the state hash id at 5, so a version-1 trace reads as
 * version 1 with hash byte 0 (BLAKE3, the only hash it knew) and an older
 * reader refuses a version-2 trace (its u16 is 2 + 256 * hash, never 1). */
#define PW_HDR_MAGIC 0
#define PW_HDR_VERSION 4
#define PW_HDR_HASH 5
#define PW_HDR_DEPTH 6
#define PW_HDR_KIND 7
#define PW_HDR_N_STEPS 8
#define PW_HDR_COINBASE 12
#define PW_HDR_PRE_ROOT 16
#define PW_HDR_INTENT_ID 48

/* columns, in encoding order */
enum {
    PW_COL_OP = 0,
    PW_COL_STATUS,
    PW_COL_ACCOUNT,
    PW_COL_ARG0,
    PW_COL_ARG1,
    PW_COL_GAS_LEFT,
    PW_COL_OWNER,
    PW_COL_BALANCE_BEFORE,
    PW_COL_NONCE_BEFORE,
    PW_COL_BALANCE_AFTER,
    PW_COL_NONCE_AFTER,
    PW_COL_PATH,
    PW_COL_ROOT_AFTER,
    PW_N_COLS
};

/* Width in bytes of one entry of column `col` at `depth`. */
static inline size_t pw_col_width(int col, int depth) {
    static const unsigned char w[PW_N_COLS] = {1, 1, 4, 8, 8, 8, 32, 8, 8, 8, 8, 0, 32};
    if (col == PW_COL_PATH) return 32u * (size_t)depth;
    return (col >= 0 && col < PW_N_COLS) ? w[col] : 0;
}

static inline size_t pw_step_size(int depth) { return PW_STEP_FIXED + 32u * (size_t)depth; }

/* Byte offset (from the start of the trace) of column `col` in a trace of n steps. */
static inline size_t pw_col_offset(int col, size_t n_steps, int depth) {
    size_t off = PW_HEADER_SIZE;
    int c;
    for (c = 0; c < col; c++) off += n_steps * pw_col_width(c, depth);
    return off;
}

static inline size_t pw_trace_size(size_t n_steps, int depth) {
    return PW_HEADER_SIZE + n_steps * pw_step_size(depth);
}

/* The state hash id of the header at p (version and hash bytes), or -1 when
 * the version is not one this build reads or the hash byte names no hash. */
static inline int pw_trace_hash(const uint8_t *p) {
    if (p[PW_HDR_VERSION] == 1u) return p[PW_HDR_HASH] == 0 ? PW_HASH_BLAKE3 : -1;
    if (p[PW_HDR_VERSION] == PW_TRACE_VERSION) return p[PW_HDR_HASH] < PW_N_HASHES ? p[PW_HDR_HASH] : -1;
    return -1;
}

/* Write the 80-byte header (docs/vm-and-trace.md, "Trace encoding") at `p`; the one
 * writer of headers, used by the VM and by the trace encoder: always version 2.
 * Little-endian byte by byte.  `pre_root` and `intent_id` are 32 bytes each. */
static inline void pw_write_header(uint8_t *p, int depth, int kind, int hash, uint32_t n_steps,
                                   uint32_t coinbase, const uint8_t *pre_root,
                                   const uint8_t *intent_id) {
    int i;
    memcpy(p + PW_HDR_MAGIC, PW_TRACE_MAGIC, 4);
    p[PW_HDR_VERSION] = (uint8_t)PW_TRACE_VERSION;
    p[PW_HDR_HASH] = (uint8_t)hash;
    p[PW_HDR_DEPTH] = (uint8_t)depth;
    p[PW_HDR_KIND] = (uint8_t)kind;
    for (i = 0; i < 4; i++) {
        p[PW_HDR_N_STEPS + i] = (uint8_t)(n_steps >> (8 * i));
        p[PW_HDR_COINBASE + i] = (uint8_t)(coinbase >> (8 * i));
    }
    memcpy(p + PW_HDR_PRE_ROOT, pre_root, 32);
    memcpy(p + PW_HDR_INTENT_ID, intent_id, 32);
}

#endif /* POUW_PW_ISA_H */
