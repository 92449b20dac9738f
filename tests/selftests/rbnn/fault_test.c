// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Fault handling of the rbnn driver, with the card's fault injection
 * (Documentation/rbnn-device.rst, "Fault injection") through the driver's
 * debugfs hooks (fault, stuck, force_reset, test_irq) and the -device
 * properties x-fault-hang-cmd / x-fault-dma-every / x-fault-irq-every:
 *
 *   - a hung command: that job ends with -ETIMEDOUT, its file is banned
 *     (-ECANCELED on the next submission), the other file's jobs complete
 *     or are cancelled (never lost) and it is not banned, the card works
 *     after the recovery with correct results;
 *   - a DMA fault: only that job fails (-EIO, hw_status DMA); a failed
 *     PROGRAM invalidates its rows (-ECANCELED for jobs needing them);
 *     jobs waiting for a failed job through in-syncs do not run and end
 *     with its error (not through the implicit or row ordering);
 *   - a dropped interrupt: the job still completes (watchdog poll);
 *   - a stuck cell: readback and EXEC show it, it heals;
 *   - a reset forced while jobs run: nothing lost, nobody banned.
 *
 * Every job submitted reaches DONE with a status. Needs a card with
 * x-debug=on and error-model=off (tests skip otherwise). The property tests
 * run only when RBNN_HANG_CMD / RBNN_DMA_EVERY+RBNN_IRQ_EVERY say how the
 * (freshly booted) card was created.
 */
#include <pthread.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

FIXTURE(fault) {
	int fd;
	struct drm_rbnn_query_device dev;
	bool exact, debug;
	char dbg[PATH_MAX];
};

FIXTURE_SETUP(fault)
{
	struct drm_rbnn_query_model m = {};
	struct stat st;
	char p[PATH_MAX + 16];

	sel_seed(0xfa17 ^ getpid());
	self->fd = sel_open(NULL);
	if (self->fd < 0)
		SKIP(return, "cannot open %s", sel_dev_path());
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &self->dev,
			       sizeof(self->dev)));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	self->exact = m.error_model == 0;
	sel_debugfs_dir(sel_dev_path(), self->dbg, sizeof(self->dbg));
	snprintf(p, sizeof(p), "%s/fault", self->dbg);
	self->debug = (self->dev.caps & SEL_CAP_DEBUG) && !stat(p, &st);
}

FIXTURE_TEARDOWN(fault)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define NEED_DEBUG() do {						\
	if (!self->debug)						\
		SKIP(return, "needs x-debug=on and debugfs %s", self->dbg); \
	if (!self->exact)						\
		SKIP(return, "needs error-model=off");			\
} while (0)

/* A small net loaded on a fresh tile, with its buffers. */
struct job_env {
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo in, out[16];
	uint32_t tile;
};

static int env_init(int fd, const struct drm_rbnn_query_device *dev,
		    struct job_env *j)
{
	int ret, i;

	memset(j, 0, sizeof(*j));
	sel_net_init(&j->n, 4, 16, 1);
	sel_net_add(&j->n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 8, 3, 1, 1);
	sel_net_add(&j->n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 4, 0, 0, 0);
	ret = sel_tile_alloc(fd, 1, &j->tile);
	if (!ret)
		ret = sel_net_load(fd, dev, &j->n, &j->tile, 1, 0, 0, &j->pl);
	if (!ret)
		ret = sel_job_status(fd, j->pl.last_prog, 20000);
	if (!ret)
		ret = sel_bo_new(fd, 512 * j->n.in_bytes, &j->in);
	for (i = 0; !ret && i < 16; i++)
		ret = sel_bo_new(fd, 512 * j->n.out_bytes, &j->out[i]);
	if (!ret)
		sel_fill_random(j->in.map, j->in.size);
	return ret;
}

static void env_fini(int fd, struct job_env *j)
{
	sel_placed_free(&j->pl);
	sel_net_free(&j->n);
}

/* Wait for every job of [first, last]: DONE with a status; returns the
 * number of jobs with status 0 and counts the others by errno. */
struct tally {
	uint32_t ok, etimedout, ecanceled, eio, other, pending;
};

static void tally_jobs(int fd, uint64_t first, uint64_t last, struct tally *t,
		       unsigned int ms)
{
	struct drm_rbnn_job_info ji;
	uint64_t s;

	memset(t, 0, sizeof(*t));
	for (s = first; s <= last; s++) {
		if (sel_job_wait(fd, s, &ji, ms)) {
			t->pending++;
			continue;
		}
		switch (ji.status) {
		case 0: t->ok++; break;
		case -ETIMEDOUT: t->etimedout++; break;
		case -ECANCELED: t->ecanceled++; break;
		case -EIO: t->eio++; break;
		default: t->other++; break;
		}
	}
}

/* ---- hang -------------------------------------------------------------- */

