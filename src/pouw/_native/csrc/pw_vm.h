/* pw_vm.h -- the VM of docs/vm-and-trace.md: step rules, intents, trace rows.
 *
 * State: accounts in a pw_map (key = index, value = owner[32] || balance u64 LE
 * || nonce u64 LE; absent = the all-zero account) and their leaf hashes in a
 * pw_smt.  Both are owned by vm.pyx's AccountTable; these functions need the
 * caller to hold the only reference for the duration of the call and never
 * touch a Python object, so they run without the GIL.
 *
 * Programs are read in the intent-id encoding (pouw.isa.encode_program; sizes
 * PW_PROGRAM_HEAD and PW_BODY_OP_SIZE in pw_isa.h):
 *   sender u32 | nonce u64 | gas_limit u64 | gas_price u64 | n_body u32 |
 *   n_body * (op u8 | account u32 | arg0 u64), all little-endian.
 * pw_vm_check validates a buffer of them before anything runs, so execution
 * itself can only fail for lack of memory.
 *
 * The Merkle work is deferred: each step only changes the account map and
 * logs (account, whether it wrote, the account after); pw_vm_run then hashes
 * every written leaf and applies the whole log to the tree in one
 * pw_smt_apply, which fills each step's path and root exactly as one update
 * after another would, with each tree level hashed as one batch.  Nothing the
 * VM decides depends on a hash, so deferring changes no byte of the trace.
 */
#ifndef POUW_PW_VM_H
#define POUW_PW_VM_H

#include <stdint.h>
#include <string.h>

#include "pw_hash.h"
#include "pw_isa.h"
#include "pw_smt.h"

#define PW_ACCOUNT_SIZE 48
/* Steps pw_vm_run hands pw_smt_apply at once on the Poseidon state: enough
 * writes a level to fill the 8 IFMA lanes, a bounded scratch either way. */
#define PW_VM_POSEIDON_CHUNK 1024u
/* ... and on BLAKE3: a few intents' steps, so that a level's writes fill the
 * SIMD lanes of the fold kernels while the sibling search stays a short scan
 * (measured, 5000 transfers in one batch: 16 steps 95 k/s, 8 or 32 fewer). */
#define PW_VM_BLAKE3_CHUNK 16u
/* The largest chunk: what the tree scratch of a log must hold. */
#define PW_VM_MAX_CHUNK PW_VM_POSEIDON_CHUNK
#define PW_U64_MAX UINT64_MAX

/* ---- the step rule (a pure function; also exposed for tests) ---- */

/* Apply `op` to a leaf (balance, nonce) and the intent's gas_left.  Returns
 * the status; on failure balance and nonce are unchanged (gas_left follows the
 * spec: 0 after OUT_OF_GAS, -5000 after another DEBIT/CREDIT failure). */
static inline int pw_vm_apply(int op, uint64_t arg0, uint64_t arg1, uint64_t *bal, uint64_t *nonce,
                              uint64_t *gas) {
    switch (op) {
    case PW_OP_NONCE:
        return *nonce == arg0 ? PW_ST_OK : PW_ST_BAD_NONCE;
    case PW_OP_FEE:
        if (arg0 < PW_INTRINSIC_GAS) return PW_ST_INTRINSIC_GAS;
        if (arg1 != 0 && arg0 > PW_U64_MAX / arg1) return PW_ST_CANNOT_PAY_FEE;
        if (arg0 * arg1 > *bal || *nonce == PW_U64_MAX) return PW_ST_CANNOT_PAY_FEE;
        *bal -= arg0 * arg1;
        *nonce += 1;
        *gas = arg0 - PW_INTRINSIC_GAS;
        return PW_ST_OK;
    case PW_OP_DEBIT:
        if (*gas < PW_DEBIT_GAS) {
            *gas = 0;
            return PW_ST_OUT_OF_GAS;
        }
        *gas -= PW_DEBIT_GAS;
        if (*bal < arg0) return PW_ST_INSUFFICIENT_BALANCE;
        *bal -= arg0;
        return PW_ST_OK;
    case PW_OP_CREDIT:
        if (*gas < PW_CREDIT_GAS) {
            *gas = 0;
            return PW_ST_OUT_OF_GAS;
        }
        *gas -= PW_CREDIT_GAS;
        if (*bal > PW_U64_MAX - arg0) return PW_ST_OVERFLOW;
        *bal += arg0;
        return PW_ST_OK;
    case PW_OP_UNDO: /* never fails: the executor only undoes what it just did */
        if (arg1 == PW_OP_DEBIT)
            *bal += arg0;
        else
            *bal -= arg0;
        return PW_ST_OK;
    default: /* REFUND, REWARD: never overflow while total supply < 2^63 */
        *bal += arg0;
        return PW_ST_OK;
    }
}

