/*
 * ring.h -- bounded multi-producer multi-consumer ring of `void *`.
 *
 * The queue is Dmitry Vyukov's bounded MPMC algorithm: a power-of-two array
 * of slots, each with its own sequence number, and two monotonically growing
 * cursors, `head` (next position a producer claims) and `tail` (next position
 * a consumer claims).  For the slot at position p:
 *
 *     seq == p        the slot is free for the push of position p;
 *     seq == p + 1    the push of position p is published (item readable);
 *     seq == p + cap  the pop of position p released it for the next lap.
 *
 * A push or pop is one CAS on its cursor plus one release store on the slot,
 * so the fast path never takes a lock and never needs the GIL: every piece of
 * shared state below is a C11 atomic (ready for free-threaded CPython).
 *
 * Waiting.  A consumer on an empty ring (a producer on a full one) spins
 * briefly, then sleeps on a condition variable with a deadline.  The waker
 * only takes the mutex when a waiter counter is non-zero, so a push costs one
 * extra plain load when nobody sleeps.  Lost wake-ups are excluded by a
 * Dekker-style pairing of sequentially consistent operations:
 *
 *     pusher:  CAS head (seq_cst) ... load pop_waiters (seq_cst)
 *     waiter:  pop_waiters += 1 (seq_cst), then load tail, head (seq_cst)
 *
 * Either the pusher sees the waiter (and signals under the mutex, which the
 * waiter holds from its re-check until pthread_cond_timedwait releases it), or
 * the waiter sees the advanced head and does not sleep.  A claimed but not yet
 * published slot counts as "not empty": the waiter yields and retries instead
 * of sleeping.  The same pairing with tail/push_waiters covers full rings.
 *
 * Ownership.  The ring stores pointers and never dereferences them; the caller
 * owns what they point to (the Cython side keeps one PyObject reference per
 * stored item).  None of these functions touch Python or need the GIL.
 * Memory for `pouw_ring` (header plus slots) is allocated by the caller with
 * pouw_ring_alloc_size() bytes.
 *
 * Portability.  Linux and macOS (POSIX threads, C11 <stdatomic.h>).  macOS has
 * no pthread_condattr_setclock, so there the deadlines use CLOCK_REALTIME.
 * Windows is not a target now: it would need SRWLOCK/CONDITION_VARIABLE and
 * MSVC's atomics, so the header refuses to compile there.
 */
#ifndef POUW_RING_H
#define POUW_RING_H

#if defined(_WIN32)
#error "pouw ring.h: Windows is not supported yet (needs pthreads and C11 atomics)"
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* 128 bytes: two 64-byte lines on x86 (adjacent-line prefetch), one line on
   Apple silicon.  Fields separated by this much never share a line. */
#define POUW_RING_PAD 128
/* Largest capacity accepted (slots are 16 bytes: 16 GiB at the limit). */
#define POUW_RING_MAX_CAPACITY ((size_t)1 << 30)
/* Tries before a waiter takes the mutex. */
#ifndef POUW_RING_SPIN
#define POUW_RING_SPIN 128
#endif

#ifdef __APPLE__
#define POUW_RING_COND_CLOCK CLOCK_REALTIME
#else
#define POUW_RING_COND_CLOCK CLOCK_MONOTONIC
#endif

#if defined(__GNUC__) || defined(__clang__)
#define POUW_RING_COLD __attribute__((noinline, cold))
#define POUW_RING_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define POUW_RING_COLD
#define POUW_RING_LIKELY(x) (x)
#endif

/* Status of the waiting calls. */
enum { POUW_RING_OK = 0, POUW_RING_TIMEOUT = 1, POUW_RING_CLOSED = 2 };

typedef struct {
    _Atomic size_t seq; /* see the table at the top */
    void *item;         /* valid while seq == position + 1 */
} pouw_ring_slot;

typedef struct {
    char pad0[POUW_RING_PAD];
    _Atomic size_t head; /* producers' cursor: total pushes claimed */
    char pad1[POUW_RING_PAD];
    _Atomic size_t tail; /* consumers' cursor: total pops claimed; tail <= head */
    char pad2[POUW_RING_PAD];
    /* Read on every operation, written rarely: one shared line. */
    size_t mask;                    /* capacity - 1; capacity is a power of two */
    _Atomic int closed;             /* set once by pouw_ring_close */
    _Atomic unsigned pop_waiters;   /* consumers inside the sleeping section */
    _Atomic unsigned push_waiters;  /* producers inside the sleeping section */
    pthread_mutex_t mu;             /* guards only the sleep/wake hand-off */
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    char pad3[POUW_RING_PAD];
    pouw_ring_slot slots[];
} pouw_ring;