TEST_F_TIMEOUT(fault, hang_bans_only_the_guilty_file, 90)
{
	struct drm_rbnn_query_counters c0, c1;
	struct drm_rbnn_job_info ji;
	struct job_env bad, good;
	struct tally tb, tg;
	uint64_t h, b_first, b_last = 0, g_first = 0, g_last = 0, s, t0;
	uint32_t i, rb = self->dev.row_bytes;
	struct sel_bo w, out;
	int fd2, fd3;

	NEED_DEBUG();
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, env_init(self->fd, &self->dev, &bad));
	ASSERT_EQ(0, env_init(fd2, &self->dev, &good));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	ASSERT_EQ(0, sel_counters(self->fd, &c0));

	/* The next command fetched hangs: make it fd's READBACK. */
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "1"));
	ASSERT_EQ(0, sel_readback(self->fd, bad.tile, 0, 8, 0, &out, 0, &h));
	b_first = h;
	t0 = sel_now_ns();
	usleep(20000);
	/* hung: BO_WAIT times out, JOB_INFO returns PENDING at its deadline */
	EXPECT_EQ(-ETIMEDOUT, sel_bo_wait(self->fd, out.handle,
					  sel_now_ns() + 20000000));
	EXPECT_EQ(-ETIMEDOUT, sel_job_wait(self->fd, h, &ji, 50));
	EXPECT_EQ(DRM_RBNN_JOB_PENDING, ji.state);
	/* more work from both files while the card hangs */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, sel_net_exec(self->fd, &bad.n, &bad.pl, 4, &bad.in, 0,
					  &bad.out[i], 0, &b_last));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, sel_net_exec(fd2, &good.n, &good.pl, 8, &good.in, 0,
					  &good.out[i], 0, &s));
		if (!g_first)
			g_first = s;
		g_last = s;
	}

	/* the watchdog resets the card */
	ASSERT_EQ(0, sel_job_wait(self->fd, h, &ji, 30000));
	EXPECT_EQ(-ETIMEDOUT, ji.status);
	TH_LOG("hung job ended after %llu ms: status %d hw_status %u",
	       (unsigned long long)(sel_now_ns() - t0) / 1000000, ji.status,
	       ji.hw_status);
	tally_jobs(self->fd, b_first, b_last, &tb, 30000);
	tally_jobs(fd2, g_first, g_last, &tg, 30000);
	TH_LOG("guilty file: %u ok %u timedout %u canceled %u other %u pending; other file: %u ok %u canceled %u other %u pending",
	       tb.ok, tb.etimedout, tb.ecanceled, tb.other + tb.eio, tb.pending,
	       tg.ok, tg.ecanceled, tg.other + tg.eio + tg.etimedout, tg.pending);
	EXPECT_EQ(0, tb.pending);
	EXPECT_EQ(0, tg.pending);
	EXPECT_EQ(1, tb.etimedout);
	/* the guilty file's later jobs are not run */
	EXPECT_EQ(3, tb.ecanceled);
	/* the other file's jobs: done, or lost by the reset (cancelled) */
	EXPECT_EQ(8, tg.ok + tg.ecanceled);
	for (i = 0; i < 8; i++) {
		if (sel_job_status(fd2, g_first + i, 0))
			continue;
		EXPECT_EQ(0, sel_net_check(&good.n, 8, good.in.map, good.out[i].map));
	}

	/* banned: submissions refused, the rest of the uAPI still answers */
	EXPECT_EQ(-ECANCELED, sel_net_exec(self->fd, &bad.n, &bad.pl, 1, &bad.in, 0,
					   &bad.out[5], 0, NULL));
	EXPECT_EQ(-ECANCELED, sel_readback(self->fd, bad.tile, 0, 1, 0, &out, 0, NULL));
	EXPECT_EQ(-ECANCELED, sel_program(self->fd, bad.tile, 0, 1, &out, 0, NULL, 0, NULL));
	EXPECT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(0, sel_job_wait(self->fd, h, &ji, 0));

	/* the other file is not banned and gets correct results */
	ASSERT_EQ(0, sel_net_exec(fd2, &good.n, &good.pl, 8, &good.in, 0,
				  &good.out[9], 0, &s));
	ASSERT_EQ(0, sel_job_status(fd2, s, 20000));
	EXPECT_EQ(0, sel_net_check(&good.n, 8, good.in.map, good.out[9].map));

	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.recoveries + 1, c1.recoveries);
	EXPECT_LT(c0.resets, c1.resets);
	EXPECT_EQ(c1.recoveries, sel_sysfs_u64(sel_dev_path(), "recoveries"));
	/* no job lost: every submitted job has ended */
	EXPECT_EQ(c1.jobs_submitted, c1.jobs_completed + c1.jobs_failed);
	EXPECT_EQ(c0.jobs_submitted + 1 + 3 + 8 + 1, c1.jobs_submitted);
	EXPECT_EQ(0, sel_debugfs_field(sel_dev_path(), "status", "outstanding"));
	EXPECT_EQ(1, sel_debugfs_field(sel_dev_path(), "status", "hw_running"));

	/* a new file: the card works, the array survived the reset */
	fd3 = sel_open(NULL);
	ASSERT_LE(0, fd3);
	{
		struct job_env j3;

		ASSERT_EQ(0, env_init(fd3, &self->dev, &j3));
		ASSERT_EQ(0, sel_net_exec(fd3, &j3.n, &j3.pl, 8, &j3.in, 0,
					  &j3.out[0], 0, &s));
		ASSERT_EQ(0, sel_job_status(fd3, s, 20000));
		EXPECT_EQ(0, sel_net_check(&j3.n, 8, j3.in.map, j3.out[0].map));
		env_fini(fd3, &j3);
	}
	ASSERT_EQ(0, sel_bo_new(fd3, rb, &w));
	close(fd3);
	/* the banned file can still be closed; its tiles come back */
	env_fini(self->fd, &bad);
	env_fini(fd2, &good);
	close(fd2);
}