/* ---- accounts ---- */

typedef struct {
    uint8_t owner[32];
    uint64_t balance, nonce;
} pw_account;

static inline void pw_account_load(const pw_map *accounts, uint32_t index, pw_account *a) {
    const uint8_t *v = pw_map_get(accounts, index);
    if (v == NULL) {
        memset(a, 0, sizeof *a);
    } else {
        memcpy(a->owner, v, 32);
        a->balance = pw_load64_le(v + 32);
        a->nonce = pw_load64_le(v + 40);
    }
}

static inline int pw_account_is_empty(const pw_account *a) {
    int i;
    if (a->balance | a->nonce) return 0;
    for (i = 0; i < 32; i++)
        if (a->owner[i]) return 0;
    return 1;
}

/* Store account `a` at `index` in the map only (no tree update); 0 or -1 when out of memory. */
static inline int pw_account_put(pw_map *accounts, uint32_t index, const pw_account *a) {
    uint8_t *v;
    if (pw_account_is_empty(a)) {
        pw_map_del(accounts, index);
        return 0;
    }
    v = pw_map_put(accounts, index);
    if (v == NULL) return -1;
    memcpy(v, a->owner, 32);
    pw_store64_le(v + 32, a->balance);
    pw_store64_le(v + 40, a->nonce);
    return 0;
}

/* Store account `a` at `index` and its leaf hash in the tree (siblings to
 * `path`, new root to `root`, either may be NULL).  0, or -1 (nothing
 * changed) when out of memory. */
static inline int pw_account_store(pw_map *accounts, pw_smt *tree, uint32_t index, const pw_account *a,
                                   uint8_t *path, uint8_t *root) {
    uint8_t leaf[32];
    if (pw_map_reserve(accounts, 1) < 0) return -1;
    pw_sh_leaf(&tree->h, a->owner, a->balance, a->nonce, leaf); /* owners checked on the way in */
    if (pw_smt_update(tree, index, leaf, path, root) < 0) return -1;
    return pw_account_put(accounts, index, a); /* cannot fail: reserved */
}

/* ---- program validation ---- */

/* Check `n_intents` programs filling exactly `len` bytes: n_body >= 1, body
 * ops DEBIT (on the sender) or CREDIT, accounts < 2^depth.  Returns the
 * most steps they can write (2*n_body + 3 each), or -1 - (index of the
 * first bad intent); *why gets a static message. */
