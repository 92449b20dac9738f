// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * libbnn_rbnn_test - the `rbnn` backend of libbnn and its card API
 * (bnn_device.h) on real cards, inside the VM tier's guest
 * (tests/vm/guest/libbnn-rbnn.sh: two cards, error-model=off, the second
 * with x-debug=on).  Prints KTAP, one line per check.
 *
 *  - discovery: both cards, by node / name / PCI address / index;
 *  - random models (bnn_test_models.h: 1-bit and bit-serial k-bit binary
 *    nets, mixed float + binary nets with host layers after the card's
 *    scores, multi-stage and multi-tile / multi-block nets, float-only
 *    nets, nets with rhythm features joined between two card programs)
 *    give bit-identical scores and classes on one card and on the
 *    cpu backend (and on emu when it is built in);
 *  - the same with a batch sharded over both cards (device NULL and a
 *    device list), and with pipelined submit / wait;
 *  - statistics, health, processes and tiles of a card in use;
 *  - errors: unknown device, permission denied (as an unprivileged user),
 *    tiles taken by another context, a reset under load (the lost jobs are
 *    run again), a hang (the context is banned, a new one works).
 *
 *   libbnn_rbnn_test [-v] [-s SEED] [-n MODELS]
 *
 * Helpers for the guest scripts (tests/vm/guest/libbnn-smi.sh), which have
 * only busybox:
 *   libbnn_rbnn_test json [FILE]        exit 0 if FILE (stdin) is one
 *                                       valid JSON value
 *   libbnn_rbnn_test as-nobody CMD ARG...   run CMD as uid/gid 65534
 *   libbnn_rbnn_test scaling [ITEMS [MIN_SPEEDUP]]   throughput on one and
 *                                       two cards (libbnn-scaling.sh)
 *   libbnn_rbnn_test program CARD [SEED]   program a 512-256-2 binary
 *                                       network on CARD with the rbnn
 *                                       backend's defaults (verify) and
 *                                       exit: the weights stay in the
 *                                       array (libbnn-smi-scrub.sh)
 *   libbnn_rbnn_test aged CARD AGE_S POLICY TEMP_C   program a 1024-512-2
 *                                       network on CARD, run 512 items,
 *                                       age the card by AGE_S (debugfs,
 *                                       x-debug=on), run them again, with
 *                                       libbnn's scrub policy (POLICY 1)
 *                                       at TEMP_C or without (0); prints
 *                                       the items whose scores differ from
 *                                       the cpu backend before and after
 *                                       (libbnn-scrub-policy.sh)
 *   libbnn_rbnn_test f32 FILE N FLOATS|MODEL [SEED]   write N random
 *                                       items of FLOATS float32 each (or
 *                                       MODEL's item size; uniform in
 *                                       [-1, 1)) for bnn-run --shape, and
 *                                       print the item size
 *   libbnn_rbnn_test stages MODEL CARD BATCH NBATCH [QUEUE]   run NBATCH
 *                                       batches of random items of MODEL
 *                                       on CARD (rbnn backend, QUEUE jobs
 *                                       in flight) and print where the
 *                                       time goes: the driver's ioctls,
 *                                       the wait for the card, the host
 *                                       layers, the guest's CPU states,
 *                                       interrupts, the card's counters
 *                                       (bench-rbnn.sh)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

#include "bnn.h"
#include "bnn_device.h"
#include "bnn_test_models.h"
#include "rbnn_accel.h"

/* The checks main() runs (the KTAP plan). */
#define NCHECKS 26

