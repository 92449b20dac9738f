// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * device.c - libbnn: rbnn cards through the kernel driver (bnn_device.h):
 * discovery with libudev (sysfs when udev is unavailable), identity and
 * geometry with DRM_IOCTL_RBNN_QUERY, health from the driver's queries,
 * sysfs and hwmon, processes from /proc/PID/fdinfo, reset and scrub
 * through the driver's debugfs files force_reset and scrub.  Also the helpers backend_rbnn.c shares
 * (device.h).
 */
#define _GNU_SOURCE
#include "device.h"
#include "model.h"		/* bnn__fail */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xf86drm.h>

#include "rbnn_accel.h"
#include "rbnn_regs.h"

/* bnn_card_caps_str() names the bits in this order. */
_Static_assert(RBNN_CAP_CELL_2T2R == 1u << 0 && RBNN_CAP_OP_FC == 1u << 2 &&
	       RBNN_CAP_REFRESH == 1u << 7 && RBNN_CAP_TIMING_MODELED == 1u << 8 &&
	       RBNN_CAP_ERROR_MODEL == 1u << 10 &&
	       RBNN_CAP_SCRUB_COUNT == 1u << 11, "CAPS bit order");
/* The compiler's layer ops and output modes are the card's; the uAPI's
 * mirror them (backend_rbnn.c copies them across). */
_Static_assert(RBNN_LAYER_FC == DRM_RBNN_LAYER_FC &&
	       RBNN_LAYER_CONV1D == DRM_RBNN_LAYER_CONV1D &&
	       RBNN_LAYER_MAXPOOL1D == DRM_RBNN_LAYER_MAXPOOL1D &&
	       RBNN_OUT_BITS == DRM_RBNN_OUT_BITS &&
	       RBNN_OUT_SCORES == DRM_RBNN_OUT_SCORES, "layer ops");

#define DEBUGFS_ROOT "/sys/kernel/debug"
#define DEBUGFS_MAGIC_NR 0x64626720
#define TRACEFS_MAGIC_NR 0x74726163

const char *bnn_cell_mode_name(uint32_t mode)
{
	return mode == 0 ? "2T2R" : mode == 1 ? "1T1R" : "?";
}

const char *bnn_card_caps_str(uint32_t caps, char *buf, size_t cap)
{
	static const char *const names[] = {
		"2T2R", "1T1R", "FC", "CONV1D", "MAXPOOL1D", "BITSERIAL",
		"VERIFY", "REFRESH", "TIMING", "DEBUG", "ERROR_MODEL",
		"SCRUB_COUNT",
	};
	size_t k = 0;

	if (!buf || !cap)
		return buf;
	buf[0] = 0;
	for (unsigned b = 0; b < 32; b++) {
		char tmp[16];
		const char *w = tmp;
		int n;

		if (!(caps & (1u << b)))
			continue;
		if (b < sizeof(names) / sizeof(*names))
			w = names[b];
		else
			snprintf(tmp, sizeof(tmp), "bit%u", b);
		n = snprintf(buf + k, cap - k, "%s%s", k ? " " : "", w);
		if (n < 0 || (size_t)n >= cap - k)
			break;
		k += (size_t)n;
	}
	return buf;
}

/* ---- small file helpers -------------------------------------------------- */

/* Read a small text file into buf (NUL-terminated, trailing newline cut).
 * Returns bytes or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, tot = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)tot + 1 < cap) {
		n = read(fd, buf + tot, cap - 1 - (size_t)tot);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		tot += n;
	}
	close(fd);
	buf[tot] = 0;
	while (tot > 0 && (buf[tot - 1] == '\n' || buf[tot - 1] == ' '))
		buf[--tot] = 0;
	return tot;
}

static int read_u64_at(const char *dir, const char *name, uint64_t *v)
{
	char path[512], buf[64], *end;
	unsigned long long x;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	errno = 0;
	x = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	*v = x;
	return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t k = src ? strnlen(src, cap - 1) : 0;

	if (k)
		memcpy(dst, src, k);
	dst[k] = 0;
}

/* ---- discovery ------------------------------------------------------------ */

static int card_cmp(const void *a, const void *b)
{
	const bnn_card *x = a, *y = b;

	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/* Append one card; returns 0 or -ENOMEM. */
static int push_card(bnn_card **v, size_t *n, size_t *cap, const bnn_card *c)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 4;
		bnn_card *p = realloc(*v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = nc;
	}
	(*v)[(*n)++] = *c;
	return 0;
}

/* IDs from the PCI device's sysfs directory. */
static void fill_pci_ids(bnn_card *c)
{
	char dir[300];
	uint64_t v;

	snprintf(dir, sizeof(dir), "%s/device", c->syspath);
	if (!read_u64_at(dir, "vendor", &v))
		c->vendor_id = (uint16_t)v;
	if (!read_u64_at(dir, "device", &v))
		c->device_id = (uint16_t)v;
	if (!read_u64_at(dir, "subsystem_vendor", &v))
		c->subsystem_vendor_id = (uint16_t)v;
	if (!read_u64_at(dir, "subsystem_device", &v))
		c->subsystem_id = (uint16_t)v;
	if (!read_u64_at(dir, "revision", &v))
		c->revision = (uint32_t)v;
}

/* Geometry from the driver's sysfs attributes (no node needed). */
static void fill_sysfs_geom(bnn_card *c)
{
	char dir[300], buf[32], path[340];
	uint64_t v;

	snprintf(dir, sizeof(dir), "%s/device", c->syspath);
	if (!read_u64_at(dir, "tiles", &v))
		c->tiles = (uint32_t)v;
	if (!read_u64_at(dir, "rows", &v))
		c->rows = (uint32_t)v;
	if (!read_u64_at(dir, "cols", &v)) {
		c->cols = (uint32_t)v;
		c->row_bytes = c->cols / 8;
	}
	snprintf(path, sizeof(path), "%s/cell_mode", dir);
	if (read_text(path, buf, sizeof(buf)) > 0)
		c->cell_mode = !strcasecmp(buf, "1t1r") ? 1 : 0;
}

