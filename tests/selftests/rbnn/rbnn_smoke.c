// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Smoke test of the rbnn DRM accel uAPI (kselftest harness): queries, BOs,
 * tiles, PROGRAM, READBACK, EXEC (FC and CONV1D) checked against a reference
 * computed here, row isolation between files, syncobjs, job results, and
 * (on cards with x-debug=on) hang recovery.
 *
 * Exact results need a card created with error-model=off; with the error
 * model on, the data comparisons are skipped.
 *
 * Environment: RBNN_DEVICE (default /dev/accel/accel0), RBNN_DEBUGFS (default
 * /sys/kernel/debug/accel/<PCI name of RBNN_DEVICE>), RBNN_SEED.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

/* ---- helpers (the rest are rbnn_sel.h's) --------------------------------- */

/*
 * The card's debugfs file: $RBNN_DEBUGFS/FILE when set, else the card's
 * debugfs directory (rbnn_sel.h) of RBNN_DEVICE.
 */
static void debugfs_path(char *buf, size_t len, const char *file)
{
	const char *d = getenv("RBNN_DEBUGFS");
	size_t n;

	if (d && *d) {
		snprintf(buf, len, "%s/%s", d, file);
		return;
	}
	sel_debugfs_dir(sel_dev_path(), buf, len);
	n = strlen(buf);
	snprintf(buf + n, len - n, "/%s", file);
}

/* PROGRAM with program-and-verify, as every smoke case programs. */
static int program(int fd, uint32_t tile, uint32_t row, uint32_t nrows,
		   const struct sel_bo *w, uint64_t woff,
		   const struct sel_bo *thr, uint64_t toff, uint64_t *seqno)
{
	return sel_program_ex(fd, tile, row, nrows, DRM_RBNN_PROGRAM_VERIFY, 0,
			      w, woff, thr, toff, seqno);
}

static bool error_model_off(int fd)
{
	struct drm_rbnn_query_model m = {};

	return !sel_query(fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)) &&
	       m.error_model == 0;
}

/* ---- reference model of a network ---------------------------------------- */

struct net_layer {
	struct drm_rbnn_layer l;
	uint32_t fanin;
	int8_t *w;		/* out_channels x fanin, +1/-1 */
	int32_t *thr;		/* out_channels */
};

struct net {
	uint32_t in_channels, in_length, in_bits;
	uint32_t nlayers;
	struct net_layer layers[8];
	uint64_t in_bytes, out_bytes;
};

static void net_add(struct net *n, uint32_t op, uint32_t mode, uint32_t out_ch,
		    uint32_t k, uint32_t s, uint32_t p)
{
	struct net_layer *nl = &n->layers[n->nlayers];
	struct drm_rbnn_layer *l = &nl->l;
	uint32_t c = n->nlayers ? n->layers[n->nlayers - 1].l.out_channels :
				  n->in_channels;
	uint32_t len = n->nlayers ? n->layers[n->nlayers - 1].l.out_length :
				    n->in_length;
	uint32_t i;

	memset(nl, 0, sizeof(*nl));
	l->op = op;
	l->out_mode = mode;
	l->in_channels = c;
	l->in_length = len;
	l->kernel = k;
	l->stride = s;
	l->pad = p;
	switch (op) {
	case DRM_RBNN_LAYER_FC:
		l->out_channels = out_ch;
		l->out_length = 1;
		nl->fanin = c * len;
		break;
	case DRM_RBNN_LAYER_CONV1D:
		l->out_channels = out_ch;
		l->out_length = (len + 2 * p - k) / s + 1;
		nl->fanin = c * k;
		break;
	default:
		l->out_channels = c;
		l->out_length = (len - k) / s + 1;
		break;
	}
	if (nl->fanin) {
		nl->w = calloc((size_t)l->out_channels * nl->fanin, 1);
		nl->thr = calloc(l->out_channels, sizeof(int32_t));
		for (i = 0; i < l->out_channels * nl->fanin; i++)
			nl->w[i] = sel_rng() & 1 ? 1 : -1;
		/* Thresholds near 0 so that both outputs occur. */
		for (i = 0; i < l->out_channels; i++)
			nl->thr[i] = (int32_t)(sel_rng() % 9) - 4;
	}
	n->nlayers++;
}

static void net_free(struct net *n)
{
	uint32_t i;

	for (i = 0; i < n->nlayers; i++) {
		free(n->layers[i].w);
		free(n->layers[i].thr);
	}
}

static void net_sizes(struct net *n)
{
	struct drm_rbnn_layer *last = &n->layers[n->nlayers - 1].l;
	uint64_t e = (uint64_t)n->in_channels * n->in_length;
	uint64_t o = (uint64_t)last->out_channels * last->out_length;

	n->in_bytes = n->in_bits > 1 ? SEL_ALIGN8(e) : SEL_ALIGN8(SEL_DIV_UP(e, 8));
	n->out_bytes = last->out_mode == DRM_RBNN_OUT_SCORES ? SEL_ALIGN8(4 * o) :
			SEL_ALIGN8(SEL_DIV_UP(o, 8));
}