/* ---- the bound on one job's time ---------------------------------------- */

#define JOB_MAX_PARAM "/sys/module/rbnn/parameters/job_max_ms"

static int param_get(const char *path, unsigned int *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%u", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int param_set(const char *path, unsigned int v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", v) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * A job that keeps the card busy and keeps progressing (a conv net at the
 * largest batch: tens of seconds of emulator time) is not a hang, so the
 * watchdog extends it; job_max_ms bounds it all the same: the card is
 * reset mid-command, the job fails with -ETIMEDOUT and its file is banned.
 */
TEST_F_TIMEOUT(fault, long_job_bounded_by_job_max_ms, 120)
{
	struct drm_rbnn_job_info ji;
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo in, out;
	struct job_env j3;
	unsigned int old_max, batch;
	uint64_t s, t0, ms;
	uint32_t tile;
	int fd3;

	if (!self->exact)
		SKIP(return, "needs error-model=off");
	ASSERT_EQ(0, param_get(JOB_MAX_PARAM, &old_max))
		TH_LOG("no %s: a driver without the bound", JOB_MAX_PARAM);
	sel_seed(0x10b);
	sel_net_init(&n, 16, 256, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 64, 5, 1, 2);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 64, 3, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_MAXPOOL1D, DRM_RBNN_OUT_BITS, 0, 64, 64, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 4, 0, 0, 0);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &n, &tile, 1, 0, 0, &pl));
	ASSERT_EQ(0, sel_job_status(self->fd, pl.last_prog, 20000));
	batch = self->dev.max_batch < 65536 ? self->dev.max_batch : 65536;
	ASSERT_EQ(0, sel_bo_new(self->fd, (uint64_t)batch * n.in_bytes, &in));
	ASSERT_EQ(0, sel_bo_new(self->fd, (uint64_t)batch * n.out_bytes, &out));
	sel_fill_random(in.map, in.size);

	ASSERT_EQ(0, param_set(JOB_MAX_PARAM, 1500));
	t0 = sel_now_ns();
	ASSERT_EQ(0, sel_net_exec(self->fd, &n, &pl, batch, &in, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 60000));
	ms = (sel_now_ns() - t0) / 1000000;
	EXPECT_EQ(0, param_set(JOB_MAX_PARAM, old_max));
	TH_LOG("a %u-item conv EXEC ended after %llu ms with status %d (job_max_ms 1500)",
	       batch, (unsigned long long)ms, ji.status);
	EXPECT_EQ(-ETIMEDOUT, ji.status);
	EXPECT_LE(1500, ms);
	EXPECT_GT(15000, ms);
	/* the file is banned, like the file of a hung job */
	EXPECT_EQ(-ECANCELED, sel_net_exec(self->fd, &n, &pl, 1, &in, 0, &out, 0,
					   NULL));

	/* the card works for a new file */
	fd3 = sel_open(NULL);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, env_init(fd3, &self->dev, &j3));
	ASSERT_EQ(0, sel_net_exec(fd3, &j3.n, &j3.pl, 8, &j3.in, 0, &j3.out[0], 0,
				  &s));
	ASSERT_EQ(0, sel_job_status(fd3, s, 20000));
	EXPECT_EQ(0, sel_net_check(&j3.n, 8, j3.in.map, j3.out[0].map));
	env_fini(fd3, &j3);
	close(fd3);
	sel_placed_free(&pl);
	sel_net_free(&n);
}

/* ---- DMA fault --------------------------------------------------------- */

TEST_F(fault, dma_fault_fails_only_that_job)
{
	struct drm_rbnn_query_counters c0, c1;
	struct drm_rbnn_job_info ji;
	struct job_env j;
	uint64_t s1, s2, s3;

	NEED_DEBUG();
	ASSERT_EQ(0, env_init(self->fd, &self->dev, &j));
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[0], 0, &s1));
	ASSERT_EQ(0, sel_job_status(self->fd, s1, 20000));
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "2"));
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[1], 0, &s2));
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[2], 0, &s3));
	ASSERT_EQ(0, sel_job_wait(self->fd, s2, &ji, 20000));
	EXPECT_EQ(-EIO, ji.status);
	EXPECT_EQ(SEL_HW_DMA, ji.hw_status);
	TH_LOG("EXEC with a DMA fault: status %d hw_status %u detail %u",
	       ji.status, ji.hw_status, ji.hw_detail);
	ASSERT_EQ(0, sel_job_wait(self->fd, s3, &ji, 20000));
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, sel_job_status(self->fd, s1, 0));
	EXPECT_EQ(0, sel_net_check(&j.n, 8, j.in.map, j.out[0].map));
	EXPECT_EQ(0, sel_net_check(&j.n, 8, j.in.map, j.out[2].map));
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.jobs_failed + 1, c1.jobs_failed);
	EXPECT_EQ(c0.recoveries, c1.recoveries);
	/* not banned */
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[3], 0, &s1));
	EXPECT_EQ(0, sel_job_status(self->fd, s1, 20000));
	env_fini(self->fd, &j);
}