/* Enumeration with libudev. Returns 0, -ENOSYS (no udev) or -ENOMEM. */
static int enum_udev(bnn_card **v, size_t *n, size_t *cap)
{
	struct udev *u = udev_new();
	struct udev_enumerate *e;
	struct udev_list_entry *le;
	int rc = 0;

	if (!u)
		return -ENOSYS;
	e = udev_enumerate_new(u);
	if (!e || udev_enumerate_add_match_subsystem(e, "accel") < 0 ||
	    udev_enumerate_scan_devices(e) < 0) {
		udev_enumerate_unref(e);
		udev_unref(u);
		return -ENOSYS;
	}
	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d, *p;
		const char *drv, *node;
		bnn_card c;

		d = udev_device_new_from_syspath(u, udev_list_entry_get_name(le));
		if (!d)
			continue;
		p = udev_device_get_parent_with_subsystem_devtype(d, "pci", NULL);
		drv = p ? udev_device_get_driver(p) : NULL;
		if (!drv || strcmp(drv, BNN_CARD_DRIVER) != 0 ||
		    !udev_device_get_sysname(d) ||
		    strncmp(udev_device_get_sysname(d), "accel", 5) != 0) {
			udev_device_unref(d);
			continue;
		}
		memset(&c, 0, sizeof(c));
		copy_str(c.name, sizeof(c.name), udev_device_get_sysname(d));
		node = udev_device_get_devnode(d);
		if (node)
			copy_str(c.node, sizeof(c.node), node);
		else
			snprintf(c.node, sizeof(c.node), "/dev/accel/%s", c.name);
		copy_str(c.pci, sizeof(c.pci), udev_device_get_sysname(p));
		copy_str(c.driver, sizeof(c.driver), drv);
		copy_str(c.syspath, sizeof(c.syspath), udev_device_get_syspath(d));
		c.minor = minor(udev_device_get_devnum(d));
		udev_device_unref(d);
		if (push_card(v, n, cap, &c)) {
			rc = -ENOMEM;
			break;
		}
	}
	udev_enumerate_unref(e);
	udev_unref(u);
	return rc;
}

/* The same from /sys/class/accel (when libudev cannot start). */
static int enum_sysfs(bnn_card **v, size_t *n, size_t *cap)
{
	DIR *d = opendir("/sys/class/accel");
	struct dirent *de;
	int rc = 0;

	if (!d)
		return 0;	/* no accel subsystem: no cards */
	while ((de = readdir(d))) {
		char path[300], link[512], real[PATH_MAX];
		char devf[64];
		unsigned maj, mi;
		ssize_t k;
		bnn_card c;

		if (strncmp(de->d_name, "accel", 5) != 0)
			continue;
		if (snprintf(path, sizeof(path),
			     "/sys/class/accel/%s/device/driver",
			     de->d_name) >= (int)sizeof(path))
			continue;
		k = readlink(path, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = 0;
		if (strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link,
			   BNN_CARD_DRIVER) != 0)
			continue;
		memset(&c, 0, sizeof(c));
		copy_str(c.name, sizeof(c.name), de->d_name);
		snprintf(c.node, sizeof(c.node), "/dev/accel/%s", de->d_name);
		copy_str(c.driver, sizeof(c.driver), BNN_CARD_DRIVER);
		snprintf(path, sizeof(path), "/sys/class/accel/%s", c.name);
		if (!realpath(path, real))
			continue;
		copy_str(c.syspath, sizeof(c.syspath), real);
		if (snprintf(path, sizeof(path), "%s/device",
			     c.syspath) >= (int)sizeof(path) ||
		    !realpath(path, real))
			continue;
		copy_str(c.pci, sizeof(c.pci), strrchr(real, '/') + 1);
		snprintf(path, sizeof(path), "%s/dev", c.syspath);
		if (read_text(path, devf, sizeof(devf)) > 0 &&
		    sscanf(devf, "%u:%u", &maj, &mi) == 2)
			c.minor = mi;
		if (push_card(v, n, cap, &c)) {
			rc = -ENOMEM;
			break;
		}
	}
	closedir(d);
	return rc;
}

int bnn__card_enum(bnn_card **cards, size_t *n, bnn_error *err)
{
	bnn_card *v = NULL;
	size_t nv = 0, cap = 0;
	int rc;

	*cards = NULL;
	*n = 0;
	rc = enum_udev(&v, &nv, &cap);
	if (rc == -ENOSYS)
		rc = enum_sysfs(&v, &nv, &cap);
	if (rc) {
		free(v);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	if (nv)
		qsort(v, nv, sizeof(*v), card_cmp);
	for (size_t i = 0; i < nv; i++) {
		v[i].index = (uint32_t)i;
		fill_pci_ids(&v[i]);
		fill_sysfs_geom(&v[i]);
		v[i].open_status = BNN_E_STATE;	/* not tried */
	}
	*cards = v;
	*n = nv;
	return BNN_OK;
}

/* ---- opening and queries ---------------------------------------------------- */

int bnn__rbnn_query(int fd, uint32_t type, void *buf, uint32_t size,
		    uint32_t *got)
{
	struct drm_rbnn_query q;

	memset(buf, 0, size);
	memset(&q, 0, sizeof(q));
	q.type = type;
	q.size = size;
	q.ptr = (uint64_t)(uintptr_t)buf;
	if (drmIoctl(fd, DRM_IOCTL_RBNN_QUERY, &q))
		return -errno;
	if (got)
		*got = q.size;
	return 0;
}

int bnn__card_fill_query(int fd, bnn_card *c)
{
	struct drm_rbnn_query_device d;
	int rc = bnn__rbnn_query(fd, DRM_RBNN_QUERY_DEVICE, &d, sizeof(d), NULL);

	if (rc)
		return rc;
	c->vendor_id = d.vendor_id;
	c->device_id = d.device_id;
	c->subsystem_vendor_id = d.subsystem_vendor_id;
	c->subsystem_id = d.subsystem_id;
	c->revision = d.revision_id;
	c->hw_version = d.hw_version;
	c->caps = d.caps;
	c->tiles = d.tiles;
	c->rows = d.rows;
	c->cols = d.cols;
	c->row_bytes = d.row_bytes;
	c->act_buf_size = d.act_buf_size;
	c->max_layers = d.max_layers;
	c->max_batch = d.max_batch;
	c->cell_mode = d.cell_mode;
	c->max_segments = d.max_segments;
	c->max_in_syncs = d.max_in_syncs;
	c->job_history = d.job_history;
	/* Driver 1.0 reports 0: its limit is the history. */
	c->max_jobs = d.max_jobs ? d.max_jobs : d.job_history;
	c->queried = 1;
	c->open_status = BNN_OK;
	return 0;
}

/* "group 'render'" for a node's group id. */
static void group_name(gid_t gid, char *out, size_t cap)
{
	struct group gr, *res = NULL;
	char buf[1024];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, cap, "'%s'", res->gr_name);
	else
		snprintf(out, cap, "%u", (unsigned)gid);
}