/* One output (channel o, position t) of a layer: MAXPOOL value or sum. */
static int64_t ref_neuron(const struct net_layer *nl, const int64_t *act,
			  uint32_t o, uint32_t t)
{
	const struct drm_rbnn_layer *l = &nl->l;
	uint32_t C = l->in_channels, L = l->in_length, k, c, e;
	int64_t s = 0, pos;

	switch (l->op) {
	case DRM_RBNN_LAYER_MAXPOOL1D:
		for (k = 0; k < l->kernel; k++)
			if (act[(t * l->stride + k) * C + o] > 0)
				return 1;
		return -1;
	case DRM_RBNN_LAYER_FC:
		for (e = 0; e < C * L; e++)
			s += nl->w[o * nl->fanin + e] * act[e];
		return s;
	default:
		for (k = 0; k < l->kernel; k++) {
			pos = (int64_t)t * l->stride - l->pad + k;
			if (pos < 0 || pos >= L)
				continue;
			for (c = 0; c < C; c++)
				s += nl->w[o * nl->fanin + k * C + c] *
				     act[pos * C + c];
		}
		return s;
	}
}

/* Run one item through the reference; writes out_bytes bytes. */
static void net_ref(const struct net *n, const uint8_t *in, uint8_t *out)
{
	uint32_t e, i, o, t, cnt = n->in_channels * n->in_length;
	int64_t *act = calloc(cnt, sizeof(*act)), *next, s;
	const struct drm_rbnn_layer *l;

	for (e = 0; e < cnt; e++) {
		if (n->in_bits == 1)
			act[e] = in[e / 8] >> (e % 8) & 1 ? 1 : -1;
		else
			act[e] = 2 * (in[e] & ((1 << n->in_bits) - 1)) -
				 ((1 << n->in_bits) - 1);
	}
	for (i = 0; i < n->nlayers; i++) {
		const struct net_layer *nl = &n->layers[i];
		bool raw;

		l = &nl->l;
		raw = l->op == DRM_RBNN_LAYER_MAXPOOL1D ||
		      l->out_mode == DRM_RBNN_OUT_SCORES;
		next = calloc((size_t)l->out_channels * l->out_length,
			      sizeof(*next));
		for (t = 0; t < l->out_length; t++) {
			for (o = 0; o < l->out_channels; o++) {
				s = ref_neuron(nl, act, o, t);
				next[t * l->out_channels + o] =
					raw ? s : s >= nl->thr[o] ? 1 : -1;
			}
		}
		free(act);
		act = next;
	}
	l = &n->layers[n->nlayers - 1].l;
	memset(out, 0, n->out_bytes);
	for (e = 0; e < l->out_channels * l->out_length; e++) {
		if (l->out_mode == DRM_RBNN_OUT_SCORES) {
			int32_t v = (int32_t)act[e];

			memcpy(out + 4 * e, &v, 4);
		} else if (act[e] > 0) {
			out[e / 8] |= 1 << (e % 8);
		}
	}
	free(act);
}

/*
 * Place every (layer, block) on consecutive rows of the given tiles, program
 * them (thresholds on block 0 of BITS layers) and build the segments.
 */
static int net_load(int fd, const struct drm_rbnn_query_device *dev,
		    const struct net *n, const uint32_t *tiles, uint32_t ntiles,
		    struct drm_rbnn_segment *segs, uint32_t *nsegs,
		    struct drm_rbnn_layer *layers)
{
	uint32_t ti = 0, row = 0, i, b, o, j;
	struct sel_bo w, thr;
	int ret;

	*nsegs = 0;
	for (i = 0; i < n->nlayers; i++) {
		const struct net_layer *nl = &n->layers[i];
		uint32_t O = nl->l.out_channels;
		uint32_t nblocks = nl->fanin ? SEL_DIV_UP(nl->fanin, dev->cols) : 0;

		layers[i] = nl->l;
		layers[i].seg_count = nblocks;
		for (b = 0; b < nblocks; b++) {
			if (row + O > dev->rows) {
				ti++;
				row = 0;
			}
			if (ti >= ntiles || O > dev->rows)
				return -ENOSPC;
			ret = sel_bo_new(fd, (uint64_t)O * dev->row_bytes, &w);
			if (ret)
				return ret;
			ret = sel_bo_new(fd, 4ull * O, &thr);
			if (ret)
				return ret;
			for (o = 0; o < O; o++) {
				uint8_t *r = w.map + (size_t)o * dev->row_bytes;

				for (j = b * dev->cols;
				     j < nl->fanin && j < (b + 1) * dev->cols; j++)
					if (nl->w[o * nl->fanin + j] > 0)
						r[(j - b * dev->cols) / 8] |=
							1 << ((j - b * dev->cols) % 8);
				memcpy(thr.map + 4 * o, &nl->thr[o], 4);
			}
			ret = program(fd, tiles[ti], row, O, &w, 0,
				      b == 0 && nl->l.out_mode == DRM_RBNN_OUT_BITS ?
				      &thr : NULL, 0, NULL);
			/* The jobs keep their own references to the BOs. */
			sel_bo_del(fd, &w);
			sel_bo_del(fd, &thr);
			if (ret)
				return ret;
			segs[*nsegs] = (struct drm_rbnn_segment){
				.tile = tiles[ti], .row = row, .out_first = 0,
				.out_count = O, .block = b,
			};
			(*nsegs)++;
			row += O;
		}
	}
	return 0;
}