static inline int64_t pw_vm_check(const uint8_t *p, size_t len, size_t n_intents, int depth,
                                  const char **why) {
    size_t off = 0, k, j;
    int64_t steps = 0;
    uint64_t limit = (uint64_t)1 << depth; /* depth <= 32 */
    for (k = 0; k < n_intents; k++) {
        uint32_t sender, nb;
        if (len - off < PW_PROGRAM_HEAD) {
            *why = "program buffer truncated";
            return -1 - (int64_t)k;
        }
        sender = pw_load32_le(p + off);
        nb = pw_load32_le(p + off + 28);
        off += PW_PROGRAM_HEAD;
        if (sender >= limit) {
            *why = "sender index does not fit the tree depth";
            return -1 - (int64_t)k;
        }
        if (nb == 0 || nb > PW_MAX_STEPS) {
            *why = "an intent needs 1 .. 2^20 body ops";
            return -1 - (int64_t)k;
        }
        if ((len - off) / PW_BODY_OP_SIZE < nb) {
            *why = "program buffer truncated";
            return -1 - (int64_t)k;
        }
        for (j = 0; j < nb; j++, off += PW_BODY_OP_SIZE) {
            uint8_t op = p[off];
            uint32_t acct = pw_load32_le(p + off + 1);
            if (op != PW_OP_DEBIT && op != PW_OP_CREDIT) {
                *why = "a body op is DEBIT or CREDIT";
                return -1 - (int64_t)k;
            }
            if (acct >= limit || (op == PW_OP_DEBIT && acct != sender)) {
                *why = "a body op's account is out of range, or a DEBIT is not on the sender";
                return -1 - (int64_t)k;
            }
        }
        steps += 2 * (int64_t)nb + 3;
    }
    if (off != len) {
        *why = "trailing bytes after the last program";
        return -1 - (int64_t)n_intents;
    }
    return steps;
}

/* ---- execution ---- */

/* The step log (pw_vm_log_init): one entry per step, what pw_smt_apply needs. */
typedef struct {
    size_t cap;             /* steps it holds */
    uint32_t *index;        /* cap: the step's account */
    uint8_t *write;         /* cap: 1 when the step changed the account */
    size_t n_writes;
    /* per write, in order: the account after, then its leaf hash */
    const uint8_t **owner;  /* cap pointers into `acct` */
    uint64_t *balance, *nonce;
    uint8_t *acct;          /* cap * 32 owners */
    uint8_t *leaves;        /* cap * 32 */
    uint8_t *roots;         /* cap * 32: roots after each step when there is no trace */
    pw_smt_scratch scratch; /* for one chunk of pw_vm_run's pw_smt_apply calls */
} pw_vm_log;

static inline void pw_vm_log_free(pw_vm_log *g) {
    PyMem_RawFree(g->index);
    PyMem_RawFree(g->write);
    PyMem_RawFree((void *)g->owner);
    PyMem_RawFree(g->balance);
    PyMem_RawFree(g->nonce);
    PyMem_RawFree(g->acct);
    PyMem_RawFree(g->leaves);
    PyMem_RawFree(g->roots);
    pw_smt_scratch_free(&g->scratch);
    memset(g, 0, sizeof *g);
}

/* A log for up to cap steps; 0, or -1 when out of memory (then safe to free). */
static inline int pw_vm_log_init(pw_vm_log *g, size_t cap) {
    memset(g, 0, sizeof *g);
    if (cap == 0) cap = 1;
    g->cap = cap;
    g->index = (uint32_t *)PyMem_RawMalloc(cap * sizeof(uint32_t));
    g->write = (uint8_t *)PyMem_RawMalloc(cap);
    g->owner = (const uint8_t **)PyMem_RawMalloc(cap * sizeof(uint8_t *));
    g->balance = (uint64_t *)PyMem_RawMalloc(cap * sizeof(uint64_t));
    g->nonce = (uint64_t *)PyMem_RawMalloc(cap * sizeof(uint64_t));
    g->acct = (uint8_t *)PyMem_RawMalloc(32 * cap);
    g->leaves = (uint8_t *)PyMem_RawMalloc(32 * cap);
    g->roots = (uint8_t *)PyMem_RawMalloc(32 * cap);
    if (pw_smt_scratch_init(&g->scratch, cap < PW_VM_MAX_CHUNK ? cap : PW_VM_MAX_CHUNK) < 0 || !g->index || !g->write || !g->owner ||
        !g->balance || !g->nonce || !g->acct || !g->leaves || !g->roots) {
        pw_vm_log_free(g);
        return -1;
    }
    return 0;
}