int bnn__card_open(const bnn_card *c, int *fd, bnn_error *err)
{
	drmVersionPtr ver;
	int f, e;

	*fd = -1;
	f = open(c->node, O_RDWR | O_CLOEXEC);
	if (f < 0) {
		struct stat st;
		char grp[96];

		e = errno;
		if (e == EACCES || e == EPERM) {
			if (stat(c->node, &st) == 0) {
				group_name(st.st_gid, grp, sizeof(grp));
				return bnn__fail(err, BNN_E_PERM,
						 "%s: permission denied (the node has group %s, mode %04o): add your user to the render group (usermod -aG render $USER, then log in again; kernel/70-rbnn.rules gives the nodes group render, mode 0660) or run as root",
						 c->node, grp,
						 (unsigned)(st.st_mode & 07777));
			}
			return bnn__fail(err, BNN_E_PERM,
					 "%s: permission denied: add your user to the render group (usermod -aG render $USER) or run as root",
					 c->node);
		}
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return bnn__fail(err, BNN_E_NODEV,
					 "%s: %s (was the card removed, or is there no device node? devtmpfs or udev creates /dev/accel/*)",
					 c->node, strerror(e));
		return bnn__fail(err, BNN_E_IO, "%s: %s", c->node, strerror(e));
	}
	ver = drmGetVersion(f);
	if (!ver || !ver->name || strcmp(ver->name, BNN_CARD_DRIVER) != 0) {
		char drv[32];

		copy_str(drv, sizeof(drv), ver && ver->name ? ver->name : "?");
		drmFreeVersion(ver);
		close(f);
		return bnn__fail(err, BNN_E_NODEV,
				 "%s: driver '%s' is not rbnn", c->node, drv);
	}
	drmFreeVersion(ver);
	*fd = f;
	return BNN_OK;
}

int bnn__rbnn_errno(bnn_error *err, int e, const char *node, const char *what)
{
	if (e < 0)
		e = -e;
	switch (e) {
	case ECANCELED:
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: %s: this context was banned after one of its jobs hung the card (which was reset); close the backend and open it again",
				 node, what);
	case ENODEV:
		return bnn__fail(err, BNN_E_NODEV,
				 "%s: %s: the card was removed", node, what);
	case ENOSPC:
		return bnn__fail(err, BNN_E_BUSY,
				 "%s: %s: not enough free tiles (other processes hold them: see bnn-smi health)",
				 node, what);
	case ENOMEM:
		return bnn__fail(err, BNN_E_NOMEM, "%s: %s: out of memory",
				 node, what);
	case EDQUOT:
		return bnn__fail(err, BNN_E_PERM,
				 "%s: %s: a cap of the driver is reached: this file's wear budget (the rows it may program: module parameter rbnn.wear_budget_rows; root is exempt) or the memory of its buffer objects (rbnn.file_bo_mem_kib, for all files of the card rbnn.dev_bo_mem_kib; close some)",
				 node, what);
	case EBUSY:
		return bnn__fail(err, BNN_E_BUSY,
				 "%s: %s: too many jobs in flight", node, what);
	case ETIMEDOUT:
	case ETIME:
		return bnn__fail(err, BNN_E_TIMEOUT, "%s: %s: timed out", node,
				 what);
	case EACCES:
	case EPERM:
		return bnn__fail(err, BNN_E_PERM, "%s: %s: %s", node, what,
				 strerror(e));
	case ENOTTY:
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "%s: %s: the driver does not know this ioctl (kernel module too old?)",
				 node, what);
	default:
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: %s: the driver refused it: %s", node, what,
				 strerror(e));
	}
}

/* ---- naming cards ------------------------------------------------------------ */

/* Does spec name card c?  spec: node, accel name, PCI address (with or
 * without domain), or index. */
static int spec_matches(const char *spec, const bnn_card *c)
{
	char *end;
	unsigned long idx;

	if (!strcmp(spec, c->node) || !strcmp(spec, c->name) ||
	    !strcmp(spec, c->pci))
		return 1;
	if (!strncmp(c->pci, "0000:", 5) && !strcmp(spec, c->pci + 5))
		return 1;
	if (isdigit((unsigned char)spec[0])) {
		errno = 0;
		idx = strtoul(spec, &end, 10);
		if (!errno && !*end && idx == c->index)
			return 1;
	}
	/* A node given through another path (symlink, /dev/accel/../...). */
	if (spec[0] == '/') {
		struct stat a, b;

		if (stat(spec, &a) == 0 && stat(c->node, &b) == 0 &&
		    S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev)
			return 1;
	}
	return 0;
}

static void list_names(const bnn_card *v, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		int w = snprintf(out + k, cap - k, "%s%s (%s)", i ? ", " : "",
				 v[i].node, v[i].pci);

		if (w < 0)
			break;
		k += (size_t)w;
	}
}

static int no_cards(bnn_error *err)
{
	return bnn__fail(err, BNN_E_NODEV,
			 "no RBNN card found (no /dev/accel device bound to the rbnn driver; is the module loaded? modprobe rbnn)");
}

/* Find spec (non-empty) in v: index or -1 with err set. */
static int find_in(const bnn_card *v, size_t n, const char *spec,
		   bnn_error *err)
{
	char names[200];

	for (size_t i = 0; i < n; i++)
		if (spec_matches(spec, &v[i]))
			return (int)i;
	list_names(v, n, names, sizeof(names));
	bnn__fail(err, BNN_E_NOTFOUND, "no RBNN card '%s' (cards: %s)", spec,
		  names);
	return -1;
}

int bnn__card_select(const char *spec, bnn_card **cards, size_t *n,
		     bnn_error *err)
{
	bnn_card *all = NULL, *sel = NULL;
	size_t nall = 0, nsel = 0;
	char *dup = NULL, *tok, *save = NULL;
	int rc;

	*cards = NULL;
	*n = 0;
	rc = bnn__card_enum(&all, &nall, err);
	if (rc)
		return rc;
	if (!nall) {
		free(all);
		return no_cards(err);
	}
	if (!spec || !*spec || !strcmp(spec, "all")) {
		*cards = all;
		*n = nall;
		return BNN_OK;
	}
	sel = calloc(nall, sizeof(*sel));
	dup = strdup(spec);
	if (!sel || !dup) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto out;
	}
	for (tok = strtok_r(dup, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		int i = find_in(all, nall, tok, err);

		if (i < 0) {
			rc = BNN_E_NOTFOUND;
			goto out;
		}
		for (size_t j = 0; j < nsel; j++)
			if (sel[j].minor == all[i].minor) {
				rc = bnn__fail(err, BNN_E_INVAL,
					       "device list '%s' names %s twice",
					       spec, all[i].node);
				goto out;
			}
		sel[nsel++] = all[i];
	}
	if (!nsel) {
		rc = bnn__fail(err, BNN_E_INVAL, "empty device list '%s'", spec);
		goto out;
	}
	*cards = sel;
	*n = nsel;
	sel = NULL;
	rc = BNN_OK;
out:
	free(sel);
	free(dup);
	free(all);
	return rc;
}