static int verbose, nmodels = 6;
static int t_num, t_fail, t_skip;

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	t_num++;
	if (!ok)
		t_fail++;
	printf("%s %d ", ok ? "ok" : "not ok", t_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	t_num++;
	t_skip++;
	printf("ok %d ", t_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- models ------------------------------------------------------------- */

enum kind { K_BIN1, K_BINQ, K_MIXED, K_STAGES, K_LARGE, K_FLOAT, K_FEAT,
	    K_COUNT };
static const char *const kind_name[K_COUNT] = {
	"binary 1-bit", "binary k-bit (bit-serial)", "mixed float+binary",
	"multi-stage", "multi-tile, column blocks", "float only (host)",
	"rhythm features (JOIN on the host)",
};

static struct bnn_model *mixed_model(int i)
{
	uint32_t c = (uint32_t)tm_rnd(1, 4), l = (uint32_t)tm_rnd(6, 30);
	struct bnn_model *m = tm_new(c, l, 4);
	uint32_t k = (uint32_t)tm_rnd(1, 5);

	if (i % 3 == 1) {
		m->input.norm = BNN_INPUT_NORM_AFFINE;
		m->input.norm_offset = 0.5f;
		m->input.norm_scale = 0.25f;
	}
	if (tm_add_float(m, BNN_LAYER_CONV1D, (uint32_t)tm_rnd(1, 9), k,
			 (uint32_t)tm_rnd(1, 2), (uint32_t)tm_rnd(0, (int)k - 1)) ||
	    tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0) ||
	    tm_add_act(m, (uint32_t)(i & 1)) || tm_add_pool(m, 2, 1))
		abort();
	if (i % 2 ? tm_add_simple(m, BNN_LAYER_SIGN) :
		    tm_add_quant(m, 3, -2.0f, 0.5f))
		abort();
	/* scores in the middle: host layers read the card's sums */
	if (tm_add_binary(m, BNN_LAYER_BCONV1D, 12, 3, 1, 1, 0) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, 7, 0, 0, 0, 1) ||
	    tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0) ||
	    tm_add_float(m, BNN_LAYER_DENSE, 4, 0, 0, 0) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* A CONV1D after a FLATTEN starts a new card stage; a SIGN between two
 * binary parts makes a host range between stages. */
static struct bnn_model *stages_model(int i)
{
	uint32_t c = (uint32_t)tm_rnd(1, 3), l = (uint32_t)tm_rnd(10, 40);
	struct bnn_model *m = tm_new(c, l, (uint32_t)tm_rnd(2, 5));
	uint32_t cc, ll, bits;
	int vk;

	if (tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(2, 20), 3, 1, 1, 0) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(2, 30), 1, 1, 0, 0))
		abort();
	if (i % 2) {
		/* scores, float layers, then binary again */
		if (tm_add_simple(m, BNN_LAYER_FLATTEN) ||
		    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(3, 40), 0, 0, 0, 1) ||
		    tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0) ||
		    tm_add_simple(m, BNN_LAYER_SIGN))
			abort();
	}
	tm_shape(m, &cc, &ll, &vk, &bits);
	if (ll > 1 && tm_add_simple(m, BNN_LAYER_FLATTEN))
		abort();
	if (tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(5, 60), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, m->nclasses, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* Fan-in beyond a row (column blocks) and fan-out beyond a tile. */
static struct bnn_model *large_model(int i)
{
	uint32_t len = (uint32_t)tm_rnd(300, 900);
	struct bnn_model *m = tm_new(1, len, 3);

	if (tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(200, 600), 0, 0, 0, 0) ||
	    (i % 2 && tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(260, 520), 0, 0, 0, 0)) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* SIGN, FLATTEN, BDENSE(out) on `in` 1-bit inputs, BDENSE scores (2):
 * ceil(in / cols) * out + 2 rows. */
static struct bnn_model *dense_model(uint32_t in, uint32_t out)
{
	struct bnn_model *m = tm_new(1, in, 2);

	if (tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, out, 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

static struct bnn_model *float_model(void)
{
	struct bnn_model *m = tm_new((uint32_t)tm_rnd(1, 3), (uint32_t)tm_rnd(8, 30), 3);

	if (tm_add_float(m, BNN_LAYER_CONV1D, (uint32_t)tm_rnd(2, 6), 3, 1, 1) ||
	    tm_add_act(m, BNN__ACT_RELU) ||
	    tm_add_simple(m, BNN_LAYER_GLOBAL_AVGPOOL) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_float(m, BNN_LAYER_DENSE, 3, 0, 0, 0) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* Rhythm features: binary convolutions, a JOIN of the features' bits,
 * a binary classifier (two card programs); or float features, a float
 * JOIN, SIGN, the classifier. */
static struct bnn_model *feat_model(int i)
{
	uint32_t nf = (uint32_t)tm_rnd(1, BNN_FEAT_COUNT), ncls;
	struct bnn_model *m;

	if (i % 3 != 2)
		return tm_random_binary_feat(i % 3 ? (uint32_t)tm_rnd(2, 6) : 1, nf);
	ncls = (uint32_t)tm_rnd(2, 5);
	m = tm_new((uint32_t)tm_rnd(1, 3), (uint32_t)tm_rnd(10, 40), ncls);
	if (tm_add_signal(m, nf) ||
	    tm_add_float(m, BNN_LAYER_CONV1D, (uint32_t)tm_rnd(2, 8), 3, 1, 1) ||
	    tm_add_act(m, BNN__ACT_HARDTANH) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_simple(m, BNN_LAYER_JOIN) ||
	    tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(4, 60), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

static struct bnn_model *make_model(enum kind k, int i)
{
	switch (k) {
	case K_BIN1: return tm_random_binary(1);
	case K_BINQ: return tm_random_binary((uint32_t)tm_rnd(2, 8));
	case K_MIXED: return mixed_model(i);
	case K_STAGES: return stages_model(i);
	case K_LARGE: return large_model(i);
	case K_FEAT: return feat_model(i);
	default: return float_model();
	}
}

/* n items of tm_item_floats (signal, then the features if any). */
static float *make_inputs(const struct bnn_model *m, size_t n)
{
	size_t e = (size_t)m->input.channels * m->input.length;
	size_t st = tm_item_floats(m);
	float *x = malloc(n * st * sizeof(float) + 1);

	if (!x)
		abort();
	if (m->layers[0].kind == BNN_LAYER_QUANT || m->layers[0].kind == BNN_LAYER_SIGN) {
		tm_inputs(m, x, n);
	} else {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < e; j++)
				x[i * st + j] = (float)tm_rnd(-16, 16) * 0.25f;
		tm_features(m, x, n);
	}
	return x;
}

/* ---- running --------------------------------------------------------------- */

static bnn_backend *open_be_t(int kind, const char *device, uint32_t threads,
			      bnn_error *e)
{
	bnn_backend_opts o;
	bnn_backend *be = NULL;

	bnn_backend_opts_init(&o);
	o.device = device;
	o.threads = threads;
	if (bnn_backend_open(kind, &o, &be, e))
		return NULL;
	return be;
}

static bnn_backend *open_be(int kind, const char *device, bnn_error *e)
{
	return open_be_t(kind, device, 0, e);
}

/* Scores and classes of n items on a backend (prepared here). */
static int run_on(bnn_backend *be, const struct bnn_model *m, const float *x,
		  size_t n, float *sc, int32_t *pr, bnn_stats *st, bnn_error *e)
{
	int rc = bnn_prepare(be, m, e);

	if (rc)
		return rc;
	return bnn_run(be, x, n, sc, pr, st, e);
}

/* Compare two result sets bit for bit; describe the first difference. */
static int same(const struct bnn_model *m, size_t n, const float *a,
		const int32_t *pa, const float *b, const int32_t *pb,
		const char *what)
{
	size_t ns = n * m->nclasses;

	if (!memcmp(a, b, ns * sizeof(float)) && !memcmp(pa, pb, n * 4))
		return 1;
	for (size_t i = 0; i < ns; i++)
		if (memcmp(&a[i], &b[i], sizeof(float))) {
			diag("%s: item %zu score %zu: %.9g vs %.9g", what,
			     i / m->nclasses, i % m->nclasses, a[i], b[i]);
			break;
		}
	return 0;
}

struct ref {
	float *sc;
	int32_t *pr;
};

static int cpu_ref(const struct bnn_model *m, const float *x, size_t n,
		   struct ref *r)
{
	bnn_error e;
	bnn_backend *be = open_be(BNN_BACKEND_CPU, NULL, &e);
	int rc;

	r->sc = calloc(n * m->nclasses + 1, sizeof(float));
	r->pr = calloc(n + 1, sizeof(int32_t));
	if (!be || !r->sc || !r->pr)
		abort();
	rc = run_on(be, m, x, n, r->sc, r->pr, NULL, &e);
	if (rc)
		diag("cpu backend: %s", e.msg);
	bnn_backend_close(be);
	return rc;
}

static void ref_free(struct ref *r)
{
	free(r->sc);
	free(r->pr);
}

/*
 * Models of one kind on `be` (and on emu when present) against cpu.
 * Returns the number of models that differ or failed.
 */
static int check_kind(bnn_backend *be, bnn_backend *emu, enum kind k,
		      int count, size_t n, uint64_t *cmds, const char *tag)
{
	int bad = 0;

	for (int i = 0; i < count; i++) {
		struct bnn_model *m = make_model(k, i);
		float *x = make_inputs(m, n);
		float *sc = calloc(n * m->nclasses + 1, sizeof(float));
		int32_t *pr = calloc(n + 1, sizeof(int32_t));
		struct ref r;
		bnn_stats st;
		bnn_error e;
		char what[96];

		snprintf(what, sizeof(what), "%s %s model %d", tag, kind_name[k], i);
		memset(&st, 0, sizeof(st));
		if (cpu_ref(m, x, n, &r)) {
			bad++;
		} else if (run_on(be, m, x, n, sc, pr, &st, &e)) {
			diag("%s: %s", what, e.msg);
			bad++;
		} else {
			if (!same(m, n, r.sc, r.pr, sc, pr, what))
				bad++;
			*cmds += st.device_cmds;
			if (verbose)
				diag("%s: %u layers, %zu items, %llu EXECs, device %llu ns, %.0f pJ",
				     what, m->nlayers, n,
				     (unsigned long long)st.device_cmds,
				     (unsigned long long)st.device_ns,
				     st.device_energy_pj);
			if (emu) {
				memset(sc, 0, n * m->nclasses * sizeof(float));
				if (run_on(emu, m, x, n, sc, pr, NULL, &e)) {
					diag("%s on emu: %s", what, e.msg);
					bad++;
				} else if (!same(m, n, r.sc, r.pr, sc, pr, "emu")) {
					bad++;
				}
			}
		}
		ref_free(&r);
		free(sc);
		free(pr);
		free(x);
		bnn_model_free(m);
	}
	return bad;
}

/* ---- the checks -------------------------------------------------------------- */

static bnn_card cards[8];
static size_t ncards;

static void t_discovery(void)
{
	bnn_card *v = NULL, c;
	size_t n = 0;
	bnn_error e;
	int ok, rc;

	rc = bnn_card_list(&v, &n, &e);
	ok = !rc && n == 2;
	for (size_t i = 0; i < n && i < 8; i++) {
		diag("card %zu: %s %s driver %s, %u tiles x %u x %u, %s, hw %u.%u, caps 0x%x",
		     i, v[i].node, v[i].pci, v[i].driver, v[i].tiles, v[i].rows,
		     v[i].cols, bnn_cell_mode_name(v[i].cell_mode),
		     v[i].hw_version >> 16, v[i].hw_version & 0xffff, v[i].caps);
		ok &= v[i].queried && !strcmp(v[i].driver, "rbnn") &&
		      v[i].tiles && v[i].rows && v[i].cols &&
		      v[i].vendor_id == 0x1af4 && v[i].device_id == 0x10f0;
		cards[i] = v[i];
	}
	ncards = n < 8 ? n : 8;
	result(ok, "bnn_card_list: two rbnn cards with their geometry");
	bnn_card_list_free(v);

	ok = ncards > 0;
	for (size_t i = 0; i < ncards; i++) {
		char idx[24];
		const char *specs[4] = { cards[i].node, cards[i].name,
					 cards[i].pci, idx };

		snprintf(idx, sizeof(idx), "%zu", i);
		for (int s = 0; s < 4; s++) {
			rc = bnn_card_find(specs[s], &c, &e);
			if (rc || c.minor != cards[i].minor) {
				diag("find '%s': %s", specs[s], rc ? e.msg : "other card");
				ok = 0;
			}
		}
	}
	rc = bnn_card_find("/dev/accel/accel9", &c, &e);
	ok &= rc == BNN_E_NOTFOUND;
	diag("unknown card: %s", e.msg);
	result(ok, "bnn_card_find by node, name, PCI address, index; unknown -> NOTFOUND");
}

static void t_models_one_card(void)
{
	bnn_error e;
	bnn_backend *be, *emu;
	bnn_backend_info bi;

	be = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
	if (!be) {
		result(0, "open the rbnn backend on %s: %s", cards[0].node, e.msg);
		return;
	}
	bnn_backend_info_get(be, &bi);
	diag("rbnn backend: %s", bi.detail);
	result(bi.kind == BNN_BACKEND_RBNN && bi.cards == 1,
	       "rbnn backend on %s: one card", cards[0].node);
	emu = open_be(BNN_BACKEND_EMU, NULL, &e);
	if (!emu)
		diag("emu backend not available (%s): cpu only", e.msg);
	for (int k = 0; k < K_COUNT; k++) {
		uint64_t cmds = 0;
		int cnt = k == K_FLOAT ? 2 : k == K_LARGE ? 3 : nmodels;
		double t0 = now_s();
		int bad = check_kind(be, emu, (enum kind)k, cnt, 37, &cmds, "1 card");

		result(!bad && (k == K_FLOAT ? cmds == 0 : cmds >= (uint64_t)cnt),
		       "one card, %s: %d models x 37 items bit-identical to cpu%s (%llu EXECs, %.1f s)",
		       kind_name[k], cnt, emu ? " and emu" : "",
		       (unsigned long long)cmds, now_s() - t0);
	}
	bnn_backend_close(emu);
	bnn_backend_close(be);
}

static void t_sharded(const char *device, const char *label)
{
	bnn_error e;
	bnn_backend *be = open_be(BNN_BACKEND_RBNN, device, &e);
	bnn_backend_info bi;
	int bad = 0;
	uint64_t cmds = 0;
	double t0 = now_s();

	if (!be) {
		result(0, "open rbnn with device %s: %s", label, e.msg);
		return;
	}
	bnn_backend_info_get(be, &bi);
	diag("sharded backend: %s", bi.detail);
	bad += check_kind(be, NULL, K_BIN1, 3, 1001, &cmds, "2 cards");
	bad += check_kind(be, NULL, K_BINQ, 2, 777, &cmds, "2 cards");
	bad += check_kind(be, NULL, K_MIXED, 2, 500, &cmds, "2 cards");
	bad += check_kind(be, NULL, K_STAGES, 2, 301, &cmds, "2 cards");
	bad += check_kind(be, NULL, K_LARGE, 1, 257, &cmds, "2 cards");
	bad += check_kind(be, NULL, K_FEAT, 3, 613, &cmds, "2 cards");
	result(bi.cards == 2 && !bad && cmds >= 2 * 10,
	       "two cards (device %s): batches sharded, bit-identical to cpu (%llu EXECs, %.1f s)",
	       label, (unsigned long long)cmds, now_s() - t0);
	bnn_backend_close(be);
}

/* Host layers split over worker threads (opts.threads). */
static void t_threads(void)
{
	bnn_error e;
	bnn_backend *be = open_be_t(BNN_BACKEND_RBNN, NULL, 3, &e);
	uint64_t cmds = 0;
	int bad;

	if (!be) {
		result(0, "threads: open: %s", e.msg);
		return;
	}
	bad = check_kind(be, NULL, K_MIXED, 3, 600, &cmds, "3 threads");
	bad += check_kind(be, NULL, K_STAGES, 2, 333, &cmds, "3 threads");
	bad += check_kind(be, NULL, K_FEAT, 3, 555, &cmds, "3 threads");
	result(!bad, "two cards, host layers on 3 worker threads: mixed, multi-stage and feature models bit-identical (%llu EXECs)",
	       (unsigned long long)cmds);
	bnn_backend_close(be);
}

static void t_pipelined(void)
{
	enum { NJ = 16 };
	bnn_error e;
	bnn_backend *be = open_be(BNN_BACKEND_RBNN, NULL, &e);
	struct bnn_model *m;
	size_t n[NJ], tot = 0;
	float *x, *sc;
	int32_t *pr;
	uint64_t id[NJ];
	struct ref r;
	bnn_stats st, sum;
	int ok = 1, rc;
	size_t off;
	double t0;

	if (!be) {
		result(0, "pipelined: open: %s", e.msg);
		return;
	}
	m = tm_random_binary(4);
	for (int j = 0; j < NJ; j++)
		tot += n[j] = (size_t)tm_rnd(1, 300);
	x = make_inputs(m, tot);
	sc = calloc(tot * m->nclasses, sizeof(float));
	pr = calloc(tot, sizeof(int32_t));
	if (cpu_ref(m, x, tot, &r) || bnn_prepare(be, m, &e)) {
		result(0, "pipelined: prepare: %s", e.msg);
		goto out;
	}
	t0 = now_s();
	off = 0;
	for (int j = 0; j < NJ; j++) {
		rc = bnn_submit(be, x + off * m->input.channels * m->input.length,
				n[j], sc + off * m->nclasses, pr + off, &id[j], &e);
		if (rc) {
			diag("submit %d: %s", j, e.msg);
			ok = 0;
			id[j] = 0;
		}
		off += n[j];
	}
	/* poll one, then collect in reverse order */
	rc = bnn_wait(be, id[NJ - 1], 0, &st, &e);
	if (rc != BNN_OK && rc != BNN_E_TIMEOUT) {
		diag("poll: %s", e.msg);
		ok = 0;
	}
	memset(&sum, 0, sizeof(sum));
	for (int j = NJ - 1; j >= 0; j--) {
		if (!id[j])
			continue;
		if (j == NJ - 1 && rc == BNN_OK) {
			sum.device_cmds += st.device_cmds;
			continue;
		}
		if (bnn_wait(be, id[j], -1, &st, &e)) {
			diag("wait %d: %s", j, e.msg);
			ok = 0;
		}
		sum.device_cmds += st.device_cmds;
		sum.device_ns += st.device_ns;
		sum.device_energy_pj += st.device_energy_pj;
	}
	ok &= same(m, tot, r.sc, r.pr, sc, pr, "pipelined");
	ok &= bnn_wait(be, id[0], 0, NULL, &e) == BNN_E_NOTFOUND;
	result(ok && sum.device_cmds >= NJ,
	       "pipelined: %d jobs (%zu items) submitted back to back over two cards, collected out of order, bit-identical (%.2f s)",
	       NJ, tot, now_s() - t0);
	ok = sum.device_ns > 0 && sum.device_energy_pj > 0;
	diag("device time %llu ns, energy %.0f pJ for %zu items",
	     (unsigned long long)sum.device_ns, sum.device_energy_pj, tot);
	result(ok, "statistics: modeled device time and energy from JOB_INFO");
	ref_free(&r);
out:
	free(x);
	free(sc);
	free(pr);
	bnn_model_free(m);
	bnn_backend_close(be);
}

/* A card in use: health, processes and tiles see it; closing frees it. */
static void t_usage(void)
{
	bnn_error e;
	bnn_backend *be = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
	struct bnn_model *m = large_model(1);
	bnn_card_health h0, h1, h2;
	bnn_card_proc *p = NULL;
	bnn_tile *t = NULL;
	size_t np = 0, nt = 0, mine = 0;
	uint32_t used = 0;
	int ok;

	bnn_card_health_get(&cards[0], &h0, &e);
	if (!be || bnn_prepare(be, m, &e)) {
		result(0, "usage: %s", e.msg);
		goto out;
	}
	ok = !bnn_card_health_get(&cards[0], &h1, &e);
	ok &= h1.source == BNN_HEALTH_DRIVER &&
	      (h1.have & (BNN_HAVE_TILES | BNN_HAVE_WEAR_HIST | BNN_HAVE_COUNTERS |
			  BNN_HAVE_MODEL)) == (BNN_HAVE_TILES | BNN_HAVE_WEAR_HIST |
					       BNN_HAVE_COUNTERS | BNN_HAVE_MODEL);
	used = h1.tiles_used - h0.tiles_used;
	diag("health: %u used, %u free; wear max %llu mean %.3f; %llu stuck; energy %llu pJ; %llu recoveries; error model %llu",
	     h1.tiles_used, h1.tiles_free, (unsigned long long)h1.wear_cycles_max,
	     h1.wear_cycles_mean, (unsigned long long)h1.stuck_cells,
	     (unsigned long long)h1.energy_pj, (unsigned long long)h1.recoveries,
	     (unsigned long long)h1.error_model);
	ok &= used >= 2 && h1.wear_cycles_max >= 1 && h1.error_model == 0 &&
	      h1.energy_pj > h0.energy_pj;
	result(ok, "health: the prepared model holds %u tiles, wear and energy counted", used);

	ok = !bnn_card_processes(&cards[0], &p, &np, &e);
	for (size_t i = 0; i < np; i++) {
		diag("process %d %s: %u files, %u tiles, %llu ns, %llu bytes",
		     p[i].pid, p[i].comm, p[i].files, p[i].tiles,
		     (unsigned long long)p[i].engine_ns,
		     (unsigned long long)p[i].memory_bytes);
		if (p[i].pid == getpid()) {
			ok &= p[i].files >= 1 && p[i].tiles == used;
			mine = 1;
		}
	}
	result(ok && mine, "processes (fdinfo): this process, its files and tiles");

	ok = !bnn_card_tiles(&cards[0], &t, &nt, &e) && nt == cards[0].tiles;
	mine = 0;
	for (size_t i = 0; i < nt; i++)
		if (t[i].used && t[i].owner_pid == getpid())
			mine++;
	result(ok && mine == used, "tiles: %zu records, %zu owned by this process", nt, mine);

	bnn_backend_close(be);
	be = NULL;
	ok = !bnn_card_health_get(&cards[0], &h2, &e) && h2.tiles_used == h0.tiles_used;
	result(ok, "closing the backend frees its tiles (%u used)", h2.tiles_used);
out:
	free(p);
	free(t);
	bnn_model_free(m);
	bnn_backend_close(be);
}

static void t_errors(void)
{
	bnn_error e;
	bnn_backend *be, *be2;
	struct bnn_model *m;
	pid_t pid;
	int st, rc, ok;

	be = open_be(BNN_BACKEND_RBNN, "/dev/accel/accel7", &e);
	ok = !be && e.code == BNN_E_NOTFOUND;
	diag("%s", e.msg);
	bnn_backend_close(be);
	be = open_be(BNN_BACKEND_RBNN, "accel0,accel0", &e);
	ok &= !be && e.code == BNN_E_INVAL;
	bnn_backend_close(be);
	result(ok, "unknown or repeated device: clear errors");

	/* As an unprivileged user the node cannot be opened. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(3);
		be = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
		printf("# as uid 65534: %s\n", e.msg);
		fflush(stdout);
		_exit(!be && e.code == BNN_E_PERM && strstr(e.msg, "render") ? 0 : 1);
	}
	rc = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ?
	     WEXITSTATUS(st) : 2;
	if (rc == 3)
		skip("cannot drop privileges", "permission denied");
	else
		result(rc == 0, "permission denied: BNN_E_PERM naming the render group");

	/* Another context holds more than half of the tiles: a model that
	 * needs more than half does not fit beside it. */
	{
		uint32_t half = cards[0].tiles / 2 * cards[0].rows;
		struct bnn_model *m2 = dense_model(cards[0].cols, half);
		bnn_card_health h;

		m = dense_model(cards[0].cols, half);
		be = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
		be2 = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
		ok = be && be2 && !bnn_prepare(be, m, &e);
		bnn_card_health_get(&cards[0], &h, NULL);
		rc = ok ? bnn_prepare(be2, m2, &e) : BNN_E_INVAL;
		diag("%u tiles free; second context: %s", h.tiles_free, e.msg);
		result(ok && rc == BNN_E_BUSY && strstr(e.msg, "free"),
		       "tiles held by another context: BNN_E_BUSY saying how many are free");
		bnn_model_free(m2);
	}
	bnn_backend_close(be2);
	bnn_backend_close(be);
	bnn_model_free(m);
}

/* A forced reset: before and under load; the weights survive. */
static void t_reset(void)
{
	enum { NJ = 8 };
	bnn_error e;
	bnn_backend *be = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
	struct bnn_model *m = tm_random_binary(1);
	size_t n = 3000;
	float *x = make_inputs(m, n * NJ);
	float *sc = calloc(n * NJ * m->nclasses, sizeof(float));
	int32_t *pr = calloc(n * NJ, sizeof(int32_t));
	bnn_card_health h0, h1;
	uint64_t id[NJ], cmds;
	struct ref r;
	int ok;

	if (!be || cpu_ref(m, x, n * NJ, &r) || bnn_prepare(be, m, &e)) {
		result(0, "reset: %s", e.msg);
		goto out;
	}
	bnn_card_health_get(&cards[0], &h0, NULL);
	ok = !bnn_card_reset(&cards[0], &e);
	if (!ok)
		diag("reset: %s", e.msg);
	ok &= !bnn_run(be, x, n, sc, pr, NULL, &e);
	ok &= same(m, n, r.sc, r.pr, sc, pr, "after reset");
	bnn_card_health_get(&cards[0], &h1, NULL);
	result(ok && h1.recoveries == h0.recoveries + 1,
	       "bnn_card_reset: recoveries %llu -> %llu; the prepared model still runs identically",
	       (unsigned long long)h0.recoveries, (unsigned long long)h1.recoveries);

	memset(sc, 0, n * NJ * m->nclasses * sizeof(float));
	ok = 1;
	cmds = 0;
	for (int j = 0; j < NJ; j++)
		if (bnn_submit(be, x + (size_t)j * n * m->input.channels * m->input.length,
			       n, sc + (size_t)j * n * m->nclasses, pr + (size_t)j * n,
			       &id[j], &e)) {
			diag("submit: %s", e.msg);
			ok = 0;
			id[j] = 0;
		}
	if (bnn_card_reset(&cards[0], &e)) {
		diag("reset: %s", e.msg);
		ok = 0;
	}
	for (int j = 0; j < NJ; j++) {
		bnn_stats st;

		memset(&st, 0, sizeof(st));
		if (id[j] && bnn_wait(be, id[j], -1, &st, &e)) {
			diag("wait %d: %s", j, e.msg);
			ok = 0;
		}
		cmds += st.device_cmds;
	}
	ok &= same(m, n * NJ, r.sc, r.pr, sc, pr, "reset under load");
	result(ok, "reset under load: %d jobs in flight complete, bit-identical (%llu EXECs, %llu lost in the reset and run again)",
	       NJ, (unsigned long long)cmds,
	       (unsigned long long)(cmds > NJ ? cmds - NJ : 0));
	ref_free(&r);
out:
	free(x);
	free(sc);
	free(pr);
	bnn_model_free(m);
	bnn_backend_close(be);
}

/* A hang on a x-debug=on card bans the context; a new one works. */
static void t_hang(void)
{
	const bnn_card *c = NULL;
	char path[300];
	bnn_error e;
	bnn_backend *be;
	struct bnn_model *m;
	size_t n = 50;
	float *x, *sc;
	int32_t *pr;
	struct ref r;
	int fd, ok, rc;

	for (size_t i = 0; i < ncards; i++)
		if (cards[i].caps & (1u << 9))	/* RBNN_CAP_DEBUG */
			c = &cards[i];
	if (!c) {
		skip("no card with x-debug=on", "a hang bans the context");
		skip("no card with x-debug=on", "a new context works after the hang");
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/fault", c->pci);
	m = tm_random_binary(1);
	x = make_inputs(m, n);
	sc = calloc(n * m->nclasses, sizeof(float));
	pr = calloc(n, sizeof(int32_t));
	be = open_be(BNN_BACKEND_RBNN, c->node, &e);
	if (!be || cpu_ref(m, x, n, &r) || bnn_prepare(be, m, &e)) {
		result(0, "hang: %s", e.msg);
		goto out;
	}
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		result(0, "hang: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		ref_free(&r);
		goto out;
	}
	close(fd);
	rc = bnn_run(be, x, n, sc, pr, NULL, &e);
	diag("hung run: %s", e.msg);
	ok = rc == BNN_E_DEVICE && strstr(e.msg, "banned") && strstr(e.msg, "open");
	rc = bnn_run(be, x, n, sc, pr, NULL, &e);
	diag("next run: %s", e.msg);
	ok &= rc == BNN_E_DEVICE && strstr(e.msg, "banned");
	result(ok, "a hang: BNN_E_DEVICE, the context is banned and says to reopen");
	bnn_backend_close(be);
	be = open_be(BNN_BACKEND_RBNN, c->node, &e);
	ok = be && !run_on(be, m, x, n, sc, pr, NULL, &e) &&
	     same(m, n, r.sc, r.pr, sc, pr, "after the hang");
	if (!ok)
		diag("after the hang: %s", e.msg);
	result(ok, "a new context on the same card works after the hang");
	ref_free(&r);
out:
	free(x);
	free(sc);
	free(pr);
	bnn_model_free(m);
	bnn_backend_close(be);
}

/* ---- scaling (tests/vm/guest/libbnn-scaling.sh) ------------------------------ */

/* Best wall time of `reps` runs of n items, sync or as `jobs` pipelined
 * jobs; 0 on failure. */
static double timed(bnn_backend *be, const struct bnn_model *m,
		    const float *x, size_t n, float *sc, int32_t *pr, int jobs,
		    int reps, bnn_stats *tot)
{
	size_t e = (size_t)m->input.channels * m->input.length;
	double best = 0;

	for (int rep = 0; rep < reps; rep++) {
		uint64_t id[64];
		double t0 = now_s(), t;
		bnn_stats st;
		bnn_error err;

		memset(tot, 0, sizeof(*tot));
		for (int j = 0; j < jobs; j++) {
			size_t a = n * (size_t)j / (size_t)jobs;
			size_t b = n * (size_t)(j + 1) / (size_t)jobs;

			if (bnn_submit(be, x + a * e, b - a, sc + a * m->nclasses,
				       pr + a, &id[j], &err)) {
				diag("submit: %s", err.msg);
				return 0;
			}
		}
		for (int j = 0; j < jobs; j++) {
			if (bnn_wait(be, id[j], -1, &st, &err)) {
				diag("wait: %s", err.msg);
				return 0;
			}
			tot->device_ns += st.device_ns;
			tot->device_cmds += st.device_cmds;
			tot->device_energy_pj += st.device_energy_pj;
		}
		t = now_s() - t0;
		if (!rep || t < best)
			best = t;
	}
	return best;
}

/*
 * Throughput on one card, on two (sharded), and on two with pipelined
 * jobs, on cards whose modeled device time dominates (timing=modeled):
 * two cards must be at least `min_speedup` times faster than one.
 */
static int scaling_main(size_t n, double min_speedup)
{
	bnn_error e;
	bnn_backend *one, *two;
	struct bnn_model *m;
	float *x, *sc;
	int32_t *pr;
	struct ref r;
	bnn_stats s1, s2, s3;
	double t1, t2, t3;
	int ok;

	printf("KTAP version 1\n1..4\n");
	t_discovery();		/* fills cards[] (2 checks) */
	if (ncards < 2)
		return 1;
	m = dense_model(cards[0].cols, cards[0].rows * 2);
	x = make_inputs(m, n);
	sc = calloc(n * m->nclasses, sizeof(float));
	pr = calloc(n, sizeof(int32_t));
	one = open_be(BNN_BACKEND_RBNN, cards[0].node, &e);
	two = open_be(BNN_BACKEND_RBNN, NULL, &e);
	if (!one || !two || cpu_ref(m, x, n, &r) || bnn_prepare(one, m, &e) ||
	    bnn_prepare(two, m, &e)) {
		result(0, "scaling: %s", e.msg);
		return 1;
	}
	t1 = timed(one, m, x, n, sc, pr, 1, 3, &s1);
	ok = t1 > 0 && same(m, n, r.sc, r.pr, sc, pr, "1 card");
	memset(sc, 0, n * m->nclasses * sizeof(float));
	t2 = timed(two, m, x, n, sc, pr, 1, 3, &s2);
	ok &= t2 > 0 && same(m, n, r.sc, r.pr, sc, pr, "2 cards");
	memset(sc, 0, n * m->nclasses * sizeof(float));
	t3 = timed(two, m, x, n, sc, pr, 8, 3, &s3);
	ok &= t3 > 0 && same(m, n, r.sc, r.pr, sc, pr, "2 cards, 8 jobs");
	diag("%zu items, %u-%u-2 binary net (%u rows per item):", n, cards[0].cols,
	     cards[0].rows * 2, cards[0].rows * 2 + 4);
	diag("  1 card            %8.3f s  %9.0f items/s  device %.3f s (sum over cards)",
	     t1, n / t1, s1.device_ns * 1e-9);
	diag("  2 cards, sharded  %8.3f s  %9.0f items/s  device %.3f s  speedup %.2fx",
	     t2, n / t2, s2.device_ns * 1e-9, t1 / t2);
	diag("  2 cards, 8 jobs   %8.3f s  %9.0f items/s  device %.3f s  speedup %.2fx",
	     t3, n / t3, s3.device_ns * 1e-9, t1 / t3);
	result(ok && t1 / t2 >= min_speedup,
	       "a batch sharded over two cards runs %.2fx as fast as on one (>= %.2fx), bit-identical",
	       t1 / t2, min_speedup);

	/* A reset while the card works on jobs (modeled timing: each one
	 * takes a while): the lost jobs are run again. */
	{
		enum { NJ = 4 };
		size_t e0 = (size_t)m->input.channels * m->input.length;
		uint64_t id[NJ], cmds = 0;
		bnn_stats st;

		memset(sc, 0, n * m->nclasses * sizeof(float));
		ok = 1;
		for (int j = 0; j < NJ; j++) {
			size_t a = n * (size_t)j / NJ, b = n * (size_t)(j + 1) / NJ;

			if (bnn_submit(one, x + a * e0, b - a, sc + a * m->nclasses,
				       pr + a, &id[j], &e)) {
				diag("submit: %s", e.msg);
				ok = 0;
				id[j] = 0;
			}
		}
		usleep(20000);
		if (bnn_card_reset(&cards[0], &e)) {
			diag("reset: %s", e.msg);
			ok = 0;
		}
		for (int j = 0; j < NJ; j++) {
			memset(&st, 0, sizeof(st));
			if (id[j] && bnn_wait(one, id[j], -1, &st, &e)) {
				diag("wait %d: %s", j, e.msg);
				ok = 0;
			}
			cmds += st.device_cmds;
		}
		ok &= same(m, n, r.sc, r.pr, sc, pr, "reset under load");
		result(ok && cmds > NJ,
		       "a reset while %d jobs are on the card: %llu of them lost and run again, results bit-identical",
		       NJ, (unsigned long long)(cmds > NJ ? cmds - NJ : 0));
	}
	ref_free(&r);
	free(x);
	free(sc);
	free(pr);
	bnn_model_free(m);
	bnn_backend_close(one);
	bnn_backend_close(two);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       t_num - t_fail, t_fail);
	return t_fail ? 1 : 0;
}

/* ---- where the time goes (tests/vm/guest/bench-rbnn.sh) ------------------- */

/*
 * The program is linked with --wrap=drmIoctl and
 * --wrap=drmSyncobjTimelineWait (libbnn.mk): libbnn's calls come here and
 * are timed (guest CLOCK_MONOTONIC) by kind: EXEC (submit), JOB_INFO
 * (results), the timeline wait (blocked until the card's fence signals)
 * and everything else.  libdrm's own calls inside it are not wrapped.
 */
enum { IO_EXEC, IO_JOBINFO, IO_WAIT, IO_OTHER, IO_N };
static const char *const io_name[IO_N] = { "EXEC", "JOB_INFO",
	"syncobj wait", "other ioctls" };
static struct { uint64_t n; double s; } io_t[IO_N];

int __real_drmIoctl(int fd, unsigned long request, void *arg);
int __wrap_drmIoctl(int fd, unsigned long request, void *arg);
int __real_drmSyncobjTimelineWait(int fd, uint32_t *handles, uint64_t *points,
				  unsigned num_handles, int64_t timeout_nsec,
				  unsigned flags, uint32_t *first_signaled);
int __wrap_drmSyncobjTimelineWait(int fd, uint32_t *handles, uint64_t *points,
				  unsigned num_handles, int64_t timeout_nsec,
				  unsigned flags, uint32_t *first_signaled);

int __wrap_drmIoctl(int fd, unsigned long request, void *arg)
{
	int k = request == DRM_IOCTL_RBNN_EXEC ? IO_EXEC :
		request == DRM_IOCTL_RBNN_JOB_INFO ? IO_JOBINFO : IO_OTHER;
	double t0 = now_s();
	int rc = __real_drmIoctl(fd, request, arg);
	int e = errno;

	io_t[k].s += now_s() - t0;
	io_t[k].n++;
	errno = e;
	return rc;
}

int __wrap_drmSyncobjTimelineWait(int fd, uint32_t *handles, uint64_t *points,
				  unsigned num_handles, int64_t timeout_nsec,
				  unsigned flags, uint32_t *first_signaled)
{
	double t0 = now_s();
	int rc = __real_drmSyncobjTimelineWait(fd, handles, points, num_handles,
					       timeout_nsec, flags,
					       first_signaled);
	int e = errno;

	io_t[IO_WAIT].s += now_s() - t0;
	io_t[IO_WAIT].n++;
	errno = e;
	return rc;
}

static int f32_main(const char *path, size_t n, size_t floats, uint64_t seed)
{
	FILE *f = fopen(path, "wb");
	float buf[1024];
	size_t left = n * floats;

	if (!f || !n || !floats) {
		fprintf(stderr, "f32 %s: %s\n", path, f ? "N and FLOATS must be > 0" :
			strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	tm_state = seed;
	while (left) {
		size_t k = left < 1024 ? left : 1024;

		for (size_t i = 0; i < k; i++)
			buf[i] = (float)tm_rnd(-32768, 32767) / 32768.0f;
		if (fwrite(buf, sizeof(float), k, f) != k)
			break;
		left -= k;
	}
	if (fclose(f) || left) {
		fprintf(stderr, "f32 %s: write failed\n", path);
		return 1;
	}
	return 0;
}

/* The guest's CPU time by state (/proc/stat "cpu" line, USER_HZ ticks),
 * context switches, and the interrupts of the rbnn vectors
 * (/proc/interrupts lines naming rbnn). */
struct gstat {
	unsigned long long cpu[8];	/* user nice system idle iowait irq
					 * softirq steal */
	unsigned long long ctxt, irqs;
	struct rusage ru;
	bnn_card_health h;
};

static void gstat_read(const bnn_card *card, struct gstat *g)
{
	char line[4096];
	FILE *f;
	bnn_error e;

	memset(g, 0, sizeof(*g));
	f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long *c = g->cpu;

		if (!strncmp(line, "cpu ", 4))
			sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu",
			       &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]);
		else if (!strncmp(line, "ctxt ", 5))
			g->ctxt = strtoull(line + 5, NULL, 10);
	}
	if (f)
		fclose(f);
	f = fopen("/proc/interrupts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !strstr(line, "rbnn"))
			continue;
		/* one column per CPU, then the chip and the name */
		for (;;) {
			char *q;
			unsigned long long v = strtoull(p + 1, &q, 10);

			if (q == p + 1)
				break;
			g->irqs += v;
			p = q;
		}
	}
	if (f)
		fclose(f);
	getrusage(RUSAGE_SELF, &g->ru);
	if (card && bnn_card_health_get(card, &g->h, &e))
		g->h.have = 0;
}

static double tv_s(const struct timeval *t)
{
	return (double)t->tv_sec + t->tv_usec * 1e-6;
}

/*
 * NBATCH batches of `batch` random items of the model at `path` on one
 * card, `queue` jobs in flight (1: bnn_run-like, each batch waited before
 * the next).  Prints "# " lines: throughput, the split of the wall time,
 * the guest's CPU states, interrupts and the card's counters, and one
 * "# stages: key=value ..." line for make bench.
 */
static int stages_main(const char *path, const char *card, size_t batch,
		       size_t nbatch, size_t queue)
{
	bnn_model *m;
	bnn_model_info mi;
	bnn_signal_desc sd = { .size = sizeof(sd) };
	bnn_backend *be = NULL;
	bnn_card c;
	bnn_error e;
	struct gstat g0, g1;
	uint64_t ids[BNN_MAX_JOBS];
	bnn_stats st, tot;
	size_t stride, sub = 0, done = 0;
	double t0, wall, user, sys, acc, hz = (double)sysconf(_SC_CLK_TCK);
	unsigned long long tk[8], tks = 0;
	float *x, *sc;

	if (!batch || !nbatch || !queue || queue > BNN_MAX_JOBS) {
		fprintf(stderr, "stages: BATCH, NBATCH > 0, QUEUE 1..%d\n", BNN_MAX_JOBS);
		return 2;
	}
	if (bnn_model_load(path, &m, &e) || bnn_card_find(card, &c, &e)) {
		fprintf(stderr, "stages: %s\n", e.msg);
		return 1;
	}
	bnn_model_info_get(m, &mi);
	bnn_model_signal_get(m, &sd);
	stride = sd.item_floats;
	x = malloc(queue * batch * stride * sizeof(float));
	sc = malloc(queue * batch * mi.nclasses * sizeof(float));
	if (!x || !sc)
		abort();
	tm_state = 1;
	for (size_t i = 0; i < queue * batch * stride; i++)
		x[i] = (float)tm_rnd(-32768, 32767) / 32768.0f;
	be = open_be(BNN_BACKEND_RBNN, c.node, &e);
	if (!be || bnn_prepare(be, m, &e) ||
	    bnn_run(be, x, batch, sc, NULL, NULL, &e)) {	/* warm-up */
		fprintf(stderr, "stages: %s: %s\n", c.node, e.msg);
		bnn_backend_close(be);
		bnn_model_free(m);
		return 1;
	}
	memset(&tot, 0, sizeof(tot));
	gstat_read(&c, &g0);
	memset(io_t, 0, sizeof(io_t));
	t0 = now_s();
	while (done < nbatch) {
		/* keep `queue` jobs in flight; job j uses slot j % queue */
		while (sub < nbatch && sub - done < queue) {
			size_t s = sub % queue;

			if (bnn_submit(be, x + s * batch * stride, batch,
				       sc + s * batch * mi.nclasses, NULL,
				       &ids[s], &e))
				goto fail;
			sub++;
		}
		memset(&st, 0, sizeof(st));
		if (bnn_wait(be, ids[done % queue], -1, &st, &e))
			goto fail;
		tot.device_ns += st.device_ns;
		tot.device_cmds += st.device_cmds;
		tot.host_ns += st.host_ns;
		done++;
	}
	wall = now_s() - t0;
	{
		double io[IO_N];

		for (int k = 0; k < IO_N; k++)
			io[k] = io_t[k].s;
		gstat_read(&c, &g1);
		for (int k = 0; k < IO_N; k++)
			io_t[k].s = io[k];	/* not the counter queries' */
	}
	user = tv_s(&g1.ru.ru_utime) - tv_s(&g0.ru.ru_utime);
	sys = tv_s(&g1.ru.ru_stime) - tv_s(&g0.ru.ru_stime);
	for (int k = 0; k < 8; k++) {
		tk[k] = g1.cpu[k] - g0.cpu[k];
		tks += tk[k];
	}
	if (!tks)
		tks = 1;
	diag("%s on %s: batch %zu, %zu batches, queue %zu: %.0f items/s "
	     "(guest CLOCK_MONOTONIC, %.3f s)", mi.name, c.node, batch, nbatch,
	     queue, batch * nbatch / wall, wall);
	diag("  per batch (guest wall, ms): %.3f total", wall / nbatch * 1e3);
	acc = 0;
	for (int k = 0; k < IO_N; k++) {
		diag("    %-14s %8.3f ms in %5.2f calls  (%4.1f%% of the wall time)",
		     io_name[k], io_t[k].s / nbatch * 1e3,
		     (double)io_t[k].n / nbatch, 100 * io_t[k].s / wall);
		acc += io_t[k].s;
	}
	diag("    %-14s %8.3f ms  (%4.1f%%: libbnn in user space: host layers, "
	     "conversions, queueing)", "outside ioctls", (wall - acc) / nbatch * 1e3,
	     100 * (wall - acc) / wall);
	diag("  process CPU (getrusage): user %.3f s, system %.3f s = %.1f%% + %.1f%% "
	     "of the wall time", user, sys, 100 * user / wall, 100 * sys / wall);
	diag("  guest CPU states (/proc/stat, 1 vCPU, %.0f Hz ticks): user %.1f%% "
	     "system %.1f%% irq %.1f%% softirq %.1f%% idle %.1f%% (idle: the vCPU "
	     "waits, QEMU runs the card)", hz,
	     100.0 * (tk[0] + tk[1]) / tks, 100.0 * tk[2] / tks,
	     100.0 * tk[5] / tks, 100.0 * tk[6] / tks,
	     100.0 * (tk[3] + tk[4]) / tks);
	diag("  interrupts of the rbnn vectors: %.2f per batch; context switches "
	     "%.1f per batch", (double)(g1.irqs - g0.irqs) / nbatch,
	     (double)(g1.ctxt - g0.ctxt) / nbatch);
	diag("  libbnn bnn_stats: %.2f device commands per batch, device_ns %.3f ms "
	     "per batch (the card's modeled time, not waited for with "
	     "timing=instant), host_ns %.3f ms per batch (guest wall, "
	     "submit to the end of the wait)", (double)tot.device_cmds / nbatch,
	     tot.device_ns / 1e6 / nbatch, tot.host_ns / 1e6 / nbatch);
	if (g0.h.have & g1.h.have & BNN_HAVE_COUNTERS)
		diag("  card counters (QUERY COUNTERS): %.2f commands, busy %.3f ms "
		     "(modeled), %.2f driver jobs per batch",
		     (double)(g1.h.commands - g0.h.commands) / nbatch,
		     (g1.h.busy_ns - g0.h.busy_ns) / 1e6 / nbatch,
		     (double)(g1.h.jobs_submitted - g0.h.jobs_submitted) / nbatch);
	printf("# stages: batch=%zu queue=%zu items_s=%.1f batch_ms=%.4f "
	       "exec_ms=%.4f jobinfo_ms=%.4f wait_ms=%.4f other_ms=%.4f "
	       "user_pct=%.1f sys_pct=%.1f idle_pct=%.1f irq_pct=%.1f "
	       "irqs=%.2f cmds=%.2f device_ms=%.4f card_cmds=%llu-%llu\n",
	       batch, queue,
	       batch * nbatch / wall, wall / nbatch * 1e3,
	       io_t[IO_EXEC].s / nbatch * 1e3, io_t[IO_JOBINFO].s / nbatch * 1e3,
	       io_t[IO_WAIT].s / nbatch * 1e3, io_t[IO_OTHER].s / nbatch * 1e3,
	       100.0 * (tk[0] + tk[1]) / tks, 100.0 * tk[2] / tks,
	       100.0 * (tk[3] + tk[4]) / tks, 100.0 * (tk[5] + tk[6]) / tks,
	       (double)(g1.irqs - g0.irqs) / nbatch,
	       (double)tot.device_cmds / nbatch, tot.device_ns / 1e6 / nbatch,
	       (unsigned long long)g0.h.commands,
	       (unsigned long long)g1.h.commands);
	fflush(stdout);
	bnn_backend_close(be);
	bnn_model_free(m);
	free(x);
	free(sc);
	return 0;
fail:
	fprintf(stderr, "stages: %s: %s\n", c.node, e.msg);
	bnn_backend_close(be);
	bnn_model_free(m);
	free(x);
	free(sc);
	return 1;
}

/* ---- helpers for the guest scripts ------------------------------------------ */

/* A strict JSON syntax check (RFC 8259), recursive descent. */
struct js {
	const char *p, *end;
	int depth;
};

static void js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int js_lit(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return -1;
	j->p += n;
	return 0;
}

static int js_string(struct js *j)
{
	if (j->p >= j->end || *j->p++ != '"')
		return -1;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;

		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (j->p >= j->end)
				return -1;
			c = (unsigned char)*j->p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, j->p++)
					if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p))
						return -1;
			} else if (!strchr("\"\\/bfnrt", c)) {
				return -1;
			}
		}
	}
	return -1;
}

