// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Success paths of every rbnn ioctl, and isolation between files and
 * processes: tiles, buffer-object handles, syncobjs and job sequence
 * numbers of another file are out of reach, and a freed tile shows the next
 * tenant nothing of the previous one (readback and EXEC of rows it has not
 * programmed itself are refused, old thresholds are not used).
 *
 * Tests that need jobs held pending use a vgem fence as a gate (the vgem
 * module must be loaded: run-vm.sh --modules "... vgem"); they skip
 * otherwise. Results are compared with the reference of rbnn_sel.h on a
 * card with error-model=off.
 */
#define _GNU_SOURCE /* setresuid() */
#include <sys/wait.h>
#include <unistd.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

FIXTURE(iso) {
	int fd;
	struct drm_rbnn_query_device dev;
	bool exact;
};

FIXTURE_SETUP(iso)
{
	struct drm_rbnn_query_model m = {};

	sel_seed(0x150 ^ getpid());
	self->fd = sel_open(NULL);
	if (self->fd < 0)
		SKIP(return, "cannot open %s", sel_dev_path());
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &self->dev,
			       sizeof(self->dev)));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	self->exact = m.error_model == 0;
}

FIXTURE_TEARDOWN(iso)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Load @n on @ntiles fresh tiles, run @batch random items through it
 * (input at @in_off, output at @out_off of their BOs) and compare with the
 * reference. Frees the tiles.
 */
static void run_net(struct __test_metadata *_metadata, int fd,
		    const struct drm_rbnn_query_device *dev, bool exact,
		    struct sel_net *n, uint32_t batch, uint32_t ntiles,
		    uint32_t chunk, uint64_t in_off, uint64_t out_off)
{
	struct drm_rbnn_job_info ji;
	struct sel_placed pl;
	struct sel_bo in, out;
	uint32_t tiles[4], i;
	uint64_t seq;

	ASSERT_EQ(0, sel_tile_alloc(fd, ntiles, tiles));
	ASSERT_EQ(0, sel_net_load(fd, dev, n, tiles, ntiles, 0, chunk, &pl));
	ASSERT_EQ(0, sel_bo_new(fd, in_off + batch * n->in_bytes, &in));
	ASSERT_EQ(0, sel_bo_new(fd, out_off + batch * n->out_bytes + 64, &out));
	sel_fill_random(in.map, in.size);
	memset(out.map, 0xee, out.size);
	ASSERT_EQ(0, sel_net_exec(fd, n, &pl, batch, &in, in_off, &out, out_off,
				  &seq));
	ASSERT_EQ(0, sel_job_wait(fd, seq, &ji, 30000));
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, ji.hw_status);
	EXPECT_LT(0, ji.time_ns);
	EXPECT_LT(0, ji.energy_pj);
	/* Every PROGRAM before it succeeded too. */
	for (i = 1; i <= pl.nprog; i++)
		EXPECT_EQ(0, sel_job_status(fd, seq - i, 0));
	if (exact)
		EXPECT_EQ(0, sel_net_check(n, batch, in.map + in_off,
					   out.map + out_off));
	/* Output padding is zero and nothing past the items is written. */
	EXPECT_EQ(0xee, out.map[out_off + batch * n->out_bytes]);
	if (out_off)
		EXPECT_EQ(0xee, out.map[out_off - 1]);
	sel_bo_del(fd, &in);
	sel_bo_del(fd, &out);
	sel_placed_free(&pl);
	for (i = 0; i < ntiles; i++)
		EXPECT_EQ(0, sel_tile_free(fd, tiles[i]));
	sel_net_free(n);
}

/* ---- QUERY ----------------------------------------------------------- */

TEST_F(iso, query_device)
{
	struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_DEVICE, .ptr = 8 };
	struct drm_rbnn_query_device d;
	uint8_t buf[256];

	/* size 0: the size only, the pointer is ignored */
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(d), q.size);
	d = self->dev;
	EXPECT_EQ(0x1af4, d.vendor_id);
	EXPECT_EQ(0x10f0, d.device_id);
	EXPECT_EQ(1, d.hw_version >> 16);
	EXPECT_EQ(0, d.pad[0] | d.pad[1] | d.pad[2]);
	EXPECT_LE(1, d.max_jobs);
	EXPECT_GE(DRM_RBNN_JOB_HISTORY, d.max_jobs);
	EXPECT_EQ(0, d.cols % 64);
	EXPECT_EQ(d.cols / 8, d.row_bytes);
	EXPECT_EQ(DRM_RBNN_MAX_IN_SYNCS, d.max_in_syncs);
	EXPECT_EQ(DRM_RBNN_MAX_SEGMENTS, d.max_segments);
	EXPECT_EQ(DRM_RBNN_JOB_HISTORY, d.job_history);
	EXPECT_EQ(d.tiles, sel_sysfs_u64(sel_dev_path(), "tiles"));
	EXPECT_EQ(d.rows, sel_sysfs_u64(sel_dev_path(), "rows"));
	EXPECT_EQ(d.cols, sel_sysfs_u64(sel_dev_path(), "cols"));
	EXPECT_EQ(d.vendor_id, sel_sysfs_u64(sel_dev_path(), "vendor"));
	EXPECT_EQ(d.device_id, sel_sysfs_u64(sel_dev_path(), "device"));

	/* a larger buffer: the answer, the rest untouched */
	memset(buf, 0xa5, sizeof(buf));
	q.size = sizeof(buf);
	q.ptr = (uintptr_t)buf;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(d), q.size);
	EXPECT_EQ(0, memcmp(buf, &d, sizeof(d)));
	EXPECT_EQ(0xa5, buf[sizeof(d)]);
	EXPECT_EQ(0xa5, buf[sizeof(buf) - 1]);

	/* a smaller one: the first bytes */
	memset(buf, 0xa5, sizeof(buf));
	q.size = 5;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(5, q.size);
	EXPECT_EQ(0, memcmp(buf, &d, 5));
	EXPECT_EQ(0xa5, buf[5]);
}

TEST_F(iso, query_model)
{
	struct drm_rbnn_query_model m;
	struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_MODEL };

	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(m), q.size);
	memset(&m, 0, sizeof(m));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	EXPECT_EQ(!!(self->dev.caps & SEL_CAP_ERROR_MODEL), m.error_model);
	EXPECT_LE(1000, m.prog_current_na);
	EXPECT_GE(1000000, m.prog_current_na);
	EXPECT_LE(10, m.pulse_ns);
	EXPECT_GE(64, m.verify_max);
	EXPECT_LT(0, m.e_read_fj);
	EXPECT_LT(0, m.t_read_ns);
	EXPECT_LE(1, m.wear_accel);
	TH_LOG("model: error %llu I %llu nA pulse %llu ns verify %llu ber %llu ppb read %llu ppb",
	       (unsigned long long)m.error_model,
	       (unsigned long long)m.prog_current_na,
	       (unsigned long long)m.pulse_ns, (unsigned long long)m.verify_max,
	       (unsigned long long)m.expected_ber_ppb,
	       (unsigned long long)m.read_ber_ppb);
}

/*
 * Driver 1.2: QUERY_MODEL reports no simulation knob. The seed and timing
 * switch of the emulator, reported up to 1.1 in reserved0/1, are zero
 * there (whatever the card's seed: sel-uapi.sh's card has seed=11) and
 * are in debugfs sim/ instead, where root reads the card's values.
 */
TEST_F(iso, query_model_no_sim_knobs)
{
	char d[PATH_MAX - 64], p[PATH_MAX], buf[64];
	struct drm_rbnn_query_model m;
	struct drm_version v = {};
	const char *want = getenv("RBNN_SEL_SEED");

	memset(&m, 0xa5, sizeof(m));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	EXPECT_EQ(0, m.reserved0);
	EXPECT_EQ(0, m.reserved1);
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_VERSION, &v));
	EXPECT_EQ(1, v.version_major);
	EXPECT_LE(2, v.version_minor);

	sel_debugfs_dir(sel_dev_path(), d, sizeof(d));
	if (access(d, R_OK))
		SKIP(return, "no debugfs %s (root and debugfs needed)", d);
	snprintf(p, sizeof(p), "%s/sim/timing", d);
	ASSERT_LE(0, sel_read_file(p, buf, sizeof(buf))) TH_LOG("%s", p);
	EXPECT_EQ(!!(self->dev.caps & SEL_CAP_TIMING_MODELED),
		  strtoull(buf, NULL, 0));
	snprintf(p, sizeof(p), "%s/sim/seed", d);
	ASSERT_LE(0, sel_read_file(p, buf, sizeof(buf)));
	if (want)
		EXPECT_EQ(strtoull(want, NULL, 0), strtoull(buf, NULL, 0));
	TH_LOG("debugfs sim: seed %llu, timing %s", strtoull(buf, NULL, 0),
	       self->dev.caps & SEL_CAP_TIMING_MODELED ? "modeled" : "instant");
	/* Read-only: the card's PARAM window cannot set them. */
	EXPECT_NE(0, sel_write_file(p, "5"));
}

static long long hwmon_energy_uj(void)
{
	char d[PATH_MAX - 64], p[PATH_MAX], buf[64];
	struct dirent *de;
	DIR *dir;

	sel_sysfs_dir(sel_dev_path(), d, sizeof(d) - 8);
	strcat(d, "/hwmon");
	dir = opendir(d);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "hwmon", 5))
			continue;
		snprintf(p, sizeof(p), "%s/%s/energy1_input", d, de->d_name);
		closedir(dir);
		if (sel_read_file(p, buf, sizeof(buf)) < 0)
			return -1;
		return strtoll(buf, NULL, 0);
	}
	closedir(dir);
	return -1;
}

