// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Helper of the VM tier's unplug test: leaves a hung job and a queued job on
 * a card (x-debug=on, the driver loaded with a long job_timeout_ms), signals
 * that it is ready by creating READY-FILE, then waits for the job while the
 * test removes the PCI device. Checks that the jobs end with -ENODEV, that
 * further ioctls fail with -ENODEV, and that the mapping and the file can
 * still be used and closed. Prints TAP.
 *
 *   rbnn_unplug DEVICE READY-FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drm.h"
#include "rbnn_accel.h"

static int n, nfail;

static void result(int ok, const char *what)
{
	n++;
	printf("%sok %d %s\n", ok ? "" : "not ", n, what);
	nfail += !ok;
	fflush(stdout);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r == -1 && (errno == EINTR || errno == EAGAIN));
	return r ? -errno : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int write_debugfs(const char *dev, const char *file, const char *val)
{
	char link[256], path[512], *real, *bdf;
	const char *node = strrchr(dev, '/');
	int fd, ret = 0;

	snprintf(link, sizeof(link), "/sys/class/accel/%s/device",
		 node ? node + 1 : dev);
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	bdf = strrchr(real, '/');
	snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/%s", bdf + 1,
		 file);
	free(real);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct drm_rbnn_query_device d = {};
	struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_DEVICE,
				    .size = sizeof(d), .ptr = (uintptr_t)&d };
	struct drm_rbnn_bo_create bc = { .size = 4096 };
	struct drm_rbnn_bo_info bi = {};
	struct drm_rbnn_tile_alloc ta = {};
	struct drm_rbnn_program p = {};
	struct drm_rbnn_readback r = {};
	struct drm_rbnn_job_info ji = {};
	uint64_t hung, queued;
	uint32_t tile;
	uint8_t *map;
	int fd, ok;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEVICE READY-FILE\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..6\n");
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	ta.count = 1;
	ta.tiles_ptr = (uintptr_t)&tile;
	ok = fd >= 0 && !xioctl(fd, DRM_IOCTL_RBNN_QUERY, &q) &&
	     !xioctl(fd, DRM_IOCTL_RBNN_TILE_ALLOC, &ta) &&
	     !xioctl(fd, DRM_IOCTL_RBNN_BO_CREATE, &bc);
	bi.handle = bc.handle;
	ok = ok && !xioctl(fd, DRM_IOCTL_RBNN_BO_INFO, &bi);
	map = ok ? mmap(NULL, bi.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			bi.mmap_offset) : MAP_FAILED;
	ok = ok && map != MAP_FAILED;
	p.tile = tile;
	p.nrows = 1;
	p.weights_handle = bc.handle;
	ok = ok && !xioctl(fd, DRM_IOCTL_RBNN_PROGRAM, &p);
	ji.seqno = p.seqno;
	ji.timeout_ns = now_ns() + 10000000000ull;
	ok = ok && !xioctl(fd, DRM_IOCTL_RBNN_JOB_INFO, &ji) &&
	     ji.state == DRM_RBNN_JOB_DONE && ji.status == 0;
	result(ok, "open, tile, BO, PROGRAM");
	if (!ok)
		return 1;

	/* The next command hangs; the watchdog is set too long to fire. */
	result(!write_debugfs(argv[1], "fault", "1"), "hang injected");
	r.tile = tile;
	r.nrows = 1;
	r.handle = bc.handle;
	r.offset = d.row_bytes;
	ok = !xioctl(fd, DRM_IOCTL_RBNN_READBACK, &r);
	hung = r.seqno;
	ok = ok && !xioctl(fd, DRM_IOCTL_RBNN_READBACK, &r);
	queued = r.seqno;
	result(ok, "hung job and queued job submitted");
	close(open(argv[2], O_CREAT | O_WRONLY, 0644));

	/* Blocks until remove() ends the job. */
	memset(&ji, 0, sizeof(ji));
	ji.seqno = hung;
	ji.timeout_ns = now_ns() + 60000000000ull;
	ok = !xioctl(fd, DRM_IOCTL_RBNN_JOB_INFO, &ji);
	printf("# hung job: state %u status %d\n", ji.state, ji.status);
	result(ok && ji.state == DRM_RBNN_JOB_DONE && ji.status == -ENODEV,
	       "the hung job ended with -ENODEV");

	memset(&ji, 0, sizeof(ji));
	ji.seqno = queued;
	ok = xioctl(fd, DRM_IOCTL_RBNN_JOB_INFO, &ji) == -ENODEV &&
	     xioctl(fd, DRM_IOCTL_RBNN_QUERY, &q) == -ENODEV;
	result(ok, "ioctls after the unplug fail with -ENODEV");

	map[0] ^= 0xff;
	munmap(map, bi.size);
	result(!close(fd), "mapping and file still usable, closed");
	return nfail ? 1 : 0;
}