static int net_exec(int fd, const struct net *n, struct drm_rbnn_layer *layers,
		    struct drm_rbnn_segment *segs, uint32_t nsegs,
		    uint32_t batch, const struct sel_bo *in, const struct sel_bo *out,
		    uint64_t *seqno)
{
	struct drm_rbnn_exec x = {
		.layers = (uintptr_t)layers, .layer_count = n->nlayers,
		.layer_stride = sizeof(*layers),
		.segments = (uintptr_t)segs, .seg_count = nsegs,
		.seg_stride = sizeof(*segs),
		.in_channels = n->in_channels, .in_length = n->in_length,
		.in_bits = n->in_bits, .batch = batch,
		.in_handle = in->handle, .out_handle = out->handle,
	};
	int ret = sel_ioctl(fd, DRM_IOCTL_RBNN_EXEC, &x);

	if (!ret && seqno)
		*seqno = x.seqno;
	return ret;
}

/* ---- tests --------------------------------------------------------------- */

FIXTURE(rbnn) {
	int fd;
	struct drm_rbnn_query_device dev;
	bool exact;
};

FIXTURE_SETUP(rbnn)
{
	sel_seed(1);
	self->fd = open(sel_dev_path(), O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "cannot open %s: %s", sel_dev_path(), strerror(errno));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &self->dev,
			   sizeof(self->dev)));
	self->exact = error_model_off(self->fd);
}

FIXTURE_TEARDOWN(rbnn)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(rbnn, query)
{
	struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_DEVICE };
	struct drm_rbnn_query_device d;
	struct drm_rbnn_query_counters c = {};
	uint8_t small[8];
	uint8_t *tiles;

	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(d), q.size);

	memset(&d, 0xff, sizeof(d));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &d, sizeof(d)));
	EXPECT_EQ(0x1af4, d.vendor_id);
	EXPECT_EQ(0x10f0, d.device_id);
	EXPECT_EQ(1, d.hw_version >> 16);
	EXPECT_GT(d.tiles, 0);
	EXPECT_GT(d.rows, 0);
	EXPECT_EQ(0, d.cols % 64);
	EXPECT_EQ(d.cols / 8, d.row_bytes);
	EXPECT_EQ(DRM_RBNN_JOB_HISTORY, d.job_history);
	TH_LOG("card %04x:%04x v%x caps 0x%x: %u tiles %ux%u",
	       d.vendor_id, d.device_id, d.hw_version, d.caps, d.tiles, d.rows,
	       d.cols);

	/* Truncated copy: the first bytes of the answer, size written back. */
	q.size = sizeof(small);
	q.ptr = (uintptr_t)small;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(small), q.size);
	EXPECT_EQ(0, memcmp(small, &d, sizeof(small)));

	q.type = 1000;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	q.type = DRM_RBNN_QUERY_DEVICE;
	q.size = sizeof(d);
	q.ptr = 8;
	EXPECT_EQ(-EFAULT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));

	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c, sizeof(c)));
	TH_LOG("counters: %llu commands, %llu pJ, %llu resets",
	       (unsigned long long)c.commands,
	       (unsigned long long)c.energy_pj,
	       (unsigned long long)c.resets);

	q.type = DRM_RBNN_QUERY_TILES;
	q.size = 0;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(struct drm_rbnn_query_tiles) +
		  d.tiles * sizeof(struct drm_rbnn_tile_info), q.size);
	tiles = calloc(1, q.size);
	q.ptr = (uintptr_t)tiles;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(d.tiles, ((struct drm_rbnn_query_tiles *)tiles)->count);
	free(tiles);
}

TEST_F(rbnn, model)
{
	struct drm_rbnn_query_model m = {};

	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	EXPECT_LE(m.error_model, 1);
	EXPECT_GT(m.prog_current_na, 0);
	EXPECT_GT(m.pulse_ns, 0);
	EXPECT_EQ(0, m.reserved0);
	EXPECT_EQ(0, m.reserved1);
	TH_LOG("error model %llu, %llu nA, %llu ns pulses",
	       (unsigned long long)m.error_model,
	       (unsigned long long)m.prog_current_na,
	       (unsigned long long)m.pulse_ns);
}

