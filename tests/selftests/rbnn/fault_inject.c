// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Every allocation an rbnn ioctl makes, failed in turn (issue 12, item 4).
 *
 * For each ioctl path (open, QUERY, BO_CREATE/INFO, TILE_ALLOC, PROGRAM with
 * thresholds and syncobjs, READBACK with SCRUB, EXEC, JOB_INFO, BO_WAIT,
 * ADMIN): the call is made with the N-th fault-injection site of this
 * thread set to fail (/proc/thread-self/fail-nth), for N = 1, 2, ... until
 * the call makes fewer than N such calls. Only sites with the rbnn module
 * on the stack count (the failslab and fail_page_alloc stack-trace
 * filters are set to the module's address range), so every allocation the
 * driver makes, or asks the DRM core and the shmem helpers to make, fails
 * once. Each failed call must return a negative errno from a short list
 * (or succeed, when the kernel falls back), leave nothing behind that the
 * same call without a fault does not clear up (the card answers the next
 * call normally), and never Oops; kmemleak, scanned by the VM harness
 * after the test, finds whatever leaked.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC
 * and FAULT_INJECTION_STACKTRACE_FILTER (tests/vm/kernel-debug.sh), root,
 * and a card with error-model=off; skips otherwise. Prints KTAP.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

#define FI "/sys/kernel/debug/"
#define MAX_SITES 4000	/* no ioctl path here has this many */

static char fi_start[32], fi_end[32];

/* The rbnn module's address range, from /proc/modules. */
static int module_range(void)
{
	unsigned long size, base;
	char line[512], name[64];
	FILE *f = fopen("/proc/modules", "r");
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *at = strstr(line, " 0x");

		if (sscanf(line, "%63s %lu", name, &size) != 2 ||
		    strcmp(name, "rbnn") || !at)
			continue;
		base = strtoul(at + 1, NULL, 16);
		if (!base)
			break; /* addresses hidden (kptr_restrict) */
		snprintf(fi_start, sizeof(fi_start), "%lu", base);
		snprintf(fi_end, sizeof(fi_end), "%lu", base + size);
		found = 1;
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

static int fi_set(const char *attr, const char *file, const char *val)
{
	char p[160];

	snprintf(p, sizeof(p), FI "%s/%s", attr, file);
	return sel_write_file(p, val);
}

/* Fault injection on, for the calls of this thread with rbnn on the stack. */
static int fi_enable(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	unsigned int i;
	int ret = module_range();

	if (ret)
		return ret;
	for (i = 0; i < 2; i++) {
		const char *a = attrs[i];

		/* fail-nth decides which call fails; probability 0 otherwise. */
		if (fi_set(a, "probability", "0") || fi_set(a, "times", "-1") ||
		    fi_set(a, "verbose", "0") || fi_set(a, "ignore-gfp-wait", "N") ||
		    fi_set(a, "require-start", fi_start) ||
		    fi_set(a, "require-end", fi_end) ||
		    fi_set(a, "stacktrace-depth", "32"))
			return -ENOTSUP;
	}
	if (fi_set("fail_page_alloc", "ignore-gfp-highmem", "N") ||
	    fi_set("fail_page_alloc", "min-order", "0"))
		return -ENOTSUP;
	return 0;
}

/* Arm the N-th site of this thread; returns the open fail-nth file. */
static int fi_arm(unsigned int n)
{
	char v[16];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);

	if (fd < 0)
		return -errno;
	snprintf(v, sizeof(v), "%u", n);
	if (write(fd, v, strlen(v)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Disarm; true if the armed fault was injected (the N-th site reached). */
static bool fi_disarm(int fd)
{
	char v[16] = "";
	bool hit;

	if (pread(fd, v, sizeof(v) - 1, 0) < 0)
		v[0] = '?';
	hit = v[0] == '0';
	if (write(fd, "0", 1) < 0)
		hit = false;
	close(fd);
	return hit;
}

/* What a failed allocation may turn into. */
static bool clean_errno(int ret)
{
	return ret == 0 || ret == -ENOMEM || ret == -ENOSPC || ret == -EBUSY ||
	       ret == -EINTR || ret == -EAGAIN;
}

FIXTURE(fi) {
	int fd;
	struct drm_rbnn_query_device dev;
	uint32_t tile;
	struct sel_bo w, thr, out;
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo xin, xout;
	uint64_t seqno;		/* a finished job of the file */
	uint32_t sites, injected, failed;
};

FIXTURE_SETUP(fi)
{
	struct drm_rbnn_query_model m = {};
	int ret;

	memset(self, 0, sizeof(*self));
	self->fd = sel_open(NULL);
	if (self->fd < 0)
		SKIP(return, "no rbnn card (%d)", self->fd);
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_DEVICE, &self->dev,
			       sizeof(self->dev)));
	ASSERT_EQ(0, sel_query(self->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
	if (m.error_model)
		SKIP(return, "the card has the error model on (error-model=off wanted)");
	ret = fi_enable();
	if (ret)
		SKIP(return, "no fault injection here (%d): debug kernel, root and debugfs needed", ret);
	ASSERT_EQ(0, sel_tile_alloc(self->fd, 1, &self->tile));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * self->dev.row_bytes, &self->w));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4096, &self->thr));
	ASSERT_EQ(0, sel_bo_new(self->fd, 8 * self->dev.row_bytes, &self->out));
	sel_net_init(&self->n, 4, 16, 1);
	sel_net_add(&self->n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 8, 3, 1, 1);
	sel_net_add(&self->n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 4, 0, 0, 0);
}

