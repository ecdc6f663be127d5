# Declarations of csrc/pw_isa.h: opcodes, status codes, gas and the trace
# layout of docs/vm-and-trace.md (mirrored by pouw.isa).
from libc.stdint cimport uint8_t, uint32_t


cdef extern from "pw_isa.h" nogil:
    enum:
        PW_OP_NONCE
        PW_OP_FEE
        PW_OP_DEBIT
        PW_OP_CREDIT
        PW_OP_UNDO
        PW_OP_REFUND
        PW_OP_REWARD

        PW_ST_OK
        PW_ST_BAD_NONCE
        PW_ST_INTRINSIC_GAS
        PW_ST_CANNOT_PAY_FEE
        PW_ST_INSUFFICIENT_BALANCE
        PW_ST_OUT_OF_GAS
        PW_ST_OVERFLOW
        PW_ST_SKIPPED

        PW_HASH_BLAKE3
        PW_HASH_POSEIDON
        PW_N_HASHES

        PW_HDR_MAGIC
        PW_HDR_VERSION
        PW_HDR_HASH
        PW_HDR_DEPTH
        PW_HDR_KIND
        PW_HDR_N_STEPS
        PW_HDR_COINBASE
        PW_HDR_PRE_ROOT
        PW_HDR_INTENT_ID

        PW_COL_OP
        PW_COL_STATUS
        PW_COL_ACCOUNT
        PW_COL_ARG0
        PW_COL_ARG1
        PW_COL_GAS_LEFT
        PW_COL_OWNER
        PW_COL_BALANCE_BEFORE
        PW_COL_NONCE_BEFORE
        PW_COL_BALANCE_AFTER
        PW_COL_NONCE_AFTER
        PW_COL_PATH
        PW_COL_ROOT_AFTER
        PW_N_COLS

    const char *PW_TRACE_MAGIC
    const char *PW_INTENT_DOMAIN
    unsigned int PW_INTENT_DOMAIN_LEN
    int PW_PROGRAM_HEAD
    int PW_BODY_OP_SIZE
    unsigned int PW_INTRINSIC_GAS
    unsigned int PW_DEBIT_GAS
    unsigned int PW_CREDIT_GAS
    unsigned int PW_TRACE_VERSION
    unsigned int PW_HEADER_SIZE
    unsigned int PW_MAX_STEPS
    int PW_MIN_DEPTH
    int PW_MAX_DEPTH
    int PW_DEFAULT_DEPTH
    unsigned int PW_TRACE_KIND_INTENT
    unsigned int PW_TRACE_KIND_BATCH
    unsigned int PW_STEP_FIXED

    size_t pw_col_width(int col, int depth)
    size_t pw_step_size(int depth)
    size_t pw_col_offset(int col, size_t n_steps, int depth)
    size_t pw_trace_size(size_t n_steps, int depth)
    void pw_write_header(uint8_t *p, int depth, int kind, int hash, uint32_t n_steps,
                         uint32_t coinbase, const uint8_t *pre_root, const uint8_t *intent_id)
    int pw_trace_hash(const uint8_t *p)