TEST_F(rbnn, bo)
{
	struct drm_rbnn_bo_create c = { .size = 100 };
	struct drm_rbnn_bo_info i = {};
	struct drm_rbnn_bo_wait w = {};
	struct sel_bo bo;

	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_CREATE, &c));
	i.handle = c.handle;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &i));
	EXPECT_EQ(0, i.size % 4096);
	EXPECT_GE(i.size, 100);
	w.handle = c.handle;
	EXPECT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_WAIT, &w));

	i.handle = 0xdead;
	EXPECT_EQ(-ENOENT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &i));
	c.flags = 1;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_CREATE, &c));
	c.flags = 0;
	c.size = 0;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_CREATE, &c));

	ASSERT_EQ(0, sel_bo_new(self->fd, 3 * 4096, &bo));
	memset(bo.map, 0x5a, bo.size);
	EXPECT_EQ(0x5a, bo.map[bo.size - 1]);
	sel_bo_del(self->fd, &bo);
}

TEST_F(rbnn, tiles)
{
	uint32_t n = self->dev.tiles, *t = calloc(n + 1, 4), i, j, extra;
	int fd2;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, n, t));
	for (i = 0; i < n; i++) {
		ASSERT_LT(t[i], n);
		for (j = 0; j < i; j++)
			ASSERT_NE(t[i], t[j]);
	}
	EXPECT_EQ(-ENOSPC, sel_tile_alloc(self->fd, 1, &extra));
	EXPECT_EQ(-EINVAL, sel_tile_alloc(self->fd, 0, &extra));
	EXPECT_EQ(-EINVAL, sel_tile_alloc(self->fd, n + 1, &extra));
	EXPECT_EQ(-EINVAL, sel_tile_free(self->fd, n));

	fd2 = open(sel_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(-EACCES, sel_tile_free(fd2, t[0]));
	EXPECT_EQ(-ENOSPC, sel_tile_alloc(fd2, 1, &extra));
	EXPECT_EQ(0, sel_tile_free(self->fd, t[0]));
	EXPECT_EQ(-EACCES, sel_tile_free(self->fd, t[0]));
	EXPECT_EQ(0, sel_tile_alloc(fd2, 1, &extra));
	EXPECT_EQ(t[0], extra);
	close(fd2);
	/* Closing the file freed its tile. */
	EXPECT_EQ(0, sel_tile_alloc(self->fd, 1, &extra));
	EXPECT_EQ(t[0], extra);
	free(t);
}