typedef struct {
    pw_map *accounts;
    pw_smt *tree;
    uint32_t coinbase;
    size_t n_rewards; /* REWARD steps written: the trace header's coinbase is 0 when there are none */
    /* trace rows: column c of step i at cols[c] + i * width(c); NULL = no trace */
    uint8_t *cols[PW_N_COLS];
    size_t n; /* steps written */
    pw_vm_log *log; /* cap >= the steps of the run */
} pw_vm;

typedef struct {
    uint8_t status;   /* first failing step's status, 0 = all OK */
    uint32_t n_steps;
    uint64_t gas_used, fee;
    uint8_t post_root[32];
} pw_intent_result;

/* One step on `acct`: returns its status, or -1 when out of memory.  Its
 * path and root after are filled in by pw_vm_run (the log). */
static inline int pw_vm_step(pw_vm *vm, int op, uint32_t acct, uint64_t arg0, uint64_t arg1, int skip,
                             uint64_t *gas) {
    pw_account a;
    uint64_t bal, nonce;
    int st;
    size_t i = vm->n;
    pw_vm_log *g = vm->log;

    pw_account_load(vm->accounts, acct, &a);
    bal = a.balance;
    nonce = a.nonce;
    st = skip ? PW_ST_SKIPPED : pw_vm_apply(op, arg0, arg1, &bal, &nonce, gas);
    g->index[i] = acct;
    g->write[i] = 0;
    if (st == PW_ST_OK && (bal != a.balance || nonce != a.nonce)) {
        pw_account b = a;
        size_t w = g->n_writes++;
        b.balance = bal;
        b.nonce = nonce;
        if (pw_map_reserve(vm->accounts, 1) < 0) return -1;
        pw_account_put(vm->accounts, acct, &b); /* cannot fail: reserved */
        g->write[i] = 1;
        memcpy(g->acct + 32 * w, a.owner, 32);
        g->balance[w] = bal;
        g->nonce[w] = nonce;
    } else {
        bal = a.balance; /* a failed or skipped step changes nothing */
        nonce = a.nonce;
    }
    if (vm->cols[0]) {
        vm->cols[PW_COL_OP][i] = (uint8_t)op;
        vm->cols[PW_COL_STATUS][i] = (uint8_t)st;
        pw_store32_le(vm->cols[PW_COL_ACCOUNT] + 4 * i, acct);
        pw_store64_le(vm->cols[PW_COL_ARG0] + 8 * i, arg0);
        pw_store64_le(vm->cols[PW_COL_ARG1] + 8 * i, arg1);
        pw_store64_le(vm->cols[PW_COL_GAS_LEFT] + 8 * i, *gas);
        memcpy(vm->cols[PW_COL_OWNER] + 32 * i, a.owner, 32);
        pw_store64_le(vm->cols[PW_COL_BALANCE_BEFORE] + 8 * i, a.balance);
        pw_store64_le(vm->cols[PW_COL_NONCE_BEFORE] + 8 * i, a.nonce);
        pw_store64_le(vm->cols[PW_COL_BALANCE_AFTER] + 8 * i, bal);
        pw_store64_le(vm->cols[PW_COL_NONCE_AFTER] + 8 * i, nonce);
    }
    vm->n++;
    return st;
}

#define PW_STEP(op, acct, a0, a1, skip)                                   \
    do {                                                                  \
        st = pw_vm_step(vm, (op), (acct), (a0), (a1), (skip), &gas);      \
        if (st < 0) return -1;                                            \
    } while (0)

/* Execute one (checked) program at p; returns the bytes it spans, or -1 when
 * out of memory (state may then be partly updated: the caller reports it). */
