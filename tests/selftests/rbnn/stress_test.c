// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Concurrency: several processes (each with its own file) and several
 * threads (sharing one file) submit many small EXEC jobs of random networks
 * with random weights and inputs, pipelined, and check every output item
 * against the reference of rbnn_sel.h. Others allocate and free tiles and
 * reprogram rows meanwhile. Needs a card with error-model=off.
 *
 * Environment: RBNN_STRESS_PROCS (default 4), RBNN_STRESS_JOBS (jobs per
 * worker, default 48), RBNN_SEED.
 */
#include <pthread.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

#define DEPTH 4	/* jobs in flight per worker */

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned int)strtoul(v, NULL, 0) : def;
}

struct worker_result {
	uint32_t jobs, bad_items, bad_status, lost, errors, nets;
	uint64_t seq_first, seq_last;
	char why[160];
};

struct slot {
	struct sel_bo in, out;
	uint64_t seq;
	uint32_t batch;
	bool busy;
};

/*
 * One worker: loads a random net on its tiles, runs @jobs EXECs with up to
 * DEPTH in flight, checks each result, and every 16 jobs loads a new random
 * net (the PROGRAM of new rows is ordered before the following EXECs).
 */
static void worker(int fd, const struct drm_rbnn_query_device *dev,
		   const uint32_t *tiles, uint32_t ntiles, uint32_t jobs,
		   struct worker_result *r)
{
	struct slot slots[DEPTH];
	struct sel_net nets[2];
	struct sel_placed pls[2];
	uint32_t cur = 0, i, k, bad;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(slots, 0, sizeof(slots));
	memset(nets, 0, sizeof(nets));
	memset(pls, 0, sizeof(pls));
	for (k = 0; k < DEPTH; k++) {
		if (sel_bo_new(fd, 64 * 1024, &slots[k].in) ||
		    sel_bo_new(fd, 64 * 1024, &slots[k].out)) {
			r->errors++;
			snprintf(r->why, sizeof(r->why), "bo_new");
			return;
		}
	}
	for (i = 0; i < jobs; i++) {
		struct slot *s = &slots[i % DEPTH];
		uint32_t n_i = (i / 16) & 1;

		if (i % 16 == 0) {
			/* a new net on the half of the rows not in use: the
			 * EXECs in flight still read the other half */
			struct sel_net *n = &nets[n_i];

			sel_net_free(n);
			sel_placed_free(&pls[n_i]);
			do {
				sel_net_random(n, 24);
			} while (sel_net_rows(n, dev->cols) > ntiles * dev->rows / 2 - 8);
			ret = sel_net_load(fd, dev, n, tiles + n_i * (ntiles / 2),
					   ntiles / 2, 0, 1 + sel_rand(9), &pls[n_i]);
			if (ret) {
				r->errors++;
				snprintf(r->why, sizeof(r->why), "net_load: %d", ret);
				return;
			}
			r->nets++;
			cur = n_i;
		}
		if (s->busy) {
			struct drm_rbnn_job_info ji;

			ret = sel_job_wait(fd, s->seq, &ji, 30000);
			if (ret) {
				r->lost++;
				snprintf(r->why, sizeof(r->why),
					 "job %llu not done: %d",
					 (unsigned long long)s->seq, ret);
			} else if (ji.status) {
				r->bad_status++;
				snprintf(r->why, sizeof(r->why),
					 "job %llu status %d hw %u",
					 (unsigned long long)s->seq, ji.status,
					 ji.hw_status);
			} else {
				bad = sel_net_check(&nets[(i - DEPTH) / 16 & 1],
						    s->batch, s->in.map, s->out.map);
				if (bad) {
					r->bad_items += bad;
					snprintf(r->why, sizeof(r->why),
						 "job %llu: %u of %u items differ",
						 (unsigned long long)s->seq, bad,
						 s->batch);
				}
			}
			s->busy = false;
		}
		s->batch = 1 + sel_rand(12);
		sel_fill_random(s->in.map, s->batch * nets[cur].in_bytes);
		memset(s->out.map, 0xcc, s->batch * nets[cur].out_bytes);
		ret = sel_net_exec(fd, &nets[cur], &pls[cur], s->batch, &s->in, 0,
				   &s->out, 0, &s->seq);
		if (ret) {
			r->errors++;
			snprintf(r->why, sizeof(r->why), "exec: %d", ret);
			break;
		}
		if (!r->seq_first)
			r->seq_first = s->seq;
		r->seq_last = s->seq;
		s->busy = true;
		r->jobs++;
	}
	/* drain: every job reaches DONE with a status */
	for (i = jobs; i < jobs + DEPTH; i++) {
		struct slot *s = &slots[i % DEPTH];
		struct drm_rbnn_job_info ji;

		if (!s->busy)
			continue;
		ret = sel_job_wait(fd, s->seq, &ji, 30000);
		if (ret) {
			r->lost++;
		} else if (ji.status) {
			r->bad_status++;
		} else {
			bad = sel_net_check(&nets[(i - DEPTH) / 16 & 1], s->batch,
					    s->in.map, s->out.map);
			r->bad_items += bad;
		}
	}
	for (k = 0; k < 2; k++) {
		sel_net_free(&nets[k]);
		sel_placed_free(&pls[k]);
	}
	for (k = 0; k < DEPTH; k++) {
		sel_bo_del(fd, &slots[k].in);
		sel_bo_del(fd, &slots[k].out);
	}
}

