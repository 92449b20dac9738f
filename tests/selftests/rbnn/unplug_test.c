// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Several cards, module unload/reload, and hot-unplug.
 *
 *   two_cards_independent      both cards usable at once, nothing shared
 *   rmmod_refused_with_open_fd rmmod fails while a file is open, the file
 *                              keeps working
 *   module_reload_loop         RBNN_RELOADS (default 10) x: jobs, close,
 *                              rmmod at once, modprobe, the cards are back
 *   hot_unplug_with_jobs_in_flight
 *                              the card behind a PCIe root port is removed
 *                              (echo 1 > /sys/bus/pci/devices/BDF/remove,
 *                              the driver's remove path) while jobs run on
 *                              it, wait in its queue, and a thread waits in
 *                              JOB_INFO: every job ends (0 if it finished
 *                              before, else -ENODEV, seen through exported
 *                              sync_files), ioctls return -ENODEV, mappings
 *                              stay readable, the other card works
 *   rescan_reprobes            /sys/bus/pci/rescan brings the card back
 *   hot_unplug_via_host_with_jobs_in_flight
 *                              the same, but the card is really unplugged:
 *                              the test asks the host (a "# RBNN-VM-HOST:
 *                              device_del ID" line on its output, carried
 *                              out by tests/vm/host-agent.py through QEMU's
 *                              QMP socket) to remove the device with QEMU id
 *                              $RBNN_UNPLUG_HOST_ID; the guest's pciehp gets
 *                              the attention button, powers the slot off
 *                              after 5 s and the driver's remove() runs. The
 *                              test keeps jobs on the card and in its queue
 *                              until the card is gone. Skips without
 *                              RBNN_UNPLUG_HOST_ID.
 *   host_replug_reprobes       the host hot-plugs $RBNN_REPLUG_HOST_DEVICE
 *                              (a -device spec, "device_add" through the
 *                              agent) into the empty slot; pciehp powers it
 *                              on and the driver probes the card. Skips
 *                              without RBNN_REPLUG_HOST_DEVICE.
 *
 * The guest script runs them one by one, in this order (-t NAME).
 * Environment: RBNN_EXPECT_CARDS (default 2), RBNN_RELOADS,
 * RBNN_UNPLUG_HOST_ID, RBNN_REPLUG_HOST_DEVICE.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "rbnn_sel.h"
#include "kselftest_harness.h"

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned int)strtoul(v, NULL, 0) : def;
}

/* Wait until @want rbnn nodes exist (or none when @want is 0). */
static int wait_cards(unsigned int want, char cards[][64], unsigned int ms)
{
	uint64_t t0 = sel_now_ns();
	int n;

	for (;;) {
		n = sel_list_cards(cards, 8);
		if ((unsigned int)n == want)
			return n;
		if (sel_now_ns() - t0 > ms * 1000000ull)
			return n;
		usleep(20000);
	}
}

/* Run a small net on a card; returns the number of wrong items or -errno. */
static int run_small_net(const char *node, uint32_t seed, uint32_t batch)
{
	struct drm_rbnn_query_device dev;
	struct sel_net n;
	struct sel_placed pl = {};
	struct sel_bo in = {}, out = {};
	uint32_t tile;
	uint64_t s;
	int fd = sel_open(node), ret;

	if (fd < 0)
		return fd;
	sel_seed(seed);
	ret = sel_query(fd, DRM_RBNN_QUERY_DEVICE, &dev, sizeof(dev));
	sel_net_init(&n, 4, 24, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 10, 3, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 3, 0, 0, 0);
	ret = ret ? ret : sel_tile_alloc(fd, 1, &tile);
	ret = ret ? ret : sel_net_load(fd, &dev, &n, &tile, 1, 0, 0, &pl);
	ret = ret ? ret : sel_bo_new(fd, batch * n.in_bytes, &in);
	ret = ret ? ret : sel_bo_new(fd, batch * n.out_bytes, &out);
	if (!ret) {
		sel_fill_random(in.map, in.size);
		ret = sel_net_exec(fd, &n, &pl, batch, &in, 0, &out, 0, &s);
	}
	ret = ret ? ret : sel_job_status(fd, s, 30000);
	if (!ret)
		ret = (int)sel_net_check(&n, batch, in.map, out.map);
	/* mappings hold the file (and its tiles, and the module) */
	if (in.map)
		munmap(in.map, in.size);
	if (out.map)
		munmap(out.map, out.size);
	sel_placed_free(&pl);
	sel_net_free(&n);
	close(fd);
	return ret;
}