TEST_F(fault, dma_fault_on_program_invalidates_rows)
{
	uint32_t rb = self->dev.row_bytes, tile;
	struct drm_rbnn_job_info ji;
	struct sel_bo w, out;
	uint64_t sp, sr1, sr2, s;
	static struct sel_tiles t;

	NEED_DEBUG();
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	sel_fill_random(w.map, w.size);
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 8, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	/* reprogram with a DMA fault: the rows' contents are now unknown */
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "2"));
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 8, &w, 0, NULL, 0, &sp));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 8, 0, &out, 0, &sr1));
	ASSERT_EQ(0, sel_job_wait(self->fd, sp, &ji, 20000));
	EXPECT_EQ(-EIO, ji.status);
	EXPECT_EQ(SEL_HW_DMA, ji.hw_status);
	ASSERT_EQ(0, sel_job_wait(self->fd, sr1, &ji, 20000));
	EXPECT_EQ(-ECANCELED, ji.status);
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t));
	EXPECT_EQ(0, t.t[tile].rows_programmed);
	/* a READBACK submitted after the failure: accepted, not run */
	ASSERT_EQ(0, sel_readback(self->fd, tile, 2, 2, 0, &out, 0, &sr2));
	EXPECT_EQ(-ECANCELED, sel_job_status(self->fd, sr2, 20000));
	/* programmed again: usable again */
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 8, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 8, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	EXPECT_EQ(0, memcmp(w.map, out.map, 8 * rb));
}

/* uAPI: "another negative errno if a dependency failed" */
TEST_F(fault, failed_dependency_fails_the_job)
{
	uint32_t rb = self->dev.row_bytes, so;
	struct drm_rbnn_job_info ji;
	struct job_env j;
	struct sel_bo out;
	uint64_t sa;

	NEED_DEBUG();
	ASSERT_EQ(0, env_init(self->fd, &self->dev, &j));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &so));
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "2"));
	{
		struct drm_rbnn_exec x;

		sel_exec_args(&x, &j.n, &j.pl, 8, j.in.handle, 0, j.out[0].handle, 0);
		x.syncs.out.handle = so;
		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_EXEC, &x));
		sa = x.seqno;
	}
	{
		struct drm_rbnn_sync in = { .handle = so };
		struct drm_rbnn_readback r = {
			.tile = j.tile, .nrows = 8, .handle = out.handle,
			.syncs = { .in_syncs = (uintptr_t)&in, .in_count = 1,
				   .in_stride = sizeof(in) },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
		ASSERT_EQ(0, sel_job_wait(self->fd, sa, &ji, 20000));
		EXPECT_EQ(-EIO, ji.status);
		ASSERT_EQ(0, sel_job_wait(self->fd, r.seqno, &ji, 20000));
		TH_LOG("job depending on a failed job: status %d", ji.status);
		EXPECT_GT(0, ji.status);
	}
	env_fini(self->fd, &j);
}

/* A READBACK of @nrows rows into @out waiting for @in (0: none), signalling
 * @outsync (0: none) at @point. */
static int readback_synced(int fd, uint32_t tile, uint32_t nrows,
			   const struct sel_bo *out, uint32_t in, uint64_t in_point,
			   uint32_t outsync, uint64_t point, uint64_t *seqno)
{
	struct drm_rbnn_sync s = { .handle = in, .point = in_point };
	struct drm_rbnn_readback r = {
		.tile = tile, .nrows = nrows, .handle = out->handle,
		.syncs = { .out = { .handle = outsync, .point = point } },
	};
	int ret;

	if (in) {
		r.syncs.in_syncs = (uintptr_t)&s;
		r.syncs.in_count = 1;
		r.syncs.in_stride = sizeof(s);
	}
	ret = sel_ioctl(fd, DRM_IOCTL_RBNN_READBACK, &r);
	if (!ret)
		*seqno = r.seqno;
	return ret;
}

/*
 * Documentation/rbnn-uapi.rst, "Failed dependencies": an in-sync's error
 * passes on along a chain of syncobjs (the job does not run: hw_status 0,
 * no device time), also to another file; a timeline point passes on the
 * error of its own fence only; implicit BO ordering passes nothing on; a
 * failed PROGRAM cancels the jobs that read its rows (-ECANCELED), or
 * passes its error to those that also wait for it through an in-sync.
 */