TEST_F(rbnn, program_readback)
{
	uint32_t rb = self->dev.row_bytes, nrows = 32, tile, i;
	struct drm_rbnn_job_info ji;
	struct sel_bo w, thr, out;
	uint64_t s1, s2, s3;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, (uint64_t)nrows * rb + 64, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * nrows, &thr));
	ASSERT_EQ(0, sel_bo_new(self->fd, 2 * (uint64_t)nrows * rb, &out));
	for (i = 0; i < nrows * rb; i++)
		w.map[64 + i] = sel_rng();

	/* Rows never programmed by this file cannot be read. */
	EXPECT_EQ(-EACCES, sel_readback(self->fd, tile, 0, 1, 0, &out, 0, NULL));

	ASSERT_EQ(0, program(self->fd, tile, 8, nrows, &w, 64, &thr, 0, &s1));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 8, nrows, 0, &out, 0, &s2));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 8, nrows,
			      DRM_RBNN_READBACK_SCRUB, &out,
			      (uint64_t)nrows * rb, &s3));
	EXPECT_EQ(s1 + 1, s2);
	EXPECT_EQ(s2 + 1, s3);

	ASSERT_EQ(0, sel_job_wait(self->fd, s3, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	ASSERT_EQ(0, sel_job_wait(self->fd, s1, &ji, 0));
	EXPECT_EQ(0, ji.status);
	EXPECT_TRUE(ji.hw_status == 0 || ji.hw_status == SEL_HW_VERIFY);
	EXPECT_GT(ji.time_ns, 0);
	EXPECT_GT(ji.energy_pj, 0);
	TH_LOG("PROGRAM of %u rows: %llu ns, %llu pJ, detail %u", nrows,
	       (unsigned long long)ji.time_ns,
	       (unsigned long long)ji.energy_pj, ji.hw_detail);
	if (self->exact) {
		EXPECT_EQ(0, memcmp(w.map + 64, out.map, (size_t)nrows * rb));
		EXPECT_EQ(0, memcmp(w.map + 64, out.map + nrows * rb,
				    (size_t)nrows * rb));
	}

	/* Rows next to the programmed ones are still not readable. */
	EXPECT_EQ(-EACCES, sel_readback(self->fd, tile, 7, 2, 0, &out, 0, NULL));
	/* Argument checks. */
	EXPECT_EQ(-EINVAL, sel_readback(self->fd, tile, self->dev.rows, 1, 0, &out,
				    0, NULL));
	EXPECT_EQ(-EINVAL, sel_readback(self->fd, tile, 8, 0, 0, &out, 0, NULL));
	EXPECT_EQ(-EINVAL, sel_readback(self->fd, tile, 8, 1, 2, &out, 0, NULL));
	EXPECT_EQ(-ERANGE, sel_readback(self->fd, tile, 8, 1, 0, &out, out.size,
				    NULL));
	w.handle = 0xdead;
	EXPECT_EQ(-ENOENT, program(self->fd, tile, 8, 1, &w, 0, NULL, 0, NULL));

	/* JOB_INFO of a job never submitted. */
	memset(&ji, 0, sizeof(ji));
	ji.seqno = s3 + 100;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
}

TEST_F(rbnn, isolation)
{
	uint32_t n = self->dev.tiles, rb = self->dev.row_bytes, i;
	uint32_t *t = calloc(n, 4);
	struct drm_rbnn_job_info ji;
	struct sel_bo w, out;
	uint64_t seq = 0;
	int fd2;

	/* File 1 programs row 0 of every tile, then frees them. */
	ASSERT_EQ(0, sel_tile_alloc(self->fd, n, t));
	ASSERT_EQ(0, sel_bo_new(self->fd, rb, &w));
	memset(w.map, 0xa5, rb);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, program(self->fd, t[i], 0, 1, &w, 0, &w, 0, &seq));
	ASSERT_EQ(0, sel_job_wait(self->fd, seq, &ji, 10000));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, sel_tile_free(self->fd, t[i]));

	/* File 2 gets them all and cannot read or use that row. */
	fd2 = open(sel_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, sel_tile_alloc(fd2, n, t));
	ASSERT_EQ(0, sel_bo_new(fd2, rb, &out));
	for (i = 0; i < n; i++)
		EXPECT_EQ(-EACCES, sel_readback(fd2, t[i], 0, 1, 0, &out, 0, NULL));
	/* Nor can file 1 use tiles it no longer owns. */
	EXPECT_EQ(-EACCES, program(self->fd, t[0], 0, 1, &w, 0, NULL, 0, NULL));

	/* Once file 2 programmed the row, it reads its own data. */
	memset(out.map, 0x3c, rb);
	ASSERT_EQ(0, program(fd2, t[0], 0, 1, &out, 0, NULL, 0, NULL));
	ASSERT_EQ(0, sel_readback(fd2, t[0], 0, 1, 0, &out, 0, &seq));
	ASSERT_EQ(0, sel_job_wait(fd2, seq, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	if (self->exact)
		for (i = 0; i < rb; i++)
			ASSERT_EQ(0x3c, out.map[i]);
	close(fd2);
	free(t);
}

static void run_net(struct __test_metadata *_metadata, int fd,
		    const struct drm_rbnn_query_device *dev, bool exact,
		    struct net *n, uint32_t batch)
{
	struct drm_rbnn_segment segs[64];
	struct drm_rbnn_layer layers[8];
	struct drm_rbnn_job_info ji;
	uint32_t tiles[2], nsegs, i, j;
	uint8_t *ref;
	struct sel_bo in, out;
	uint64_t seq;

	net_sizes(n);
	ASSERT_EQ(0, sel_tile_alloc(fd, 2, tiles));
	ASSERT_EQ(0, net_load(fd, dev, n, tiles, 2, segs, &nsegs, layers));
	ASSERT_EQ(0, sel_bo_new(fd, batch * n->in_bytes, &in));
	ASSERT_EQ(0, sel_bo_new(fd, batch * n->out_bytes + 4096, &out));
	for (i = 0; i < batch * n->in_bytes; i++)
		in.map[i] = sel_rng();
	memset(out.map, 0xee, out.size);

	ASSERT_EQ(0, net_exec(fd, n, layers, segs, nsegs, batch, &in, &out,
			      &seq));
	ASSERT_EQ(0, sel_job_wait(fd, seq, &ji, 20000));
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, ji.hw_status);
	EXPECT_GT(ji.time_ns, 0);
	TH_LOG("EXEC of %u layers, batch %u: %llu ns, %llu pJ", n->nlayers,
	       batch, (unsigned long long)ji.time_ns,
	       (unsigned long long)ji.energy_pj);
	/* Every earlier PROGRAM succeeded. */
	for (j = 1; j < seq; j++) {
		ASSERT_EQ(0, sel_job_wait(fd, j, &ji, 0));
		EXPECT_EQ(0, ji.status);
	}
	/* Bytes past the output items are untouched. */
	EXPECT_EQ(0xee, out.map[batch * n->out_bytes]);
	if (exact) {
		ref = calloc(1, n->out_bytes);
		for (i = 0; i < batch; i++) {
			net_ref(n, in.map + i * n->in_bytes, ref);
			EXPECT_EQ(0, memcmp(ref, out.map + i * n->out_bytes,
					    n->out_bytes))
				TH_LOG("item %u differs from the reference", i);
		}
		free(ref);
	}
	sel_bo_del(fd, &in);
	sel_bo_del(fd, &out);
	net_free(n);
}

TEST_F(rbnn, exec_fc)
{
	struct net n = { .in_channels = 10, .in_length = 30, .in_bits = 1 };

	/* 300 inputs: two column blocks on 256-column cards. */
	net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 40, 0, 0, 0);
	net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 5, 0, 0, 0);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 4);
}