/* A fixture only for TEST_F_TIMEOUT (this harness has no TEST_TIMEOUT). */
FIXTURE(up) {
	int unused;
};

FIXTURE_SETUP(up)
{
}

FIXTURE_TEARDOWN(up)
{
}

/* ---- two cards ------------------------------------------------------------ */

TEST_F(up, two_cards_independent)
{
	unsigned int want = env_uint("RBNN_EXPECT_CARDS", 2);
	struct drm_rbnn_query_counters ca0, cb0, ca1, cb1;
	struct drm_rbnn_query_device da, db;
	char cards[8][64], bdf_a[64], bdf_b[64];
	uint32_t *all;
	struct sel_bo bo;
	int n, fa, fb, i, st[2];
	pid_t pid[2];

	n = wait_cards(want, cards, 5000);
	ASSERT_EQ(want, n);
	if (n < 2)
		SKIP(return, "one card");
	fa = sel_open(cards[0]);
	fb = sel_open(cards[1]);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	sel_bdf(cards[0], bdf_a, sizeof(bdf_a));
	sel_bdf(cards[1], bdf_b, sizeof(bdf_b));
	TH_LOG("%s is %s, %s is %s", cards[0], bdf_a, cards[1], bdf_b);
	EXPECT_NE(0, strcmp(bdf_a, bdf_b));
	ASSERT_EQ(0, sel_query(fa, DRM_RBNN_QUERY_DEVICE, &da, sizeof(da)));
	ASSERT_EQ(0, sel_query(fb, DRM_RBNN_QUERY_DEVICE, &db, sizeof(db)));
	/* all tiles of card A taken: card B unaffected */
	all = calloc(da.tiles, 4);
	ASSERT_EQ(0, sel_tile_alloc(fa, da.tiles, all));
	EXPECT_EQ(0, sel_tiles_in_state(fa, DRM_RBNN_TILE_STATE_FREE));
	EXPECT_EQ((int)db.tiles, sel_tiles_in_state(fb, DRM_RBNN_TILE_STATE_FREE));
	EXPECT_EQ(0, sel_sysfs_u64(cards[0], "tiles_free"));
	EXPECT_EQ(db.tiles, sel_sysfs_u64(cards[1], "tiles_free"));
	/* handles of one card's file do not exist in the other's */
	ASSERT_EQ(0, sel_bo_new(fa, 4096, &bo));
	{
		struct drm_rbnn_bo_info bi = { .handle = bo.handle };

		EXPECT_EQ(-ENOENT, sel_ioctl(fb, DRM_IOCTL_RBNN_BO_INFO, &bi));
	}
	/* work on both at once, counters apart */
	ASSERT_EQ(0, sel_counters(fa, &ca0));
	ASSERT_EQ(0, sel_counters(fb, &cb0));
	ASSERT_EQ(0, sel_tile_free(fa, all[0]));
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			int k, bad = 0;

			for (k = 0; k < 5; k++)
				bad |= run_small_net(cards[i], 0x100 * i + k, 32) != 0;
			_exit(bad);
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &st[i], 0));
		EXPECT_EQ(0, st[i]) TH_LOG("card %d: wrong results or errors", i);
	}
	ASSERT_EQ(0, sel_counters(fa, &ca1));
	ASSERT_EQ(0, sel_counters(fb, &cb1));
	EXPECT_LE(ca0.jobs_submitted + 5, ca1.jobs_submitted);
	EXPECT_LE(cb0.jobs_submitted + 5, cb1.jobs_submitted);
	/* 5 nets of 2 PROGRAMs and 1 EXEC on each card */
	EXPECT_EQ(ca0.jobs_submitted + 15, ca1.jobs_submitted);
	EXPECT_EQ(cb0.jobs_submitted + 15, cb1.jobs_submitted);
	close(fa);
	close(fb);
	free(all);
}