TEST_F(iso, query_counters)
{
	struct drm_rbnn_query_counters c0, c1;
	struct drm_rbnn_job_info ji;
	uint32_t tile, rb = self->dev.row_bytes;
	long long e0, e1;
	struct sel_bo w;
	uint64_t s;

	e0 = hwmon_energy_uj();
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 64 * rb, &w));
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 64, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	ASSERT_EQ(0, ji.status);
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.jobs_submitted + 1, c1.jobs_submitted);
	EXPECT_EQ(c0.jobs_completed + 1, c1.jobs_completed);
	EXPECT_EQ(c0.jobs_failed, c1.jobs_failed);
	EXPECT_EQ(c0.commands + 1, c1.commands);
	EXPECT_EQ(c0.energy_pj + ji.energy_pj, c1.energy_pj);
	EXPECT_EQ(c0.busy_ns + ji.time_ns, c1.busy_ns);
	EXPECT_EQ(c0.program_pulses + ji.hw_detail, c1.program_pulses);
	EXPECT_LT(c0.progress, c1.progress);
	EXPECT_EQ(c0.resets, c1.resets);
	EXPECT_EQ(c0.recoveries, c1.recoveries);
	EXPECT_EQ(c1.recoveries, sel_sysfs_u64(sel_dev_path(), "recoveries"));
	EXPECT_EQ(c1.resets, sel_sysfs_u64(sel_dev_path(), "card_resets"));
	e1 = hwmon_energy_uj();
	EXPECT_LE(0, e0);
	EXPECT_LE(e0, e1);
	EXPECT_EQ((long long)(c1.energy_pj / 1000000), e1);
}

TEST_F(iso, query_tiles)
{
	static struct sel_tiles t0, t1;
	uint32_t tile, rb = self->dev.row_bytes, i, nfree;
	struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_TILES };
	struct drm_rbnn_query_model m;
	struct sel_bo w;
	uint64_t s;

	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(struct drm_rbnn_query_tiles) +
		  self->dev.tiles * sizeof(struct drm_rbnn_tile_info), q.size);
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	EXPECT_EQ(self->dev.tiles, t0.hdr.count);
	EXPECT_EQ(sizeof(struct drm_rbnn_tile_info), t0.hdr.stride);
	EXPECT_EQ(0, t0.hdr.reserved);
	for (i = nfree = 0; i < t0.hdr.count; i++) {
		nfree += t0.t[i].state == DRM_RBNN_TILE_STATE_FREE;
		EXPECT_EQ(0, t0.t[i].reserved);
	}
	EXPECT_EQ(nfree, sel_sysfs_u64(sel_dev_path(), "tiles_free"));
	EXPECT_EQ(self->dev.tiles - nfree,
		  sel_sysfs_u64(sel_dev_path(), "tiles_used"));

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 10 * rb, &w));
	ASSERT_EQ(0, sel_program(self->fd, tile, 5, 10, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	EXPECT_EQ(DRM_RBNN_TILE_STATE_MINE, t1.t[tile].state);
	EXPECT_EQ(10, t1.t[tile].rows_programmed);
	EXPECT_EQ(t0.t[tile].cycles_sum + 10 * m.wear_accel, t1.t[tile].cycles_sum);
	EXPECT_LE(m.wear_accel, t1.t[tile].cycles_max);
	EXPECT_EQ(nfree - 1, sel_sysfs_u64(sel_dev_path(), "tiles_free"));
	ASSERT_EQ(0, sel_tile_free(self->fd, tile));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	EXPECT_EQ(DRM_RBNN_TILE_STATE_FREE, t1.t[tile].state);
	EXPECT_EQ(0, t1.t[tile].rows_programmed);
}

/* ---- buffer objects ---------------------------------------------------- */

TEST_F(iso, bo_lifecycle)
{
	static const uint64_t sizes[] = { 1, 4095, 4096, 4097, 1 << 20 };
	struct drm_rbnn_bo_info bi;
	struct sel_bo bo[5];
	uint64_t off[5];
	uint8_t *m2;
	uint32_t i, j;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, sel_bo_new(self->fd, sizes[i], &bo[i]));
		EXPECT_EQ((sizes[i] + 4095) & ~4095ull, bo[i].size);
		for (j = 0; j < bo[i].size; j += 509)
			ASSERT_EQ(0, bo[i].map[j]) TH_LOG("new BO not zeroed");
		bi = (struct drm_rbnn_bo_info){ .handle = bo[i].handle };
		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &bi));
		off[i] = bi.mmap_offset;
		EXPECT_EQ(0, off[i] % 4096);
		for (j = 0; j < i; j++)
			EXPECT_NE(off[j], off[i]);
		/* a stable offset */
		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &bi));
		EXPECT_EQ(off[i], bi.mmap_offset);
		/* idle: a deadline in the past polls and succeeds */
		EXPECT_EQ(0, sel_bo_wait(self->fd, bo[i].handle, 0));
	}
	/*
	 * The largest size, 4 GiB, is over the default cap of BO memory per
	 * file (a quarter of the RAM) on a guest with less than 16 GiB; with
	 * the caps raised it is created (iso.bo_mem_caps).
	 */
	{
		struct drm_rbnn_bo_create c = { .size = 4ull << 30 };
		int ret = sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_CREATE, &c);

		if (sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE) <
		    (16ull << 30) - (64ull << 20))
			EXPECT_EQ(-EDQUOT, ret);
		if (!ret)
			EXPECT_EQ(0, sel_gem_close(self->fd, c.handle));
	}
	/* Two mappings of one BO share the pages. */
	m2 = mmap(NULL, bo[4].size, PROT_READ | PROT_WRITE, MAP_SHARED,
		  self->fd, off[4]);
	ASSERT_NE(MAP_FAILED, m2);
	bo[4].map[12345] = 0x42;
	EXPECT_EQ(0x42, m2[12345]);
	munmap(m2, bo[4].size);
	/* Closing a handle makes it unknown. */
	j = bo[2].handle;
	sel_bo_del(self->fd, &bo[2]);
	bi = (struct drm_rbnn_bo_info){ .handle = j };
	EXPECT_EQ(-ENOENT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &bi));
	EXPECT_EQ(-ENOENT, sel_bo_wait(self->fd, j, 0));
	for (i = 0; i < 5; i++)
		sel_bo_del(self->fd, &bo[i]);
}

TEST_F(iso, bo_wait_covers_jobs)
{
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo in, out;
	struct drm_rbnn_job_info ji;
	uint32_t tile;
	uint64_t seq;

	sel_net_init(&n, 16, 16, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 32, 0, 0, 0);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &n, &tile, 1, 0, 0, &pl));
	ASSERT_EQ(0, sel_bo_new(self->fd, 256 * n.in_bytes, &in));
	ASSERT_EQ(0, sel_bo_new(self->fd, 256 * n.out_bytes, &out));
	sel_fill_random(in.map, in.size);
	ASSERT_EQ(0, sel_net_exec(self->fd, &n, &pl, 256, &in, 0, &out, 0, &seq));
	/* BO_WAIT returns when every job using the BO has finished. */
	ASSERT_EQ(0, sel_bo_wait(self->fd, out.handle, sel_now_ns() + 20000000000ll));
	ASSERT_EQ(0, sel_job_wait(self->fd, seq, &ji, 0));
	EXPECT_EQ(DRM_RBNN_JOB_DONE, ji.state);
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, sel_bo_wait(self->fd, in.handle, 0));
	if (self->exact)
		EXPECT_EQ(0, sel_net_check(&n, 256, in.map, out.map));
	sel_placed_free(&pl);
	sel_net_free(&n);
}

/* ---- tiles ---------------------------------------------------------------- */

TEST_F(iso, tile_alloc_least_worn_first)
{
	static struct sel_tiles t;
	uint32_t rb = self->dev.row_bytes, got, want, i, round;
	struct sel_bo w;
	uint64_t s;

	ASSERT_EQ(0, sel_bo_new(self->fd, 64 * rb, &w));
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
		want = t.hdr.count;
		for (i = 0; i < t.hdr.count; i++) {
			if (t.t[i].state != DRM_RBNN_TILE_STATE_FREE)
				continue;
			if (want == t.hdr.count ||
			    t.t[i].cycles_sum < t.t[want].cycles_sum)
				want = i;
		}
		ASSERT_LT(want, t.hdr.count);
		ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &got));
		EXPECT_EQ(want, got) TH_LOG("round %u: got tile %u (wear %llu), least worn free is %u (wear %llu)",
			round, got, (unsigned long long)t.t[got].cycles_sum,
			want, (unsigned long long)t.t[want].cycles_sum);
		/* Wear it so that the next round picks another tile. */
		ASSERT_EQ(0, sel_program(self->fd, got, 0, 64, &w, 0, NULL, 0, &s));
		ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
		ASSERT_EQ(0, sel_tile_free(self->fd, got));
	}
}

TEST_F(iso, tile_alloc_all_or_nothing)
{
	uint32_t *t = calloc(self->dev.tiles, 4), nfree, extra, i;
	int fd2;

	nfree = sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE);
	ASSERT_LT(0, nfree);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, nfree, t));
	for (i = 0; i < nfree; i++)
		EXPECT_LT(t[i], self->dev.tiles);
	EXPECT_EQ(0, sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE));
	EXPECT_EQ(-ENOSPC, sel_tile_alloc(self->fd, 1, &extra));
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENOSPC, sel_tile_alloc(fd2, 1, &extra));
	EXPECT_EQ(0, sel_tiles_in_state(fd2, DRM_RBNN_TILE_STATE_MINE));
	EXPECT_EQ(nfree, sel_tiles_in_state(fd2, DRM_RBNN_TILE_STATE_OTHER) -
		  (int)(self->dev.tiles - nfree));
	ASSERT_EQ(0, sel_tile_free(self->fd, t[nfree / 2]));
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &extra));
	EXPECT_EQ(t[nfree / 2], extra);
	close(fd2);
	/* closing fd2 freed its tile */
	EXPECT_EQ(1, sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE));
	free(t);
}

/* ---- PROGRAM and READBACK ---------------------------------------------------- */