/* ---- public: list and find ------------------------------------------------------ */

static void query_card(bnn_card *c)
{
	bnn_error e;
	int fd, rc;

	rc = bnn__card_open(c, &fd, &e);
	if (rc) {
		c->open_status = rc;
		return;
	}
	rc = bnn__card_fill_query(fd, c);
	if (rc)
		c->open_status = rc == -ENODEV ? BNN_E_NODEV : BNN_E_DEVICE;
	close(fd);
}

int bnn_card_list(bnn_card **cards, size_t *n, bnn_error *err)
{
	int rc;

	if (!cards || !n)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	rc = bnn__card_enum(cards, n, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < *n; i++)
		query_card(&(*cards)[i]);
	bnn_error_clear(err);
	return BNN_OK;
}

void bnn_card_list_free(bnn_card *cards)
{
	free(cards);
}

int bnn_card_find(const char *spec, bnn_card *out, bnn_error *err)
{
	bnn_card *all;
	size_t n;
	int rc, i;

	if (!out)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	rc = bnn__card_enum(&all, &n, err);
	if (rc)
		return rc;
	if (!n) {
		free(all);
		return no_cards(err);
	}
	i = spec && *spec ? find_in(all, n, spec, err) : 0;
	if (i < 0) {
		free(all);
		return BNN_E_NOTFOUND;
	}
	*out = all[i];
	free(all);
	query_card(out);
	bnn_error_clear(err);
	return BNN_OK;
}

/* ---- health ------------------------------------------------------------------------ */

static int card_present(const bnn_card *c, bnn_error *err)
{
	struct stat st;

	if (stat(c->syspath, &st) != 0)
		return bnn__fail(err, BNN_E_NODEV, "%s (%s): the card is gone",
				 c->node, c->pci);
	return BNN_OK;
}