TEST_F(rbnn, exec_fc_bits)
{
	struct net n = { .in_channels = 64, .in_length = 1, .in_bits = 1 };

	net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 70, 0, 0, 0);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 9);
}

TEST_F(rbnn, exec_conv)
{
	struct net n = { .in_channels = 2, .in_length = 32, .in_bits = 4 };

	net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 16, 5, 1, 2);
	net_add(&n, DRM_RBNN_LAYER_MAXPOOL1D, DRM_RBNN_OUT_BITS, 0, 2, 2, 0);
	net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 12, 3, 2, 1);
	net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 3, 0, 0, 0);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 3);
}

TEST_F(rbnn, exec_invalid)
{
	struct net n = { .in_channels = 8, .in_length = 8, .in_bits = 1 };
	struct drm_rbnn_segment segs[4];
	struct drm_rbnn_layer layers[2], saved;
	uint32_t tiles[2], nsegs;
	struct sel_bo in, out;

	net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 16, 0, 0, 0);
	net_sizes(&n);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 2, tiles));
	ASSERT_EQ(0, net_load(self->fd, &self->dev, &n, tiles, 2, segs, &nsegs,
			      layers));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &in));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &out));
	ASSERT_EQ(0, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in, &out,
			      NULL));

	saved = layers[0];
	layers[0].out_length = 2;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	layers[0] = saved;
	layers[0].op = 9;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	layers[0] = saved;
	layers[0].in_channels = 7;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	layers[0] = saved;
	layers[0].reserved = 1;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	layers[0] = saved;

	/* Coverage: a missing output channel, an overlap. */
	segs[0].out_count = 15;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	segs[0].out_count = 16;
	segs[1] = segs[0];
	segs[1].out_count = 1;
	layers[0].seg_count = 2;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, 2, 2, &in,
				    &out, NULL));
	layers[0].seg_count = 1;

	/* Rows not programmed, a tile not owned. */
	segs[0].row += 100;
	EXPECT_EQ(-EACCES, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	segs[0].row -= 100;
	segs[0].tile = tiles[0] ? 0 : 1;
	if (segs[0].tile != tiles[1])
		EXPECT_EQ(-EACCES, net_exec(self->fd, &n, layers, segs, nsegs,
					    2, &in, &out, NULL));
	segs[0].tile = tiles[0];
	segs[0].tile = self->dev.tiles;
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	segs[0].tile = tiles[0];

	/* Buffers: too small, unknown, overlapping in one BO. */
	EXPECT_EQ(-ERANGE, net_exec(self->fd, &n, layers, segs, nsegs, 1000,
				    &in, &out, NULL));
	in.handle = 0xdead;
	EXPECT_EQ(-ENOENT, net_exec(self->fd, &n, layers, segs, nsegs, 2, &in,
				    &out, NULL));
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 2, &out,
				    &out, NULL));
	EXPECT_EQ(-EINVAL, net_exec(self->fd, &n, layers, segs, nsegs, 0, &out,
				    &in, NULL));
	net_free(&n);
}