TEST_F(iso, program_parameters)
{
	static const struct { uint32_t flags, current, pulse, vmax; } v[] = {
		{ 0, 0, 0, 0 },
		{ DRM_RBNN_PROGRAM_VERIFY, 0, 0, 0 },
		{ DRM_RBNN_PROGRAM_VERIFY, 0, 0, 1 },
		{ DRM_RBNN_PROGRAM_VERIFY, 0, 0, 64 },
		{ 0, 1000, 0, 0 },
		{ 0, 1000000, 0, 0 },
		{ 0, 0, 10, 0 },
		{ 0, 0, 10000, 0 },
	};
	struct drm_rbnn_job_info ji[SEL_ARRAY_SIZE(v)];
	uint32_t rb = self->dev.row_bytes, tile, i, nrows = 4;
	struct sel_bo w, thr, out;
	uint64_t seq[SEL_ARRAY_SIZE(v)], s;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096 + nrows * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &thr));
	ASSERT_EQ(0, sel_bo_new(self->fd, nrows * rb * SEL_ARRAY_SIZE(v), &out));
	sel_fill_random(w.map, w.size);
	for (i = 0; i < SEL_ARRAY_SIZE(v); i++) {
		struct drm_rbnn_program p = {
			.tile = tile, .row = i * nrows, .nrows = nrows,
			.flags = v[i].flags, .current_na = v[i].current,
			.pulse_ns = v[i].pulse, .verify_max = v[i].vmax,
			.weights_handle = w.handle, .weights_offset = 100 + 8 * i,
			.thresh_handle = i & 1 ? thr.handle : 0,
			.thresh_offset = i & 1 ? 4 * i : 0,
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_PROGRAM, &p))
			TH_LOG("variant %u", i);
		seq[i] = p.seqno;
		if (i)
			EXPECT_EQ(seq[i - 1] + 1, seq[i]);
	}
	for (i = 0; i < SEL_ARRAY_SIZE(v); i++) {
		ASSERT_EQ(0, sel_job_wait(self->fd, seq[i], &ji[i], 10000));
		EXPECT_EQ(0, ji[i].status);
		EXPECT_TRUE(ji[i].hw_status == SEL_HW_OK ||
			    ji[i].hw_status == SEL_HW_VERIFY);
		EXPECT_LT(0, ji[i].time_ns);
		EXPECT_LT(0, ji[i].energy_pj);
		/* 2T2R: two pulses per cell per pass; bit-exact cells verify at
		 * the first read. */
		if (self->exact && self->dev.cell_mode == 0)
			EXPECT_EQ(2 * self->dev.cols * nrows, ji[i].hw_detail);
		ASSERT_EQ(0, sel_readback(self->fd, tile, i * nrows, nrows, 0, &out,
					  (uint64_t)i * nrows * rb, &s));
	}
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	if (self->exact)
		for (i = 0; i < SEL_ARRAY_SIZE(v); i++)
			EXPECT_EQ(0, memcmp(w.map + 100 + 8 * i,
					    out.map + (size_t)i * nrows * rb,
					    (size_t)nrows * rb))
				TH_LOG("variant %u reads back other data", i);
	/* The current and the pulse width reach the card: a pulse costs
	 * V * I * t. */
	EXPECT_LT(ji[4].energy_pj, ji[5].energy_pj);
	EXPECT_LT(ji[6].energy_pj, ji[7].energy_pj);
	EXPECT_LT(ji[6].time_ns, ji[7].time_ns);
	TH_LOG("PROGRAM 4 rows: 1 uA %llu pJ, 1 mA %llu pJ; 10 ns %llu ns, 10 us %llu ns",
	       (unsigned long long)ji[4].energy_pj, (unsigned long long)ji[5].energy_pj,
	       (unsigned long long)ji[6].time_ns, (unsigned long long)ji[7].time_ns);
}

TEST_F(iso, readback_and_scrub)
{
	static struct sel_tiles t0, t1;
	uint32_t rb = self->dev.row_bytes, tile, nrows = 24;
	struct sel_bo w, out;
	struct drm_rbnn_query_model m;
	uint64_t s1, s2, s3;

	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, nrows * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 3 * nrows * rb + 4096, &out));
	sel_fill_random(w.map, w.size);
	memset(out.map, 0x5a, out.size);
	ASSERT_EQ(0, sel_program(self->fd, tile, self->dev.rows - nrows, nrows,
				 &w, 0, NULL, 0, &s1));
	ASSERT_EQ(0, sel_job_status(self->fd, s1, 10000));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	/* plain, at an odd offset */
	ASSERT_EQ(0, sel_readback(self->fd, tile, self->dev.rows - nrows, nrows,
				  0, &out, 3, &s2));
	/* scrub: refreshed in place (one cycle of wear per row) */
	ASSERT_EQ(0, sel_readback(self->fd, tile, self->dev.rows - nrows, nrows,
				  DRM_RBNN_READBACK_SCRUB, &out,
				  2048 + nrows * rb, &s3));
	EXPECT_EQ(s1 + 1, s2);
	EXPECT_EQ(s2 + 1, s3);
	ASSERT_EQ(0, sel_job_status(self->fd, s2, 10000));
	ASSERT_EQ(0, sel_job_status(self->fd, s3, 10000));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	EXPECT_EQ(t0.t[tile].cycles_sum + nrows * m.wear_accel, t1.t[tile].cycles_sum);
	EXPECT_EQ(nrows, t1.t[tile].rows_programmed);
	EXPECT_EQ(0x5a, out.map[2]);
	EXPECT_EQ(0x5a, out.map[3 + nrows * rb]);
	if (self->exact) {
		EXPECT_EQ(0, memcmp(w.map, out.map + 3, nrows * rb));
		EXPECT_EQ(0, memcmp(w.map, out.map + 2048 + nrows * rb, nrows * rb));
	}
	/* the rows can still be used after a scrub */
	ASSERT_EQ(0, sel_readback(self->fd, tile, self->dev.rows - 1, 1, 0, &out,
				  0, &s1));
	EXPECT_EQ(0, sel_job_status(self->fd, s1, 10000));
}

/*
 * The scrub count fields were appended to QUERY COUNTERS, the tile records
 * and JOB_INFO: programs built with the older, shorter structs still work
 * and get exactly the bytes they know. On an exact card (error model off)
 * a scrub finds no weak cell and the counters do not move.
 */
struct old_job_info {		/* drm_rbnn_job_info before scrub_weak_cells */
	__u64 seqno;
	__s64 timeout_ns;
	__u32 flags;
	__u32 state;
	__s32 status;
	__u32 hw_status;
	__u32 hw_detail;
	__u32 reserved;
	__u64 time_ns;
	__u64 energy_pj;
};

#define OLD_IOCTL_RBNN_JOB_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_RBNN_JOB_INFO, struct old_job_info)

TEST_F(iso, scrub_count_old_sizes)
{
	const uint32_t old_counters = offsetof(struct drm_rbnn_query_counters,
					       scrub_weak_cells);
	static struct sel_tiles t0, t1;
	struct drm_rbnn_query_counters c0, c1;
	struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_COUNTERS };
	struct drm_rbnn_job_info ji;
	struct { struct old_job_info ji; uint8_t canary[16]; } old;
	uint32_t rb = self->dev.row_bytes, tile, nrows = 16;
	struct sel_bo w, out;
	uint8_t buf[sizeof(c0) + 16];
	uint64_t s;

	if (!(self->dev.caps & SEL_CAP_SCRUB_COUNT))
		SKIP(return, "the card does not count weak cells");
	EXPECT_EQ(96, old_counters);
	EXPECT_EQ(56, sizeof(struct old_job_info));
	EXPECT_EQ(offsetof(struct drm_rbnn_job_info, scrub_weak_cells),
		  sizeof(struct old_job_info));

	/* QUERY COUNTERS: full size, and the old size gets the old bytes */
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(sizeof(c0), q.size);
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	EXPECT_NE(~0ull, c0.scrub_weak_cells);
	EXPECT_EQ((long long)c0.scrub_weak_cells,
		  sel_sysfs_u64(sel_dev_path(), "scrub_weak_cells"));
	memset(buf, 0xa5, sizeof(buf));
	q.size = old_counters;
	q.ptr = (uintptr_t)buf;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_QUERY, &q));
	EXPECT_EQ(old_counters, q.size);
	EXPECT_EQ(0, memcmp(buf, &c0, offsetof(struct drm_rbnn_query_counters,
					      energy_pj) + 8));
	EXPECT_EQ(0xa5, buf[old_counters]);

	/* a scrub on the exact card */
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, nrows * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, nrows * rb, &out));
	sel_fill_random(w.map, w.size);
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, nrows, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	ASSERT_LE(offsetof(struct drm_rbnn_tile_info, scrub_weak_cells) + 8,
		  t0.hdr.stride);
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, nrows,
				  DRM_RBNN_READBACK_SCRUB, &out, 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	if (self->exact) {
		EXPECT_EQ(0, ji.scrub_weak_cells);
		EXPECT_EQ(0, memcmp(w.map, out.map, nrows * rb));
	}
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.scrub_weak_cells + ji.scrub_weak_cells,
		  c1.scrub_weak_cells);
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	EXPECT_EQ(t0.t[tile].scrub_weak_cells + ji.scrub_weak_cells,
		  t1.t[tile].scrub_weak_cells);

	/* JOB_INFO with the old struct: its fields, nothing past them */
	memset(&old, 0x5c, sizeof(old));
	memset(&old.ji, 0, sizeof(old.ji));
	old.ji.seqno = s;
	ASSERT_EQ(0, sel_ioctl(self->fd, OLD_IOCTL_RBNN_JOB_INFO, &old.ji));
	EXPECT_EQ(DRM_RBNN_JOB_DONE, old.ji.state);
	EXPECT_EQ(ji.status, old.ji.status);
	EXPECT_EQ(ji.hw_detail, old.ji.hw_detail);
	EXPECT_EQ(ji.time_ns, old.ji.time_ns);
	EXPECT_EQ(ji.energy_pj, old.ji.energy_pj);
	EXPECT_EQ(0x5c, old.canary[0]);
	EXPECT_EQ(0x5c, old.canary[15]);
	/* a plain readback reports no scrub */
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, nrows, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 10000));
	EXPECT_EQ(0, ji.scrub_weak_cells);
	sel_bo_del(self->fd, &w);
	sel_bo_del(self->fd, &out);
	EXPECT_EQ(0, sel_tile_free(self->fd, tile));
}