/* hwmon energy1_input (uJ) of the card, or -1. */
static int read_hwmon_energy(const bnn_card *c, uint64_t *uj)
{
	char dir[320];
	DIR *d;
	struct dirent *de;
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/device/hwmon", c->syspath);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char sub[600];

		if (strncmp(de->d_name, "hwmon", 5) != 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (!read_u64_at(sub, "energy1_input", uj)) {
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

static void health_sysfs(const bnn_card *c, bnn_card_health *h)
{
	char dir[300];
	uint64_t v, w;

	snprintf(dir, sizeof(dir), "%s/device", c->syspath);
	if (!read_u64_at(dir, "tiles", &v) &&
	    !read_u64_at(dir, "tiles_free", &w)) {
		h->tiles = (uint32_t)v;
		h->tiles_free = (uint32_t)w;
		h->tiles_used = !read_u64_at(dir, "tiles_used", &v) ?
				(uint32_t)v : h->tiles - h->tiles_free;
		h->have |= BNN_HAVE_TILES;
	}
	if (!read_u64_at(dir, "wear_cycles_max", &v)) {
		h->wear_cycles_max = v;
		if (!read_u64_at(dir, "wear_cycles_mean", &v))
			h->wear_cycles_mean = (double)v;
		if (!read_u64_at(dir, "stuck_cells", &v))
			h->stuck_cells = v;
		if (!read_u64_at(dir, "verify_fails", &v))
			h->verify_fails = v;
		h->have |= BNN_HAVE_WEAR;
	}
	if (!read_u64_at(dir, "recoveries", &v) &&
	    !read_u64_at(dir, "card_resets", &w)) {
		h->recoveries = v;
		h->card_resets = w;
		h->have |= BNN_HAVE_RECOVERY;
	}
	if (!read_hwmon_energy(c, &v)) {
		h->energy_pj = v * 1000000ull;
		h->have |= BNN_HAVE_ENERGY;
	}
	/* Only on cards whose scrubs count (RBNN_CAP_SCRUB_COUNT). */
	if (!read_u64_at(dir, "scrub_weak_cells", &v)) {
		h->scrub_bit_errors = v;
		h->have |= BNN_HAVE_SCRUB;
	}
}

static unsigned wear_bucket(uint64_t cycles)
{
	unsigned b = 0;

	while (cycles && b < BNN_WEAR_BUCKETS - 1) {
		cycles >>= 1;
		b++;
	}
	return b;
}

/* QUERY TILES into a malloc'ed buffer: header + records (*stride each). */
static int query_tiles(int fd, void **buf, uint32_t *count, uint32_t *stride)
{
	struct drm_rbnn_query q;
	struct drm_rbnn_query_tiles *hdr;
	uint32_t size;
	void *b;
	int rc;

	memset(&q, 0, sizeof(q));
	q.type = DRM_RBNN_QUERY_TILES;
	if (drmIoctl(fd, DRM_IOCTL_RBNN_QUERY, &q))
		return -errno;
	size = q.size;
	if (size < sizeof(*hdr) || size > (64u << 20))
		return -EPROTO;
	b = malloc(size);
	if (!b)
		return -ENOMEM;
	rc = bnn__rbnn_query(fd, DRM_RBNN_QUERY_TILES, b, size, &size);
	if (rc) {
		free(b);
		return rc;
	}
	hdr = b;
	if (hdr->stride < offsetof(struct drm_rbnn_tile_info, reserved) ||
	    size < sizeof(*hdr) + (uint64_t)hdr->count * hdr->stride) {
		free(b);
		return -EPROTO;
	}
	*buf = b;
	*count = hdr->count;
	*stride = hdr->stride;
	return 0;
}

static const struct drm_rbnn_tile_info *tile_rec(const void *buf, uint32_t i,
						 uint32_t stride)
{
	return (const void *)((const char *)buf +
			      sizeof(struct drm_rbnn_query_tiles) +
			      (size_t)i * stride);
}

/*
 * The emulator's seed and timing switch: in QUERY_MODEL up to driver 1.1;
 * from 1.2 on only in the driver's debugfs (sim/seed, sim/timing: root).
 * Without it the seed is unknown and the timing is the CAPS bit.
 */
static void sim_knobs(const bnn_card *c, int fd,
		      const struct drm_rbnn_query_model *m, bnn_card_health *h)
{
	drmVersionPtr ver = drmGetVersion(fd);
	int old = ver && ver->version_major == 1 && ver->version_minor < 2;
	char dir[256];

	drmFreeVersion(ver);
	h->seed = h->timing = BNN_UNKNOWN;
	if (old) {
		h->seed = m->reserved0;
		h->timing = m->reserved1;
		return;
	}
	if (snprintf(dir, sizeof(dir), DEBUGFS_ROOT "/accel/%s/sim", c->pci) >=
	    (int)sizeof(dir))
		return;
	if (read_u64_at(dir, "seed", &h->seed))
		h->seed = BNN_UNKNOWN;
	/* Without debugfs the card's CAPS still tell the timing. */
	if (read_u64_at(dir, "timing", &h->timing))
		h->timing = !!(c->caps & RBNN_CAP_TIMING_MODELED);
}

static int health_driver(const bnn_card *c, int fd, bnn_card_health *h)
{
	struct drm_rbnn_query_counters k;
	struct drm_rbnn_query_model m;
	void *tb = NULL;
	uint32_t nt = 0, stride = 0, got = 0, rows = c->rows;
	uint64_t sum = 0, max = 0;
	int rc;

	rc = query_tiles(fd, &tb, &nt, &stride);
	if (rc)
		return rc;
	h->tiles = nt;
	h->tiles_free = h->tiles_used = 0;
	h->stuck_cells = h->verify_fails = 0;
	memset(h->wear_hist, 0, sizeof(h->wear_hist));
	for (uint32_t i = 0; i < nt; i++) {
		const struct drm_rbnn_tile_info *t = tile_rec(tb, i, stride);

		if (t->state == DRM_RBNN_TILE_STATE_FREE)
			h->tiles_free++;
		else
			h->tiles_used++;
		h->wear_hist[wear_bucket(t->cycles_max)]++;
		if (t->cycles_max > max || i == 0) {
			max = t->cycles_max;
			h->most_worn_tile = i;
		}
		sum += t->cycles_sum;
		h->stuck_cells += t->stuck;
		h->verify_fails += t->verify_fails;
	}
	free(tb);
	h->wear_cycles_max = max;
	h->wear_cycles_mean = nt && rows ? (double)sum / ((double)nt * rows) : 0;
	h->have |= BNN_HAVE_TILES | BNN_HAVE_WEAR | BNN_HAVE_WEAR_HIST;

	if (!bnn__rbnn_query(fd, DRM_RBNN_QUERY_COUNTERS, &k, sizeof(k), &got) &&
	    got >= offsetof(struct drm_rbnn_query_counters, recoveries) + 8) {
		h->energy_pj = k.energy_pj;
		h->busy_ns = k.busy_ns;
		h->commands = k.commands;
		h->program_pulses = k.program_pulses;
		h->cell_reads = k.cell_reads;
		h->card_resets = k.resets;
		h->age_s = k.age_s;
		h->jobs_submitted = k.jobs_submitted;
		h->jobs_completed = k.jobs_completed;
		h->jobs_failed = k.jobs_failed;
		h->recoveries = k.recoveries;
		h->have |= BNN_HAVE_COUNTERS | BNN_HAVE_ENERGY |
			   BNN_HAVE_RECOVERY;
		/* A kernel that knows the counter, on a card that counts. */
		if (got >= offsetof(struct drm_rbnn_query_counters,
				    scrub_weak_cells) + 8 &&
		    k.scrub_weak_cells != UINT64_MAX) {
			h->scrub_bit_errors = k.scrub_weak_cells;
			h->have |= BNN_HAVE_SCRUB;
		}
	}
	/* Fields the kernel did not fill stay ~0 (unknown). */
	memset(&m, 0xff, sizeof(m));
	{
		struct drm_rbnn_query q;

		memset(&q, 0, sizeof(q));
		q.type = DRM_RBNN_QUERY_MODEL;
		q.size = sizeof(m);
		q.ptr = (uint64_t)(uintptr_t)&m;
		if (!drmIoctl(fd, DRM_IOCTL_RBNN_QUERY, &q)) {
			h->error_model = m.error_model;
			sim_knobs(c, fd, &m, h);
			h->prog_current_na = m.prog_current_na;
			h->pulse_ns = m.pulse_ns;
			h->verify_max = m.verify_max;
			h->read_ber_ppb = m.read_ber_ppb;
			h->expected_ber_ppb = m.expected_ber_ppb;
			h->endurance = m.endurance;
			h->wear_accel = m.wear_accel;
			h->drift_nu_ppm = m.drift_nu_ppm;
			h->e_read_fj = m.e_read_fj;
			h->e_popcount_fj = m.e_popcount_fj;
			h->e_dma_fj = m.e_dma_fj;
			h->t_read_ns = m.t_read_ns;
			h->have |= BNN_HAVE_MODEL;
		}
	}
	return 0;
}

static void model_unknown(bnn_card_health *h)
{
	h->error_model = h->seed = h->timing = BNN_UNKNOWN;
	h->prog_current_na = h->pulse_ns = h->verify_max = BNN_UNKNOWN;
	h->read_ber_ppb = h->expected_ber_ppb = BNN_UNKNOWN;
	h->endurance = h->wear_accel = h->drift_nu_ppm = BNN_UNKNOWN;
	h->e_read_fj = h->e_popcount_fj = h->e_dma_fj = BNN_UNKNOWN;
	h->t_read_ns = BNN_UNKNOWN;
}

int bnn_card_health_get(const bnn_card *card, bnn_card_health *h,
			bnn_error *err)
{
	bnn_error oe;
	bnn_card c;
	int fd, rc;

	if (!card || !h)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	memset(h, 0, sizeof(*h));
	model_unknown(h);
	h->wear_life_used = -1;
	rc = card_present(card, err);
	if (rc)
		return rc;
	c = *card;
	health_sysfs(&c, h);
	h->source = BNN_HEALTH_SYSFS;
	bnn_error_clear(&oe);
	rc = bnn__card_open(&c, &fd, &oe);
	if (!rc) {
		if (!c.rows)
			bnn__card_fill_query(fd, &c);
		rc = health_driver(&c, fd, h);
		close(fd);
		if (rc == -ENODEV) {
			return bnn__fail(err, BNN_E_NODEV,
					 "%s: the card was removed", c.node);
		}
		if (rc)
			bnn__rbnn_errno(&oe, rc, c.node, "QUERY");
		else
			h->source = BNN_HEALTH_DRIVER;
	}
	if (h->source == BNN_HEALTH_SYSFS) {
		h->open_status = oe.code;
		copy_str(h->open_msg, sizeof(h->open_msg), oe.msg);
	}
	if (h->endurance != BNN_UNKNOWN && h->endurance)
		h->wear_life_used = (double)h->wear_cycles_max /
				    (double)h->endurance;
	bnn_error_clear(err);
	return BNN_OK;
}

/* Owners of tiles from debugfs "tiles" (root): pid and comm per tile.
 * Returns the number of lines parsed, or -errno. */
static int debugfs_owners(const bnn_card *c, int *pid, char (*comm)[32],
			  uint32_t ntiles)
{
	char path[300], line[512];
	FILE *f;
	int nl = 0;

	snprintf(path, sizeof(path), DEBUGFS_ROOT "/accel/%s/tiles", c->pci);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *tok[32], *save = NULL, *s;
		int nt = 0;
		unsigned long t;

		for (s = strtok_r(line, " \t\n", &save); s && nt < 32;
		     s = strtok_r(NULL, " \t\n", &save))
			tok[nt++] = s;
		/* tile owner pid comm... state inflight rows_prog thr_loaded
		 * cycles_sum cycles_max stuck verify_fails */
		if (nt < 12 || !isdigit((unsigned char)tok[0][0]))
			continue;
		t = strtoul(tok[0], NULL, 10);
		if (t >= ntiles)
			continue;
		pid[t] = atoi(tok[2]);
		comm[t][0] = 0;
		for (int i = 3; i < nt - 8; i++) {
			size_t k = strlen(comm[t]);

			snprintf(comm[t] + k, 32 - k, "%s%s", i > 3 ? " " : "",
				 tok[i]);
		}
		if (strcmp(tok[nt - 8], "free") == 0)
			pid[t] = 0;
		nl++;
	}
	fclose(f);
	return nl;
}

int bnn_card_tiles(const bnn_card *card, bnn_tile **tiles, size_t *n,
		   bnn_error *err)
{
	bnn_tile *v;
	void *tb = NULL;
	uint32_t nt = 0, stride = 0;
	int fd, rc, *pid;
	char (*comm)[32];

	if (!card || !tiles || !n)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	*tiles = NULL;
	*n = 0;
	rc = bnn__card_open(card, &fd, err);
	if (rc)
		return rc;
	rc = query_tiles(fd, &tb, &nt, &stride);
	close(fd);
	if (rc)
		return bnn__rbnn_errno(err, rc, card->node, "QUERY TILES");
	v = calloc(nt ? nt : 1, sizeof(*v));
	pid = calloc(nt ? nt : 1, sizeof(*pid));
	comm = calloc(nt ? nt : 1, sizeof(*comm));
	if (!v || !pid || !comm) {
		free(v);
		free(pid);
		free(comm);
		free(tb);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	debugfs_owners(card, pid, comm, nt);
	for (uint32_t i = 0; i < nt; i++) {
		const struct drm_rbnn_tile_info *t = tile_rec(tb, i, stride);

		v[i].index = i;
		v[i].used = t->state != DRM_RBNN_TILE_STATE_FREE;
		v[i].cycles_max = t->cycles_max;
		v[i].cycles_sum = t->cycles_sum;
		v[i].stuck = t->stuck;
		v[i].verify_fails = t->verify_fails;
		v[i].scrub_bit_errors = BNN_UNKNOWN;
		if (stride >= offsetof(struct drm_rbnn_tile_info,
				       scrub_weak_cells) + 8 &&
		    t->scrub_weak_cells != UINT64_MAX)
			v[i].scrub_bit_errors = t->scrub_weak_cells;
		if (v[i].used) {
			v[i].owner_pid = pid[i];
			copy_str(v[i].owner_comm, sizeof(v[i].owner_comm),
				 comm[i]);
		}
	}
	free(pid);
	free(comm);
	free(tb);
	*tiles = v;
	*n = nt;
	bnn_error_clear(err);
	return BNN_OK;
}

/* ---- processes ------------------------------------------------------------------------- */

/* "12 KiB" -> bytes. */
static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	while (*end == ' ' || *end == '\t')
		end++;
	if (!strncmp(end, "KiB", 3))
		v <<= 10;
	else if (!strncmp(end, "MiB", 3))
		v <<= 20;
	else if (!strncmp(end, "GiB", 3))
		v <<= 30;
	return v;
}

struct fdinfo {
	int drv_ok, pdev_ok;
	uint64_t client_id;
	int have_id;
	uint64_t engine_ns, mem;
};

static int parse_fdinfo(const char *path, const char *pci, struct fdinfo *fi)
{
	char line[256];
	FILE *f = fopen(path, "re");

	memset(fi, 0, sizeof(*fi));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v || strncmp(line, "drm-", 4) != 0)
			continue;
		*v++ = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = 0;
		if (!strcmp(line, "drm-driver"))
			fi->drv_ok = !strcmp(v, BNN_CARD_DRIVER);
		else if (!strcmp(line, "drm-pdev"))
			fi->pdev_ok = !strcmp(v, pci);
		else if (!strcmp(line, "drm-client-id")) {
			fi->client_id = strtoull(v, NULL, 10);
			fi->have_id = 1;
		} else if (!strcmp(line, "drm-engine-rbnn"))
			fi->engine_ns = strtoull(v, NULL, 10);
		else if (!strncmp(line, "drm-total-", 10))
			fi->mem += parse_size(v);
	}
	fclose(f);
	return fi->drv_ok && fi->pdev_ok ? 0 : -1;
}

