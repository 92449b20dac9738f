// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn micro-benchmarks. Prints numbers (as KTAP diagnostics), never fails:
 *
 *   - round trip of a trivial driver ioctl (QUERY DEVICE) next to the DRM
 *     core's DRM_IOCTL_VERSION;
 *   - submit-to-signal latency of a tiny EXEC (percentiles), waited with
 *     JOB_INFO and with a syncobj;
 *   - jobs/s for small jobs submitted back to back;
 *   - throughput of a large batch (items/s, bit-ops/s);
 *
 * each printed next to the card's modeled device time and energy from
 * JOB_INFO. Under TCG the wall-clock numbers measure the emulation, not a
 * card: the modeled columns are what the card would do.
 *
 * Environment: RBNN_DEVICE, RBNN_BENCH_SCALE (default 1: iteration counts
 * multiplier).
 */
#include <sys/utsname.h>

#include "rbnn_sel.h"

static unsigned int scale = 1;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void pct(const char *what, uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("# %-34s n=%-5u p50 %8.1f us  p90 %8.1f us  p99 %8.1f us  max %8.1f us\n",
	       what, n, v[n / 2] / 1e3, v[n * 9 / 10] / 1e3,
	       v[n * 99 / 100] / 1e3, v[n - 1] / 1e3);
}

static int bench_ioctls(int fd)
{
	unsigned int n = 20000 * scale, i;
	struct drm_rbnn_query_device d;
	struct drm_version v;
	uint64_t t0, tq, tv;

	t0 = sel_now_ns();
	for (i = 0; i < n; i++)
		if (sel_query(fd, DRM_RBNN_QUERY_DEVICE, &d, sizeof(d)))
			return -1;
	tq = sel_now_ns() - t0;
	t0 = sel_now_ns();
	for (i = 0; i < n; i++) {
		memset(&v, 0, sizeof(v));
		if (sel_ioctl(fd, DRM_IOCTL_VERSION, &v))
			return -1;
	}
	tv = sel_now_ns() - t0;
	printf("# ioctl round trip: QUERY(DEVICE) %.2f us, DRM_IOCTL_VERSION %.2f us (n=%u)\n",
	       tq / 1e3 / n, tv / 1e3 / n, n);
	return 0;
}

struct tiny {
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo in, out[8];
};

static int tiny_init(int fd, const struct drm_rbnn_query_device *dev,
		     uint32_t tile, struct tiny *t)
{
	uint32_t i;
	int ret;

	sel_net_init(&t->n, 64, 1, 1);
	sel_net_add(&t->n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 8, 0, 0, 0);
	ret = sel_net_load(fd, dev, &t->n, &tile, 1, 0, 0, &t->pl);
	if (!ret)
		ret = sel_job_status(fd, t->pl.last_prog, 10000);
	if (!ret)
		ret = sel_bo_new(fd, 4096, &t->in);
	for (i = 0; !ret && i < 8; i++)
		ret = sel_bo_new(fd, 4096, &t->out[i]);
	if (!ret)
		sel_fill_random(t->in.map, 4096);
	return ret;
}

static int bench_latency(int fd, struct tiny *t)
{
	unsigned int n = 300 * scale, i;
	uint64_t *lat = calloc(n, sizeof(*lat)), *lat2 = calloc(n, sizeof(*lat2));
	uint64_t mt = 0, me = 0, s, t0;
	struct drm_rbnn_job_info ji;
	struct drm_rbnn_exec x;
	uint32_t so;

	for (i = 0; i < n; i++) {
		t0 = sel_now_ns();
		if (sel_net_exec(fd, &t->n, &t->pl, 1, &t->in, 0, &t->out[0], 0, &s))
			return -1;
		if (sel_job_wait(fd, s, &ji, 10000) || ji.status)
			return -1;
		lat[i] = sel_now_ns() - t0;
		mt += ji.time_ns;
		me += ji.energy_pj;
	}
	pct("tiny EXEC submit->done (JOB_INFO)", lat, n);
	printf("#   modeled device time %.2f us, energy %.1f nJ per job\n",
	       mt / 1e3 / n, me / 1e3 / n);
	if (sel_syncobj_create(fd, 0, &so))
		return -1;
	sel_exec_args(&x, &t->n, &t->pl, 1, t->in.handle, 0, t->out[0].handle, 0);
	x.syncs.out.handle = so;
	for (i = 0; i < n; i++) {
		t0 = sel_now_ns();
		if (sel_ioctl(fd, DRM_IOCTL_RBNN_EXEC, &x))
			return -1;
		if (sel_syncobj_wait(fd, so, 0, 10000))
			return -1;
		lat2[i] = sel_now_ns() - t0;
	}
	pct("tiny EXEC submit->signal (syncobj)", lat2, n);
	free(lat);
	free(lat2);
	return 0;
}

static int bench_rate(int fd, struct tiny *t)
{
	unsigned int n = 2000 * scale, i;
	uint64_t t0, dt, s = 0, mt = 0, first = 0;
	struct drm_rbnn_job_info ji;

	t0 = sel_now_ns();
	for (i = 0; i < n; i++) {
		if (sel_net_exec(fd, &t->n, &t->pl, 4, &t->in, 0, &t->out[i % 8],
				 0, &s))
			return -1;
		if (!first)
			first = s;
	}
	if (sel_job_wait(fd, s, &ji, 60000) || ji.status)
		return -1;
	dt = sel_now_ns() - t0;
	for (i = 0; i < n; i++) {
		if (sel_job_wait(fd, first + i, &ji, 0) || ji.status)
			return -1;
		mt += ji.time_ns;
	}
	printf("# small jobs back to back: %u EXEC (batch 4) in %.1f ms: %.0f jobs/s wall; modeled %.0f jobs/s (%.2f us each)\n",
	       n, dt / 1e6, n / (dt / 1e9), n / (mt / 1e9), mt / 1e3 / n);
	return 0;
}