static inline int64_t pw_vm_intent(pw_vm *vm, const uint8_t *p, pw_intent_result *res) {
    uint32_t sender = pw_load32_le(p), nb = pw_load32_le(p + 28), k, done = 0;
    uint64_t nonce = pw_load64_le(p + 4), gl = pw_load64_le(p + 12), gp = pw_load64_le(p + 20);
    uint64_t gas = 0;
    const uint8_t *body = p + PW_PROGRAM_HEAD;
    size_t first = vm->n;
    int st, fail = 0, charged;

    PW_STEP(PW_OP_NONCE, sender, nonce, 0, 0);
    fail = st;
    PW_STEP(PW_OP_FEE, sender, gl, gp, fail != 0);
    if (!fail) fail = st;
    charged = !fail;
    for (k = 0; k < nb; k++) {
        const uint8_t *b = body + PW_BODY_OP_SIZE * (size_t)k;
        PW_STEP(b[0], pw_load32_le(b + 1), pw_load64_le(b + 5), 0, fail != 0);
        if (!fail) {
            if (st == PW_ST_OK)
                done++; /* the successful body ops are exactly a prefix */
            else
                fail = st;
        }
    }
    res->gas_used = res->fee = 0;
    if (charged) {
        if (fail) {
            while (done-- > 0) { /* last done, first undone */
                const uint8_t *b = body + PW_BODY_OP_SIZE * (size_t)done;
                PW_STEP(PW_OP_UNDO, pw_load32_le(b + 1), pw_load64_le(b + 5), b[0], 0);
            }
        }
        PW_STEP(PW_OP_REFUND, sender, gas * gp, 0, 0);
        res->gas_used = gl - gas;
        res->fee = (gl - gas) * gp;
        PW_STEP(PW_OP_REWARD, vm->coinbase, res->fee, 0, 0);
        vm->n_rewards++;
    }
    res->status = (uint8_t)fail;
    res->n_steps = (uint32_t)(vm->n - first); /* post_root: pw_vm_run, once the tree is hashed */
    return PW_PROGRAM_HEAD + PW_BODY_OP_SIZE * (int64_t)nb;
}

#undef PW_STEP

/* Execute n checked programs in order (vm->log holds their steps), then hash:
 * every written leaf in one batch, the whole log into the tree in one
 * pw_smt_apply (paths and roots into the trace columns, or the log's roots),
 * and each intent's post_root.  0, or -1 when out of memory. */
static inline int pw_vm_run(pw_vm *vm, const uint8_t *p, size_t n_intents, pw_intent_result *res) {
    pw_vm_log *g = vm->log;
    size_t k, w, m, chunk, first = vm->n, last;
    uint8_t *roots;
    g->n_writes = 0;
    for (k = 0; k < n_intents; k++) {
        int64_t used = pw_vm_intent(vm, p, res + k);
        if (used < 0) return -1;
        p += used;
    }
    for (w = 0; w < g->n_writes; w++) g->owner[w] = g->acct + 32 * w;
    pw_sh_leaf_many(&vm->tree->h, g->n_writes, g->owner, g->balance, g->nonce, g->leaves, NULL);
    roots = vm->cols[0] ? vm->cols[PW_COL_ROOT_AFTER] + 32 * first : g->roots;
    /* in chunks: small ones on BLAKE3 (the sibling search then scans, no
     * map); Poseidon wants many hashes a level */
    chunk = vm->tree->h.kind == PW_HASH_POSEIDON ? PW_VM_POSEIDON_CHUNK : PW_VM_BLAKE3_CHUNK;
    for (k = 0, w = 0; k < vm->n - first; k += m) {
        size_t i, plen = 32 * (size_t)vm->tree->depth;
        m = vm->n - first - k < chunk ? vm->n - first - k : chunk;
        if (pw_smt_apply(vm->tree, &g->scratch, m, g->index + first + k, g->write + first + k,
                         g->leaves + 32 * w,
                         vm->cols[0] ? vm->cols[PW_COL_PATH] + plen * (first + k) : NULL,
                         roots + 32 * k) < 0)
            return -1;
        for (i = 0; i < m; i++) w += g->write[first + k + i];
    }
    for (k = 0, last = 0; k < n_intents; k++) {
        last += res[k].n_steps;
        memcpy(res[k].post_root, roots + 32 * (last - 1), 32);
    }
    return 0;
}

#endif /* POUW_PW_VM_H */