static int proc_cmp(const void *a, const void *b)
{
	const bnn_card_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int bnn_card_processes(const bnn_card *card, bnn_card_proc **procs,
		       size_t *n, bnn_error *err)
{
	bnn_card_proc *v = NULL;
	size_t nv = 0, cap = 0;
	DIR *pd;
	struct dirent *de;
	int *opid = NULL;
	uint32_t nt = card ? card->tiles : 0;

	if (!card || !procs || !n)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	*procs = NULL;
	*n = 0;
	pd = opendir("/proc");
	if (!pd)
		return bnn__fail(err, BNN_E_IO, "/proc: %s", strerror(errno));
	while ((de = readdir(pd))) {
		char dir[300];
		DIR *fd;
		struct dirent *fe;
		bnn_card_proc p;
		uint64_t ids[64];
		uint32_t nids = 0;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", de->d_name);
		fd = opendir(dir);
		if (!fd)
			continue;	/* gone, or another user's (EACCES) */
		memset(&p, 0, sizeof(p));
		while ((fe = readdir(fd))) {
			char path[600];
			struct fdinfo fi;
			int dup = 0;

			if (!isdigit((unsigned char)fe->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, fe->d_name);
			if (parse_fdinfo(path, card->pci, &fi))
				continue;
			/* One DRM client opened through several fds (dup)
			 * counts once. */
			for (uint32_t i = 0; fi.have_id && i < nids; i++)
				if (ids[i] == fi.client_id)
					dup = 1;
			if (dup)
				continue;
			if (fi.have_id && nids < 64)
				ids[nids++] = fi.client_id;
			p.files++;
			p.engine_ns += fi.engine_ns;
			p.memory_bytes += fi.mem;
		}
		closedir(fd);
		if (!p.files)
			continue;
		p.pid = atoi(de->d_name);
		snprintf(dir, sizeof(dir), "/proc/%s/comm", de->d_name);
		if (read_text(dir, p.comm, sizeof(p.comm)) < 0)
			copy_str(p.comm, sizeof(p.comm), "?");
		if (nv == cap) {
			size_t nc = cap ? 2 * cap : 8;
			bnn_card_proc *q = realloc(v, nc * sizeof(*q));

			if (!q) {
				closedir(pd);
				free(v);
				return bnn__fail(err, BNN_E_NOMEM,
						 "out of memory");
			}
			v = q;
			cap = nc;
		}
		v[nv++] = p;
	}
	closedir(pd);
	/* Tiles per process, when debugfs tells (root). */
	if (nv && nt && nt < (1u << 20) && (opid = calloc(nt, sizeof(*opid)))) {
		char (*comm)[32] = calloc(nt, sizeof(*comm));

		if (comm && debugfs_owners(card, opid, comm, nt) > 0)
			for (uint32_t t = 0; t < nt; t++)
				for (size_t i = 0; i < nv; i++)
					if (opid[t] && opid[t] == v[i].pid)
						v[i].tiles++;
		free(comm);
		free(opid);
	}
	if (nv)
		qsort(v, nv, sizeof(*v), proc_cmp);
	*procs = v;
	*n = nv;
	bnn_error_clear(err);
	return BNN_OK;
}

/* ---- reset ---------------------------------------------------------------------------------- */

/*
 * The path of the driver's debugfs file @name for the card, checked to be
 * there and accessible.  @doing says what for ("resetting a card").
 */
static int debugfs_file(const bnn_card *card, const char *name,
			const char *doing, char *path, size_t cap,
			bnn_error *err)
{
	struct statfs sfs;
	struct stat st;
	int e;

	if (card_present(card, err))
		return BNN_E_NODEV;
	snprintf(path, cap, DEBUGFS_ROOT "/accel/%s/%s", card->pci, name);
	if (stat(path, &st) == 0)
		return BNN_OK;
	e = errno;
	if (e == EACCES || e == EPERM)
		return bnn__fail(err, BNN_E_PERM,
				 "%s: %s needs root (%s is not accessible)",
				 card->node, doing, DEBUGFS_ROOT);
	if (statfs(DEBUGFS_ROOT, &sfs) != 0 ||
	    (sfs.f_type != DEBUGFS_MAGIC_NR && sfs.f_type != TRACEFS_MAGIC_NR)) {
		if (geteuid() != 0)
			return bnn__fail(err, BNN_E_PERM, "%s: %s needs root",
					 card->node, doing);
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "%s: debugfs is not mounted (%s goes through the driver's debugfs file %s): mount -t debugfs none %s",
				 card->node, doing, name, DEBUGFS_ROOT);
	}
	return bnn__fail(err, BNN_E_UNSUPPORTED,
			 "%s: %s: %s (the rbnn driver has no %s for this card)",
			 card->node, path, strerror(e), name);
}

/* Open a debugfs file of the card found by debugfs_file(). */
static int debugfs_open(const bnn_card *card, const char *path, int flags,
			const char *doing, bnn_error *err)
{
	int fd = open(path, flags | O_CLOEXEC), e;

	if (fd >= 0)
		return fd;
	e = errno;
	if (e == EACCES || e == EPERM)
		return bnn__fail(err, BNN_E_PERM, "%s: %s needs root (%s: %s)",
				 card->node, doing, path, strerror(e));
	return bnn__fail(err, e == ENODEV ? BNN_E_NODEV : BNN_E_IO,
			 "%s: %s: %s", card->node, path, strerror(e));
}

/*
 * Open the card for DRM_IOCTL_RBNN_ADMIN (driver 1.1 on): BNN_OK with *fd,
 * 1 when the driver is older (the caller falls back to debugfs), or a
 * failure in err.
 */
static int admin_open(const bnn_card *card, const char *doing, int *fd,
		      bnn_error *err)
{
	drmVersionPtr ver;
	int rc, old;

	*fd = -1;
	if (card_present(card, err))
		return BNN_E_NODEV;
	rc = bnn__card_open(card, fd, err);
	if (rc == BNN_E_PERM)
		return bnn__fail(err, BNN_E_PERM,
				 "%s: %s needs root (CAP_SYS_ADMIN), and the node is not open to this user either",
				 card->node, doing);
	if (rc)
		return rc;
	ver = drmGetVersion(*fd);
	old = !ver || ver->version_major < 1 ||
	      (ver->version_major == 1 && ver->version_minor < 1);
	drmFreeVersion(ver);
	if (old) {
		close(*fd);
		*fd = -1;
		return 1;
	}
	return BNN_OK;
}

static int admin_ioctl(const bnn_card *card, int fd, struct drm_rbnn_admin *a,
		       const char *doing, bnn_error *err)
{
	int e;

	if (!drmIoctl(fd, DRM_IOCTL_RBNN_ADMIN, a))
		return BNN_OK;
	e = errno;
	if (e == EPERM || e == EACCES)
		return bnn__fail(err, BNN_E_PERM,
				 "%s: %s needs root (CAP_SYS_ADMIN)", card->node,
				 doing);
	return bnn__rbnn_errno(err, e, card->node, doing);
}

int bnn_card_reset(const bnn_card *card, bnn_error *err)
{
	struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_RESET };
	char path[340];
	int fd, e, rc;

	if (!card)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	rc = admin_open(card, "resetting a card", &fd, err);
	if (rc < 0)
		return rc;
	if (rc == BNN_OK) {
		rc = admin_ioctl(card, fd, &a, "resetting a card", err);
		close(fd);
		if (!rc)
			bnn_error_clear(err);
		return rc;
	}
	/* Driver 1.0: through debugfs. */
	rc = debugfs_file(card, "force_reset", "resetting a card", path,
			  sizeof(path), err);
	if (rc)
		return rc;
	fd = debugfs_open(card, path, O_WRONLY, "resetting a card", err);
	if (fd < 0)
		return fd;
	if (write(fd, "1\n", 2) != 2) {
		e = errno;
		close(fd);
		if (e == EACCES || e == EPERM)
			return bnn__fail(err, BNN_E_PERM,
					 "%s: resetting a card needs root (%s)",
					 card->node, strerror(e));
		return bnn__fail(err, e == ENODEV ? BNN_E_NODEV : BNN_E_DEVICE,
				 "%s: reset failed: %s", card->node,
				 strerror(e));
	}
	close(fd);
	bnn_error_clear(err);
	return BNN_OK;
}

