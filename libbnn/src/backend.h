/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * backend.h - libbnn internal: the backend interface.
 *
 * api.c implements the public context (bnn_backend) once: argument checks,
 * the job table of bnn_submit/bnn_wait, statistics, argmax, the choice of
 * AUTO.  A backend supplies a `struct bnn_backend_ops` and keeps its state
 * in be->priv.  Backends: cpu (backend_cpu.c), emu (backend_emu.c, the
 * device-model core in-process), rbnn (backend_rbnn.c, a card through the
 * kernel driver).
 *
 * Registering a backend: define `const struct bnn_backend_ops
 * bnn__backend_<name>_ops` in its source file.  The emu and rbnn symbols
 * are declared weak below, so the library links (and reports BNN_E_NODEV
 * for them) before their sources exist; once a source is in the build,
 * drop BNN__WEAK from its declaration so that static links pull it in.
 *
 * Host work: every backend runs the layers that are not on the card
 * through the host executor (exec.h), with kernels chosen by
 * opts.cpu_isa, so results are bit-identical across backends (error model
 * off).
 */
#ifndef BNN_BACKEND_H
#define BNN_BACKEND_H

#include "bnn.h"
#include "exec.h"

struct bnn_backend;

struct bnn_backend_ops {
	int kind;		/* BNN_BACKEND_* */
	const char *name;	/* "cpu", "emu", "rbnn" */

	/* Open: set be->priv (and be->detail, be->cards).  `o` is a full,
	 * checked copy of the caller's options; be->kernels is set (host
	 * layers).  BNN_E_NODEV when the backend has nothing to run on (AUTO
	 * then tries the next).  On failure nothing stays allocated and
	 * be->priv is NULL. */
	int (*open)(struct bnn_backend *be, const bnn_backend_opts *o,
		    bnn_error *err);
	/* Release everything (outstanding jobs are already collected). */
	void (*close)(struct bnn_backend *be);
	/* Compile and program `m` (validated, finished), replacing any
	 * previous model. */
	int (*prepare)(struct bnn_backend *be, const struct bnn_model *m,
		       bnn_error *err);
	/*
	 * Run n >= 1 items: `in` n raw items (boundary 0 of the host
	 * executor, item_floats each: a JOIN reads the features there, so
	 * every host range gets its items' user items), `scores` n *
	 * nclasses floats.  Fill st->device_ns,
	 * st->device_energy_pj, st->device_cmds (zeroed by the caller; items
	 * and host_ns are filled by the caller).
	 */
	int (*run)(struct bnn_backend *be, const float *in, size_t n,
		   float *scores, bnn_stats *st, bnn_error *err);
	/*
	 * Optional native queue.  When NULL, api.c runs jobs synchronously
	 * in bnn_submit() and keeps their results for bnn_wait().
	 * submit: queue the run, return a backend token in *tok.
	 * wait: wait up to timeout_ms for token tok (BNN_E_TIMEOUT: still
	 * pending); on completion fill st like run() and return its status.
	 */
	int (*submit)(struct bnn_backend *be, const float *in, size_t n,
		      float *scores, uint64_t *tok, bnn_error *err);
	int (*wait)(struct bnn_backend *be, uint64_t tok, int timeout_ms,
		    bnn_stats *st, bnn_error *err);
	/*
	 * Optional: what prepare decided (bnn_prepare_info_get; called only
	 * on a prepared context).  `out` is a full struct that api.c has
	 * already filled with the cpu answer (no card, the model's split of
	 * the footprint, every layer on the host); the backend overwrites
	 * what its plan(s) say.  NULL: the cpu answer stands.
	 */
	int (*prepare_info)(const struct bnn_backend *be,
			    bnn_prepare_info *out, bnn_error *err);
};

struct bnn__job {
	uint64_t id;		/* 0 = free slot */
	int done;
	int rc;
	uint64_t tok;		/* backend token (native queue) */
	size_t n;
	float *scores;		/* caller's or own buffer */
	int own_scores;
	int32_t *pred;
	uint32_t ncls;
	uint64_t t0_ns;
	bnn_stats st;
	bnn_error err;
};

struct bnn_backend {
	const struct bnn_backend_ops *ops;
	void *priv;
	bnn_backend_opts opts;
	const struct bnn__kernels *kernels;	/* for host layers */
	char detail[128];	/* for bnn_backend_info */
	uint32_t cards;
	/* prepared model (shapes for argument checks) */
	int prepared;
	uint32_t nclasses;
	int32_t *offsets;	/* the model's class offsets (a copy), or NULL */
	size_t in_elems;	/* floats per user item (item_floats) */
	/* the prepared model's footprint (bnn_prepare_info_get) */
	uint32_t nlayers;
	uint64_t model_card_bits, model_host_bits;
	/* jobs and totals */
	uint64_t next_job;
	struct bnn__job jobs[BNN_MAX_JOBS];
	bnn_stats total;
};

extern const struct bnn_backend_ops bnn__backend_cpu_ops;

#ifdef BNN_TEST_HOOKS
/* Test builds only (as bnn_test_fail_alloc_after): make the n-th start of
 * a cpu worker thread from now on fail (n = 0: the next one), and every
 * later one until reset; n < 0 disables (the default).  Not thread-safe. */
void bnn_test_fail_thread_after(long n);
#endif

#define BNN__WEAK __attribute__((weak))
extern const struct bnn_backend_ops bnn__backend_emu_ops;
extern const struct bnn_backend_ops bnn__backend_rbnn_ops BNN__WEAK;

/* Monotonic clock in ns. */
uint64_t bnn__now_ns(void);

#endif /* BNN_BACKEND_H */