FIXTURE_TEARDOWN(fi)
{
	if (self->fd >= 0) {
		sel_placed_free(&self->pl);
		sel_net_free(&self->n);
		close(self->fd);
	}
}

/* One call of the path under test: its ioctl's result (0 or -errno). */
typedef int (*fi_call)(FIXTURE_DATA(fi) *self);

/*
 * Fail the N-th site for N = 1, 2, ... Each call must end cleanly, and the
 * same call without a fault must then succeed (checked by @call itself on
 * the next round, and once more at the end).
 */
static void fi_sweep(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fi) *self, const char *what, fi_call call)
{
	unsigned int n;
	int ret, fd;

	for (n = 1; n <= MAX_SITES; n++) {
		fd = fi_arm(n);
		ASSERT_LE(0, fd);
		ret = call(self);
		if (!fi_disarm(fd)) {
			/* fewer than n sites: done; the call was unfaulted */
			ASSERT_EQ(0, ret) TH_LOG("%s without a fault: %d", what, ret);
			break;
		}
		self->injected++;
		if (ret)
			self->failed++;
		EXPECT_TRUE(clean_errno(ret))
			TH_LOG("%s with site %u failed: %d (%s)", what, n, ret,
			       strerror(-ret));
	}
	EXPECT_GT(MAX_SITES, n);
	self->sites = n - 1;
	/* the card works after all that */
	ASSERT_EQ(0, call(self)) TH_LOG("%s after the sweep", what);
	TH_LOG("%s: %u allocation sites, %u faults injected, %u calls failed cleanly",
	       what, self->sites, self->injected, self->failed);
}