/* ---- scrub ------------------------------------------------------------------------------ */

int bnn__scrub_parse(const char *report, bnn_scrub_tile **tiles, size_t *n,
		     long *failed, bnn_error *err)
{
	const char *hdr = "tile status hw_status weak_cells unverified pulses time_ns energy_pj\n";
	bnn_scrub_tile *v = NULL;
	size_t nv = 0, cap = 0;
	const char *p;

	*tiles = NULL;
	*n = 0;
	if (failed)
		*failed = -1;
	if (!report || strncmp(report, hdr, strlen(hdr)) != 0)
		return bnn__fail(err, BNN_E_PARSE,
				 "scrub report: no header line");
	for (p = report + strlen(hdr); *p; ) {
		unsigned long long w, u, pu, tn, en;
		unsigned t, hs;
		int st, k = 0;

		if (sscanf(p, "%u %d %u %llu %llu %llu %llu %llu%n", &t, &st,
			   &hs, &w, &u, &pu, &tn, &en, &k) != 8 ||
		    p[k] != '\n' || st > 0 || (nv && t <= v[nv - 1].index)) {
			free(v);
			return bnn__fail(err, BNN_E_PARSE,
					 "scrub report: bad line %zu", nv + 2);
		}
		if (nv == cap) {
			size_t nc = cap ? 2 * cap : 16;
			bnn_scrub_tile *q = realloc(v, nc * sizeof(*q));

			if (!q) {
				free(v);
				return bnn__fail(err, BNN_E_NOMEM,
						 "out of memory");
			}
			v = q;
			cap = nc;
		}
		memset(&v[nv], 0, sizeof(v[nv]));
		v[nv].index = t;
		v[nv].status = st ? BNN_E_DEVICE : BNN_OK;
		v[nv].weak_cells = w;
		v[nv].unverified = u;
		v[nv].pulses = pu;
		v[nv].device_ns = tn;
		v[nv].device_energy_pj = en;
		if (st && failed && *failed < 0)
			*failed = (long)nv;
		nv++;
		p += k + 1;
	}
	*tiles = v;
	*n = nv;
	return BNN_OK;
}

