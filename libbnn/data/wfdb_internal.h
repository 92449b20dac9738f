/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * wfdb_internal.h - shared by the WFDB reader's files (wfdb.c header and
 * decoder, wfdb_fmt.c sample formats, wfdb_seg.c multi-segment records);
 * not installed, not part of the API.
 */
#ifndef BNN_WFDB_INTERNAL_H
#define BNN_WFDB_INTERNAL_H

#include "bnn_data.h"

/* ---- sample formats (wfdb_fmt.c) ---- */

/* Bits of one stored sample, 0 for unknown formats (format 0, the null
 * signal, has 0 bits too: check bnn__wfdb_fmt_known). */
int bnn__wfdb_fmt_bits(int format);
int bnn__wfdb_fmt_known(int format);
/* Default and largest ADC resolution a format can carry. */
int bnn__wfdb_fmt_res(int format, int *max_res);
/* The format's invalid-sample value (see bnn_wfdb_signal.invalid). */
int32_t bnn__wfdb_fmt_invalid(int format);
/* Fewest / most bytes that hold n flat samples (the most allows for the
 * padding of a partly filled 212 / 310 / 311 block); -1 on overflow. */
int bnn__wfdb_fmt_bytes(int format, uint64_t n, uint64_t *min, uint64_t *max);
/* Largest number of whole samples in len bytes; -1 when the bytes end in
 * a piece that no sample count explains (e.g. 3k+1 bytes of format 212). */
int bnn__wfdb_fmt_fit(int format, uint64_t len, uint64_t *n);
/* Unpack n flat samples (n <= what len bytes hold).  Format 8 yields the
 * raw signed differences; the caller integrates them per signal. */
void bnn__wfdb_fmt_unpack(int format, const uint8_t *b, size_t n,
			  int32_t *out);

/* ---- warnings ---- */
void bnn__wfdb_warn(bnn_wfdb_warnings *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- where signal and segment files come from (wfdb_seg.c) ---- */
struct bnn__wfdb_src {
	const char *dir;		/* read from this folder, or */
	const bnn_wfdb_blob *blobs;	/* look names up here (dir == NULL) */
	size_t nblobs;
	uint8_t **bufs;			/* files read from disk, freed by */
	size_t nbufs, cap;		/* bnn__wfdb_src_release */
	const char *what;		/* file name for messages (the header) */
};
/* The bytes of file `name`; BNN_E_NOTFOUND (memory) / BNN_E_IO (disk). */
int bnn__wfdb_src_get(struct bnn__wfdb_src *s, const char *name,
		      const uint8_t **data, size_t *len, bnn_error *err);
void bnn__wfdb_src_release(struct bnn__wfdb_src *s);

/* Decode a single-segment header's signals (wfdb.c). */
int bnn__wfdb_decode_src(const bnn_wfdb_header *hdr, struct bnn__wfdb_src *src,
			 unsigned flags, bnn_wfdb_record *out, bnn_error *err);
/* Assemble a multi-segment record (hdr->nseg > 0) from its segment
 * headers and their signal files (wfdb_seg.c). */
int bnn__wfdb_read_multi(const bnn_wfdb_header *hdr, struct bnn__wfdb_src *src,
			 unsigned flags, bnn_wfdb_record *out, bnn_error *err);

#endif /* BNN_WFDB_INTERNAL_H */