/* Capacity actually used for a request: the next power of two >= requested
   and >= 2, or 0 when requested is 0 or above POUW_RING_MAX_CAPACITY.  One
   slot cannot work: "published at p" (seq p + 1) would read as "free for
   p + 1". */
static inline size_t pouw_ring_round_capacity(size_t requested) {
    size_t cap = 2;
    if (requested == 0 || requested > POUW_RING_MAX_CAPACITY) return 0;
    /* pouw_ring_alloc_size must not wrap (a 32-bit size_t with 2^30 slots would). */
    if (requested > (SIZE_MAX - sizeof(pouw_ring)) / 2 / sizeof(pouw_ring_slot)) return 0;
    while (cap < requested) cap <<= 1;
    return cap;
}

/* Bytes to allocate for a ring of `capacity` (already rounded) slots. */
static inline size_t pouw_ring_alloc_size(size_t capacity) {
    return sizeof(pouw_ring) + capacity * sizeof(pouw_ring_slot);
}

/* Initialise caller-allocated memory.  Returns 0, or an errno value (nothing
   is left to destroy then). */
static int pouw_ring_init(pouw_ring *r, size_t capacity) {
    pthread_condattr_t attr;
    int rc;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->mask = capacity - 1;
    atomic_init(&r->closed, 0);
    atomic_init(&r->pop_waiters, 0);
    atomic_init(&r->push_waiters, 0);
    for (size_t i = 0; i < capacity; i++) {
        atomic_init(&r->slots[i].seq, i);
        r->slots[i].item = NULL;
    }
    if ((rc = pthread_mutex_init(&r->mu, NULL)) != 0) return rc;
    if ((rc = pthread_condattr_init(&attr)) != 0) goto fail_mutex;
#ifndef __APPLE__
    if ((rc = pthread_condattr_setclock(&attr, POUW_RING_COND_CLOCK)) != 0) goto fail_attr;
#endif
    if ((rc = pthread_cond_init(&r->not_empty, &attr)) != 0) goto fail_attr;
    if ((rc = pthread_cond_init(&r->not_full, &attr)) != 0) goto fail_empty;
    pthread_condattr_destroy(&attr);
    return 0;
fail_empty:
    pthread_cond_destroy(&r->not_empty);
fail_attr:
    pthread_condattr_destroy(&attr);
fail_mutex:
    pthread_mutex_destroy(&r->mu);
    return rc;
}

/* Release the mutex and condition variables.  The caller guarantees that no
   thread uses the ring any more and has drained the items it owns. */
static void pouw_ring_destroy(pouw_ring *r) {
    pthread_cond_destroy(&r->not_full);
    pthread_cond_destroy(&r->not_empty);
    pthread_mutex_destroy(&r->mu);
}

static inline size_t pouw_ring_capacity(const pouw_ring *r) { return r->mask + 1; }

/* Items pushed and not yet popped (claimed pushes count).  Exact when no
   operation is in flight; always within [0, capacity]. */
static inline size_t pouw_ring_size(pouw_ring *r) {
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t n = head - tail; /* head read later, so head >= tail */
    return n > r->mask ? r->mask + 1 : n;
}

static inline int pouw_ring_is_closed(pouw_ring *r) {
    return atomic_load_explicit(&r->closed, memory_order_acquire);
}

static inline void pouw_ring__relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- wake-ups (slow path only runs when someone sleeps) ---------------- */

static POUW_RING_COLD void pouw_ring__signal(pouw_ring *r, pthread_cond_t *cv, int all) {
    pthread_mutex_lock(&r->mu);
    if (all)
        pthread_cond_broadcast(cv);
    else
        pthread_cond_signal(cv);
    pthread_mutex_unlock(&r->mu);
}

/* Call after publishing pushes (all: more than one item published). */
static inline void pouw_ring_wake_consumers(pouw_ring *r, int all) {
    if (atomic_load_explicit(&r->pop_waiters, memory_order_seq_cst) != 0)
        pouw_ring__signal(r, &r->not_empty, all);
}

/* Call after releasing slots. */
static inline void pouw_ring_wake_producers(pouw_ring *r, int all) {
    if (atomic_load_explicit(&r->push_waiters, memory_order_seq_cst) != 0)
        pouw_ring__signal(r, &r->not_full, all);
}

/* ---- batch claims: reserve k consecutive positions with one CAS -------- */

/* Claim up to `want` consecutive free slots for pushing.  Returns k (0 when
   full) and the first position in *pos; the caller must then call
   pouw_ring_put(r, *pos + i, item) for every i < k, without blocking in
   between (consumers spin on a claimed slot), and finally
   pouw_ring_wake_consumers. */
