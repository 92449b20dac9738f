/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn_error.h - status codes and the error record shared by every part of
 * libbnn (data readers, model format, backends).
 *
 * Every libbnn function that can fail returns an int status: BNN_OK (0) or
 * a negative BNN_E_* code.  When the caller passes a non-NULL bnn_error it
 * receives the same code and a one-line, NUL-terminated English message
 * naming what failed (file, section, layer, field...).  The library never
 * prints and never aborts on bad input.
 */
#ifndef BNN_ERROR_H
#define BNN_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum bnn_status {
	BNN_OK = 0,
	BNN_E_INVAL = -1,	/* bad argument (NULL pointer, bad option value) */
	BNN_E_NOMEM = -2,	/* out of memory */
	BNN_E_IO = -3,		/* cannot open/stat/read/write a file */
	BNN_E_PARSE = -4,	/* malformed text: bad number, missing field */
	BNN_E_RANGE = -5,	/* value outside the accepted limits */
	BNN_E_UNSUPPORTED = -6,	/* well-formed but not supported (format,
				 * version, layer kind, backend feature) */
	BNN_E_TRUNCATED = -7,	/* data shorter than declared */
	BNN_E_SIZE = -8,	/* size mismatch / extra data / file too big */
	BNN_E_CHECKSUM = -9,	/* checksum or initial-value mismatch */
	BNN_E_CORRUPT = -10,	/* malformed binary data (bad field, shape) */
	BNN_E_NOTFOUND = -11,	/* named item (lead, record, file, job) not
				 * found */
	BNN_E_NODEV = -12,	/* no such device / backend not available */
	BNN_E_PERM = -13,	/* permission denied (device node) */
	BNN_E_BUSY = -14,	/* resource busy (device, too many jobs) */
	BNN_E_STATE = -15,	/* call out of order (run before prepare) */
	BNN_E_DEVICE = -16,	/* the device reported an error or hung */
	BNN_E_TIMEOUT = -17,	/* a wait timed out (the job is still
				 * pending) */
};

#define BNN_ERRMSG_MAX 256

typedef struct bnn_error {
	int code;			/* last status (BNN_OK when cleared) */
	char msg[BNN_ERRMSG_MAX];	/* human-readable, NUL-terminated */
} bnn_error;

/* Static English name of a status code ("invalid argument", ...). Never NULL. */
const char *bnn_strerror(int code);

/* Reset err to BNN_OK / "" (NULL allowed). */
void bnn_error_clear(bnn_error *err);

#ifdef __cplusplus
}
#endif

#endif /* BNN_ERROR_H */
