/* Sparse matrix times vector over Fr (Montgomery form), for the Groth16 prover.
 *
 * out[i] = sum_{k in row_ptr[i] .. row_ptr[i+1]} vals[k] * w[cols[k]] for the
 * n_rows rows of a CSR matrix (the A·w and B·w of the QAP).  Every element is
 * 4 little-endian uint64 limbs, canonical Montgomery form of Fr.
 *
 * Caller guarantees: out holds n_rows rows and does not overlap the inputs;
 * row_ptr has n_rows + 1 entries; vals and cols have row_ptr[n_rows] entries.
 * The kernel checks the rest (row_ptr non-decreasing from 0, every column
 * below n_w) and returns -1 when the matrix is well formed, else the index of
 * the first bad row (nothing is read out of bounds).  Allocation free, touches
 * no Python object: callers run it without the GIL.
 */
#ifndef POUW_GROTH16_SPMV_H
#define POUW_GROTH16_SPMV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn254_field.h"

static ptrdiff_t g16_spmv(int be, size_t n_rows, const int64_t *row_ptr, const int64_t *cols,
                          const uint64_t *vals, size_t n_w, const uint64_t *w, uint64_t *out)
{
    const bn_field *F = &BN_FR;
    uint64_t acc[4], t[4];
    if (n_rows > 0 && row_ptr[0] != 0) return 0;
    for (size_t i = 0; i < n_rows; i++) {
        int64_t lo = row_ptr[i], hi = row_ptr[i + 1];
        if (hi < lo || hi > row_ptr[n_rows]) return (ptrdiff_t)i;
        memset(acc, 0, sizeof acc);
        for (int64_t k = lo; k < hi; k++) {
            int64_t col = cols[k];
            if (col < 0 || (uint64_t)col >= n_w) return (ptrdiff_t)i;
            bn_mul_at(be, F, t, vals + 4 * k, w + 4 * col);
            bn_add(F, acc, acc, t);
        }
        memcpy(out + 4 * i, acc, sizeof acc);
    }
    return -1;
}

#endif