/* ---- EXEC ---------------------------------------------------------------------- */

TEST_F(iso, exec_fc_multi_block)
{
	struct sel_net n;

	/* fan-in 600: three column blocks on 256-column cards */
	sel_net_init(&n, 20, 30, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 48, 0, 0, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 10, 0, 0, 0);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 17, 1, 0, 0, 0);
}

TEST_F(iso, exec_conv_pool_chain)
{
	struct sel_net n;

	sel_net_init(&n, 3, 40, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 12, 5, 2, 2);
	sel_net_add(&n, DRM_RBNN_LAYER_MAXPOOL1D, DRM_RBNN_OUT_BITS, 0, 3, 1, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 9, 3, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_MAXPOOL1D, DRM_RBNN_OUT_BITS, 0, 2, 2, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_SCORES, 4, 2, 1, 0);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 9, 1, 0, 0, 0);
}

TEST_F(iso, exec_bit_serial_all_widths)
{
	uint32_t bits;

	for (bits = 2; bits <= 8; bits++) {
		struct sel_net n;

		sel_net_init(&n, 3, 12, bits);
		if (bits & 1)
			sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 6, 0, 0, 0);
		else
			sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 7, 3, 1, 1);
		run_net(_metadata, self->fd, &self->dev, self->exact, &n, 5, 1, 0, 0, 0);
	}
}

TEST_F(iso, exec_split_segments_two_tiles)
{
	struct sel_net n;

	/* outputs cut in chunks of 1..7 channels, spread over two tiles */
	sel_net_init(&n, 8, 40, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 200, 0, 0, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 100, 0, 0, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 3, 0, 0, 0);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 6, 3, 7, 0, 0);
}

TEST_F(iso, exec_offsets_and_large_batch)
{
	struct sel_net n;

	sel_net_init(&n, 4, 8, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 5, 3, 1, 1);
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 1000, 1, 0,
		4096 + 8, 13);
}

TEST_F(iso, exec_extreme_thresholds)
{
	struct sel_net n;
	uint32_t o;

	sel_net_init(&n, 1, 64, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 16, 0, 0, 0);
	for (o = 0; o < 16; o++)
		n.layers[0].thr[o] = o & 1 ? INT32_MAX : INT32_MIN;
	run_net(_metadata, self->fd, &self->dev, self->exact, &n, 4, 1, 0, 0, 0);
}

TEST_F(iso, exec_strides_and_shared_bo)
{
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo bo;
	uint32_t tile, i;
	uint8_t lbig[2][sizeof(struct drm_rbnn_layer) + 16];
	uint8_t sbig[4][sizeof(struct drm_rbnn_segment) + 4];
	struct drm_rbnn_exec x;

	sel_net_init(&n, 2, 10, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 6, 3, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 2, 0, 0, 0);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &n, &tile, 1, 0, 0, &pl));
	ASSERT_GE(4, pl.nsegs);
	/* larger strides with zero tails are accepted */
	memset(lbig, 0, sizeof(lbig));
	memset(sbig, 0, sizeof(sbig));
	for (i = 0; i < 2; i++)
		memcpy(lbig[i], &pl.layers[i], sizeof(pl.layers[i]));
	for (i = 0; i < pl.nsegs; i++)
		memcpy(sbig[i], &pl.segs[i], sizeof(pl.segs[i]));
	/* input and output in one BO, not overlapping */
	ASSERT_EQ(0, sel_bo_new(self->fd, 8192, &bo));
	sel_fill_random(bo.map, 4096);
	memset(bo.map + 4096, 0xee, 4096);
	sel_exec_args(&x, &n, &pl, 100, bo.handle, 0, bo.handle, 4096);
	x.layers = (uintptr_t)lbig;
	x.layer_stride = sizeof(lbig[0]);
	x.segments = (uintptr_t)sbig;
	x.seg_stride = sizeof(sbig[0]);
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_EXEC, &x));
	ASSERT_EQ(0, sel_job_status(self->fd, x.seqno, 10000));
	if (self->exact)
		EXPECT_EQ(0, sel_net_check(&n, 100, bo.map, bo.map + 4096));
	sel_placed_free(&pl);
	sel_net_free(&n);
}

TEST_F(iso, exec_implicit_sync_chain)
{
	/* Job 2 reads the BO job 1 writes: implicit synchronisation. */
	struct sel_net a, b;
	struct sel_placed pa, pb;
	struct sel_bo in, mid, out;
	uint32_t tiles[2], batch = 64, i;
	uint64_t s1, s2;
	uint8_t *ref_mid, *ref_out;

	sel_net_init(&a, 8, 16, 1);
	sel_net_add(&a, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 8, 3, 1, 1);
	sel_net_init(&b, 8, 16, 1);
	sel_net_add(&b, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 5, 0, 0, 0);
	ASSERT_EQ(a.out_bytes, b.in_bytes);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 2, tiles));
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &a, &tiles[0], 1, 0, 0, &pa));
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &b, &tiles[1], 1, 0, 0, &pb));
	ASSERT_EQ(0, sel_bo_new(self->fd, batch * a.in_bytes, &in));
	ASSERT_EQ(0, sel_bo_new(self->fd, batch * a.out_bytes, &mid));
	ASSERT_EQ(0, sel_bo_new(self->fd, batch * b.out_bytes, &out));
	sel_fill_random(in.map, in.size);
	memset(mid.map, 0, mid.size);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, sel_net_exec(self->fd, &a, &pa, batch, &in, 0, &mid, 0, &s1));
		ASSERT_EQ(0, sel_net_exec(self->fd, &b, &pb, batch, &mid, 0, &out, 0, &s2));
	}
	ASSERT_EQ(0, sel_job_status(self->fd, s2, 20000));
	ASSERT_EQ(0, sel_job_status(self->fd, s1, 0));
	ref_mid = malloc(batch * a.out_bytes);
	ref_out = malloc(b.out_bytes);
	for (i = 0; i < batch && self->exact; i++) {
		sel_net_ref(&a, in.map + i * a.in_bytes, ref_mid + i * a.out_bytes);
		sel_net_ref(&b, ref_mid + i * a.out_bytes, ref_out);
		EXPECT_EQ(0, memcmp(ref_out, out.map + i * b.out_bytes, b.out_bytes))
			TH_LOG("item %u", i);
	}
	free(ref_mid);
	free(ref_out);
	sel_placed_free(&pa);
	sel_placed_free(&pb);
	sel_net_free(&a);
	sel_net_free(&b);
}

/* ---- syncobjs and job results ----------------------------------------------- */

TEST_F(iso, syncobj_binary_and_timeline)
{
	uint32_t rb = self->dev.row_bytes, tile, sb, tl, ssig, i;
	struct drm_rbnn_sync in[DRM_RBNN_MAX_IN_SYNCS];
	struct drm_rbnn_job_info ja, jb;
	struct sel_bo w, out;
	uint64_t sa, sbq;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &sb));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &tl));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &ssig));
	sel_fill_random(w.map, w.size);

	/* A: PROGRAM, out binary syncobj, in a signalled syncobj */
	{
		struct drm_rbnn_sync s0 = { .handle = ssig };
		struct drm_rbnn_program p = {
			.tile = tile, .nrows = 8, .weights_handle = w.handle,
			.syncs = { .in_syncs = (uintptr_t)&s0, .in_count = 1,
				   .in_stride = sizeof(s0), .out = { .handle = sb } },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_PROGRAM, &p));
		sa = p.seqno;
	}
	/* B: READBACK after A (64 in-syncs, the maximum, all on A's
	 * syncobj and the timeline's point... A's fence twice is fine),
	 * out on timeline point 5 */
	for (i = 0; i < DRM_RBNN_MAX_IN_SYNCS; i++)
		in[i] = (struct drm_rbnn_sync){ .handle = i & 1 ? ssig : sb };
	{
		struct drm_rbnn_readback r = {
			.tile = tile, .nrows = 8, .handle = out.handle,
			.syncs = { .in_syncs = (uintptr_t)in,
				   .in_count = DRM_RBNN_MAX_IN_SYNCS,
				   .in_stride = sizeof(in[0]),
				   .out = { .handle = tl, .point = 5 } },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
		sbq = r.seqno;
	}
	ASSERT_EQ(0, sel_syncobj_wait(self->fd, tl, 5, 20000));
	ASSERT_EQ(0, sel_syncobj_wait(self->fd, sb, 0, 0));
	ASSERT_EQ(0, sel_job_wait(self->fd, sa, &ja, 0));
	ASSERT_EQ(0, sel_job_wait(self->fd, sbq, &jb, 0));
	EXPECT_EQ(0, ja.status);
	EXPECT_EQ(0, jb.status);
	if (self->exact)
		EXPECT_EQ(0, memcmp(w.map, out.map, 8 * rb));

	/* C: waits on timeline point 5 (present now), with a larger in_stride
	 * whose tail is zero; out on point 7 */
	{
		uint64_t s[3] = { tl, 5, 0 };
		struct drm_rbnn_readback r = {
			.tile = tile, .nrows = 1, .handle = out.handle,
			.syncs = { .in_syncs = (uintptr_t)s, .in_count = 1,
				   .in_stride = sizeof(s),
				   .out = { .handle = tl, .point = 7 } },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
		ASSERT_EQ(0, sel_syncobj_wait(self->fd, tl, 7, 20000));
		EXPECT_EQ(0, sel_job_status(self->fd, r.seqno, 0));
	}
	/* the last point reported by the timeline */
	{
		uint64_t pt = 0;
		struct drm_syncobj_timeline_array a = {
			.handles = (uintptr_t)&tl, .points = (uintptr_t)&pt,
			.count_handles = 1,
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_QUERY, &a));
		EXPECT_EQ(7, pt);
	}
}