TEST_F(rbnn, syncobj)
{
	struct drm_syncobj_create sc = { .flags = 0 };
	struct drm_syncobj_create tc = { .flags = 0 };
	struct drm_syncobj_timeline_wait tw = {};
	struct drm_rbnn_sync in = {};
	struct drm_rbnn_readback r = {};
	struct drm_rbnn_program p = {};
	uint32_t rb = self->dev.row_bytes, tile;
	uint64_t point = 7;
	struct sel_bo w;

	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_CREATE, &tc));
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * rb, &w));

	p.tile = tile;
	p.nrows = 2;
	p.weights_handle = w.handle;
	p.syncs.out.handle = sc.handle;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_PROGRAM, &p));

	in.handle = sc.handle;
	r.tile = tile;
	r.nrows = 2;
	r.handle = w.handle;
	r.offset = 2 * rb;
	r.syncs.in_syncs = (uintptr_t)&in;
	r.syncs.in_count = 1;
	r.syncs.in_stride = sizeof(in);
	r.syncs.out.handle = tc.handle;
	r.syncs.out.point = point;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));

	tw.handles = (uintptr_t)&tc.handle;
	tw.points = (uintptr_t)&point;
	tw.count_handles = 1;
	tw.timeout_nsec = sel_now_ns() + 10000000000ll;
	tw.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	EXPECT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw));

	/* Bad in-sync handle, bad stride, unknown flags. */
	in.handle = 0xdead;
	EXPECT_EQ(-ENOENT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
	in.handle = sc.handle;
	r.syncs.in_stride = 4;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
	r.syncs.in_stride = sizeof(in);
	in.flags = 1;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
	in.flags = 0;
	r.syncs.out.handle = 0xdead;
	EXPECT_EQ(-ENOENT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
}

/* Needs a card with x-debug=on: the FAULT register hangs the next command. */
TEST_F(rbnn, hang_recovery)
{
	struct drm_rbnn_query_counters c0 = {}, c1 = {};
	uint32_t rb = self->dev.row_bytes, tile, i;
	struct drm_rbnn_job_info ji;
	uint64_t s1, s2, s3;
	char path[256];
	struct sel_bo w, out;
	int fd2;

	if (!(self->dev.caps & (1u << 9)))
		SKIP(return, "card without x-debug=on");
	debugfs_path(path, sizeof(path), "fault");
	if (access(path, W_OK))
		SKIP(return, "no %s", path);

	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c0, sizeof(c0)));
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * rb, &w));
	for (i = 0; i < 2 * rb; i++)
		w.map[i] = sel_rng();
	ASSERT_EQ(0, program(self->fd, tile, 0, 2, &w, 0, NULL, 0, &s1));
	ASSERT_EQ(0, sel_job_wait(self->fd, s1, &ji, 10000));

	/* The next command hangs: the watchdog resets the card. */
	ASSERT_EQ(0, sel_write_file(path, "1"));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 2, 0, &w, 2 * rb, &s2));
	ASSERT_EQ(0, sel_job_wait(self->fd, s2, &ji, 20000));
	EXPECT_EQ(-ETIMEDOUT, ji.status);

	/* The context is banned. */
	EXPECT_EQ(-ECANCELED, sel_readback(self->fd, tile, 0, 2, 0, &w, 2 * rb,
				       NULL));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c1, sizeof(c1)));
	EXPECT_EQ(c0.recoveries + 1, c1.recoveries);
	EXPECT_LT(c0.resets, c1.resets);

	/* The card works for another file; the array survived the reset. */
	fd2 = open(sel_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(fd2, 4 * rb, &out));
	for (i = 0; i < 2 * rb; i++)
		out.map[i] = sel_rng();
	ASSERT_EQ(0, program(fd2, tile, 0, 2, &out, 0, NULL, 0, NULL));
	ASSERT_EQ(0, sel_readback(fd2, tile, 0, 2, 0, &out, 2 * rb, &s3));
	ASSERT_EQ(0, sel_job_wait(fd2, s3, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	if (self->exact)
		EXPECT_EQ(0, memcmp(out.map, out.map + 2 * rb, 2 * rb));
	close(fd2);
}

TEST_F(rbnn, force_reset)
{
	struct drm_rbnn_query_counters c0 = {}, c1 = {};
	uint32_t rb = self->dev.row_bytes, tile;
	struct drm_rbnn_job_info ji;
	char path[256];
	struct sel_bo w;
	uint64_t s;

	debugfs_path(path, sizeof(path), "force_reset");
	if (access(path, W_OK))
		SKIP(return, "no %s", path);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 2 * rb, &w));
	ASSERT_EQ(0, program(self->fd, tile, 0, 1, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c0, sizeof(c0)));
	ASSERT_EQ(0, sel_write_file(path, "1"));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c1, sizeof(c1)));
	EXPECT_EQ(c0.recoveries + 1, c1.recoveries);
	/* Not banned: no job of this file hung. Rows survive the reset. */
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 1, 0, &w, rb, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	EXPECT_EQ(0, ji.status);
}

/* Many small jobs: the rings wrap, the scheduler runs out of SQ credits. */
TEST_F(rbnn, many_jobs)
{
	uint32_t rb = self->dev.row_bytes, tile, i, njobs = 700;
	struct drm_rbnn_job_info ji;
	uint64_t first = 0, seq = 0;
	struct sel_bo w, out;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, (uint64_t)njobs * rb, &out));
	for (i = 0; i < 8 * rb; i++)
		w.map[i] = sel_rng();
	ASSERT_EQ(0, program(self->fd, tile, 0, 8, &w, 0, &w, 0, &first));
	for (i = 0; i < njobs; i++) {
		if (i % 50 == 49)
			ASSERT_EQ(0, program(self->fd, tile, i % 8, 1, &w,
					     (i % 8) * rb, &w, 0, &seq));
		ASSERT_EQ(0, sel_readback(self->fd, tile, i % 8, 1, 0, &out,
				      (uint64_t)i * rb, &seq));
	}
	ASSERT_EQ(0, sel_job_wait(self->fd, seq, &ji, 60000));
	for (i = first; i <= seq; i++) {
		ASSERT_EQ(0, sel_job_wait(self->fd, i, &ji, 0));
		ASSERT_EQ(0, ji.status) TH_LOG("job %u", i);
	}
	if (self->exact)
		for (i = 0; i < njobs; i++)
			ASSERT_EQ(0, memcmp(out.map + (size_t)i * rb,
					    w.map + (i % 8) * rb, rb))
				TH_LOG("readback %u", i);
}

/*
 * JOB_INFO keeps the results of the last DRM_RBNN_JOB_HISTORY jobs.  Some
 * 520 jobs: on the debug kernel under TCG with the host's cores busy they
 * took more than the harness's default 30 s (fresh-clone CI, load ~6).
 */
