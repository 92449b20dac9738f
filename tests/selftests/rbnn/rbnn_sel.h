/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Shared helpers of the rbnn selftests (uapi_neg_test, isolation_test,
 * stress_test, errmodel_test, fault_test, unplug_test, bench): raw ioctl
 * wrappers, buffer objects, syncobjs, card discovery (sysfs, debugfs), a
 * "gate" fence under the test's control (vgem), and a compact naive
 * reference of the card's layer programs (+/-1 dot products, thresholds,
 * CONV1D windows with zero padding, MAXPOOL1D, bit-serial inputs, scores).
 *
 * Header-only: every function is static. No libdrm.
 *
 * Environment: RBNN_DEVICE (default /dev/accel/accel0), RBNN_SEED.
 */
#ifndef RBNN_SEL_H
#define RBNN_SEL_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "drm.h"
#include "rbnn_accel.h"

#define SEL_ALIGN8(x)		(((x) + 7) & ~(uint64_t)7)
#define SEL_DIV_UP(a, b)	(((a) + (b) - 1) / (b))
#define SEL_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* enum rbnn_status of kernel/rbnn_regs.h (the card's completion codes). */
#define SEL_HW_OK		0
#define SEL_HW_BAD_PARAM	2
#define SEL_HW_DMA		3
#define SEL_HW_BAD_PROGRAM	4
#define SEL_HW_VERIFY		5
/* CAPS bits (rbnn_regs.h). */
#define SEL_CAP_TIMING_MODELED	(1u << 8)
#define SEL_CAP_DEBUG		(1u << 9)
#define SEL_CAP_ERROR_MODEL	(1u << 10)
#define SEL_CAP_SCRUB_COUNT	(1u << 11)

/* ---- basics ---------------------------------------------------------- */

static inline int sel_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r == -1 && (errno == EINTR || errno == EAGAIN));
	return r ? -errno : 0;
}

static inline uint64_t sel_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* xorshift64*, one state per thread (fork() copies it: reseed). */
static __thread uint64_t sel_rng_state = 0x9e3779b97f4a7c15ull;

static inline void sel_seed(uint64_t s)
{
	const char *e = getenv("RBNN_SEED");

	if (e && *e)
		s ^= strtoull(e, NULL, 0);
	sel_rng_state = (s * 0x2545f4914f6cdd1dull) | 1;
}