static int bench_batch(int fd, const struct drm_rbnn_query_device *dev,
		       const uint32_t *tiles)
{
	uint32_t batch = 8192 * scale;
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo in, out;
	struct drm_rbnn_job_info ji;
	uint64_t t0, dt, s, ops;
	int ret;

	if (batch > dev->max_batch)
		batch = dev->max_batch;
	/* 256 -> 64 (BITS) -> 10 (SCORES): an MLP-sized item */
	sel_net_init(&n, 256, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 64, 0, 0, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 10, 0, 0, 0);
	ret = sel_net_load(fd, dev, &n, tiles, 1, 0, 0, &pl);
	if (ret)
		return ret;
	if (sel_bo_new(fd, (uint64_t)batch * n.in_bytes, &in) ||
	    sel_bo_new(fd, (uint64_t)batch * n.out_bytes, &out))
		return -1;
	sel_fill_random(in.map, in.size);
	if (sel_job_status(fd, pl.last_prog, 10000))
		return -1;
	t0 = sel_now_ns();
	if (sel_net_exec(fd, &n, &pl, batch, &in, 0, &out, 0, &s))
		return -1;
	if (sel_job_wait(fd, s, &ji, 120000) || ji.status)
		return -1;
	dt = sel_now_ns() - t0;
	ops = sel_net_bitops(&n) * batch;
	printf("# large batch: %u items of 256-64-10 in %.1f ms wall: %.0f items/s, %.3g bit-ops/s\n",
	       batch, dt / 1e6, batch / (dt / 1e9), ops / (dt / 1e9));
	printf("#   modeled: %.3f ms, %.0f items/s, %.3g bit-ops/s, %.1f nJ/item, %.3g pJ/bit-op\n",
	       ji.time_ns / 1e6, batch / (ji.time_ns / 1e9),
	       ops / (ji.time_ns / 1e9), ji.energy_pj / 1e3 / batch,
	       (double)ji.energy_pj / ops);
	sel_placed_free(&pl);
	sel_net_free(&n);
	return 0;
}

static int bench_program(int fd, const struct drm_rbnn_query_device *dev,
			 uint32_t tile)
{
	struct drm_rbnn_job_info ji;
	struct sel_bo w;
	uint64_t t0, dt, s;

	if (sel_bo_new(fd, (uint64_t)dev->rows * dev->row_bytes, &w))
		return -1;
	sel_fill_random(w.map, w.size);
	t0 = sel_now_ns();
	if (sel_program_ex(fd, tile, 0, dev->rows, DRM_RBNN_PROGRAM_VERIFY, 0,
			   &w, 0, NULL, 0, &s))
		return -1;
	if (sel_job_wait(fd, s, &ji, 60000) || ji.status)
		return -1;
	dt = sel_now_ns() - t0;
	printf("# PROGRAM+verify of a whole tile (%u rows): %.1f ms wall; modeled %.3f ms, %.1f nJ/row, %u pulses\n",
	       dev->rows, dt / 1e6, ji.time_ns / 1e6,
	       ji.energy_pj / 1e3 / dev->rows, ji.hw_detail);
	sel_bo_del(fd, &w);
	return 0;
}

int main(void)
{
	struct drm_rbnn_query_device dev;
	struct drm_rbnn_query_model m;
	struct utsname u;
	struct tiny t;
	uint32_t tiles[3];
	const char *e = getenv("RBNN_BENCH_SCALE");
	time_t now = time(NULL);
	int fd, ret = 0;

	if (e && *e)
		scale = strtoul(e, NULL, 0) ?: 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	uname(&u);
	printf("# rbnn bench, %s# kernel %s %s, machine %s\n", ctime(&now),
	       u.release, u.version, u.machine);
	fd = sel_open(NULL);
	if (fd < 0) {
		printf("ok 1 bench # SKIP cannot open %s\n", sel_dev_path());
		return 0;
	}
	sel_seed(0xbe);
	if (sel_query(fd, DRM_RBNN_QUERY_DEVICE, &dev, sizeof(dev)) ||
	    sel_query(fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)) ||
	    sel_tile_alloc(fd, 3, tiles)) {
		printf("ok 1 bench # SKIP setup failed\n");
		return 0;
	}
	printf("# card: %u tiles of %u x %u, %s, error model %llu, timing %s\n",
	       dev.tiles, dev.rows, dev.cols, dev.cell_mode ? "1T1R" : "2T2R",
	       (unsigned long long)m.error_model,
	       dev.caps & SEL_CAP_TIMING_MODELED ? "modeled" : "instant");
	ret |= bench_ioctls(fd);
	ret |= tiny_init(fd, &dev, tiles[0], &t);
	if (!ret) {
		ret |= bench_latency(fd, &t);
		ret |= bench_rate(fd, &t);
	}
	ret |= bench_batch(fd, &dev, &tiles[1]);
	ret |= bench_program(fd, &dev, tiles[2]);
	if (ret)
		printf("# some measurements failed (%d)\n", ret);
	printf("ok 1 bench\n");
	close(fd);
	return 0;
}