TEST_F(fault, failed_dependency_semantics)
{
	uint32_t rb = self->dev.row_bytes, so1, so2, so3, tl, tile2;
	struct drm_rbnn_job_info ji;
	struct sel_bo out, w;
	struct sel_gate g;
	struct job_env j;
	uint64_t sa, sb, sc, sd, s;
	int fd2;

	NEED_DEBUG();
	ASSERT_EQ(0, env_init(self->fd, &self->dev, &j));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &so1));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &so2));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &so3));
	ASSERT_EQ(0, sel_syncobj_create(self->fd, 0, &tl));

	/* A: an EXEC that the card fails (-EIO), signals so1 and point 1 */
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "2"));
	{
		struct drm_rbnn_exec x;

		sel_exec_args(&x, &j.n, &j.pl, 8, j.in.handle, 0, j.out[0].handle, 0);
		x.syncs.out.handle = so1;
		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_EXEC, &x));
		sa = x.seqno;
	}
	/* B waits for A (so1), signals so2; C waits for B (so2) */
	ASSERT_EQ(0, readback_synced(self->fd, j.tile, 8, &out, so1, 0, so2, 0, &sb));
	ASSERT_EQ(0, readback_synced(self->fd, j.tile, 8, &out, so2, 0, 0, 0, &sc));
	/* D writes A's output BO after it (implicit ordering only) */
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[0], 0, &sd));

	ASSERT_EQ(0, sel_job_wait(self->fd, sa, &ji, 20000));
	EXPECT_EQ(-EIO, ji.status);
	EXPECT_EQ(SEL_HW_DMA, ji.hw_status);
	ASSERT_EQ(0, sel_job_wait(self->fd, sb, &ji, 20000));
	EXPECT_EQ(-EIO, ji.status);
	EXPECT_EQ(0, ji.hw_status);
	EXPECT_EQ(0, ji.time_ns);
	ASSERT_EQ(0, sel_job_wait(self->fd, sc, &ji, 20000));
	EXPECT_EQ(-EIO, ji.status) TH_LOG("the error passes along the chain");
	ASSERT_EQ(0, sel_job_wait(self->fd, sd, &ji, 20000));
	EXPECT_EQ(0, ji.status) TH_LOG("implicit ordering passes no error on");
	EXPECT_EQ(0, sel_net_check(&j.n, 8, j.in.map, j.out[0].map));

	/* another file waiting for A through a sync file */
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	{
		struct drm_syncobj_handle h = {
			.handle = so1,
			.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
			.fd = -1,
		};
		struct drm_syncobj_handle imp = {
			.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
		};
		struct sel_bo o2;

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h));
		ASSERT_EQ(0, sel_syncobj_create(fd2, 0, &imp.handle));
		imp.fd = h.fd;
		ASSERT_EQ(0, sel_ioctl(fd2, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp));
		close(h.fd);
		ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &tile2));
		ASSERT_EQ(0, sel_bo_new(fd2, 2 * rb, &o2));
		ASSERT_EQ(0, sel_program(fd2, tile2, 0, 1, &o2, 0, NULL, 0, &s));
		ASSERT_EQ(0, sel_job_status(fd2, s, 20000));
		ASSERT_EQ(0, readback_synced(fd2, tile2, 1, &o2, imp.handle, 0, 0, 0, &s));
		EXPECT_EQ(-EIO, sel_job_status(fd2, s, 20000));
		/* not banned, nothing else changed */
		ASSERT_EQ(0, sel_readback(fd2, tile2, 0, 1, 0, &o2, rb, &s));
		EXPECT_EQ(0, sel_job_status(fd2, s, 20000));
	}
	close(fd2);

	/*
	 * A timeline: point 1 fails, point 2 is fine. The points must still
	 * be pending when the waiters are submitted (the DRM core resolves a
	 * signalled timeline point to a stub fence): they are held by a
	 * vgem fence.
	 */
	if (!sel_gate_init(self->fd, &g)) {
		ASSERT_EQ(0, readback_synced(self->fd, j.tile, 8, &out, g.syncobj, 0,
					     tl, 1, &sa));
		ASSERT_EQ(0, readback_synced(self->fd, j.tile, 8, &out, g.syncobj, 0,
					     tl, 2, &sb));
		ASSERT_EQ(0, readback_synced(self->fd, j.tile, 8, &out, tl, 1, 0, 0, &sc));
		ASSERT_EQ(0, readback_synced(self->fd, j.tile, 8, &out, tl, 2, 0, 0, &sd));
		ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "2"));
		ASSERT_EQ(0, sel_gate_release(&g));
		EXPECT_EQ(-EIO, sel_job_status(self->fd, sa, 20000));
		EXPECT_EQ(0, sel_job_status(self->fd, sb, 20000));
		EXPECT_EQ(-EIO, sel_job_status(self->fd, sc, 20000));
		EXPECT_EQ(0, sel_job_status(self->fd, sd, 20000))
			TH_LOG("a point passes on the error of its own fence only");
		sel_gate_fini(&g);
	} else {
		TH_LOG("no vgem gate: timeline points not checked");
	}

	/* a failed PROGRAM: -ECANCELED for readers, its error through an in-sync */
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	sel_fill_random(w.map, w.size);
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "2"));
	{
		struct drm_rbnn_program p = {
			.tile = j.tile, .row = 200, .nrows = 8,
			.weights_handle = w.handle,
			.syncs = { .out = { .handle = so3 } },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_PROGRAM, &p));
		sa = p.seqno;
	}
	ASSERT_EQ(0, sel_readback(self->fd, j.tile, 200, 8, 0, &out, 0, &sb));
	{
		struct drm_rbnn_sync in = { .handle = so3 };
		struct drm_rbnn_readback r = {
			.tile = j.tile, .row = 200, .nrows = 8, .handle = out.handle,
			.syncs = { .in_syncs = (uintptr_t)&in, .in_count = 1,
				   .in_stride = sizeof(in) },
		};

		ASSERT_EQ(0, sel_ioctl(self->fd, DRM_IOCTL_RBNN_READBACK, &r));
		sc = r.seqno;
	}
	/* rows the PROGRAM did not touch are fine */
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[1], 0, &sd));
	EXPECT_EQ(-EIO, sel_job_status(self->fd, sa, 20000));
	EXPECT_EQ(-ECANCELED, sel_job_status(self->fd, sb, 20000));
	EXPECT_EQ(-EIO, sel_job_status(self->fd, sc, 20000));
	EXPECT_EQ(0, sel_job_status(self->fd, sd, 20000));
	EXPECT_EQ(0, sel_net_check(&j.n, 8, j.in.map, j.out[1].map));
	env_fini(self->fd, &j);
}