static int js_number(struct js *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return -1;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s ? 0 : -1;
}

static int js_value(struct js *j)
{
	int rc = -1;

	js_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return -1;
	switch (*j->p) {
	case '{':
		j->p++;
		js_ws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			rc = 0;
			break;
		}
		for (;;) {
			js_ws(j);
			if (js_string(j))
				return -1;
			js_ws(j);
			if (j->p >= j->end || *j->p++ != ':' || js_value(j))
				return -1;
			js_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == '}') {
				j->p++;
				rc = 0;
			}
			break;
		}
		break;
	case '[':
		j->p++;
		js_ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			rc = 0;
			break;
		}
		for (;;) {
			if (js_value(j))
				return -1;
			js_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == ']') {
				j->p++;
				rc = 0;
			}
			break;
		}
		break;
	case '"':
		rc = js_string(j);
		break;
	case 't':
		rc = js_lit(j, "true");
		break;
	case 'f':
		rc = js_lit(j, "false");
		break;
	case 'n':
		rc = js_lit(j, "null");
		break;
	default:
		rc = js_number(j);
	}
	j->depth--;
	return rc;
}

static int json_main(const char *path)
{
	FILE *f = path ? fopen(path, "r") : stdin;
	static char buf[1 << 20];
	struct js j;
	size_t n;

	if (!f) {
		perror(path);
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (path)
		fclose(f);
	j.p = buf;
	j.end = buf + n;
	j.depth = 0;
	if (js_value(&j))
		goto bad;
	js_ws(&j);
	if (j.p != j.end)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "invalid JSON at byte %zu\n", (size_t)(j.p - buf));
	return 1;
}