/* ---- module unload / reload -------------------------------------------------- */

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int rmmod_retry(unsigned int ms)
{
	uint64_t t0 = sel_now_ns();
	int ret;

	for (;;) {
		ret = delete_module("rbnn");
		if (ret != -EAGAIN && ret != -EBUSY)
			return ret;
		if (sel_now_ns() - t0 > ms * 1000000ull)
			return ret;
		usleep(10000);
	}
}

TEST_F(up, rmmod_refused_with_open_fd)
{
	char cards[8][64];
	struct drm_rbnn_query_device d;
	uint32_t tile;
	struct sel_bo w;
	uint64_t s;
	int fd, ret;

	ASSERT_LT(0, wait_cards(env_uint("RBNN_EXPECT_CARDS", 2), cards, 5000));
	fd = sel_open(cards[0]);
	ASSERT_LE(0, fd);
	ret = delete_module("rbnn");
	TH_LOG("rmmod with an open file: %d (%s)", ret, strerror(-ret));
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN);
	/* the file keeps working */
	ASSERT_EQ(0, sel_query(fd, DRM_RBNN_QUERY_DEVICE, &d, sizeof(d)));
	ASSERT_EQ(0, sel_tile_alloc(fd, 1, &tile));
	ASSERT_EQ(0, sel_bo_new(fd, 2 * d.row_bytes, &w));
	ASSERT_EQ(0, sel_program(fd, tile, 0, 2, &w, 0, NULL, 0, &s));
	EXPECT_EQ(0, sel_job_status(fd, s, 20000));
	/* a mapping alone also holds the file */
	close(fd);
	ret = delete_module("rbnn");
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN)
		TH_LOG("rmmod with a mapped BO of a closed file: %d", ret);
	munmap(w.map, w.size);
	EXPECT_LT(0, sel_list_cards(cards, 8));
}

TEST_F_TIMEOUT(up, module_reload_loop, 240)
{
	unsigned int want = env_uint("RBNN_EXPECT_CARDS", 2);
	unsigned int loops = env_uint("RBNN_RELOADS", 10), i;
	char cards[8][64];
	uint64_t t0 = sel_now_ns(), tu = 0, tl = 0, t;
	int ret, n;

	for (i = 0; i < loops; i++) {
		struct drm_rbnn_query_device d;
		uint32_t tile, k;
		struct sel_bo w;
		uint64_t s;
		int fd;

		n = wait_cards(want, cards, 5000);
		ASSERT_EQ(want, n) TH_LOG("loop %u: %d cards", i, n);
		/* work left in flight by a file closed just before rmmod */
		fd = sel_open(cards[0]);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, sel_query(fd, DRM_RBNN_QUERY_DEVICE, &d, sizeof(d)));
		ASSERT_EQ(0, sel_tile_alloc(fd, 1, &tile));
		ASSERT_EQ(0, sel_bo_new(fd, 8 * d.row_bytes, &w));
		ASSERT_EQ(0, sel_program(fd, tile, 0, 8, &w, 0, NULL, 0, &s));
		for (k = 0; k < 20; k++)
			ASSERT_EQ(0, sel_readback(fd, tile, 0, 8, 0, &w, 0, &s));
		munmap(w.map, w.size);
		close(fd);
		t = sel_now_ns();
		ret = rmmod_retry(3000);
		tu += sel_now_ns() - t;
		ASSERT_EQ(0, ret) TH_LOG("loop %u: rmmod %d (%s)", i, ret, strerror(-ret));
		EXPECT_EQ(0, wait_cards(0, cards, 2000));
		t = sel_now_ns();
		ASSERT_EQ(0, system("modprobe rbnn"));
		n = wait_cards(want, cards, 5000);
		tl += sel_now_ns() - t;
		ASSERT_EQ(want, n);
		EXPECT_EQ(0, run_small_net(cards[n - 1], i, 4));
	}
	TH_LOG("%u unload/reload cycles in %llu ms (unload %llu ms, load %llu ms on average)",
	       loops, (unsigned long long)(sel_now_ns() - t0) / 1000000,
	       (unsigned long long)(loops ? tu / loops / 1000000 : 0),
	       (unsigned long long)(loops ? tl / loops / 1000000 : 0));
}