static int call_open(FIXTURE_DATA(fi) *self)
{
	int fd = sel_open(NULL);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

static int call_query(FIXTURE_DATA(fi) *self)
{
	struct drm_rbnn_query_tiles *t = malloc(64 * 1024);
	struct drm_rbnn_query_counters c;
	int ret;

	ret = sel_query(self->fd, DRM_RBNN_QUERY_TILES, t, 64 * 1024);
	if (!ret)
		ret = sel_query(self->fd, DRM_RBNN_QUERY_COUNTERS, &c, sizeof(c));
	free(t);
	return ret;
}

static int call_bo(FIXTURE_DATA(fi) *self)
{
	struct sel_bo b;
	int ret = sel_bo_new(self->fd, 3 * 4096 + 1, &b);

	if (!ret)
		sel_bo_del(self->fd, &b);
	return ret;
}

static int call_tile(FIXTURE_DATA(fi) *self)
{
	uint32_t t;
	int ret = sel_tile_alloc(self->fd, 1, &t);

	if (!ret)
		ret = sel_tile_free(self->fd, t);
	return ret;
}

/* PROGRAM with thresholds, an in-sync and a timeline out-sync, waited. */
static int call_program(FIXTURE_DATA(fi) *self)
{
	struct drm_rbnn_sync in = {}, out = {};
	uint32_t s_in, s_out;
	struct drm_rbnn_program p;
	int ret;

	ret = sel_syncobj_create(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &s_in);
	if (ret)
		return ret;
	ret = sel_syncobj_create(self->fd, 0, &s_out);
	if (ret)
		goto out_in;
	in.handle = s_in;
	out.handle = s_out;
	out.point = 1;
	p = (struct drm_rbnn_program){
		.tile = self->tile, .nrows = 8, .flags = DRM_RBNN_PROGRAM_VERIFY,
		.weights_handle = self->w.handle, .thresh_handle = self->thr.handle,
		.syncs = { .in_syncs = (uintptr_t)&in, .in_count = 1,
			   .in_stride = sizeof(in), .out = out },
	};
	ret = sel_ioctl(self->fd, DRM_IOCTL_RBNN_PROGRAM, &p);
	if (!ret)
		ret = sel_job_status(self->fd, p.seqno, 20000);
	sel_syncobj_destroy(self->fd, s_out);
out_in:
	sel_syncobj_destroy(self->fd, s_in);
	return ret;
}

static int call_readback(FIXTURE_DATA(fi) *self)
{
	uint64_t s;
	int ret;

	ret = sel_readback(self->fd, self->tile, 0, 8, DRM_RBNN_READBACK_SCRUB,
			   &self->out, 0, &s);
	if (!ret)
		ret = sel_job_status(self->fd, s, 20000);
	return ret;
}

static int call_exec(FIXTURE_DATA(fi) *self)
{
	uint64_t s;
	int ret;

	ret = sel_net_exec(self->fd, &self->n, &self->pl, 4, &self->xin, 0,
			   &self->xout, 0, &s);
	if (!ret)
		ret = sel_job_status(self->fd, s, 20000);
	if (!ret && sel_net_check(&self->n, 4, self->xin.map, self->xout.map))
		ret = -EIO; /* a wrong answer is not a clean failure */
	return ret;
}

static int call_waits(FIXTURE_DATA(fi) *self)
{
	struct drm_rbnn_job_info ji = { .seqno = self->seqno,
					.timeout_ns = 1 };
	int ret = sel_bo_wait(self->fd, self->w.handle, 0);

	if (!ret)
		ret = sel_ioctl(self->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji);
	if (!ret && (ji.state != DRM_RBNN_JOB_DONE || ji.status))
		ret = -EIO;
	return ret;
}

static int call_admin(FIXTURE_DATA(fi) *self)
{
	struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_SCRUB,
				    .tile = self->tile };
	int ret = sel_ioctl(self->fd, DRM_IOCTL_RBNN_ADMIN, &a);

	return ret ? ret : a.status;
}

TEST_F_TIMEOUT(fi, open_close, 300) { fi_sweep(_metadata, self, "open", call_open); }
TEST_F_TIMEOUT(fi, query, 300) { fi_sweep(_metadata, self, "QUERY", call_query); }
TEST_F_TIMEOUT(fi, bo_create_info, 300) { fi_sweep(_metadata, self, "BO_CREATE", call_bo); }
TEST_F_TIMEOUT(fi, tile_alloc_free, 300) { fi_sweep(_metadata, self, "TILE_ALLOC", call_tile); }
TEST_F_TIMEOUT(fi, program, 300) { fi_sweep(_metadata, self, "PROGRAM", call_program); }

TEST_F_TIMEOUT(fi, readback_scrub, 300)
{
	uint64_t s;

	ASSERT_EQ(0, sel_program(self->fd, self->tile, 0, 8, &self->w, 0, NULL,
				 0, &s));
	ASSERT_EQ(0, sel_job_status(self->fd, s, 20000));
	fi_sweep(_metadata, self, "READBACK", call_readback);
}

TEST_F_TIMEOUT(fi, exec, 300)
{
	ASSERT_EQ(0, sel_net_load(self->fd, &self->dev, &self->n, &self->tile,
				  1, 0, 0, &self->pl));
	ASSERT_EQ(0, sel_job_status(self->fd, self->pl.last_prog, 20000));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * self->n.in_bytes, &self->xin));
	ASSERT_EQ(0, sel_bo_new(self->fd, 4 * self->n.out_bytes, &self->xout));
	sel_fill_random(self->xin.map, self->xin.size);
	fi_sweep(_metadata, self, "EXEC", call_exec);
}

TEST_F_TIMEOUT(fi, waits, 300)
{
	ASSERT_EQ(0, sel_program(self->fd, self->tile, 0, 8, &self->w, 0, NULL,
				 0, &self->seqno));
	ASSERT_EQ(0, sel_job_status(self->fd, self->seqno, 20000));
	fi_sweep(_metadata, self, "BO_WAIT/JOB_INFO", call_waits);
}
TEST_F_TIMEOUT(fi, admin_scrub, 300) { fi_sweep(_metadata, self, "ADMIN", call_admin); }

TEST_HARNESS_MAIN