TEST_F(iso, job_info_semantics)
{
	uint32_t rb = self->dev.row_bytes, tile, i;
	struct drm_rbnn_job_info ji;
	struct sel_bo w;
	uint64_t s, first = 0;
	int fd2;

	/* a new file numbers its jobs from 1 */
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(fd2, 4 * rb, &w));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, sel_program(fd2, tile, i, 1, &w, 0, NULL, 0, &s));
		if (!i)
			first = s;
		EXPECT_EQ(first + i, s);
	}
	EXPECT_EQ(1, first);
	ASSERT_EQ(0, sel_job_wait(fd2, s, &ji, 10000));
	EXPECT_EQ(s, ji.seqno);
	EXPECT_EQ(DRM_RBNN_JOB_DONE, ji.state);
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, ji.reserved);
	/* polling (timeout 0) a finished job, and a deadline in the past */
	memset(&ji, 0, sizeof(ji));
	ji.seqno = 1;
	ji.timeout_ns = 1;
	ASSERT_EQ(0, sel_ioctl(fd2, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	EXPECT_EQ(DRM_RBNN_JOB_DONE, ji.state);
	EXPECT_LT(0, ji.time_ns);
	close(fd2);
}

TEST_F(iso, fdinfo_engine_time)
{
	char path[64], buf[4096], *p;
	uint32_t rb = self->dev.row_bytes, tile;
	unsigned long long ns = 0;
	struct sel_bo w;
	uint64_t s;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 16 * rb, &w));
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 16, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
	ASSERT_LT(0, sel_read_file(path, buf, sizeof(buf)));
	p = strstr(buf, "drm-engine-rbnn:");
	ASSERT_NE(NULL, p) TH_LOG("fdinfo: %s", buf);
	ns = strtoull(p + strlen("drm-engine-rbnn:"), NULL, 10);
	EXPECT_LT(0, ns);
	EXPECT_NE(NULL, strstr(buf, "drm-driver:\trbnn"));
}

/* ---- isolation between files ---------------------------------------------------- */

TEST_F(iso, isolation_tiles_between_files)
{
	static struct sel_tiles t1, t2;
	uint32_t rb = self->dev.row_bytes, mine[2], theirs;
	struct sel_bo w, w2;
	uint64_t s;
	int fd2;

	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 2, mine));
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &theirs));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(fd2, 8 * rb, &w2));
	ASSERT_EQ(0, sel_program(self->fd, mine[0], 0, 8, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	ASSERT_EQ(0, sel_query_tiles(fd2, &t2));
	EXPECT_EQ(DRM_RBNN_TILE_STATE_MINE, t1.t[mine[0]].state);
	EXPECT_EQ(8, t1.t[mine[0]].rows_programmed);
	EXPECT_EQ(DRM_RBNN_TILE_STATE_OTHER, t1.t[theirs].state);
	EXPECT_EQ(DRM_RBNN_TILE_STATE_OTHER, t2.t[mine[0]].state);
	EXPECT_EQ(0, t2.t[mine[0]].rows_programmed);
	EXPECT_EQ(DRM_RBNN_TILE_STATE_MINE, t2.t[theirs].state);
	/* fd2 cannot touch fd's tiles, nor fd fd2's */
	EXPECT_EQ(-EACCES, sel_tile_free(fd2, mine[0]));
	EXPECT_EQ(-EACCES, sel_program(fd2, mine[1], 0, 1, &w2, 0, NULL, 0, NULL));
	EXPECT_EQ(-EACCES, sel_readback(fd2, mine[0], 0, 1, 0, &w2, 0, NULL));
	EXPECT_EQ(-EACCES, sel_program(self->fd, theirs, 0, 1, &w, 0, NULL, 0, NULL));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t2));
	EXPECT_EQ(0, memcmp(&t1, &t2, sizeof(t1)));
	close(fd2);
}

TEST_F(iso, isolation_handles_between_files)
{
	struct drm_rbnn_bo_info bi;
	struct sel_bo bo;
	uint32_t sobj;
	void *m;
	int fd2;

	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &bo));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sobj));
	bi = (struct drm_rbnn_bo_info){ .handle = bo.handle };
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &bi));
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	/* a fresh file has no handle at all */
	EXPECT_EQ(-ENOENT, sel_ioctl(fd2, DRM_IOCTL_RBNN_BO_INFO, &bi));
	EXPECT_EQ(-ENOENT, sel_bo_wait(fd2, bo.handle, 0));
	EXPECT_NE(0, sel_gem_close(fd2, bo.handle));
	/* nor can it map fd's object through its own file */
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd2, bi.mmap_offset);
	EXPECT_EQ(MAP_FAILED, m);
	if (m != MAP_FAILED)
		munmap(m, 4096);
	/* syncobjs */
	{
		struct drm_syncobj_wait w = { .handles = (uintptr_t)&sobj,
					      .count_handles = 1 };

		EXPECT_EQ(-ENOENT, sel_ioctl(fd2, DRM_IOCTL_SYNCOBJ_WAIT, &w));
		EXPECT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w));
	}
	/* the BO is still fine in its own file */
	bi.handle = bo.handle;
	EXPECT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_BO_INFO, &bi));
	close(fd2);
}

TEST_F(iso, isolation_seqnos_between_files)
{
	uint32_t rb = self->dev.row_bytes, t1, t2, i;
	struct drm_rbnn_job_info j1, j2;
	struct sel_bo w1, w2;
	uint64_t s1 = 0, s2 = 0;
	int fd2;

	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &t1));
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &t2));
	ASSERT_EQ(0, sel_bo_new(self->fd, 64 * rb, &w1));
	ASSERT_EQ(0, sel_bo_new(fd2, rb, &w2));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, sel_program(self->fd, t1, 0, 64, &w1, 0, NULL, 0, &s1));
	ASSERT_EQ(0, sel_program(fd2, t2, 0, 1, &w2, 0, NULL, 0, &s2));
	EXPECT_EQ(1, s2);
	ASSERT_EQ(0, sel_job_wait(self->fd, s1, &j1, 10000));
	/* fd2 does not know fd's seqno s1 (> its last) */
	memset(&j2, 0, sizeof(j2));
	j2.seqno = s1;
	EXPECT_EQ(-EINVAL, sel_ioctl(fd2, DRM_IOCTL_RBNN_JOB_INFO, &j2));
	/* the same number names each file's own job */
	ASSERT_EQ(0, sel_job_wait(fd2, 1, &j2, 10000));
	ASSERT_EQ(0, sel_job_wait(self->fd, 1, &j1, 10000));
	if (self->dev.cell_mode == 0)
		EXPECT_EQ(2 * self->dev.cols * 1, j2.hw_detail);
	EXPECT_NE(j1.energy_pj, j2.energy_pj);
	close(fd2);
}

/*
 * The previous tenant programmed every row of a tile (weights and
 * thresholds) and freed it. The next tenant sees no programmed row, cannot
 * read or compute with any of them, and once it programs rows (without
 * thresholds) the old thresholds are still not usable.
 */