/* ---- hot-unplug ------------------------------------------------------------------- */

/* The card behind a PCIe root port: its BDF is not on bus 00. */
static int find_port_card(char *node, char *bdf)
{
	char cards[8][64];
	int n = sel_list_cards(cards, 8), i;

	for (i = 0; i < n; i++) {
		sel_bdf(cards[i], bdf, 64);
		if (strncmp(bdf, "0000:00:", 8)) {
			strcpy(node, cards[i]);
			return 0;
		}
	}
	return -ENODEV;
}

struct waiter {
	int fd;
	uint64_t seqno;
	int ret;
	struct drm_rbnn_job_info ji;
	unsigned int timeout_ms;	/* 0: 8 s */
	uint64_t ms, start, end;
};

static void *waiter_main(void *p)
{
	struct waiter *w = p;
	uint64_t t0 = sel_now_ns();

	w->start = t0;
	w->ret = sel_job_wait(w->fd, w->seqno, &w->ji,
			      w->timeout_ms ? w->timeout_ms : 8000);
	w->end = sel_now_ns();
	w->ms = (w->end - t0) / 1000000;
	return NULL;
}

/*
 * Ask the host to send QEMU a command (tests/vm/host-agent.py follows this
 * output, the guest's KTAP serial port, for these lines).
 */
static void host_request(const char *cmd, const char *arg)
{
	fflush(stderr);
	printf("# RBNN-VM-HOST: %s %s\n", cmd, arg);
	fflush(stdout);
}

/* Wait until @path no longer exists (@want_gone) or exists again. */
static int wait_path(const char *path, bool want_gone, unsigned int ms)
{
	uint64_t t0 = sel_now_ns();

	while ((access(path, F_OK) != 0) != want_gone) {
		if (sel_now_ns() - t0 > ms * 1000000ull)
			return -ETIMEDOUT;
		usleep(20000);
	}
	return 0;
}

/* Host hot-unplug: the attention button's 5 s, slot power-off, remove(). */
#define HOST_UNPLUG_MS 30000

struct remover {
	char path[PATH_MAX];	/* sysfs remove file, or the device's dir */
	const char *host_id;	/* QEMU id: the host removes the device */
	int ret;
	int done;
	uint64_t ms, start, end;
};

static void *remover_main(void *p)
{
	struct remover *r = p;
	uint64_t t0 = sel_now_ns();

	r->start = t0;
	if (r->host_id) {
		host_request("device_del", r->host_id);
		r->ret = wait_path(r->path, true, HOST_UNPLUG_MS);
	} else {
		r->ret = sel_write_file(r->path, "1");
	}
	r->end = sel_now_ns();
	r->ms = (r->end - t0) / 1000000;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define MAXJ 64

/*
 * Remove the card behind the root port while jobs run on it, wait in its
 * queue and threads wait in JOB_INFO: through its sysfs remove file, or,
 * with @host_id, by asking the host to unplug the device from QEMU.
 */
/*
 * A foreign buffer (a vgem dumb buffer) imported into @fd: attached and
 * mapped for the card until the card's remove() detaches it.
 */
static int import_vgem_bo(int vgem, int fd, uint32_t *handle)
{
	struct drm_mode_create_dumb dumb = { .height = 1, .width = 4096,
					     .bpp = 8 };
	struct drm_prime_handle ex = { .flags = O_CLOEXEC }, im = {};
	int ret;

	ret = sel_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	if (ret)
		return ret;
	ex.handle = dumb.handle;
	ret = sel_ioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ex);
	if (ret)
		return ret;
	im.fd = ex.fd;
	ret = sel_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &im);
	close(ex.fd);
	*handle = im.handle;
	return ret;
}