/* The scrub through DRM_IOCTL_RBNN_ADMIN on the open fd, tile after tile. */
static int scrub_ioctl(const bnn_card *card, int fd, bnn_scrub_tile **tiles,
		       size_t *n, bnn_error *err)
{
	bnn_scrub_tile *v;
	uint32_t t;
	int rc;

	if (!card->tiles)
		return bnn__fail(err, BNN_E_DEVICE, "%s: no tiles to scrub",
				 card->node);
	v = calloc(card->tiles, sizeof(*v));
	if (!v)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (t = 0; t < card->tiles; t++) {
		struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_SCRUB,
					    .tile = t };

		rc = admin_ioctl(card, fd, &a, "scrubbing a card", err);
		if (rc) {
			free(v);
			return rc;
		}
		v[t].index = t;
		v[t].weak_cells = a.scrub_weak_cells;
		v[t].unverified = a.hw_status == RBNN_STATUS_VERIFY ?
				  a.hw_detail : 0;
		v[t].pulses = a.hw_status == RBNN_STATUS_OK ? a.hw_detail : 0;
		v[t].device_ns = a.time_ns;
		v[t].device_energy_pj = a.energy_pj;
		if (a.status) {
			free(v);
			return bnn__fail(err, BNN_E_DEVICE,
					 "%s: the scrub of tile %u failed (aborted by a card reset?); its owner must program its rows again",
					 card->node, t);
		}
	}
	*tiles = v;
	*n = card->tiles;
	return BNN_OK;
}

int bnn_card_scrub(const bnn_card *card, bnn_scrub_tile **tiles, size_t *n,
		   bnn_error *err)
{
	const char *doing = "scrubbing a card";
	char path[340], *rep = NULL;
	size_t len = 0, cap = 0;
	ssize_t k;
	long failed;
	int fd, e, werr, rc;

	if (!card || !tiles || !n)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	*tiles = NULL;
	*n = 0;
	rc = admin_open(card, doing, &fd, err);
	if (rc < 0)
		return rc;
	if (rc == BNN_OK) {
		rc = scrub_ioctl(card, fd, tiles, n, err);
		close(fd);
		if (!rc)
			bnn_error_clear(err);
		return rc;
	}
	/* Driver 1.0: through debugfs. */
	rc = debugfs_file(card, "scrub", doing, path, sizeof(path), err);
	if (rc)
		return rc;
	fd = debugfs_open(card, path, O_RDWR, doing, err);
	if (fd < 0)
		return fd;
	/* Returns when every tile has been scrubbed (or one failed). */
	werr = write(fd, "all\n", 4) == 4 ? 0 : errno;
	e = werr;
	if (e && e != EIO) {
		close(fd);
		if (e == EACCES || e == EPERM)
			return bnn__fail(err, BNN_E_PERM, "%s: %s needs root (%s)",
					 card->node, doing, strerror(e));
		return bnn__fail(err, e == ENODEV ? BNN_E_NODEV :
				 e == EINTR ? BNN_E_IO : BNN_E_DEVICE,
				 "%s: scrub failed: %s", card->node,
				 strerror(e));
	}
	/* The report of this file's scrub, from its start. */
	if (lseek(fd, 0, SEEK_SET) != 0) {
		e = errno;
		close(fd);
		return bnn__fail(err, BNN_E_IO, "%s: %s: %s", card->node, path,
				 strerror(e));
	}
	for (;;) {
		if (cap - len < 4096) {
			char *q = realloc(rep, cap + 65536);

			if (!q) {
				free(rep);
				close(fd);
				return bnn__fail(err, BNN_E_NOMEM,
						 "out of memory");
			}
			rep = q;
			cap += 65536;
		}
		k = read(fd, rep + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	e = k < 0 ? errno : 0;
	close(fd);
	if (e) {
		free(rep);
		return bnn__fail(err, BNN_E_IO, "%s: %s: %s", card->node, path,
				 strerror(e));
	}
	rep[len] = 0;
	rc = bnn__scrub_parse(rep, tiles, n, &failed, err);
	free(rep);
	if (rc)
		return rc;
	if (failed >= 0 || werr == EIO) {
		/* Keep nothing: the caller gets the tile that failed. */
		uint32_t t = failed >= 0 ? (*tiles)[failed].index : 0;

		free(*tiles);
		*tiles = NULL;
		*n = 0;
		if (failed < 0)
			return bnn__fail(err, BNN_E_DEVICE,
					 "%s: the scrub failed (no tile reported)",
					 card->node);
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: the scrub of tile %u failed (aborted by a card reset?); its owner must program its rows again",
				 card->node, t);
	}
	bnn_error_clear(err);
	return BNN_OK;
}
