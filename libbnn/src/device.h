/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * device.h - libbnn internal: access to rbnn cards through the kernel
 * driver, shared by device.c (discovery, health, reset: bnn_device.h) and
 * backend_rbnn.c (the `rbnn` backend).  Only these two files issue
 * ioctls.
 */
#ifndef BNN_DEVICE_INT_H
#define BNN_DEVICE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_device.h"

/*
 * Every accel device bound to rbnn, sorted by minor, without opening them
 * (geometry not filled).  *cards NULL when *n is 0.
 */
int bnn__card_enum(bnn_card **cards, size_t *n, bnn_error *err);

/*
 * Cards named by a backend's device option: NULL, "" or "all" = every
 * card; otherwise a comma-separated list of specs (bnn_device.h).  At
 * least one card on success (BNN_E_NODEV with a message otherwise),
 * duplicates refused.  Free *cards with free().
 */
int bnn__card_select(const char *spec, bnn_card **cards, size_t *n,
		     bnn_error *err);

/*
 * Open a card's node read-write, close-on-exec, and check that the
 * driver behind it is rbnn.  Errors with messages: BNN_E_PERM (EACCES /
 * EPERM: names the node's group, i.e. render), BNN_E_NODEV (gone, or not
 * rbnn), BNN_E_IO.
 */
int bnn__card_open(const bnn_card *c, int *fd, bnn_error *err);

/*
 * DRM_IOCTL_RBNN_QUERY of `type` into buf (size bytes, zero-filled first);
 * *got (may be NULL) receives the bytes the kernel wrote.  Returns 0 or
 * -errno.
 */
int bnn__rbnn_query(int fd, uint32_t type, void *buf, uint32_t size,
		    uint32_t *got);

/* Fill the identity and geometry of c from QUERY DEVICE on fd. */
int bnn__card_fill_query(int fd, bnn_card *c);

/*
 * Set err to the BNN_E_* code for an errno of the rbnn driver and the
 * message "<node>: <what>: <explanation>", and return the code:
 * ECANCELED -> BNN_E_DEVICE (context banned after a hang: reopen),
 * ENODEV -> BNN_E_NODEV (card removed), ENOSPC -> BNN_E_BUSY (tiles),
 * ENOMEM -> BNN_E_NOMEM, EBUSY -> BNN_E_BUSY, ETIMEDOUT/ETIME ->
 * BNN_E_TIMEOUT, EACCES/EPERM -> BNN_E_PERM, ENOTTY -> BNN_E_UNSUPPORTED,
 * others (EINVAL, ERANGE, ...) -> BNN_E_DEVICE.
 */
int bnn__rbnn_errno(bnn_error *err, int e, const char *node,
		    const char *what);

/* The cost of the last bnn_prepare() on an rbnn context, summed over its
 * cards, from the PROGRAM jobs' JOB_INFO. */
struct bnn__rbnn_prog_stats {
	uint64_t rows;		/* rows programmed */
	uint64_t cmds;		/* PROGRAM jobs */
	uint64_t pulses;	/* device programming pulses */
	uint64_t unverified;	/* cells left unverified (VERIFY status) */
	uint64_t device_ns;	/* modeled time */
	double device_energy_pj;	/* modeled energy */
	uint64_t scrubs;	/* scrub policy: read-verify passes */
	uint64_t scrub_rewritten;	/* rows it programmed again */
};

/*
 * Parse the report of the driver's debugfs "scrub" file (header line, then
 * "tile status hw_status weak_cells unverified pulses time_ns energy_pj"
 * per tile, Documentation/rbnn-uapi.rst) into *tiles (*n entries,
 * malloc'ed; NULL when none).  Tiles whose job failed get status
 * BNN_E_DEVICE; *failed (may be NULL) receives the index of the first
 * such entry, or -1.  BNN_E_PARSE for a malformed report, BNN_E_NOMEM.
 */
int bnn__scrub_parse(const char *report, bnn_scrub_tile **tiles, size_t *n,
		     long *failed, bnn_error *err);

struct bnn_backend;

/* BNN_E_INVAL when `be` is not an rbnn context. */
int bnn__rbnn_prog_stats(const struct bnn_backend *be,
			 struct bnn__rbnn_prog_stats *out);

#endif /* BNN_DEVICE_INT_H */