/*
 * Errors the DMA API's debugging found since boot (a debug kernel), or -1
 * without it. It prints only the first report of a boot, but counts all.
 */
static long dma_api_errors(void)
{
	FILE *f = fopen("/sys/kernel/debug/dma-api/error_count", "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static void hot_unplug_with_jobs(struct __test_metadata *_metadata,
				 const char *host_id)
{
	char node[64], bdf[64], other[64] = "", cards[8][64];
	struct drm_rbnn_query_device dev;
	struct sel_net n;
	struct sel_placed pl;
	struct sel_bo in, out[4], rb;
	struct sel_gate g;
	struct waiter wt = {}, wg = {};
	struct remover rm = {};
	pthread_t tw, tg = 0, tr;
	uint32_t tiles[2], so, i, nj = 0, batch;
	int sf[MAXJ], fd, fd2, ret, ok = 0, enodev = 0, other_st = 0, pending = 0;
	bool gate;
	uint64_t s;
	int ncards;
	long dma_err0 = dma_api_errors();

	if (find_port_card(node, bdf))
		SKIP(return, "no rbnn card behind a PCIe root port");
	ncards = sel_list_cards(cards, 8);
	for (i = 0; i < (uint32_t)ncards; i++)
		if (strcmp(cards[i], node))
			strcpy(other, cards[i]);
	TH_LOG("removing %s (%s%s%s) while jobs run; other card %s", node, bdf,
	       host_id ? ", QEMU id " : "", host_id ? host_id : "",
	       other[0] ? other : "none");
	fd = sel_open(node);
	fd2 = sel_open(node);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, sel_query(fd, DRM_RBNN_QUERY_DEVICE, &dev, sizeof(dev)));
	sel_seed(0xdead);
	sel_net_init(&n, 256, 1, 1);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_BITS, 64, 0, 0, 0);
	sel_net_add(&n, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 10, 0, 0, 0);
	ASSERT_EQ(0, sel_tile_alloc(fd, 2, tiles));
	ASSERT_EQ(0, sel_net_load(fd, &dev, &n, tiles, 2, 0, 0, &pl));
	ASSERT_EQ(0, sel_job_status(fd, pl.last_prog, 20000));
	batch = dev.max_batch < 65536 ? dev.max_batch : 65536;
	ASSERT_EQ(0, sel_bo_new(fd, (uint64_t)batch * n.in_bytes, &in));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, sel_bo_new(fd, (uint64_t)batch * n.out_bytes, &out[i]));
	ASSERT_EQ(0, sel_bo_new(fd, 64 * dev.row_bytes, &rb));
	sel_fill_random(in.map, in.size);
	ASSERT_EQ(0, sel_syncobj_create(fd, 0, &so));

	/* long EXECs (modeled timing makes them take card time) */
	for (i = 0; i < 12; i++) {
		struct drm_rbnn_exec x;

		sel_exec_args(&x, &n, &pl, batch, in.handle, 0, out[i % 4].handle, 0);
		x.syncs.out.handle = so;
		ASSERT_EQ(0, sel_ioctl(fd, DRM_IOCTL_RBNN_EXEC, &x));
		sf[nj] = sel_syncobj_export_sync_file(fd, so);
		ASSERT_LE(0, sf[nj]);
		nj++;
		s = x.seqno;
	}
	/* a thread waits in JOB_INFO for the last one */
	wt.fd = fd;
	wt.seqno = s;
	if (host_id)
		wt.timeout_ms = wg.timeout_ms = HOST_UNPLUG_MS + 8000;
	ASSERT_EQ(0, pthread_create(&tw, NULL, waiter_main, &wt));
	/* jobs of a second file held in the queue by a fence */
	gate = !sel_gate_init(fd2, &g);
	if (gate) {
		uint32_t t2;
		struct sel_bo w2, in2, out2;
		struct sel_placed pl2;
		struct drm_rbnn_exec x2;
		struct drm_rbnn_sync exsync = { .handle = g.syncobj };
		uint32_t so2, imported;

		ASSERT_EQ(0, sel_tile_alloc(fd2, 1, &t2));
		/* the small net on the second file's tile, for its held EXEC */
		ASSERT_EQ(0, sel_net_load(fd2, &dev, &n, &t2, 1, 8, 0, &pl2));
		ASSERT_EQ(0, sel_job_status(fd2, pl2.last_prog, 20000));
		ASSERT_EQ(0, sel_bo_new(fd2, 4 * dev.row_bytes, &w2));
		ASSERT_EQ(0, sel_bo_new(fd2, n.in_bytes, &in2));
		ASSERT_EQ(0, sel_bo_new(fd2, n.out_bytes, &out2));
		ASSERT_EQ(0, sel_syncobj_create(fd2, 0, &so2));
		/*
		 * A held EXEC has its layer program in a DMA buffer of the
		 * card's: remove() must free it, although the job outlives
		 * the card until this file closes (the debug kernel's DMA API
		 * checks, at unbind, that nothing is left allocated).
		 */
		sel_exec_args(&x2, &n, &pl2, 1, in2.handle, 0, out2.handle, 0);
		x2.syncs.in_syncs = (uintptr_t)&exsync;
		x2.syncs.in_count = 1;
		x2.syncs.in_stride = sizeof(exsync);
		x2.syncs.out.handle = so2;
		ASSERT_EQ(0, sel_ioctl(fd2, DRM_IOCTL_RBNN_EXEC, &x2));
		sf[nj] = sel_syncobj_export_sync_file(fd2, so2);
		ASSERT_LE(0, sf[nj]);
		nj++;
		sel_placed_free(&pl2);
		/* held across the removal; the first held PROGRAM reads it */
		ASSERT_EQ(0, import_vgem_bo(g.vgem, fd2, &imported));
		for (i = 0; i < 4; i++) {
			struct drm_rbnn_sync insync = { .handle = g.syncobj };
			struct drm_rbnn_program p = {
				.tile = t2, .row = i, .nrows = 1,
				.weights_handle = i ? w2.handle : imported,
				.syncs = { .in_syncs = (uintptr_t)&insync,
					   .in_count = 1, .in_stride = sizeof(insync),
					   .out = { .handle = so2 } },
			};

			ASSERT_EQ(0, sel_ioctl(fd2, DRM_IOCTL_RBNN_PROGRAM, &p));
			sf[nj] = sel_syncobj_export_sync_file(fd2, so2);
			ASSERT_LE(0, sf[nj]);
			nj++;
			wg.seqno = p.seqno;
		}
		/* and a thread waits in JOB_INFO for a held job */
		wg.fd = fd2;
		ASSERT_EQ(0, pthread_create(&tg, NULL, waiter_main, &wg));
	} else {
		TH_LOG("no vgem gate: no queued-but-blocked jobs in this run");
	}
	usleep(50000);

	if (!host_id) {
		/* remove the card (the driver's PCI remove path) */
		snprintf(rm.path, sizeof(rm.path), "/sys/bus/pci/devices/%s/remove",
			 bdf);
		ASSERT_EQ(0, pthread_create(&tr, NULL, remover_main, &rm));
	} else {
		/*
		 * Unplug it from QEMU. The removal starts seconds later: until
		 * the card is gone, keep 4 more EXECs on it (each with its
		 * sync_file; submissions fail with -ENODEV once it is gone).
		 */
		uint64_t more[MAXJ];
		uint32_t nmore = 0, k;

		snprintf(rm.path, sizeof(rm.path), "/sys/bus/pci/devices/%s", bdf);
		rm.host_id = host_id;
		ASSERT_EQ(0, pthread_create(&tr, NULL, remover_main, &rm));
		while (!__atomic_load_n(&rm.done, __ATOMIC_ACQUIRE)) {
			struct drm_rbnn_exec x;
			uint32_t busy = 0;

			for (k = nmore > 4 ? nmore - 4 : 0; k < nmore; k++)
				busy += sel_job_wait(fd, more[k], NULL, 0) == -ETIMEDOUT;
			if (busy >= 4 || nj >= MAXJ) {
				usleep(20000);
				continue;
			}
			sel_exec_args(&x, &n, &pl, batch, in.handle, 0,
				      out[nmore % 4].handle, 0);
			x.syncs.out.handle = so;
			ret = sel_ioctl(fd, DRM_IOCTL_RBNN_EXEC, &x);
			if (ret) {
				/* the card is going: -ENODEV from here on */
				EXPECT_EQ(-ENODEV, ret);
				break;
			}
			more[nmore++] = x.seqno;
			sf[nj] = sel_syncobj_export_sync_file(fd, so);
			/* unplugged between the EXEC and this ioctl: every
			 * ioctl of the file fails with -ENODEV from now on */
			if (sf[nj] == -ENODEV)
				break;
			ASSERT_LE(0, sf[nj]);
			nj++;
		}
		TH_LOG("%u EXECs submitted while the host unplugged the card", nmore);
	}
	ASSERT_EQ(0, pthread_join(tr, NULL));
	TH_LOG("%s took %llu ms (ret %d)", host_id ? "host unplug" : "remove",
	       (unsigned long long)rm.ms, rm.ret);

	EXPECT_EQ(0, rm.ret);
	/* remove() left nothing allocated or mapped for the card */
	if (dma_err0 >= 0)
		EXPECT_EQ(dma_err0, dma_api_errors())
			TH_LOG("the DMA API found errors at the removal (kernel log)");
	if (!host_id)
		EXPECT_GT(3000, rm.ms) TH_LOG("remove blocked by a waiter or queued jobs?");
	if (gate) {
		sel_gate_release(&g);
		ASSERT_EQ(0, pthread_join(tg, NULL));
		TH_LOG("JOB_INFO waiter on a held job returned %d after %llu ms (state %u status %d)",
		       wg.ret, (unsigned long long)wg.ms, wg.ji.state, wg.ji.status);
		EXPECT_TRUE(wg.ret == -ENODEV ||
			    (wg.ret == 0 && wg.ji.status == -ENODEV));
	}
	ASSERT_EQ(0, pthread_join(tw, NULL));
	TH_LOG("JOB_INFO waiter returned %d after %llu ms (state %u status %d)",
	       wt.ret, (unsigned long long)wt.ms, wt.ji.state, wt.ji.status);
	EXPECT_TRUE(wt.ret == -ENODEV || (wt.ret == 0 && wt.ji.status == -ENODEV) ||
		    (wt.ret == 0 && wt.ji.status == 0));