TEST_F(iso, isolation_freed_tile_holds_nothing)
{
	static struct sel_tiles t;
	uint32_t rb = self->dev.row_bytes, rows = self->dev.rows, tile, got[SEL_MAX_TILES];
	uint32_t nfree, i, victim = 0;
	struct sel_bo w, thr, w2, thr2, out, in;
	struct sel_net n;
	struct sel_placed pl;
	uint64_t s;
	int fd2;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, (uint64_t)rows * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4ull * rows, &thr));
	memset(w.map, 0xff, w.size);			/* all +1 */
	for (i = 0; i < rows; i++)
		((int32_t *)thr.map)[i] = INT32_MIN;	/* always 1 */
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, rows, &w, 0, &thr, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	ASSERT_EQ(0, sel_tile_free(self->fd, tile));

	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	/* take every free tile, so that fd2 surely gets that one */
	nfree = sel_tiles_in_state(fd2, DRM_RBNN_TILE_STATE_FREE);
	ASSERT_EQ(0, sel_tile_alloc(fd2, nfree, got));
	for (i = 0; i < nfree; i++)
		victim |= got[i] == tile;
	ASSERT_TRUE(victim);
	ASSERT_EQ(0, sel_query_tiles(fd2, &t));
	EXPECT_EQ(DRM_RBNN_TILE_STATE_MINE, t.t[tile].state);
	EXPECT_EQ(0, t.t[tile].rows_programmed);
	ASSERT_EQ(0, sel_bo_new(fd2, (uint64_t)rows * rb, &out));
	for (i = 0; i < rows; i += 17) {
		EXPECT_EQ(-EACCES, sel_readback(fd2, tile, i, 1, 0, &out, 0, NULL));
		EXPECT_EQ(-EACCES, sel_readback(fd2, tile, i, 1,
						DRM_RBNN_READBACK_SCRUB, &out, 0, NULL));
	}
	EXPECT_EQ(-EACCES, sel_readback(fd2, tile, 0, rows, 0, &out, 0, NULL));

	/* EXEC over the old rows: refused */
	sel_net_init(&n, 1, 64, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 8, 0, 0, 0);
	memset(&pl, 0, sizeof(pl));
	memcpy(pl.layers, &n.layers[0].l, sizeof(pl.layers[0]));
	pl.layers[0].seg_count = 1;
	pl.segs = calloc(1, sizeof(*pl.segs));
	pl.segs[0] = (struct drm_rbnn_segment){ .tile = tile, .row = 0,
						.out_count = 8 };
	pl.nsegs = 1;
	ASSERT_EQ(0, sel_bo_new(fd2, 4096, &in));
	EXPECT_EQ(-EACCES, sel_net_exec(fd2, &n, &pl, 1, &in, 0, &out, 0, NULL));

	/* programmed without thresholds: a BITS layer is still refused (the
	 * thresholds in the card are the old tenant's) ... */
	ASSERT_EQ(0, sel_bo_new(fd2, 8 * rb, &w2));
	memset(w2.map, 0x0f, w2.size);
	ASSERT_EQ(0, sel_program(fd2, tile, 0, 8, &w2, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(fd2, s, 10000));
	EXPECT_EQ(-EACCES, sel_net_exec(fd2, &n, &pl, 1, &in, 0, &out, 0, NULL));
	/* ... while SCORES, which use no threshold, run */
	pl.layers[0].out_mode = DRM_RBNN_OUT_SCORES;
	n.layers[0].l.out_mode = DRM_RBNN_OUT_SCORES;
	sel_net_sizes(&n);
	ASSERT_EQ(0, sel_net_exec(fd2, &n, &pl, 1, &in, 0, &out, 0, &s));
	EXPECT_EQ(0, sel_job_status(fd2, s, 10000));
	/* readback shows fd2's data, not the old 0xff */
	ASSERT_EQ(0, sel_readback(fd2, tile, 0, 8, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_status(fd2, s, 10000));
	if (self->exact)
		EXPECT_EQ(0, memcmp(out.map, w2.map, 8 * rb));
	/* with its own thresholds (INT32_MAX: always 0) the BITS layer runs
	 * and uses them */
	ASSERT_EQ(0, sel_bo_new(fd2, 32, &thr2));
	for (i = 0; i < 8; i++)
		((int32_t *)thr2.map)[i] = INT32_MAX;
	ASSERT_EQ(0, sel_program(fd2, tile, 0, 8, &w2, 0, &thr2, 0, &s));
	pl.layers[0].out_mode = DRM_RBNN_OUT_BITS;
	n.layers[0].l.out_mode = DRM_RBNN_OUT_BITS;
	sel_net_sizes(&n);
	memset(out.map, 0xff, 8);
	sel_fill_random(in.map, 8);
	ASSERT_EQ(0, sel_net_exec(fd2, &n, &pl, 1, &in, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_status(fd2, s, 10000));
	if (self->exact)
		EXPECT_EQ(0, out.map[0]) TH_LOG("outputs %02x: old thresholds used?",
						out.map[0]);
	free(pl.segs);
	sel_net_free(&n);
	close(fd2);
}

/* Processes: another process's tiles are OTHER; they are freed when it
 * exits; an inherited file descriptor is the same file (same tiles). */
TEST_F(iso, isolation_between_processes)
{
	uint32_t rb = self->dev.row_bytes, tile, child_tile;
	int pfd[2], back[2], st;
	pid_t pid;
	struct sel_bo w;
	uint64_t s;
	char c;

	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * rb, &w));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(back));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd2 = sel_open(NULL), ok = 1;
		struct sel_bo w2;

		/* own file: parent's tile is not ours */
		ok &= fd2 >= 0;
		ok &= sel_tile_alloc(fd2, 1, &child_tile) == 0;
		ok &= sel_bo_new(fd2, 4 * rb, &w2) == 0;
		ok &= sel_program(fd2, tile, 0, 1, &w2, 0, NULL, 0, NULL) == -EACCES;
		ok &= sel_program(fd2, child_tile, 0, 1, &w2, 0, NULL, 0, &s) == 0;
		ok &= sel_job_status(fd2, s, 10000) == 0;
		/* inherited fd: the parent's file, the parent's tile */
		ok &= sel_program(self->fd, tile, 1, 1, &w, 0, NULL, 0, &s) == 0;
		ok &= sel_job_status(self->fd, s, 10000) == 0;
		if (write(pfd[1], &child_tile, 4) != 4)
			ok = 0;
		/* wait for the parent's look */
		if (read(back[0], &c, 1) != 1)
			ok = 0;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(4, read(pfd[0], &child_tile, 4));
	{
		static struct sel_tiles t;

		ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
		EXPECT_EQ(DRM_RBNN_TILE_STATE_OTHER, t.t[child_tile].state);
		EXPECT_EQ(DRM_RBNN_TILE_STATE_MINE, t.t[tile].state);
		/* the child's PROGRAM through the shared file counts here */
		EXPECT_EQ(1, t.t[tile].rows_programmed);
	}
	EXPECT_EQ(-EACCES, sel_tile_free(self->fd, child_tile));
	ASSERT_EQ(1, write(back[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the child's file is closed: its tile is free again */
	{
		static struct sel_tiles t;
		int i;

		for (i = 0; i < 100; i++) {
			ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
			if (t.t[child_tile].state == DRM_RBNN_TILE_STATE_FREE)
				break;
			usleep(10000);
		}
		EXPECT_EQ(DRM_RBNN_TILE_STATE_FREE, t.t[child_tile].state);
	}
}

/* ---- jobs held pending (vgem gate) ----------------------------------------------- */

TEST_F(iso, pending_jobs_gate)
{
	static struct sel_tiles t;
	uint32_t rb = self->dev.row_bytes, tile, other;
	struct drm_rbnn_job_info ji;
	struct sel_gate g;
	struct sel_bo w, out;
	uint64_t s1, s2, t0;
	int ret;

	ret = sel_gate_init(self->fd, &g);
	if (ret)
		SKIP(return, "no vgem gate (%d): load vgem for this test", ret);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	sel_fill_random(w.map, w.size);
	{
		struct drm_rbnn_sync in = { .handle = g.syncobj };
		struct drm_rbnn_program p = {
			.tile = tile, .nrows = 8, .weights_handle = w.handle,
			.syncs = { .in_syncs = (uintptr_t)&in, .in_count = 1,
				   .in_stride = sizeof(in) },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_PROGRAM, &p));
		s1 = p.seqno;
	}
	/* READBACK of rows whose PROGRAM is still pending is accepted */
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 8, 0, &out, 0, &s2));
	/* pending: poll, deadline, BO_WAIT */
	ASSERT_EQ(-ETIMEDOUT, sel_job_wait(self->fd, s1, &ji, 0));
	EXPECT_EQ(DRM_RBNN_JOB_PENDING, ji.state);
	t0 = sel_now_ns();
	ASSERT_EQ(-ETIMEDOUT, sel_job_wait(self->fd, s2, &ji, 200));
	EXPECT_LE(150000000ull, sel_now_ns() - t0);
	EXPECT_EQ(-ETIMEDOUT, sel_bo_wait(self->fd, w.handle, 0));
	EXPECT_EQ(-ETIMEDOUT, sel_bo_wait(self->fd, out.handle,
					  sel_now_ns() + 50000000));
	/* freeing a tile with jobs in flight: it is released afterwards */
	ASSERT_EQ(0, sel_tile_free(self->fd, tile));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
	EXPECT_EQ(DRM_RBNN_TILE_STATE_OTHER, t.t[tile].state);
	EXPECT_EQ(-EACCES, sel_tile_free(self->fd, tile));
	EXPECT_EQ(-EACCES, sel_readback(self->fd, tile, 0, 1, 0, &out, 0, NULL));
	/* and it is not given to anyone meanwhile */
	{
		int n = sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE), i;
		uint32_t *all = calloc(n + 1, 4);

		if (n > 0) {
			ASSERT_EQ(0, sel_tile_alloc(self->fd, n, all));
			for (i = 0; i < n; i++)
				EXPECT_NE(tile, all[i]);
			for (i = 0; i < n; i++)
				sel_tile_free(self->fd, all[i]);
		}
		EXPECT_EQ(-ENOSPC, sel_tile_alloc(self->fd, n + 1, all));
		free(all);
		other = n;
	}
	ASSERT_EQ(0, sel_gate_release(&g));
	ASSERT_EQ(0, sel_job_wait(self->fd, s2, &ji, 10000));
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, sel_job_status(self->fd, s1, 0));
	if (self->exact)
		EXPECT_EQ(0, memcmp(w.map, out.map, 8 * rb));
	EXPECT_EQ(0, sel_bo_wait(self->fd, out.handle, 0));
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
	EXPECT_EQ(DRM_RBNN_TILE_STATE_FREE, t.t[tile].state);
	EXPECT_EQ(other + 1, sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE));
	sel_gate_fini(&g);
}

/* A module parameter (root; restored by the caller), or -errno. */
static int param_set(const char *name, const char *val, char *old, size_t len)
{
	char p[128];
	int ret;

	snprintf(p, sizeof(p), "/sys/module/rbnn/parameters/%s", name);
	if (old) {
		ret = sel_read_file(p, old, len);
		if (ret < 0)
			return ret;
		old[strcspn(old, "\n")] = 0;
	}
	return sel_write_file(p, val);
}

/* Gated READBACKs until one is refused: how many were accepted. */
static uint32_t fill_gated(int fd, uint32_t tile, const struct sel_bo *out,
			   uint32_t gate, uint32_t max, int *err, uint64_t *last)
{
	struct drm_rbnn_sync in = { .handle = gate };
	struct drm_rbnn_readback r = {
		.tile = tile, .nrows = 1, .handle = out->handle,
		.syncs = { .in_syncs = (uintptr_t)&in, .in_count = 1,
			   .in_stride = sizeof(in) },
	};
	uint32_t i;

	*err = 0;
	for (i = 0; i < max; i++) {
		*err = sel_ioctl(fd, DRM_IOCTL_RBNN_READBACK, &r);
		if (*err)
			break;
		*last = r.seqno;
	}
	return i;
}

/* max_jobs jobs in flight at most (-EBUSY), and only the last
 * DRM_RBNN_JOB_HISTORY results are kept (-ENOENT for older ones). */