FIXTURE(stress) {
	int fd;
	struct drm_rbnn_query_device dev;
};

FIXTURE_SETUP(stress)
{
	struct drm_rbnn_query_model m = {};

	sel_seed(0x57e55);
	self->fd = sel_open(NULL);
	if (self->fd < 0)
		SKIP(return, "cannot open %s", sel_dev_path());
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &self->dev,
			       sizeof(self->dev)));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	if (m.error_model)
		SKIP(return, "needs a card with error-model=off");
}

FIXTURE_TEARDOWN(stress)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* N processes, each its own file and tiles, results checked. */
TEST_F_TIMEOUT(stress, processes_exec_random_nets, 240)
{
	unsigned int nproc = env_uint("RBNN_STRESS_PROCS", 4);
	unsigned int jobs = env_uint("RBNN_STRESS_JOBS", 48);
	struct worker_result *res;
	struct drm_rbnn_query_counters c0, c1;
	uint64_t total = 0, t0;
	unsigned int p, ok = 0;
	pid_t *pids;

	if (nproc * 2 > self->dev.tiles)
		nproc = self->dev.tiles / 2;
	res = mmap(NULL, nproc * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	pids = calloc(nproc, sizeof(*pids));
	ASSERT_EQ(0, sel_counters(self->fd, &c0));
	t0 = sel_now_ns();
	for (p = 0; p < nproc; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			uint32_t tiles[2];
			int fd = sel_open(NULL);

			sel_seed(0x1000 + p);
			if (fd < 0 || sel_tile_alloc(fd, 2, tiles)) {
				res[p].errors = 1;
				snprintf(res[p].why, sizeof(res[p].why),
					 "open/alloc failed");
				_exit(1);
			}
			worker(fd, &self->dev, tiles, 2, jobs, &res[p]);
			close(fd);
			_exit(0);
		}
	}
	for (p = 0; p < nproc; p++) {
		int st;

		ASSERT_EQ(pids[p], waitpid(pids[p], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("worker %u: status 0x%x", p, st);
		EXPECT_EQ(jobs, res[p].jobs) TH_LOG("worker %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].errors) TH_LOG("worker %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].lost) TH_LOG("worker %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].bad_status) TH_LOG("worker %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].bad_items) TH_LOG("worker %u: %s", p, res[p].why);
		total += res[p].jobs;
		ok += !res[p].errors && !res[p].bad_items && !res[p].lost;
	}
	ASSERT_EQ(0, sel_counters(self->fd, &c1));
	EXPECT_LE(c0.jobs_submitted + total, c1.jobs_submitted);
	EXPECT_EQ(c1.jobs_submitted, c1.jobs_completed + c1.jobs_failed);
	EXPECT_EQ(c0.jobs_failed, c1.jobs_failed);
	TH_LOG("%u processes x %u EXEC jobs (plus their PROGRAMs): %llu ms, %u clean",
	       nproc, jobs, (unsigned long long)(sel_now_ns() - t0) / 1000000, ok);
	munmap(res, nproc * sizeof(*res));
	free(pids);
}

struct thread_arg {
	int fd;
	const struct drm_rbnn_query_device *dev;
	uint32_t tiles[2];
	uint32_t jobs;
	uint32_t seed;
	struct worker_result r;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	sel_seed(a->seed);	/* the rng state is per thread */
	worker(a->fd, a->dev, a->tiles, 2, a->jobs, &a->r);
	return NULL;
}