static inline size_t pouw_ring_claim_push(pouw_ring *r, size_t want, size_t *pos_out) {
    size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (want > r->mask + 1) want = r->mask + 1;
    for (;;) {
        pouw_ring_slot *s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)(seq - pos);
        if (dif == 0) {
            size_t k = 1;
            while (k < want &&
                   atomic_load_explicit(&r->slots[(pos + k) & r->mask].seq,
                                        memory_order_acquire) == pos + k)
                k++;
            /* head is monotonic, so a successful CAS means no other producer
               claimed anything since we read pos: the k slots are still free. */
            if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + k,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                *pos_out = pos;
                return k;
            }
        } else if (dif < 0) {
            return 0; /* the slot still holds last lap's item: full */
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
}

/* Publish an item into a claimed position. */
static inline void pouw_ring_put(pouw_ring *r, size_t pos, void *item) {
    pouw_ring_slot *s = &r->slots[pos & r->mask];
    s->item = item;
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

/* Claim up to `want` consecutive published items (0 when empty); then call
   pouw_ring_take(r, *pos + i) for every i < k and pouw_ring_wake_producers. */
static inline size_t pouw_ring_claim_pop(pouw_ring *r, size_t want, size_t *pos_out) {
    size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (want > r->mask + 1) want = r->mask + 1;
    for (;;) {
        pouw_ring_slot *s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)(seq - (pos + 1));
        if (dif == 0) {
            size_t k = 1;
            while (k < want &&
                   atomic_load_explicit(&r->slots[(pos + k) & r->mask].seq,
                                        memory_order_acquire) == pos + k + 1)
                k++;
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + k,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                *pos_out = pos;
                return k;
            }
        } else if (dif < 0) {
            return 0; /* not published yet: empty */
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

/* Read the item at a claimed position and release the slot for the next lap. */
static inline void *pouw_ring_take(pouw_ring *r, size_t pos) {
    pouw_ring_slot *s = &r->slots[pos & r->mask];
    void *item = s->item;
    atomic_store_explicit(&s->seq, pos + r->mask + 1, memory_order_release);
    return item;
}

/* ---- single-item operations -------------------------------------------- */

/* Push without waking anyone: 1 when stored, 0 when full. */
static inline int pouw_ring__push_raw(pouw_ring *r, void *item) {
    size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    for (;;) {
        pouw_ring_slot *s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)(seq - pos);
        if (POUW_RING_LIKELY(dif == 0)) {
            if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                s->item = item;
                atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
                return 1;
            }
        } else if (dif < 0) {
            return 0;
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
}

/* Pop without waking anyone: the item, or NULL when empty. */
static inline void *pouw_ring__pop_raw(pouw_ring *r) {
    size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        pouw_ring_slot *s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)(seq - (pos + 1));
        if (POUW_RING_LIKELY(dif == 0)) {
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                void *item = s->item;
                atomic_store_explicit(&s->seq, pos + r->mask + 1, memory_order_release);
                return item;
            }
        } else if (dif < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

/* 1 when stored (and a sleeping consumer is woken), 0 when full.  item must
   not be NULL.  Does not look at `closed`: the caller decides. */
static inline int pouw_ring_try_push(pouw_ring *r, void *item) {
    if (!pouw_ring__push_raw(r, item)) return 0;
    pouw_ring_wake_consumers(r, 0);
    return 1;
}

/* The oldest item, or NULL when empty (a sleeping producer is woken). */
static inline void *pouw_ring_try_pop(pouw_ring *r) {
    void *item = pouw_ring__pop_raw(r);
    if (item != NULL) pouw_ring_wake_producers(r, 0);
    return item;
}

/* ---- closing ----------------------------------------------------------- */

/* Mark the ring closed and wake every sleeper.  Idempotent. */
static void pouw_ring_close(pouw_ring *r) {
    atomic_store_explicit(&r->closed, 1, memory_order_seq_cst);
    pthread_mutex_lock(&r->mu);
    pthread_cond_broadcast(&r->not_empty);
    pthread_cond_broadcast(&r->not_full);
    pthread_mutex_unlock(&r->mu);
}

/* ---- clocks ------------------------------------------------------------ */

/* Monotonic nanoseconds, for the caller's overall deadlines. */
static inline int64_t pouw_ring_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pouw_ring__deadline(struct timespec *ts, int64_t ns) {
    clock_gettime(POUW_RING_COND_CLOCK, ts);
    ts->tv_sec += (time_t)(ns / 1000000000);
    ts->tv_nsec += (long)(ns % 1000000000);
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000;
    }
}

static int pouw_ring__passed(const struct timespec *deadline) {
    struct timespec now;
    clock_gettime(POUW_RING_COND_CLOCK, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* ---- waiting ----------------------------------------------------------- */

/* Wait at most slice_ns (>= 0) for an item.  POUW_RING_OK with the item in
   *out; POUW_RING_CLOSED when the ring is closed and drained; otherwise
   POUW_RING_TIMEOUT.  Meant to be called without the GIL; callers loop over
   short slices to stay interruptible. */
static int pouw_ring_wait_pop(pouw_ring *r, int64_t slice_ns, void **out) {
    struct timespec deadline;
    void *item;
    int status = POUW_RING_TIMEOUT;
    for (int i = 0; i < POUW_RING_SPIN; i++) {
        if ((item = pouw_ring_try_pop(r)) != NULL) {
            *out = item;
            return POUW_RING_OK;
        }
        if (pouw_ring_is_closed(r)) break;
        pouw_ring__relax();
    }
    pouw_ring__deadline(&deadline, slice_ns);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        int rc = 0, empty;
        size_t tail, head;
        if ((item = pouw_ring__pop_raw(r)) != NULL) {
            *out = item;
            status = POUW_RING_OK;
            break;
        }
        if (pouw_ring_is_closed(r)) {
            status = POUW_RING_CLOSED;
            break;
        }
        atomic_fetch_add_explicit(&r->pop_waiters, 1, memory_order_seq_cst);
        tail = atomic_load_explicit(&r->tail, memory_order_seq_cst); /* tail first: */
        head = atomic_load_explicit(&r->head, memory_order_seq_cst); /* head >= tail */
        empty = head == tail;
        if (empty) rc = pthread_cond_timedwait(&r->not_empty, &r->mu, &deadline);
        atomic_fetch_sub_explicit(&r->pop_waiters, 1, memory_order_seq_cst);
        if (!empty) { /* a push is claimed but not yet visible: let it finish */
            pthread_mutex_unlock(&r->mu);
            sched_yield();
            pthread_mutex_lock(&r->mu);
        }
        if (rc == ETIMEDOUT || pouw_ring__passed(&deadline)) {
            if ((item = pouw_ring__pop_raw(r)) != NULL) {
                *out = item;
                status = POUW_RING_OK;
            }
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    if (status == POUW_RING_OK) pouw_ring_wake_producers(r, 0);
    return status;
}

/* Wait at most slice_ns (>= 0) for room and store item.  POUW_RING_OK once
   stored; POUW_RING_CLOSED if the ring is closed first (item not stored);
   otherwise POUW_RING_TIMEOUT (item not stored). */
static int pouw_ring_wait_push(pouw_ring *r, void *item, int64_t slice_ns) {
    struct timespec deadline;
    int status = POUW_RING_TIMEOUT;
    for (int i = 0; i < POUW_RING_SPIN; i++) {
        if (pouw_ring_is_closed(r)) return POUW_RING_CLOSED;
        if (pouw_ring_try_push(r, item)) return POUW_RING_OK;
        pouw_ring__relax();
    }
    pouw_ring__deadline(&deadline, slice_ns);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        int rc = 0, full;
        size_t tail, head;
        if (pouw_ring_is_closed(r)) {
            status = POUW_RING_CLOSED;
            break;
        }
        if (pouw_ring__push_raw(r, item)) {
            status = POUW_RING_OK;
            break;
        }
        atomic_fetch_add_explicit(&r->push_waiters, 1, memory_order_seq_cst);
        tail = atomic_load_explicit(&r->tail, memory_order_seq_cst); /* tail first: */
        head = atomic_load_explicit(&r->head, memory_order_seq_cst); /* head >= tail */
        full = head - tail > r->mask;
        if (full) rc = pthread_cond_timedwait(&r->not_full, &r->mu, &deadline);
        atomic_fetch_sub_explicit(&r->push_waiters, 1, memory_order_seq_cst);
        if (!full) { /* a pop is claimed but its slot not yet released */
            pthread_mutex_unlock(&r->mu);
            sched_yield();
            pthread_mutex_lock(&r->mu);
        }
        if (rc == ETIMEDOUT || pouw_ring__passed(&deadline)) {
            if (!pouw_ring_is_closed(r) && pouw_ring__push_raw(r, item)) status = POUW_RING_OK;
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    if (status == POUW_RING_OK) pouw_ring_wake_consumers(r, 0);
    return status;
}

#endif /* POUW_RING_H */