/* ---- dropped interrupt ---------------------------------------------------- */

TEST_F(fault, dropped_irq_job_still_completes)
{
	struct drm_rbnn_job_info ji;
	struct job_env j;
	long long lost0, lost1;
	uint64_t s, t0, ms;

	NEED_DEBUG();
	ASSERT_EQ(0, env_init(self->fd, &self->dev, &j));
	lost0 = sel_debugfs_field(sel_dev_path(), "status", "lost_irqs");
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "fault", "4"));
	t0 = sel_now_ns();
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[0], 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 20000));
	ms = (sel_now_ns() - t0) / 1000000;
	EXPECT_EQ(0, ji.status);
	EXPECT_EQ(0, sel_net_check(&j.n, 8, j.in.map, j.out[0].map));
	lost1 = sel_debugfs_field(sel_dev_path(), "status", "lost_irqs");
	TH_LOG("job with a dropped interrupt done after %llu ms; lost_irqs %lld -> %lld",
	       (unsigned long long)ms, lost0, lost1);
	EXPECT_EQ(lost0 + 1, lost1);
	/* and the interrupt path works again */
	t0 = sel_now_ns();
	ASSERT_EQ(0, sel_net_exec(self->fd, &j.n, &j.pl, 8, &j.in, 0, &j.out[1], 0, &s));
	ASSERT_EQ(0, sel_job_wait(self->fd, s, &ji, 20000));
	EXPECT_EQ(0, ji.status);
	EXPECT_GT(300, (sel_now_ns() - t0) / 1000000);
	EXPECT_EQ(0, sel_debugfs_write(sel_dev_path(), "test_irq", "1"));
	env_fini(self->fd, &j);
}

/* ---- stuck cells ------------------------------------------------------------ */

TEST_F(fault, stuck_cell_shows_in_readback_and_exec)
{
	uint32_t rb = self->dev.row_bytes, tile, col = 37, row = 5, i;
	static struct sel_tiles t0, t1;
	struct sel_bo w, out, in, sc;
	struct sel_net n;
	struct sel_placed pl;
	char cmd[64];
	uint64_t s;
	int32_t ref_score, got;

	NEED_DEBUG();
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * rb, &out));
	memset(w.map, 0xff, w.size);	/* all +1 */
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t0));
	snprintf(cmd, sizeof(cmd), "%u %u %u 0", tile, row, col);	/* AT0 */
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "stuck", cmd));
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 8, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 8, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	for (i = 0; i < 8 * rb; i++) {
		uint8_t want = i == row * rb + col / 8 ? (uint8_t)~(1u << (col % 8)) : 0xff;

		EXPECT_EQ(want, out.map[i]) TH_LOG("byte %u", i);
	}
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	EXPECT_EQ(t0.t[tile].stuck + 1, t1.t[tile].stuck);
	EXPECT_LE(1, sel_sysfs_u64(sel_dev_path(), "stuck_cells"));

	/* EXEC with scores on that row: the weight reads -1 at col */
	sel_net_init(&n, 1, 64, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 1, 0, 0, 0);
	memset(&pl, 0, sizeof(pl));
	pl.layers[0] = n.layers[0].l;
	pl.layers[0].seg_count = 1;
	pl.segs = calloc(1, sizeof(*pl.segs));
	pl.segs[0] = (struct drm_rbnn_segment){ .tile = tile, .row = row, .out_count = 1 };
	pl.nsegs = 1;
	ASSERT_EQ(0, sel_bo_new(self->fd, 8, &in));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8, &sc));
	memset(in.map, 0xff, 8);	/* all +1: score = 64 - 2 */
	ASSERT_EQ(0, sel_net_exec(self->fd, &n, &pl, 1, &in, 0, &sc, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	memcpy(&got, sc.map, 4);
	ref_score = 64 - 2;
	EXPECT_EQ(ref_score, got);

	/* healed: the cell reads what was last programmed into it */
	snprintf(cmd, sizeof(cmd), "%u %u %u 2", tile, row, col);	/* CLEAR */
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "stuck", cmd));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 8, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	EXPECT_EQ(0, memcmp(w.map, out.map, 8 * rb));
	ASSERT_EQ(0, sel_net_exec(self->fd, &n, &pl, 1, &in, 0, &sc, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	memcpy(&got, sc.map, 4);
	EXPECT_EQ(64, got);
	ASSERT_EQ(0, sel_query_tiles(self->fd, &t1));
	EXPECT_EQ(t0.t[tile].stuck, t1.t[tile].stuck);

	/* stuck at 1 in a row of zeros, through a reprogramming */
	snprintf(cmd, sizeof(cmd), "%u %u %u 1", tile, row + 1, 0);
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "stuck", cmd));
	memset(w.map, 0, w.size);
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 8, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 8, 0, &out, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	EXPECT_EQ(1, out.map[(row + 1) * rb]);
	EXPECT_EQ(0, out.map[(row + 1) * rb + 1]);
	snprintf(cmd, sizeof(cmd), "%u %u %u 2", tile, row + 1, 0);
	ASSERT_EQ(0, sel_debugfs_write(sel_dev_path(), "stuck", cmd));
	/* bad input to the hook */
	EXPECT_EQ(-EINVAL, sel_debugfs_write(sel_dev_path(), "stuck", "99999 0 0 0"));
	EXPECT_EQ(-EINVAL, sel_debugfs_write(sel_dev_path(), "stuck", "0 0 0 7"));
	free(pl.segs);
	sel_net_free(&n);
}