#define REL(t) ((t) ? ((double)(int64_t)((t) - rm.start)) / 1e6 : 0.0)
	TH_LOG("timeline (ms, 0 = remove starts): waiter %.1f..%.1f, held-job waiter %.1f..%.1f, remove ..%.1f",
	       REL(wt.start), REL(wt.end), REL(wg.start), REL(wg.end), REL(rm.end));

	/* every job ended: 0 if it finished before, else -ENODEV */
	for (i = 0; i < (uint32_t)nj; i++) {
		struct pollfd pfd = { .fd = sf[i], .events = POLLIN };
		int st;

		poll(&pfd, 1, 10000);
		st = sel_sync_file_status(sf[i]);
		if (st == 1)
			ok++;
		else if (st == -ENODEV)
			enodev++;
		else if (st == 0)
			pending++;
		else
			other_st = st;
		close(sf[i]);
	}
	TH_LOG("%d jobs: %d finished before the removal, %d ended -ENODEV, %d pending, other status %d",
	       nj, ok, enodev, pending, other_st);
	EXPECT_EQ(nj, ok + enodev);
	EXPECT_EQ(0, pending);
	EXPECT_LT(0, enodev);

	/* the files are dead: every ioctl says -ENODEV */
	{
		struct drm_rbnn_bo_create c = { .size = 4096 };
		struct drm_rbnn_job_info ji = { .seqno = 1 };
		struct drm_rbnn_query_device d;

		EXPECT_EQ(-ENODEV, sel_query(fd, DRM_RBNN_QUERY_DEVICE, &d, sizeof(d)));
		EXPECT_EQ(-ENODEV, sel_ioctl(fd, DRM_IOCTL_RBNN_BO_CREATE, &c));
		EXPECT_EQ(-ENODEV, sel_ioctl(fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
		EXPECT_EQ(-ENODEV, sel_tile_alloc(fd, 1, tiles));
		EXPECT_EQ(-ENODEV, sel_net_exec(fd, &n, &pl, 1, &in, 0, &out[0], 0, NULL));
		EXPECT_EQ(-ENODEV, sel_readback(fd2, tiles[0], 0, 1, 0, &rb, 0, NULL));
		EXPECT_EQ(-ENODEV, sel_bo_wait(fd, in.handle, 0));
	}
	/* mappings stay readable (shmem pages) */
	for (i = 0, ret = 0; i < in.size; i += 4096)
		ret += ((volatile uint8_t *)in.map)[i];
	TH_LOG("input mapping still readable (sum %d)", ret);
	/* the node is gone */
	EXPECT_GT(0, sel_open(node));
	close(fd);
	close(fd2);
	munmap(in.map, in.size);
	if (gate)
		sel_gate_fini(&g);

	/* the other card still works */
	if (other[0])
		EXPECT_EQ(0, run_small_net(other, 77, 16));
	sel_placed_free(&pl);
	sel_net_free(&n);
}

TEST_F_TIMEOUT(up, hot_unplug_with_jobs_in_flight, 90)
{
	hot_unplug_with_jobs(_metadata, NULL);
}

TEST_F_TIMEOUT(up, hot_unplug_via_host_with_jobs_in_flight, 120)
{
	const char *id = getenv("RBNN_UNPLUG_HOST_ID");

	if (!id || !*id)
		SKIP(return, "RBNN_UNPLUG_HOST_ID not set: no host to unplug the card");
	hot_unplug_with_jobs(_metadata, id);
}

TEST_F_TIMEOUT(up, rescan_reprobes, 60)
{
	unsigned int want = env_uint("RBNN_EXPECT_CARDS", 2);
	char cards[8][64], node[64], bdf[64];
	int n;

	n = sel_list_cards(cards, 8);
	if ((unsigned int)n == want)
		SKIP(return, "all %u cards present: nothing to rescan", want);
	ASSERT_EQ(0, sel_write_file("/sys/bus/pci/rescan", "1"));
	n = wait_cards(want, cards, 10000);
	ASSERT_EQ(want, n);
	ASSERT_EQ(0, find_port_card(node, bdf));
	TH_LOG("%s (%s) is back", node, bdf);
	EXPECT_EQ(0, run_small_net(node, 5, 64));
}

TEST_F_TIMEOUT(up, host_replug_reprobes, 60)
{
	unsigned int want = env_uint("RBNN_EXPECT_CARDS", 2);
	const char *spec = getenv("RBNN_REPLUG_HOST_DEVICE");
	char cards[8][64], node[64], bdf[64];
	uint64_t t0;
	int n;

	if (!spec || !*spec)
		SKIP(return, "RBNN_REPLUG_HOST_DEVICE not set: no host to plug a card");
	n = sel_list_cards(cards, 8);
	if ((unsigned int)n == want)
		SKIP(return, "all %u cards present: nothing to plug", want);
	t0 = sel_now_ns();
	host_request("device_add", spec);
	n = wait_cards(want, cards, 30000);
	ASSERT_EQ(want, n);
	ASSERT_EQ(0, find_port_card(node, bdf));
	TH_LOG("%s (%s) plugged in and probed after %llu ms", node, bdf,
	       (unsigned long long)(sel_now_ns() - t0) / 1000000);
	EXPECT_EQ(0, run_small_net(node, 6, 64));
}

TEST_HARNESS_MAIN