/* Program a network on one card, report the rows and cells, and leave. */
static int program_main(const char *card, uint64_t seed)
{
	bnn_prepare_info pi;
	bnn_backend *be;
	struct bnn_model *m;
	bnn_error e;

	tm_state = seed;
	m = dense_model(512, 256);
	be = open_be(BNN_BACKEND_RBNN, card, &e);
	if (!be || bnn_prepare(be, m, &e)) {
		fprintf(stderr, "program %s: %s\n", card, e.msg);
		bnn_backend_close(be);
		bnn_model_free(m);
		return 1;
	}
	memset(&pi, 0, sizeof(pi));
	pi.size = sizeof(pi);
	if (bnn_prepare_info_get(be, &pi, &e)) {
		fprintf(stderr, "program %s: %s\n", card, e.msg);
		bnn_backend_close(be);
		bnn_model_free(m);
		return 1;
	}
	printf("%s: programmed %llu rows on %u tiles, %llu cells left unverified\n",
	       card, (unsigned long long)pi.prog_rows, pi.tiles_used,
	       (unsigned long long)pi.prog_unverified);
	bnn_backend_close(be);
	bnn_model_free(m);
	return 0;
}

/* Items whose scores (and whose classes) differ from the reference. */
static void count_diff(const struct bnn_model *m, size_t n, const struct ref *r,
		       const float *sc, const int32_t *pr, size_t *dsc,
		       size_t *dcl)
{
	size_t k = m->nclasses;

	*dsc = *dcl = 0;
	for (size_t i = 0; i < n; i++) {
		*dsc += memcmp(&sc[i * k], &r->sc[i * k], k * sizeof(float)) != 0;
		*dcl += pr[i] != r->pr[i];
	}
}