/* ---- reset forced while jobs run ------------------------------------------------ */

struct reset_arg {
	unsigned int delay_us;
	long long outstanding;
	int ret;
};

/* Reset once commands are on the card (debugfs status "outstanding"). */
static void *reset_thread(void *p)
{
	struct reset_arg *a = p;
	uint64_t t0 = sel_now_ns();

	while (sel_debugfs_field(sel_dev_path(), "status", "outstanding") < 4 &&
	       sel_now_ns() - t0 < 5000000000ull)
		usleep(a->delay_us);
	a->outstanding = sel_debugfs_field(sel_dev_path(), "status", "outstanding");
	a->ret = sel_debugfs_write(sel_dev_path(), "force_reset", "1");
	return NULL;
}

TEST_F_TIMEOUT(fault, forced_reset_while_jobs_run, 90)
{
	struct drm_rbnn_query_counters c0, c1;
	struct job_env a, b;
	struct tally ta, tb;
	struct reset_arg ra = { .delay_us = 200 };
	pthread_t th;
	uint64_t a_first = 0, a_last = 0, b_first = 0, b_last = 0, s;
	uint32_t i, checked = 0;
	int fd2;

	NEED_DEBUG();
	fd2 = sel_open(NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, env_init(self->fd, &self->dev, &a));
	ASSERT_EQ(0, env_init(fd2, &self->dev, &b));
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	ASSERT_EQ(0, pthread_create(&th, NULL, reset_thread, &ra));
	for (i = 0; i < 120; i++) {
		/* every 8th job a long one (512 items) */
		ASSERT_EQ(0, sel_net_exec(self->fd, &a.n, &a.pl, i % 8 ? 8 : 512,
					  &a.in, 0, &a.out[i % 16], 0, &s));
		if (!a_first)
			a_first = s;
		a_last = s;
		ASSERT_EQ(0, sel_net_exec(fd2, &b.n, &b.pl, 8, &b.in, 0,
					  &b.out[i % 16], 0, &s));
		if (!b_first)
			b_first = s;
		b_last = s;
	}
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, ra.ret);
	tally_jobs(self->fd, a_first, a_last, &ta, 30000);
	tally_jobs(fd2, b_first, b_last, &tb, 30000);
	TH_LOG("reset with %lld commands on the card, during 240 jobs: file A %u ok %u canceled; file B %u ok %u canceled",
	       ra.outstanding, ta.ok, ta.ecanceled, tb.ok, tb.ecanceled);
	EXPECT_EQ(120, ta.ok + ta.ecanceled);
	EXPECT_EQ(120, tb.ok + tb.ecanceled);
	EXPECT_EQ(0, ta.pending + tb.pending + ta.etimedout + tb.etimedout);
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.recoveries + 1, c1.recoveries);
	EXPECT_EQ(c1.jobs_submitted, c1.jobs_completed + c1.jobs_failed);
	/* the last results of each buffer that finished OK are correct */
	for (i = 104; i < 120; i++) {
		if (!sel_job_status(self->fd, a_first + i, 0)) {
			EXPECT_EQ(0, sel_net_check(&a.n, 8, a.in.map, a.out[i % 16].map));
			checked++;
		}
	}
	TH_LOG("%u of the last 16 jobs of file A finished OK and were checked", checked);
	/* nobody banned, the rows survived */
	ASSERT_EQ(0, sel_net_exec(self->fd, &a.n, &a.pl, 8, &a.in, 0, &a.out[0], 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	EXPECT_EQ(0, sel_net_check(&a.n, 8, a.in.map, a.out[0].map));
	ASSERT_EQ(0, sel_net_exec(fd2, &b.n, &b.pl, 8, &b.in, 0, &b.out[0], 0, &s));
	ASSERT_EQ(0, sel_job_status(fd2, s, 20000));
	EXPECT_EQ(0, sel_net_check(&b.n, 8, b.in.map, b.out[0].map));
	env_fini(self->fd, &a);
	env_fini(fd2, &b);
	close(fd2);
}

TEST_F(fault, test_irq)
{
	char p[PATH_MAX + 16], buf[32];
	long long n0, n1;

	NEED_DEBUG();
	snprintf(p, sizeof(p), "%s/test_irq", self->dbg);
	ASSERT_LT(0, sel_read_file(p, buf, sizeof(buf)));
	n0 = strtoll(buf, NULL, 0);
	ASSERT_EQ(0, sel_write_file(p, "1"));
	ASSERT_EQ(0, sel_write_file(p, "1"));
	ASSERT_LT(0, sel_read_file(p, buf, sizeof(buf)));
	n1 = strtoll(buf, NULL, 0);
	EXPECT_EQ(n0 + 2, n1);
	EXPECT_EQ(-EINVAL, sel_write_file(p, "2"));
}

/* ---- the card's fault properties (freshly booted card) ---------------------------- */

/* -device rbnn,x-fault-hang-cmd=N: the N-th command fetched hangs. */
TEST_F_TIMEOUT(fault, hang_cmd_property, 60)
{
	const char *e = getenv("RBNN_HANG_CMD");
	struct drm_rbnn_query_counters c;
	uint32_t n = e ? strtoul(e, NULL, 0) : 0, rb = self->dev.row_bytes, tile, i;
	struct drm_rbnn_job_info ji;
	struct sel_bo w, out;
	uint64_t s[16];

	if (!n || n > 12)
		SKIP(return, "RBNN_HANG_CMD (1..12) not set: card without x-fault-hang-cmd");
	ASSERT_EQ(0, sel_counters(self->fd, &c));
	if (c.commands)
		SKIP(return, "the card already ran %llu commands", (unsigned long long)c.commands);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 16 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 16 * rb, &out));
	sel_fill_random(w.map, w.size);
	/* command 1: PROGRAM (no thresholds: one command); then READBACKs,
	 * one command each, waited one by one so the order is known */
	for (i = 0; i < n + 2; i++) {
		int ret = i ? sel_readback(self->fd, tile, 0, 16, 0, &out, 0, &s[i]) :
			      sel_program(self->fd, tile, 0, 16, &w, 0, NULL, 0, &s[i]);

		if (i == n) {
			EXPECT_EQ(-ECANCELED, ret) TH_LOG("submission after the hang");
			break;
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, sel_job_wait(self->fd, s[i], &ji, 30000));
		if (i + 1 == n) {
			EXPECT_EQ(-ETIMEDOUT, ji.status) TH_LOG("command %u", i + 1);
		} else {
			EXPECT_EQ(0, ji.status) TH_LOG("command %u", i + 1);
		}
	}
	ASSERT_EQ(0, sel_counters(self->fd, &c));
	EXPECT_EQ(1, c.recoveries);
	/* another file works */
	{
		int fd2 = sel_open(NULL);
		uint32_t t2;
		uint64_t s2;

		ASSERT_LE(0, fd2);
		ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &t2));
		ASSERT_EQ(0, sel_bo_new(fd2, 16 * rb, &w));
		ASSERT_EQ(0, sel_bo_new(fd2, 16 * rb, &out));
		sel_fill_random(w.map, w.size);
		ASSERT_EQ(0, sel_program(fd2, t2, 0, 16, &w, 0, NULL, 0, &s2));
		ASSERT_EQ(0, sel_readback(fd2, t2, 0, 16, 0, &out, 0, &s2));
		ASSERT_EQ(0, sel_job_status(fd2, s2, 20000));
		if (self->exact)
			EXPECT_EQ(0, memcmp(w.map, out.map, 16 * rb));
		close(fd2);
	}
}