TEST_F_TIMEOUT(iso, job_history_and_busy, 120)
{
	uint32_t rb = self->dev.row_bytes, tile, n, lim = self->dev.max_jobs;
	struct drm_rbnn_query_device d = {};
	char old[32] = "";
	struct drm_rbnn_job_info ji;
	struct drm_rbnn_readback r;
	struct sel_gate g;
	struct sel_bo w, out;
	uint64_t first = 0, s = 0, t0;
	int ret;

	ret = sel_gate_init(self->fd, &g);
	if (ret)
		SKIP(return, "no vgem gate (%d): load vgem for this test", ret);
	/*
	 * vgem signals the gate by itself after 10 s, and 4096 submissions
	 * take longer than that on a debug kernel: as root, test the limit
	 * at 512 (the history itself: rbnn_smoke's job_history).
	 */
	if (!param_set("max_jobs", "512", old, sizeof(old))) {
		ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &d,
				       sizeof(d)));
		lim = d.max_jobs;
		ASSERT_EQ(512, lim);
	}
	ASSERT_LE(1, lim);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, rb, &out));
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 1, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	first = s;
	n = fill_gated(self->fd, tile, &out, g.syncobj, lim + 1, &ret, &s);
	/* one more than max_jobs: too many in flight */
	EXPECT_EQ(lim, n);
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_EQ(first + lim, s);
	/* all of them are pending; the PROGRAM fell out of the history only
	 * when max_jobs is the whole history */
	EXPECT_EQ(-ETIMEDOUT, sel_job_wait(self->fd, first + 1, &ji, 0));
	/* deadlines far in the past poll, as a deadline just passed does,
	 * in BO_WAIT and JOB_INFO alike (not a wait of centuries) */
	t0 = sel_now_ns();
	EXPECT_EQ(-ETIMEDOUT, sel_bo_wait(self->fd, out.handle, INT64_MIN));
	EXPECT_EQ(-ETIMEDOUT, sel_bo_wait(self->fd, out.handle, -1));
	memset(&ji, 0, sizeof(ji));
	ji.seqno = first + 1;
	ji.timeout_ns = INT64_MIN;
	EXPECT_EQ(-ETIMEDOUT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	EXPECT_EQ(DRM_RBNN_JOB_PENDING, ji.state);
	ji.timeout_ns = 1;
	EXPECT_EQ(-ETIMEDOUT, sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	EXPECT_GT(2000000000ull, sel_now_ns() - t0);
	memset(&ji, 0, sizeof(ji));
	ji.seqno = first;
	EXPECT_EQ(lim == DRM_RBNN_JOB_HISTORY ? -ENOENT : 0,
		  sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	ASSERT_EQ(0, sel_gate_release(&g));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 60000));
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, sel_job_status(self->fd, first + 1, 0));
	/* room again */
	r = (struct drm_rbnn_readback){ .tile = tile, .nrows = 1,
					 .handle = out.handle };
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
	EXPECT_EQ(s + 1, r.seqno);
	EXPECT_EQ(0, sel_job_status(self->fd, r.seqno, 10000));
	if (old[0])
		EXPECT_EQ(0, param_set("max_jobs", old, NULL, 0));
	sel_gate_fini(&g);
}

/*
 * The administrator's bounds on what one file holds: max_jobs (read back
 * by QUERY_DEVICE) and file_job_mem_kib (EXEC layer programs and row
 * ranges), both -EBUSY until earlier jobs end, and per file: another file
 * is not refused.
 */
static int bo_create(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_rbnn_bo_create c = { .size = size };
	int ret = sel_ioctl(fd, DRM_IOCTL_RBNN_BO_CREATE, &c);

	*handle = ret ? 0 : c.handle;
	return ret;
}

/*
 * Driver 1.2: the memory of the BOs a file created is capped per file
 * (file_bo_mem_kib) and per card (dev_bo_mem_kib), -EDQUOT beyond; a BO's
 * charge goes back when the BO is freed, also when it outlived its file
 * as a dma-buf. Without the caps, BO_CREATE succeeds up to 4 GiB each and
 * a job naming one pins all of it.
 */
TEST(bo_mem_caps)
{
	char old_file[32], old_dev[32];
	struct drm_prime_handle ph = { .flags = DRM_CLOEXEC };
	struct drm_rbnn_bo_info bi = {};
	uint32_t h[4], h2, h3;
	int fd = sel_open(NULL), fd2, fd3;
	long long mem;

	if (fd < 0)
		SKIP(return, "cannot open %s", sel_dev_path());
	if (param_set("file_bo_mem_kib", "1024", old_file, sizeof(old_file))) {
		struct drm_version v = {};

		/* Only a driver before 1.2, or a user who may not set it. */
		ASSERT_EQ(0, sel_ioctl(fd, DRM_IOCTL_VERSION, &v));
		ASSERT_TRUE((v.version_major == 1 && v.version_minor < 2) ||
			    geteuid() != 0)
			TH_LOG("driver %d.%d run as root without file_bo_mem_kib",
			       v.version_major, v.version_minor);
		SKIP(return, "no rbnn file_bo_mem_kib parameter (driver < 1.2, or not root)");
	}
	ASSERT_EQ(0, param_set("dev_bo_mem_kib", "1280", old_dev,
			       sizeof(old_dev)));
	mem = sel_debugfs_field(sel_dev_path(), "status", "bo_mem");
	if (mem >= 0)	/* root with debugfs: nothing else holds BOs */
		EXPECT_EQ(0, mem);
	/* per file: 1 MiB; sizes are charged rounded up to pages */
	EXPECT_EQ(0, bo_create(fd, 512 << 10, &h[0]));
	EXPECT_EQ(0, bo_create(fd, (512 << 10) - 4096 - 1, &h[1]));
	EXPECT_EQ(0, bo_create(fd, 1, &h[2]));
	EXPECT_EQ(-EDQUOT, bo_create(fd, 1, &h[3]));
	EXPECT_EQ(0, sel_gem_close(fd, h[2]));
	EXPECT_EQ(0, bo_create(fd, 4096, &h[2]));
	EXPECT_EQ(-EDQUOT, bo_create(fd, 4096, &h[3]));
	/* per card: 1.25 MiB for all files */
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, bo_create(fd2, 256 << 10, &h2));
	EXPECT_EQ(-EDQUOT, bo_create(fd2, 4096, &h3));
	/* a BO exported as a dma-buf stays charged after its file closed */
	ph.handle = h[0];
	ASSERT_EQ(0, sel_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph));
	close(fd);
	EXPECT_EQ(0, bo_create(fd2, 512 << 10, &h3));	/* h[1], h[2] freed */
	EXPECT_EQ(-EDQUOT, bo_create(fd2, 4096, &h3));	/* h[0] is not */
	close(ph.fd);
	EXPECT_EQ(0, bo_create(fd2, 4096, &h3));
	EXPECT_EQ(0, sel_gem_close(fd2, h3));
	close(fd2);
	mem = sel_debugfs_field(sel_dev_path(), "status", "bo_mem");
	if (mem >= 0)
		EXPECT_EQ(0, mem);
	/* raised caps: the largest size the uAPI allows, 4 GiB (shmem,
	 * nothing allocated until used) */
	ASSERT_EQ(0, param_set("file_bo_mem_kib", "4194304", NULL, 0));
	ASSERT_EQ(0, param_set("dev_bo_mem_kib", "4194304", NULL, 0));
	fd3 = sel_open(NULL);
	ASSERT_LE(0, fd3);
	EXPECT_EQ(0, bo_create(fd3, 4ull << 30, &h3));
	bi.handle = h3;
	EXPECT_EQ(0, sel_ioctl(fd3, DRM_IOCTL_RBNN_BO_INFO, &bi));
	EXPECT_EQ(4ull << 30, bi.size);
	EXPECT_EQ(-EDQUOT, bo_create(fd3, 1, &h[3]));
	close(fd3);
	mem = sel_debugfs_field(sel_dev_path(), "status", "bo_mem");
	if (mem >= 0)
		EXPECT_EQ(0, mem);
	EXPECT_EQ(0, param_set("file_bo_mem_kib", old_file, NULL, 0));
	EXPECT_EQ(0, param_set("dev_bo_mem_kib", old_dev, NULL, 0));
}