static inline uint64_t sel_rng(void)
{
	uint64_t x = sel_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sel_rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint32_t sel_rand(uint32_t n) /* 0..n-1 */
{
	return n ? (uint32_t)(sel_rng() % n) : 0;
}

static inline const char *sel_dev_path(void)
{
	const char *p = getenv("RBNN_DEVICE");

	return p && *p ? p : "/dev/accel/accel0";
}

static inline int sel_open(const char *path)
{
	int fd = open(path ? path : sel_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* ---- card discovery: sysfs and debugfs ------------------------------- */

/* Minor number of an accel node path ("/dev/accel/accel3" -> 3). */
static inline int sel_minor(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	return (int)minor(st.st_rdev);
}

/* /sys/class/accel/accelN/device (the PCI function) of a node. */
static inline void sel_sysfs_dir(const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "/sys/class/accel/accel%d/device", sel_minor(node));
}

/* PCI BDF of a node, "" if unknown. */
static inline void sel_bdf(const char *node, char *buf, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *slash, *name;
	ssize_t n;
	size_t k;

	sel_sysfs_dir(node, link, sizeof(link));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		buf[0] = 0;
		return;
	}
	target[n] = 0;
	slash = strrchr(target, '/');
	name = slash ? slash + 1 : target;
	k = strlen(name);
	if (k >= len)
		k = len - 1;
	memcpy(buf, name, k);
	buf[k] = 0;
}

/* debugfs directory of a node: accel/<bdf> (6.12), else accel/<minor>. */
static inline void sel_debugfs_dir(const char *node, char *buf, size_t len)
{
	char bdf[64];
	struct stat st;

	sel_bdf(node, bdf, sizeof(bdf));
	snprintf(buf, len, "/sys/kernel/debug/accel/%s", bdf);
	if (bdf[0] && !stat(buf, &st))
		return;
	snprintf(buf, len, "/sys/kernel/debug/accel/%d", sel_minor(node));
}

static inline int sel_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static inline int sel_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

static inline int sel_debugfs_write(const char *node, const char *file,
				    const char *val)
{
	char p[PATH_MAX], d[PATH_MAX - 64];

	sel_debugfs_dir(node, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/%s", d, file);
	return sel_write_file(p, val);
}

/* A "key: value" line of a debugfs file (status), or -1. */
static inline long long sel_debugfs_field(const char *node, const char *file,
					  const char *key)
{
	char p[PATH_MAX], d[PATH_MAX - 64], buf[8192], *s;
	size_t kl = strlen(key);

	sel_debugfs_dir(node, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/%s", d, file);
	if (sel_read_file(p, buf, sizeof(buf)) < 0)
		return -1;
	for (s = buf; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (!strncmp(s, key, kl) && s[kl] == ':')
			return strtoll(s + kl + 1, NULL, 0);
	return -1;
}

static inline long long sel_sysfs_u64(const char *node, const char *attr)
{
	char p[PATH_MAX], d[PATH_MAX - 64], buf[64];

	sel_sysfs_dir(node, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/%s", d, attr);
	if (sel_read_file(p, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

/* Every accel node of an rbnn card, sorted; returns the count. */
static inline int sel_list_cards(char paths[][64], int max)
{
	DIR *d = opendir("/dev/accel");
	struct dirent *e;
	int n = 0, i, j;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char p[64], drv[PATH_MAX], link[PATH_MAX];
		ssize_t l;

		if (strncmp(e->d_name, "accel", 5))
			continue;
		snprintf(p, sizeof(p), "/dev/accel/%s", e->d_name);
		sel_sysfs_dir(p, link, sizeof(link) - 16);
		strcat(link, "/driver");
		l = readlink(link, drv, sizeof(drv) - 1);
		if (l < 0)
			continue;
		drv[l] = 0;
		if (!strstr(drv, "rbnn"))
			continue;
		snprintf(paths[n++], 64, "%s", p);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(paths[j - 1], paths[j]) > 0; j--) {
			char t[64];

			memcpy(t, paths[j], 64);
			memcpy(paths[j], paths[j - 1], 64);
			memcpy(paths[j - 1], t, 64);
		}
	return n;
}

/* ---- queries ---------------------------------------------------------- */

static inline int sel_query(int fd, uint32_t type, void *buf, uint32_t size)
{
	struct drm_rbnn_query q = { .type = type, .size = size,
				    .ptr = (uintptr_t)buf };

	return sel_ioctl(fd, DRM_IOCTL_RBNN_QUERY, &q);
}

static inline int sel_counters(int fd, struct drm_rbnn_query_counters *c)
{
	memset(c, 0, sizeof(*c));
	return sel_query(fd, DRM_RBNN_QUERY_COUNTERS, c, sizeof(*c));
}

#define SEL_MAX_TILES 1024
struct sel_tiles {
	struct drm_rbnn_query_tiles hdr;
	struct drm_rbnn_tile_info t[SEL_MAX_TILES];
};

static inline int sel_query_tiles(int fd, struct sel_tiles *t)
{
	memset(t, 0, sizeof(*t));
	return sel_query(fd, DRM_RBNN_QUERY_TILES, t, sizeof(*t));
}

static inline int sel_tiles_in_state(int fd, uint32_t state)
{
	static struct sel_tiles t;
	uint32_t i;
	int n = 0;

	if (sel_query_tiles(fd, &t))
		return -1;
	for (i = 0; i < t.hdr.count; i++)
		n += t.t[i].state == state;
	return n;
}

/* ---- buffer objects --------------------------------------------------- */

struct sel_bo {
	uint32_t handle;
	uint64_t size;
	uint8_t *map;
};

static inline int sel_bo_new(int fd, uint64_t size, struct sel_bo *bo)
{
	struct drm_rbnn_bo_create c = { .size = size };
	struct drm_rbnn_bo_info i = {};
	int ret;

	memset(bo, 0, sizeof(*bo));
	ret = sel_ioctl(fd, DRM_IOCTL_RBNN_BO_CREATE, &c);
	if (ret)
		return ret;
	i.handle = c.handle;
	ret = sel_ioctl(fd, DRM_IOCTL_RBNN_BO_INFO, &i);
	if (ret)
		return ret;
	bo->handle = c.handle;
	bo->size = i.size;
	bo->map = mmap(NULL, i.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       i.mmap_offset);
	if (bo->map == MAP_FAILED) {
		bo->map = NULL;
		return -errno;
	}
	return 0;
}

static inline int sel_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return sel_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static inline void sel_bo_del(int fd, struct sel_bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->handle)
		sel_gem_close(fd, bo->handle);
	memset(bo, 0, sizeof(*bo));
}

static inline int sel_bo_wait(int fd, uint32_t handle, int64_t deadline_ns)
{
	struct drm_rbnn_bo_wait w = { .handle = handle,
				      .timeout_ns = deadline_ns };

	return sel_ioctl(fd, DRM_IOCTL_RBNN_BO_WAIT, &w);
}

/* ---- tiles, program, readback, job info -------------------------------- */

static inline int sel_tile_alloc(int fd, uint32_t count, uint32_t *tiles)
{
	struct drm_rbnn_tile_alloc a = { .count = count,
					 .tiles_ptr = (uintptr_t)tiles };

	return sel_ioctl(fd, DRM_IOCTL_RBNN_TILE_ALLOC, &a);
}

static inline int sel_tile_free(int fd, uint32_t tile)
{
	struct drm_rbnn_tile_free f = { .tile = tile };

	return sel_ioctl(fd, DRM_IOCTL_RBNN_TILE_FREE, &f);
}

/* PROGRAM with optional thresholds (thr NULL: none), flags and current. */
static inline int sel_program_ex(int fd, uint32_t tile, uint32_t row,
				 uint32_t nrows, uint32_t flags,
				 uint32_t current_na, const struct sel_bo *w,
				 uint64_t woff, const struct sel_bo *thr,
				 uint64_t toff, uint64_t *seqno)
{
	struct drm_rbnn_program p = {
		.tile = tile, .row = row, .nrows = nrows, .flags = flags,
		.current_na = current_na,
		.weights_handle = w->handle, .weights_offset = woff,
		.thresh_handle = thr ? thr->handle : 0,
		.thresh_offset = thr ? toff : 0,
	};
	int ret = sel_ioctl(fd, DRM_IOCTL_RBNN_PROGRAM, &p);

	if (!ret && seqno)
		*seqno = p.seqno;
	return ret;
}

static inline int sel_program(int fd, uint32_t tile, uint32_t row,
			      uint32_t nrows, const struct sel_bo *w,
			      uint64_t woff, const struct sel_bo *thr,
			      uint64_t toff, uint64_t *seqno)
{
	return sel_program_ex(fd, tile, row, nrows, 0, 0, w, woff, thr, toff,
			      seqno);
}

static inline int sel_readback(int fd, uint32_t tile, uint32_t row,
			       uint32_t nrows, uint32_t flags,
			       const struct sel_bo *out, uint64_t off,
			       uint64_t *seqno)
{
	struct drm_rbnn_readback r = {
		.tile = tile, .row = row, .nrows = nrows, .flags = flags,
		.handle = out->handle, .offset = off,
	};
	int ret = sel_ioctl(fd, DRM_IOCTL_RBNN_READBACK, &r);

	if (!ret && seqno)
		*seqno = r.seqno;
	return ret;
}

/* JOB_INFO with a relative timeout; 0 and the result in *ji when done,
 * -ETIMEDOUT when still pending, another -errno from the ioctl. */
static inline int sel_job_wait(int fd, uint64_t seqno,
			       struct drm_rbnn_job_info *ji,
			       unsigned int timeout_ms)
{
	struct drm_rbnn_job_info tmp;
	int ret;

	if (!ji)
		ji = &tmp;
	memset(ji, 0, sizeof(*ji));
	ji->seqno = seqno;
	ji->timeout_ns = timeout_ms ? (int64_t)(sel_now_ns() +
					timeout_ms * 1000000ull) : 0;
	ret = sel_ioctl(fd, DRM_IOCTL_RBNN_JOB_INFO, ji);
	if (ret)
		return ret;
	return ji->state == DRM_RBNN_JOB_DONE ? 0 : -ETIMEDOUT;
}

/* Wait for a job and return its status (or the wait's error, < -4095 never). */
static inline int sel_job_status(int fd, uint64_t seqno, unsigned int ms)
{
	struct drm_rbnn_job_info ji;
	int ret = sel_job_wait(fd, seqno, &ji, ms);

	return ret ? ret : ji.status;
}

/* ---- syncobjs (raw ioctls) ---------------------------------------------- */

static inline int sel_syncobj_create(int fd, uint32_t flags, uint32_t *h)
{
	struct drm_syncobj_create c = { .flags = flags };
	int ret = sel_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	*h = c.handle;
	return ret;
}

static inline int sel_syncobj_destroy(int fd, uint32_t h)
{
	struct drm_syncobj_destroy d = { .handle = h };

	return sel_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

static inline int sel_syncobj_wait(int fd, uint32_t h, uint64_t point,
				   unsigned int timeout_ms)
{
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&h, .points = (uintptr_t)&point,
		.count_handles = 1,
		.timeout_nsec = (int64_t)(sel_now_ns() + timeout_ms * 1000000ull),
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	return sel_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
}

/* Export the syncobj's current fence as a sync_file fd (or -errno). */
static inline int sel_syncobj_export_sync_file(int fd, uint32_t h)
{
	struct drm_syncobj_handle a = {
		.handle = h,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	int ret = sel_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &a);

	return ret ? ret : a.fd;
}

/* Status of a sync_file: 1 signalled OK, 0 pending, < 0 its error. */
static inline int sel_sync_file_status(int sfd)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		return -1000 - errno;
	return info.status;
}

/* ---- a gate: an unsignalled fence that the test signals (vgem) --------- */

#define SEL_VGEM_FENCE_ATTACH	0x1
#define SEL_VGEM_FENCE_SIGNAL	0x2
struct sel_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};
struct sel_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define SEL_IOCTL_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + SEL_VGEM_FENCE_ATTACH, struct sel_vgem_fence_attach)
#define SEL_IOCTL_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + SEL_VGEM_FENCE_SIGNAL, struct sel_vgem_fence_signal)

struct sel_gate {
	int vgem;		/* vgem node */
	uint32_t fence;		/* vgem fence id */
	uint32_t syncobj;	/* syncobj on the rbnn fd holding the fence */
	bool open;
};

/* The vgem card node, or -ENODEV. */
static inline int sel_vgem_open(void)
{
	char p[64], drv[PATH_MAX], link[PATH_MAX];
	int i;

	for (i = 0; i < 16; i++) {
		ssize_t l;

		snprintf(link, sizeof(link), "/sys/class/drm/card%d/device/driver", i);
		l = readlink(link, drv, sizeof(drv) - 1);
		if (l < 0) {
			/* vgem is a platform device: its node has a device link. */
			snprintf(link, sizeof(link), "/sys/class/drm/card%d/device", i);
			l = readlink(link, drv, sizeof(drv) - 1);
			if (l < 0)
				continue;
		}
		drv[l] = 0;
		if (!strstr(drv, "vgem"))
			continue;
		snprintf(p, sizeof(p), "/dev/dri/card%d", i);
		return sel_open(p);
	}
	return -ENODEV;
}

/*
 * Make @g->syncobj on @fd an unsignalled syncobj that signals when
 * sel_gate_release() is called (or after vgem's own 10 s timeout).
 */
static inline int sel_gate_init(int fd, struct sel_gate *g)
{
	struct drm_mode_create_dumb dumb = { .height = 1, .width = 4096,
					     .bpp = 8 };
	struct sel_vgem_fence_attach att = { .flags = 1 /* WRITE */ };
	struct drm_prime_handle ph = { .flags = O_CLOEXEC };
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_READ,
					       .fd = -1 };
	struct drm_syncobj_handle imp = {
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE };
	int ret;

	memset(g, 0, sizeof(*g));
	g->vgem = sel_vgem_open();
	if (g->vgem < 0)
		return g->vgem;
	ret = sel_ioctl(g->vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	if (ret)
		goto err;
	att.handle = dumb.handle;
	ret = sel_ioctl(g->vgem, SEL_IOCTL_VGEM_FENCE_ATTACH, &att);
	if (ret)
		goto err;
	g->fence = att.out_fence;
	ph.handle = dumb.handle;
	ret = sel_ioctl(g->vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph);
	if (ret)
		goto err_sig;
	ret = ioctl(ph.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex) ? -errno : 0;
	close(ph.fd);
	if (ret)
		goto err_sig;
	ret = sel_syncobj_create(fd, 0, &g->syncobj);
	if (ret) {
		close(ex.fd);
		goto err_sig;
	}
	imp.handle = g->syncobj;
	imp.fd = ex.fd;
	ret = sel_ioctl(fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp);
	close(ex.fd);
	if (ret)
		goto err_sig;
	g->open = true;
	return 0;
err_sig:
	{
		struct sel_vgem_fence_signal s = { .fence = g->fence };

		sel_ioctl(g->vgem, SEL_IOCTL_VGEM_FENCE_SIGNAL, &s);
	}
err:
	close(g->vgem);
	g->vgem = -1;
	return ret;
}

static inline int sel_gate_release(struct sel_gate *g)
{
	struct sel_vgem_fence_signal s = { .fence = g->fence };
	int ret = 0;

	if (g->open)
		ret = sel_ioctl(g->vgem, SEL_IOCTL_VGEM_FENCE_SIGNAL, &s);
	g->open = false;
	return ret;
}

static inline void sel_gate_fini(struct sel_gate *g)
{
	sel_gate_release(g);
	if (g->vgem >= 0)
		close(g->vgem);
	g->vgem = -1;
}

/* ---- reference model of layer programs ---------------------------------- */

#define SEL_MAX_LAYERS 8

struct sel_layer {
	struct drm_rbnn_layer l;	/* seg_count filled by sel_net_load */
	uint32_t fanin;			/* 0 for MAXPOOL1D */
	int8_t *w;			/* out_channels x fanin, +1/-1 */
	int32_t *thr;			/* out_channels */
};

struct sel_net {
	uint32_t in_channels, in_length, in_bits;
	uint32_t nlayers;
	struct sel_layer layers[SEL_MAX_LAYERS];
	uint64_t in_bytes, out_bytes;
};

static inline void sel_net_init(struct sel_net *n, uint32_t c, uint32_t l,
				uint32_t bits)
{
	memset(n, 0, sizeof(*n));
	n->in_channels = c;
	n->in_length = l;
	n->in_bits = bits;
}

static inline void sel_net_sizes(struct sel_net *n)
{
	const struct drm_rbnn_layer *last = &n->layers[n->nlayers - 1].l;
	uint64_t e = (uint64_t)n->in_channels * n->in_length;
	uint64_t o = (uint64_t)last->out_channels * last->out_length;

	n->in_bytes = n->in_bits > 1 ? SEL_ALIGN8(e) : SEL_ALIGN8(SEL_DIV_UP(e, 8));
	n->out_bytes = last->out_mode == DRM_RBNN_OUT_SCORES ?
		       SEL_ALIGN8(4 * o) : SEL_ALIGN8(SEL_DIV_UP(o, 8));
}

/* Append a layer with random weights and thresholds (BITS outputs are
 * thresholded around 0 so that both values occur). */
static inline void sel_net_add(struct sel_net *n, uint32_t op, uint32_t mode,
			       uint32_t out_ch, uint32_t k, uint32_t s,
			       uint32_t p)
{
	struct sel_layer *sl = &n->layers[n->nlayers];
	struct drm_rbnn_layer *l = &sl->l;
	uint32_t c = n->nlayers ? n->layers[n->nlayers - 1].l.out_channels :
				  n->in_channels;
	uint32_t len = n->nlayers ? n->layers[n->nlayers - 1].l.out_length :
				    n->in_length;
	uint32_t i, spread;

	memset(sl, 0, sizeof(*sl));
	l->op = op;
	l->out_mode = mode;
	l->in_channels = c;
	l->in_length = len;
	l->kernel = k;
	l->stride = s;
	l->pad = p;
	if (op == DRM_RBNN_LAYER_FC) {
		l->out_channels = out_ch;
		l->out_length = 1;
		sl->fanin = c * len;
	} else if (op == DRM_RBNN_LAYER_CONV1D) {
		l->out_channels = out_ch;
		l->out_length = (len + 2 * p - k) / s + 1;
		sl->fanin = c * k;
	} else {
		l->out_channels = c;
		l->out_length = (len - k) / s + 1;
	}
	if (sl->fanin) {
		sl->w = calloc((size_t)l->out_channels * sl->fanin, 1);
		sl->thr = calloc(l->out_channels, sizeof(int32_t));
		for (i = 0; i < l->out_channels * sl->fanin; i++)
			sl->w[i] = sel_rng() & 1 ? 1 : -1;
		spread = 2 * (n->nlayers == 0 && n->in_bits > 1 ?
			      (1u << n->in_bits) : 2) + 1;
		for (i = 0; i < l->out_channels; i++)
			sl->thr[i] = (int32_t)sel_rand(spread) - (int32_t)spread / 2;
	}
	n->nlayers++;
	sel_net_sizes(n);
}

static inline void sel_net_free(struct sel_net *n)
{
	uint32_t i;

	for (i = 0; i < n->nlayers; i++) {
		free(n->layers[i].w);
		free(n->layers[i].thr);
		n->layers[i].w = NULL;
		n->layers[i].thr = NULL;
	}
}

/* One item through the reference: in (in_bytes) -> out (out_bytes). */
static inline void sel_net_ref(const struct sel_net *n, const uint8_t *in,
			       uint8_t *out)
{
	uint32_t cnt = n->in_channels * n->in_length, e, i;
	int64_t *act = calloc(cnt, sizeof(*act)), *nx;
	const struct drm_rbnn_layer *last = &n->layers[n->nlayers - 1].l;

	for (e = 0; e < cnt; e++) {
		if (n->in_bits == 1) {
			act[e] = (in[e / 8] >> (e % 8)) & 1 ? 1 : -1;
		} else {
			int64_t q = in[e] & ((1u << n->in_bits) - 1);

			act[e] = 2 * q - ((1 << n->in_bits) - 1);
		}
	}
	for (i = 0; i < n->nlayers; i++) {
		const struct sel_layer *sl = &n->layers[i];
		const struct drm_rbnn_layer *l = &sl->l;
		uint32_t C = l->in_channels, L = l->in_length, O = l->out_channels;
		uint32_t t, o, k, c;

		nx = calloc((size_t)O * l->out_length, sizeof(*nx));
		for (t = 0; t < l->out_length; t++) {
			for (o = 0; o < O; o++) {
				int64_t s = 0;

				if (l->op == DRM_RBNN_LAYER_MAXPOOL1D) {
					s = -1;
					for (k = 0; k < l->kernel; k++)
						if (act[(t * l->stride + k) * C + o] > 0)
							s = 1;
					nx[t * O + o] = s;
					continue;
				}
				if (l->op == DRM_RBNN_LAYER_FC) {
					for (e = 0; e < C * L; e++)
						s += sl->w[(size_t)o * sl->fanin + e] * act[e];
				} else {
					for (k = 0; k < l->kernel; k++) {
						int64_t pos = (int64_t)t * l->stride -
							      l->pad + k;

						if (pos < 0 || pos >= L)
							continue; /* zero padding */
						for (c = 0; c < C; c++)
							s += sl->w[(size_t)o * sl->fanin + k * C + c] *
							     act[pos * C + c];
					}
				}
				if (l->out_mode == DRM_RBNN_OUT_SCORES)
					nx[t * O + o] = s > INT32_MAX ? INT32_MAX :
							s < INT32_MIN ? INT32_MIN : s;
				else
#ifdef SEL_BREAK_REF	/* self-check of the tests: a wrong reference */
					nx[t * O + o] = s >= sl->thr[o] + 1 ? 1 : -1;
#else
					nx[t * O + o] = s >= sl->thr[o] ? 1 : -1;
#endif
			}
		}
		free(act);
		act = nx;
	}
	memset(out, 0, n->out_bytes);
	for (e = 0; e < last->out_channels * last->out_length; e++) {
		if (last->out_mode == DRM_RBNN_OUT_SCORES) {
			int32_t v = (int32_t)act[e];

			memcpy(out + 4 * e, &v, 4);
		} else if (act[e] > 0) {
			out[e / 8] |= 1 << (e % 8);
		}
	}
	free(act);
}

/* Weight row of output @o, column block @b, in the card's bit order. */
static inline void sel_weight_row(const struct sel_layer *sl, uint32_t o,
				  uint32_t b, uint32_t cols, uint8_t *row)
{
	uint32_t j;

	memset(row, 0, cols / 8);
	for (j = b * cols; j < sl->fanin && j < (b + 1) * cols; j++)
		if (sl->w[(size_t)o * sl->fanin + j] > 0)
			row[(j - b * cols) / 8] |= 1 << ((j - b * cols) % 8);
}

/* A net placed on the card: the EXEC arrays. */
struct sel_placed {
	struct drm_rbnn_layer layers[SEL_MAX_LAYERS];
	struct drm_rbnn_segment *segs;
	uint32_t nsegs;
	uint32_t rows_used;	/* rows consumed on the last tile */
	uint64_t last_prog;	/* seqno of the last PROGRAM */
	uint32_t nprog;		/* PROGRAM jobs submitted */
};

/*
 * Program the net: each (layer, block) is cut into chunks of at most @chunk
 * output channels (0: no cut), each chunk on consecutive free rows starting
 * at @row0 of tiles[0], moving on to the next tile when one is full; one
 * PROGRAM per chunk (thresholds with block 0 of BITS layers), from one
 * weights BO and one thresholds BO at offsets. Does not wait.
 */
static inline int sel_net_load(int fd, const struct drm_rbnn_query_device *dev,
			       const struct sel_net *n, const uint32_t *tiles,
			       uint32_t ntiles, uint32_t row0, uint32_t chunk,
			       struct sel_placed *pl)
{
	uint32_t ti = 0, row = row0, i, b, total = 0, ridx = 0;
	struct sel_bo w, thr;
	uint32_t maxsegs = 0;
	int ret;

	memset(pl, 0, sizeof(*pl));
	for (i = 0; i < n->nlayers; i++) {
		const struct sel_layer *sl = &n->layers[i];
		uint32_t nb = sl->fanin ? SEL_DIV_UP(sl->fanin, dev->cols) : 0;
		uint32_t O = sl->l.out_channels;

		total += nb * O;
		maxsegs += nb * (chunk ? O : 1);
	}
	pl->segs = calloc(maxsegs + 1, sizeof(*pl->segs));
	ret = sel_bo_new(fd, (uint64_t)(total + 1) * dev->row_bytes, &w);
	if (ret)
		return ret;
	ret = sel_bo_new(fd, 4ull * (total + 1), &thr);
	if (ret) {
		sel_bo_del(fd, &w);
		return ret;
	}
	for (i = 0; i < n->nlayers; i++) {
		const struct sel_layer *sl = &n->layers[i];
		uint32_t O = sl->l.out_channels;
		uint32_t nb = sl->fanin ? SEL_DIV_UP(sl->fanin, dev->cols) : 0;

		pl->layers[i] = sl->l;
		pl->layers[i].seg_count = 0;
		for (b = 0; b < nb; b++) {
			uint32_t first = 0;

			while (first < O) {
				uint32_t cnt = O - first, r;
				bool th = b == 0 &&
					  sl->l.out_mode == DRM_RBNN_OUT_BITS;

				if (chunk && cnt > chunk)
					cnt = 1 + sel_rand(chunk);
				if (cnt > dev->rows)
					cnt = dev->rows;
				if (row + cnt > dev->rows) {
					ti++;
					row = 0;
				}
				if (ti >= ntiles) {
					ret = -ENOSPC;
					goto out;
				}
				for (r = 0; r < cnt; r++) {
					sel_weight_row(sl, first + r, b, dev->cols,
						       w.map + (size_t)(ridx + r) *
						       dev->row_bytes);
					memcpy(thr.map + 4 * (ridx + r),
					       &sl->thr[first + r], 4);
				}
				ret = sel_program(fd, tiles[ti], row, cnt, &w,
						  (uint64_t)ridx * dev->row_bytes,
						  th ? &thr : NULL,
						  th ? 4ull * ridx : 0,
						  &pl->last_prog);
				if (ret)
					goto out;
				pl->nprog++;
				pl->segs[pl->nsegs++] = (struct drm_rbnn_segment){
					.tile = tiles[ti], .row = row,
					.out_first = first, .out_count = cnt,
					.block = b,
				};
				pl->layers[i].seg_count++;
				ridx += cnt;
				row += cnt;
				first += cnt;
			}
		}
	}
	pl->rows_used = row;
out:
	/* The jobs hold their own references to the BOs. */
	sel_bo_del(fd, &w);
	sel_bo_del(fd, &thr);
	return ret;
}

static inline void sel_placed_free(struct sel_placed *pl)
{
	free(pl->segs);
	pl->segs = NULL;
}

static inline void sel_exec_args(struct drm_rbnn_exec *x,
				 const struct sel_net *n,
				 const struct sel_placed *pl, uint32_t batch,
				 uint32_t in_handle, uint64_t in_off,
				 uint32_t out_handle, uint64_t out_off)
{
	memset(x, 0, sizeof(*x));
	x->layers = (uintptr_t)pl->layers;
	x->layer_count = n->nlayers;
	x->layer_stride = sizeof(struct drm_rbnn_layer);
	x->segments = (uintptr_t)pl->segs;
	x->seg_count = pl->nsegs;
	x->seg_stride = sizeof(struct drm_rbnn_segment);
	x->in_channels = n->in_channels;
	x->in_length = n->in_length;
	x->in_bits = n->in_bits;
	x->batch = batch;
	x->in_handle = in_handle;
	x->in_offset = in_off;
	x->out_handle = out_handle;
	x->out_offset = out_off;
}

static inline int sel_net_exec(int fd, const struct sel_net *n,
			       const struct sel_placed *pl, uint32_t batch,
			       const struct sel_bo *in, uint64_t in_off,
			       const struct sel_bo *out, uint64_t out_off,
			       uint64_t *seqno)
{
	struct drm_rbnn_exec x;
	int ret;

	sel_exec_args(&x, n, pl, batch, in->handle, in_off, out->handle,
		      out_off);
	ret = sel_ioctl(fd, DRM_IOCTL_RBNN_EXEC, &x);
	if (!ret && seqno)
		*seqno = x.seqno;
	return ret;
}

/* Number of items of @batch whose output differs from the reference. */
static inline uint32_t sel_net_check(const struct sel_net *n, uint32_t batch,
				     const uint8_t *in, const uint8_t *out)
{
	uint8_t *ref = malloc(n->out_bytes);
	uint32_t i, bad = 0;

	for (i = 0; i < batch; i++) {
		sel_net_ref(n, in + (size_t)i * n->in_bytes, ref);
		bad += memcmp(ref, out + (size_t)i * n->out_bytes,
			      n->out_bytes) != 0;
	}
	free(ref);
	return bad;
}

/* Fill input items with random data (every bit of the used bytes). */
static inline void sel_fill_random(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)sel_rng();
}

/*
 * A random small network within the card's rules: 1..4 layers of FC,
 * CONV1D (kernel, stride, padding) and MAXPOOL1D, 1- to 8-bit inputs,
 * BITS or SCORES at the end. Fan-ins up to ~2 column blocks.
 */
static inline void sel_net_random(struct sel_net *n, uint32_t max_out)
{
	uint32_t bits = sel_rand(3) ? 1 : 2 + sel_rand(7);
	uint32_t nl = 1 + sel_rand(4), i;

	sel_net_init(n, 1 + sel_rand(8), 4 + sel_rand(28), bits);
	for (i = 0; i < nl; i++) {
		const struct drm_rbnn_layer *prev = n->nlayers ?
			&n->layers[n->nlayers - 1].l : NULL;
		uint32_t c = prev ? prev->out_channels : n->in_channels;
		uint32_t len = prev ? prev->out_length : n->in_length;
		bool last = i == nl - 1;
		uint32_t mode = last && sel_rand(2) ? DRM_RBNN_OUT_SCORES :
						      DRM_RBNN_OUT_BITS;
		uint32_t op = 1 + sel_rand(3), k, s, p;

		if (op == DRM_RBNN_LAYER_MAXPOOL1D &&
		    (mode == DRM_RBNN_OUT_SCORES || len < 2 ||
		     (i == 0 && bits > 1)))
			op = DRM_RBNN_LAYER_CONV1D;
		if (op == DRM_RBNN_LAYER_FC && c * len > 600)
			op = DRM_RBNN_LAYER_CONV1D;
		switch (op) {
		case DRM_RBNN_LAYER_FC:
			sel_net_add(n, op, mode, 1 + sel_rand(max_out), 0, 0, 0);
			break;
		case DRM_RBNN_LAYER_CONV1D:
			k = 1 + sel_rand(len < 7 ? len : 7);
			s = 1 + sel_rand(3);
			p = sel_rand(k);
			while (len + 2 * p < k)
				p++;
			sel_net_add(n, op, mode, 1 + sel_rand(max_out), k, s, p);
			break;
		default:
			k = 1 + sel_rand(len < 4 ? len : 4);
			s = 1 + sel_rand(3);
			sel_net_add(n, op, DRM_RBNN_OUT_BITS, 0, k, s, 0);
			break;
		}
	}
}

/* Rows a net needs on the card (sum over layers of blocks x outputs). */
static inline uint32_t sel_net_rows(const struct sel_net *n, uint32_t cols)
{
	uint32_t i, r = 0;

	for (i = 0; i < n->nlayers; i++)
		if (n->layers[i].fanin)
			r += SEL_DIV_UP(n->layers[i].fanin, cols) *
			     n->layers[i].l.out_channels;
	return r;
}

/* Bit operations (XNOR + popcount, one per weight bit used) of one item. */
static inline uint64_t sel_net_bitops(const struct sel_net *n)
{
	uint64_t ops = 0;
	uint32_t i;

	for (i = 0; i < n->nlayers; i++) {
		const struct sel_layer *sl = &n->layers[i];

		ops += (uint64_t)sl->fanin * sl->l.out_channels *
		       sl->l.out_length *
		       (i == 0 && n->in_bits > 1 ? n->in_bits : 1);
	}
	return ops;
}

#endif /* RBNN_SEL_H */