/* -device rbnn,x-fault-dma-every=D,x-fault-irq-every=I: exactly every D-th
 * data command fails with DMA, every I-th message is dropped; all jobs end,
 * the others with correct data. */
TEST_F_TIMEOUT(fault, dma_every_and_irq_every_properties, 90)
{
	const char *ed = getenv("RBNN_DMA_EVERY"), *ei = getenv("RBNN_IRQ_EVERY");
	uint32_t d = ed ? strtoul(ed, NULL, 0) : 0, rb = self->dev.row_bytes;
	uint32_t tile, i, njobs = 70, fails = 0, expect_fails, bad = 0;
	struct drm_rbnn_query_counters c0, c1;
	struct drm_rbnn_job_info ji;
	struct sel_bo w, out;
	uint64_t s, first = 0, t0;

	if (!d || !ei)
		SKIP(return, "RBNN_DMA_EVERY/RBNN_IRQ_EVERY not set");
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	if (c0.commands)
		SKIP(return, "the card already ran %llu commands", (unsigned long long)c0.commands);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * rb, &w));
	ASSERT_EQ(0, sel_bo_new(self->fd, (uint64_t)njobs * 4 * rb, &out));
	sel_fill_random(w.map, w.size);
	ASSERT_EQ(0, sel_program(self->fd, tile, 0, 4, &w, 0, NULL, 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 30000));	/* data command 1 */
	t0 = sel_now_ns();
	for (i = 0; i < njobs; i++) {
		ASSERT_EQ(0, sel_readback(self->fd, tile, 0, 4, 0, &out,
					  (uint64_t)i * 4 * rb, &s));
		if (!first)
			first = s;
	}
	for (i = 0; i < njobs; i++) {
		ASSERT_EQ(0, sel_job_wait(self->fd, first + i, &ji, 30000))
			TH_LOG("job %u never ended", i);
		if (ji.status) {
			EXPECT_EQ(-EIO, ji.status);
			EXPECT_EQ(SEL_HW_DMA, ji.hw_status);
			/* data commands 2.. are the READBACKs */
			EXPECT_EQ(0, (i + 2) % d) TH_LOG("job %u failed", i);
			fails++;
		} else if (self->exact &&
			   memcmp(w.map, out.map + (size_t)i * 4 * rb, 4 * rb)) {
			bad++;
		}
	}
	expect_fails = (njobs + 1) / d;
	TH_LOG("%u jobs in %llu ms: %u DMA failures (expected %u), lost_irqs %lld",
	       njobs, (unsigned long long)(sel_now_ns() - t0) / 1000000, fails,
	       expect_fails, sel_debugfs_field(sel_dev_path(), "status", "lost_irqs"));
	EXPECT_EQ(expect_fails, fails);
	EXPECT_EQ(0, bad);
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_EQ(c0.jobs_failed + fails, c1.jobs_failed);
	EXPECT_EQ(c1.jobs_submitted, c1.jobs_completed + c1.jobs_failed);
	EXPECT_EQ(0, c1.recoveries);
}

TEST_HARNESS_MAIN