/* Threads sharing one file: distinct tiles, one numbering of jobs. */
TEST_F_TIMEOUT(stress, threads_share_one_file, 240)
{
	unsigned int nthr = 3, jobs = env_uint("RBNN_STRESS_JOBS", 48) / 2, t;
	struct thread_arg args[3];
	pthread_t th[3];

	for (t = 0; t < nthr; t++) {
		memset(&args[t], 0, sizeof(args[t]));
		args[t].fd = self->fd;
		args[t].dev = &self->dev;
		args[t].jobs = jobs;
		args[t].seed = 0x3000 + t;
		ASSERT_EQ(0, sel_tile_alloc(self->fd, 2, args[t].tiles));
	}
	for (t = 0; t < nthr; t++)
		ASSERT_EQ(0, pthread_create(&th[t], NULL, thread_main, &args[t]));
	for (t = 0; t < nthr; t++)
		ASSERT_EQ(0, pthread_join(th[t], NULL));
	for (t = 0; t < nthr; t++) {
		EXPECT_EQ(jobs, args[t].r.jobs) TH_LOG("thread %u: %s", t, args[t].r.why);
		EXPECT_EQ(0, args[t].r.errors) TH_LOG("thread %u: %s", t, args[t].r.why);
		EXPECT_EQ(0, args[t].r.lost) TH_LOG("thread %u: %s", t, args[t].r.why);
		EXPECT_EQ(0, args[t].r.bad_status) TH_LOG("thread %u: %s", t, args[t].r.why);
		EXPECT_EQ(0, args[t].r.bad_items) TH_LOG("thread %u: %s", t, args[t].r.why);
	}
}

/*
 * Tile churn next to steady work: some processes allocate, program,
 * read back and free tiles in a loop (ENOSPC is fine), one runs EXECs and
 * checks them. Nobody sees another's rows, nothing fails.
 */
TEST_F_TIMEOUT(stress, tile_churn_next_to_exec, 240)
{
	unsigned int nchurn = 3, rounds = env_uint("RBNN_STRESS_JOBS", 48), p;
	struct worker_result *res;
	pid_t pids[4];

	res = mmap(NULL, 4 * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	memset(res, 0, 4 * sizeof(*res));
	for (p = 0; p <= nchurn; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p])
			continue;
		sel_seed(0x2000 + p);
		{
			int fd = sel_open(NULL);
			uint32_t rb = self->dev.row_bytes, i, n, t[4], k;
			struct sel_bo w, out;
			struct worker_result *r = &res[p];

			if (fd < 0)
				_exit(1);
			if (p == nchurn) {
				uint32_t tiles[2];

				if (sel_tile_alloc(fd, 2, tiles))
					_exit(2);
				worker(fd, &self->dev, tiles, 2, rounds, r);
				_exit(0);
			}
			if (sel_bo_new(fd, 64 * rb, &w) || sel_bo_new(fd, 64 * rb, &out))
				_exit(3);
			for (i = 0; i < rounds; i++) {
				int ret;
				uint64_t s = 0;

				n = 1 + sel_rand(3);
				ret = sel_tile_alloc(fd, n, t);
				if (ret == -ENOSPC) {
					usleep(1000);
					continue;
				}
				if (ret) {
					r->errors++;
					snprintf(r->why, sizeof(r->why), "alloc %d", ret);
					break;
				}
				for (k = 0; k < n; k++) {
					uint32_t row = sel_rand(self->dev.rows - 8);

					/* rows of a fresh tile are not readable */
					ret = sel_readback(fd, t[k], row, 8, 0, &out, 0, NULL);
					if (ret != -EACCES) {
						r->errors++;
						snprintf(r->why, sizeof(r->why),
							 "readback of a fresh tile: %d", ret);
					}
					sel_fill_random(w.map, 8 * rb);
					ret = sel_program(fd, t[k], row, 8, &w, 0, NULL, 0, NULL);
					ret = ret ? ret : sel_readback(fd, t[k], row, 8, 0,
								       &out, 0, &s);
					ret = ret ? ret : sel_job_status(fd, s, 20000);
					if (ret) {
						r->errors++;
						snprintf(r->why, sizeof(r->why),
							 "program/readback: %d", ret);
					} else if (memcmp(w.map, out.map, 8 * rb)) {
						r->bad_items++;
						snprintf(r->why, sizeof(r->why),
							 "readback differs");
					}
					r->jobs++;
				}
				for (k = 0; k < n; k++)
					if (sel_tile_free(fd, t[k]))
						r->errors++;
			}
			_exit(0);
		}
	}
	for (p = 0; p <= nchurn; p++) {
		int st;

		ASSERT_EQ(pids[p], waitpid(pids[p], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("process %u: status 0x%x", p, st);
		EXPECT_EQ(0, res[p].errors) TH_LOG("process %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].bad_items) TH_LOG("process %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].lost) TH_LOG("process %u: %s", p, res[p].why);
		EXPECT_EQ(0, res[p].bad_status) TH_LOG("process %u: %s", p, res[p].why);
		EXPECT_LT(0, res[p].jobs);
	}
	munmap(res, 4 * sizeof(*res));
}

TEST_HARNESS_MAIN