TEST_F_TIMEOUT(rbnn, job_history, 120)
{
	uint32_t rb = self->dev.row_bytes, tile, i;
	struct drm_rbnn_job_info ji;
	uint64_t seq = 0, first;
	struct sel_bo w;
	int ret;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 2 * rb, &w));
	ASSERT_EQ(0, program(self->fd, tile, 0, 1, &w, 0, NULL, 0, &first));
	for (i = 0; i < DRM_RBNN_JOB_HISTORY + 8; i++) {
		ret = sel_readback(self->fd, tile, 0, 1, 0, &w, rb, &seq);
		if (ret == -EBUSY) {
			/* 4096 jobs in flight: wait for the oldest. */
			ASSERT_EQ(0, sel_job_wait(self->fd, seq - 4000, &ji, 20000));
			i--;
			continue;
		}
		ASSERT_EQ(0, ret);
	}
	ASSERT_EQ(0, sel_job_wait(self->fd, seq, &ji, 60000));
	EXPECT_EQ(0, ji.status);
	memset(&ji, 0, sizeof(ji));
	ji.seqno = first;
	EXPECT_EQ(-ENOENT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	ji.seqno = seq - DRM_RBNN_JOB_HISTORY + 1;
	EXPECT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	EXPECT_EQ(DRM_RBNN_JOB_DONE, ji.state);
	ji.seqno = 0;
	EXPECT_EQ(-EINVAL, sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
}

/*
 * Needs x-debug=on: a DMA fault fails a PROGRAM (-EIO, device status DMA);
 * the rows it was to program stay unusable: an EXEC queued behind it is not
 * run (-ECANCELED), and works once the rows are programmed again.
 */
TEST_F(rbnn, dma_fault)
{
	struct net n = { .in_channels = 16, .in_length = 1, .in_bits = 1 };
	struct drm_rbnn_segment segs[4];
	struct drm_rbnn_layer layers[2];
	uint32_t tiles[2], nsegs, rb = self->dev.row_bytes;
	struct drm_rbnn_job_info ji;
	uint64_t sp, sx;
	char path[256];
	struct sel_bo w, in, out;

	if (!(self->dev.caps & (1u << 9)))
		SKIP(return, "card without x-debug=on");
	debugfs_path(path, sizeof(path), "fault");
	if (access(path, W_OK))
		SKIP(return, "no %s", path);

	net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 4, 0, 0, 0);
	net_sizes(&n);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 2, tiles));
	ASSERT_EQ(0, net_load(self->fd, &self->dev, &n, tiles, 2, segs, &nsegs,
			      layers));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &in));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &out));
	/*
	 * net_load()'s PROGRAMs (this file's jobs 1..nsegs) must be done
	 * before the fault is armed, else one of them takes it.
	 */
	ASSERT_EQ(0, sel_job_wait(self->fd, nsegs, &ji, 10000));
	ASSERT_EQ(0, ji.status);

	ASSERT_EQ(0, sel_write_file(path, "2"));
	ASSERT_EQ(0, program(self->fd, segs[0].tile, segs[0].row, 4, &w, 0,
			     NULL, 0, &sp));
	ASSERT_EQ(0, net_exec(self->fd, &n, layers, segs, nsegs, 1, &in, &out,
			      &sx));
	ASSERT_EQ(0, sel_job_wait(self->fd, sx, &ji, 10000));
	EXPECT_EQ(-ECANCELED, ji.status);
	ASSERT_EQ(0, sel_job_wait(self->fd, sp, &ji, 0));
	EXPECT_EQ(-EIO, ji.status);
	EXPECT_EQ(3, ji.hw_status);

	ASSERT_EQ(0, program(self->fd, segs[0].tile, segs[0].row, 4, &w, 0,
			     NULL, 0, NULL));
	ASSERT_EQ(0, net_exec(self->fd, &n, layers, segs, nsegs, 1, &in, &out,
			      &sx));
	ASSERT_EQ(0, sel_job_wait(self->fd, sx, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	net_free(&n);
}

/* Needs x-debug=on: a dropped completion interrupt is found by the watchdog. */
TEST_F(rbnn, lost_irq)
{
	struct drm_rbnn_query_counters c0 = {}, c1 = {};
	uint32_t rb = self->dev.row_bytes, tile;
	struct drm_rbnn_job_info ji;
	char path[256];
	struct sel_bo w;
	uint64_t s;

	if (!(self->dev.caps & (1u << 9)))
		SKIP(return, "card without x-debug=on");
	debugfs_path(path, sizeof(path), "fault");
	if (access(path, W_OK))
		SKIP(return, "no %s", path);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 2 * rb, &w));
	ASSERT_EQ(0, program(self->fd, tile, 0, 1, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c0, sizeof(c0)));
	ASSERT_EQ(0, sel_write_file(path, "4"));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 1, 0, &w, rb, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c1, sizeof(c1)));
	EXPECT_EQ(c0.recoveries, c1.recoveries);
}

TEST_HARNESS_MAIN