TEST_F_TIMEOUT(iso, job_caps, 120)
{
	char old_jobs[32], old_mem[32];
	struct drm_rbnn_query_device d2 = {};
	struct drm_rbnn_sync in;
	struct drm_rbnn_job_info ji;
	struct drm_rbnn_exec x;
	struct sel_net n;
	struct sel_placed pl = {};
	struct sel_bo w, out, xin, xout;
	struct sel_gate g;
	uint32_t rb = self->dev.row_bytes, tile[2], i, ok;
	uint64_t s = 0, first;
	int ret, fd2;

	ret = sel_gate_init(self->fd, &g);
	if (ret)
		SKIP(return, "no vgem gate (%d): load vgem for this test", ret);
	if (param_set("max_jobs", "5", old_jobs, sizeof(old_jobs)))
		SKIP(return, "cannot set rbnn's max_jobs (not root?)");
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &d2, sizeof(d2)));
	EXPECT_EQ(5, d2.max_jobs);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 2, tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, rb, &out));
	ASSERT_EQ(0, sel_program(self->fd, tile[0], 0, 1, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 10000));
	first = s;
	EXPECT_EQ(5, fill_gated(self->fd, tile[0], &out, g.syncobj, 6, &ret, &s));
	EXPECT_EQ(-EBUSY, ret);
	/* another file is not held back by this one's jobs */
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, sel_query(fd2, DRM_RBNN_QUERY_DEVICE, &d2, sizeof(d2)));
	close(fd2);
	ASSERT_EQ(0, sel_gate_release(&g));
	EXPECT_EQ(0, sel_job_status(self->fd, s, 30000));
	EXPECT_EQ(first + 5, s);
	EXPECT_EQ(0, param_set("max_jobs", old_jobs, NULL, 0));
	sel_gate_fini(&g);

	/* job memory: EXECs of a small network, gated, against 1 KiB */
	ASSERT_EQ(0, sel_gate_init(self->fd, &g));
	sel_net_init(&n, 4, 16, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 8, 3, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 4, 0, 0, 0);
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &n, &tile[1], 1, 0, 0,
				  &pl));
	ASSERT_EQ(0, sel_job_status(self->fd, pl.last_prog, 20000));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * n.in_bytes, &xin));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * n.out_bytes, &xout));
	if (param_set("file_job_mem_kib", "1", old_mem, sizeof(old_mem)))
		SKIP(return, "cannot set rbnn's file_job_mem_kib");
	in = (struct drm_rbnn_sync){ .handle = g.syncobj };
	for (i = 0, ok = 0; i < 64; i++) {
		sel_exec_args(&x, &n, &pl, 1, xin.handle, 0, xout.handle, 0);
		x.syncs = (struct drm_rbnn_syncs){ .in_syncs = (uintptr_t)&in,
			.in_count = 1, .in_stride = sizeof(in) };
		ret = sel_ioctl(self->fd, DRM_IOCTL_RBNN_EXEC, &x);
		if (ret)
			break;
		ok++;
		s = x.seqno;
	}
	TH_LOG("%u gated EXECs fit in 1 KiB of job memory", ok);
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_LE(1, ok);
	EXPECT_GT(32, ok);
	ASSERT_EQ(0, sel_gate_release(&g));
	EXPECT_EQ(0, sel_job_wait(self->fd, s, &ji, 30000));
	EXPECT_EQ(0, ji.status);
	/* the memory came back with the jobs */
	sel_exec_args(&x, &n, &pl, 1, xin.handle, 0, xout.handle, 0);
	EXPECT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_EXEC, &x));
	EXPECT_EQ(0, sel_job_status(self->fd, x.seqno, 10000));
	EXPECT_EQ(0, param_set("file_job_mem_kib", old_mem, NULL, 0));
	sel_placed_free(&pl);
	sel_net_free(&n);
	sel_gate_fini(&g);
}

/* In a child without privileges (nobody), on @fd opened before: the
 * wear policy. Returns a bit mask of the checks that failed. */
static int wear_child(int fd, uint32_t tile, uint32_t rb)
{
	struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_RESET };
	struct drm_rbnn_program p;
	struct sel_bo w;
	uint64_t s;
	int bad = 0;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 0x80;
	if (sel_bo_new(fd, 16 * rb, &w))
		return 0x40;
	/* the administrator's operations */
	if (sel_ioctl(fd, DRM_IOCTL_RBNN_ADMIN, &a) != -EPERM)
		bad |= 0x1;
	/* a current above user_max_current_ua */
	p = (struct drm_rbnn_program){ .tile = tile, .nrows = 1,
				       .current_na = 1000000,
				       .weights_handle = w.handle };
	if (sel_ioctl(fd, DRM_IOCTL_RBNN_PROGRAM, &p) != -EPERM)
		bad |= 0x2;
	/* the budget (8 rows): 6 + 2 rows pass, the next row does not */
	if (sel_program(fd, tile, 0, 6, &w, 0, NULL, 0, &s) ||
	    sel_program(fd, tile, 6, 2, &w, 0, NULL, 0, &s) ||
	    sel_job_status(fd, s, 10000))
		bad |= 0x4;
	if (sel_program(fd, tile, 8, 1, &w, 0, NULL, 0, &s) != -EDQUOT)
		bad |= 0x8;
	if (sel_readback(fd, tile, 0, 1, DRM_RBNN_READBACK_SCRUB, &w, 0, &s) !=
	    -EDQUOT)
		bad |= 0x10;
	/* reading costs no wear */
	if (sel_readback(fd, tile, 0, 8, 0, &w, 0, &s) ||
	    sel_job_status(fd, s, 10000))
		bad |= 0x20;
	return bad;
}

/*
 * The wear policy of a shared card (rbnn_admin.c): a file without
 * CAP_SYS_ADMIN programs at most wear_budget_rows rows (-EDQUOT), at
 * currents up to user_max_current_ua (-EPERM), and cannot reset or scrub
 * the card; the administrator can, through DRM_IOCTL_RBNN_ADMIN.
 */
TEST_F_TIMEOUT(iso, wear_policy, 120)
{
	struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_SCRUB };
	struct drm_rbnn_query_counters c0, c1;
	char old[32], info[4096], path[64];
	uint32_t tile, rb = self->dev.row_bytes;
	int fd2, st;
	pid_t pid;

	if (param_set("wear_budget_rows", "8", old, sizeof(old)))
		SKIP(return, "cannot set rbnn's wear_budget_rows (not root?)");
	/* the administrator: scrub a tile, whoever owns it, and reset */
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	a.tile = tile;
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_ADMIN, &a));
	EXPECT_EQ(0, a.status);
	EXPECT_LT(0, a.time_ns);
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	a = (struct drm_rbnn_admin){ .op = DRM_RBNN_ADMIN_RESET };
	ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_ADMIN, &a));
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.resets + 1, c1.resets);
	EXPECT_EQ(c0.recoveries + 1, c1.recoveries);
	/* not limited by the budget */
	ASSERT_EQ(0, sel_tile_free(self->fd, tile));

	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &tile));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(wear_child(fd2, tile, rb));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("failed checks: 0x%x", WEXITSTATUS(st));
	/* fdinfo shows the budget spent */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd2);
	ASSERT_LT(0, sel_read_file(path, info, sizeof(info)));
	EXPECT_NE(NULL, strstr(info, "rbnn-programmed-rows:\t8\n")) TH_LOG("%s", info);
	close(fd2);
	EXPECT_EQ(0, param_set("wear_budget_rows", old, NULL, 0));
}

/*
 * Closing a file whose jobs still wait for a fence: close() waits for the
 * queue (another process signals the fence), the jobs run, the tiles come
 * back.
 */
TEST_F(iso, close_with_pending_jobs)
{
	uint32_t rb = self->dev.row_bytes, tile, i;
	struct sel_gate g;
	struct sel_bo w;
	uint64_t t0, ms;
	int fd2, ret, n0, st, pfd[2];
	pid_t pid;
	char c;

	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ret = sel_gate_init(fd2, &g);
	if (ret) {
		close(fd2);
		SKIP(return, "no vgem gate (%d): load vgem for this test", ret);
	}
	n0 = sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE);
	ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(fd2, 16 * rb, &w));
	for (i = 0; i < 16; i++) {
		struct drm_rbnn_sync in = { .handle = g.syncobj };
		struct drm_rbnn_program p = {
			.tile = tile, .row = i, .nrows = 1,
			.weights_handle = w.handle,
			.syncs = { .in_syncs = (uintptr_t)&in, .in_count = 1,
				   .in_stride = sizeof(in) },
		};

		ASSERT_EQ(0, sel_ioctl(fd2, DRM_IOCTL_RBNN_PROGRAM, &p));
	}
	munmap(w.map, w.size);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(fd2);	/* the parent's close must be the last */
		if (write(pfd[1], "x", 1) != 1)
			_exit(2);
		usleep(300000);
		_exit(sel_gate_release(&g) ? 1 : 0);
	}
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	t0 = sel_now_ns();
	close(fd2);
	ms = (sel_now_ns() - t0) / 1000000;
	TH_LOG("close with 16 pending jobs took %llu ms", (unsigned long long)ms);
	/* close() waited for the queued jobs (released after ~300 ms) */
	EXPECT_LE(200, ms);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	for (i = 0; i < 200; i++) {
		if (sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE) == n0)
			break;
		usleep(10000);
	}
	EXPECT_EQ(n0, sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE));
	g.open = false;
	sel_gate_fini(&g);
}

/*
 * A process exits with jobs that wait for a fence nobody signals (the
 * vgem fence is only signalled when its vgem file is closed, after the
 * accel file): the exit does not hang and the tiles come back.
 */
TEST_F(iso, exit_with_blocked_jobs)
{
	uint32_t rb = self->dev.row_bytes;
	struct sel_gate g;
	int n0, i, st, vg, pfd[2];
	uint64_t t0;
	pid_t pid;
	char c;

	vg = sel_vgem_open();
	if (vg < 0)
		SKIP(return, "no vgem (%d): load vgem for this test", vg);
	close(vg);
	n0 = sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd2 = sel_open(NULL), ok = 1;
		uint32_t tile, j;
		struct sel_bo w;

		ok &= fd2 >= 0 && sel_gate_init(fd2, &g) == 0;
		ok &= sel_tile_alloc(fd2, 2, (uint32_t[2]){ 0 }) == 0;
		ok &= sel_tile_alloc(fd2, 1, &tile) == 0;
		ok &= sel_bo_new(fd2, rb, &w) == 0;
		for (j = 0; ok && j < 8; j++) {
			struct drm_rbnn_sync in = { .handle = g.syncobj };
			struct drm_rbnn_program p = {
				.tile = tile, .row = j, .nrows = 1,
				.weights_handle = w.handle,
				.syncs = { .in_syncs = (uintptr_t)&in,
					   .in_count = 1, .in_stride = sizeof(in) },
			};

			ok &= sel_ioctl(fd2, DRM_IOCTL_RBNN_PROGRAM, &p) == 0;
		}
		c = ok ? 'y' : 'n';
		if (write(pfd[1], &c, 1) != 1)
			ok = 0;
		_exit(ok ? 0 : 1);	/* with the gate closed */
	}
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	EXPECT_EQ('y', c);
	t0 = sel_now_ns();
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	for (i = 0; i < 500; i++) {
		if (sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE) == n0)
			break;
		usleep(10000);
	}
	EXPECT_EQ(n0, sel_tiles_in_state(self->fd, DRM_RBNN_TILE_STATE_FREE));
	TH_LOG("exit + tile release with 8 blocked jobs: %llu ms",
	       (unsigned long long)(sel_now_ns() - t0) / 1000000);
}

TEST_HARNESS_MAIN