/* The card's array aged by age_s through debugfs (x-debug=on). */
static int age_card(const bnn_card *c, double age_s)
{
	char path[128];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/age_advance_s",
		 c->pci);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	bad = fprintf(f, "%.0f\n", age_s) < 0;
	bad |= fclose(f) != 0;
	if (bad)
		perror(path);
	return bad ? -1 : 0;
}

/* Program, run, age the card, run again; with or without the scrub policy. */
static int aged_main(const char *card, double age_s, int policy, double temp)
{
	const size_t n = 512;
	size_t d0s, d0c, d1s, d1c;
	bnn_prepare_info pi;
	bnn_backend_opts o;
	bnn_backend *be = NULL;
	struct bnn_model *m;
	bnn_card c;
	bnn_error e;
	struct ref r;
	float *x, *sc;
	int32_t *pr;
	int rc = 1;

	tm_state = 5;
	m = dense_model(1024, 512);
	x = make_inputs(m, n);
	sc = calloc(n * m->nclasses, sizeof(float));
	pr = calloc(n, sizeof(int32_t));
	if (!sc || !pr || cpu_ref(m, x, n, &r))
		abort();
	bnn_backend_opts_init(&o);
	o.device = card;
	o.scrub = policy;
	o.temperature_c = temp;
	if (bnn_card_find(card, &c, &e) ||
	    bnn_backend_open(BNN_BACKEND_RBNN, &o, &be, &e) ||
	    run_on(be, m, x, n, sc, pr, NULL, &e)) {
		fprintf(stderr, "aged %s: %s\n", card, e.msg);
		goto out;
	}
	count_diff(m, n, &r, sc, pr, &d0s, &d0c);
	if (age_card(&c, age_s))
		goto out;
	if (bnn_run(be, x, n, sc, pr, NULL, &e)) {
		fprintf(stderr, "aged %s: %s\n", card, e.msg);
		goto out;
	}
	count_diff(m, n, &r, sc, pr, &d1s, &d1c);
	memset(&pi, 0, sizeof(pi));
	pi.size = sizeof(pi);
	if (bnn_prepare_info_get(be, &pi, &e)) {
		fprintf(stderr, "aged %s: %s\n", card, e.msg);
		goto out;
	}
	printf("%s: scrub policy %s at %g C: before aging %zu of %zu items differ from cpu, %zu of them in class; after %g s %zu differ, %zu in class; %llu scrubs, %llu rows programmed again\n",
	       card, policy ? "on" : "off", temp, d0s, n, d0c, age_s, d1s, d1c,
	       (unsigned long long)pi.scrubs,
	       (unsigned long long)pi.scrub_rows_rewritten);
	rc = 0;
out:
	bnn_backend_close(be);
	ref_free(&r);
	free(sc);
	free(pr);
	free(x);
	bnn_model_free(m);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	int opt;

	if (argc >= 2 && !strcmp(argv[1], "scaling"))
		return scaling_main(argc >= 3 ? strtoul(argv[2], NULL, 0) : 1024,
				    argc >= 4 ? strtod(argv[3], NULL) : 1.5);
	if (argc >= 5 && !strcmp(argv[1], "f32")) {
		char *end;
		size_t k = strtoul(argv[4], &end, 0);

		if (*end || end == argv[4]) {	/* a model: its item size */
			bnn_signal_desc sd = { .size = sizeof(sd) };
			bnn_model *fm;
			bnn_error e;

			if (bnn_model_load(argv[4], &fm, &e)) {
				fprintf(stderr, "f32: %s\n", e.msg);
				return 1;
			}
			bnn_model_signal_get(fm, &sd);
			k = sd.item_floats;
			bnn_model_free(fm);
		}
		printf("%zu\n", k);
		return f32_main(argv[2], strtoul(argv[3], NULL, 0), k,
				argc >= 6 ? strtoull(argv[5], NULL, 0) : 1);
	}
	if (argc >= 6 && !strcmp(argv[1], "stages"))
		return stages_main(argv[2], argv[3], strtoul(argv[4], NULL, 0),
				   strtoul(argv[5], NULL, 0),
				   argc >= 7 ? strtoul(argv[6], NULL, 0) : 1);
	if (argc >= 2 && !strcmp(argv[1], "json"))
		return json_main(argc >= 3 ? argv[2] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "program"))
		return program_main(argv[2],
				    argc >= 4 ? strtoull(argv[3], NULL, 0) : 1);
	if (argc == 6 && !strcmp(argv[1], "aged"))
		return aged_main(argv[2], strtod(argv[3], NULL), atoi(argv[4]),
				 strtod(argv[5], NULL));
	if (argc >= 3 && !strcmp(argv[1], "as-nobody")) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			perror("as-nobody");
			return 126;
		}
		execv(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}

	while ((opt = getopt(argc, argv, "vs:n:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nmodels = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-s SEED] [-n MODELS]\n",
				argv[0]);
			return 2;
		}
	}
	tm_state = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%d\n", NCHECKS);
	diag("libbnn %s, seed %llu, %d models per kind", bnn_version(),
	     (unsigned long long)seed, nmodels);
	t_discovery();				/* 2 */
	if (ncards < 2) {
		diag("needs two rbnn cards (found %zu)", ncards);
		return 1;
	}
	t_models_one_card();			/* 7 */
	t_sharded(NULL, "NULL (every card)");	/* 1 */
	{
		char list[80];

		snprintf(list, sizeof(list), "%s,%s", cards[0].name, cards[1].pci);
		t_sharded(list, list);		/* 1 */
	}
	t_threads();				/* 1 */
	t_pipelined();				/* 2 */
	t_usage();				/* 4 */
	t_errors();				/* 3 */
	t_reset();				/* 2 */
	t_hang();				/* 2 */
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       t_num - t_fail - t_skip, t_fail, t_skip);
	if (t_num != NCHECKS)
		diag("planned %d checks, ran %d", NCHECKS, t_num);
	return t_fail || t_num != NCHECKS ? 1 : 0;
}
