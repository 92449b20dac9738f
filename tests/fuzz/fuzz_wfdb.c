// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * fuzz_wfdb.c - libFuzzer target for the libbnn data readers.
 *
 * Each input is fed, through the in-memory entry points, as:
 *   1. a WFDB header (.hea text);
 *   2. an MIT annotation file (.atr bytes);
 *   3. a record: the first two bytes (little-endian, modulo the remaining
 *      length + 1) give the length of a header, the rest is the signal
 *      file content offered under every file name the header uses; when
 *      it decodes, the same bytes are also parsed as annotations and beats
 *      are extracted (with and without resampling) from the record; for a
 *      multi-segment header the header text itself is offered as every
 *      segment's header too (so segments exercise the joining code);
 *   4. the other text formats (split file, Bonn segment, CSV).
 * Invariants checked: failures leave outputs zeroed; successes are
 * self-consistent.  Any violation traps.
 *
 * Build (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilibbnn/data \
 *     tests/fuzz/fuzz_wfdb.c libbnn/data/[a-z]*.c -lm -ledf \
 *     -o fuzz_wfdb
 *   ./fuzz_wfdb -max_len=8192 corpus/
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_data.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check_header(const bnn_wfdb_header *h)
{
	CHECK(h->nsig >= 0 && h->nsig <= BNN_WFDB_MAX_SIGNALS);
	CHECK((h->nsig == 0) == (h->sig == NULL));
	CHECK((h->nseg == 0) == (h->seg == NULL));
	CHECK(h->nseg == 0 || h->nsig == 0);
	CHECK(h->fs > 0 && h->nsamples >= 0);
	CHECK(h->ngroups <= h->nsig);
	for (int i = 0; i < h->nsig; i++) {
		const bnn_wfdb_signal *s = &h->sig[i];
		CHECK(memchr(s->file, 0, sizeof s->file));
		CHECK(memchr(s->desc, 0, sizeof s->desc));
		CHECK(memchr(s->units, 0, sizeof s->units));
		CHECK(s->gain != 0);
		CHECK(s->group >= 0 && s->group < h->ngroups);
		CHECK(s->spf >= 1 && s->spf <= BNN_WFDB_MAX_SPF);
		CHECK(s->skew >= 0 && s->skew <= BNN_WFDB_MAX_SKEW);
	}
}

static void fuzz_record(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	size_t rest = size - 2;
	size_t hl = ((size_t)data[0] | (size_t)data[1] << 8) % (rest + 1);
	const char *hea = (const char *)data + 2;
	const uint8_t *dat = data + 2 + hl;
	size_t datlen = rest - hl;

	bnn_wfdb_header h;
	bnn_error e;
	if (bnn_wfdb_parse_header(hea, hl, &h, &e) != BNN_OK) {
		CHECK(h.sig == NULL && h.nsig == 0);
		return;
	}
	check_header(&h);
	/* The same bytes under every file name of the header. */
	bnn_wfdb_blob blobs[BNN_WFDB_MAX_SIGNALS + 1];
	size_t nb = 0;
	for (int i = 0; i < h.nsig; i++)
		if (i == 0 || h.sig[i].group != h.sig[i - 1].group)
			blobs[nb++] = (bnn_wfdb_blob){ h.sig[i].file, dat, datlen };
	bnn_wfdb_record r;
	unsigned flags = (data[0] & 1) ? BNN_WFDB_NO_VERIFY
		       : (data[0] & 2) ? BNN_WFDB_STRICT : 0;
	int rc;
	if (h.nseg > 0) {
		/* Segments: this header again (nested: refused), or a
		 * single-segment header found after the first "\n\n" of
		 * the text, with the signal bytes under every file name. */
		static char names[8][BNN_WFDB_NAME_MAX + 8];
		const char *split = memmem(hea, hl, "\n\n", 2);
		const char *sub = split ? split + 2 : hea;
		size_t sublen = split ? hl - (size_t)(sub - hea) : hl;
		bnn_wfdb_header sh;
		nb = 0;
		for (int i = 0; i < h.nseg && nb < 8; i++) {
			snprintf(names[nb], sizeof names[nb], "%s.hea", h.seg[i].name);
			blobs[nb] = (bnn_wfdb_blob){ names[nb], (const uint8_t *)sub,
						     sublen };
			nb++;
		}
		size_t nh = nb;
		if (bnn_wfdb_parse_header(sub, sublen, &sh, &e) == BNN_OK) {
			for (int i = 0; i < sh.nsig && nb < nh + 8; i++)
				blobs[nb++] = (bnn_wfdb_blob){ sh.sig[i].file, dat, datlen };
			rc = bnn_wfdb_record_from_memory(hea, hl, blobs, nb, flags,
							 &r, &e);
			bnn_wfdb_header_free(&sh);
		} else {
			rc = bnn_wfdb_record_from_memory(hea, hl, blobs, nb, flags,
							 &r, &e);
		}
	} else {
		rc = bnn_wfdb_decode(&h, blobs, nb, flags, &r, &e);
	}
	if (rc != BNN_OK) {
		CHECK(r.data == NULL && r.hdr.sig == NULL);
		CHECK(e.code == rc && e.msg[0]);
		bnn_wfdb_header_free(&h);
		return;
	}
	CHECK(h.nseg || r.hdr.nsig == h.nsig);
	CHECK(!h.nseg || r.hdr.nsig == h.seg_nsig);
	CHECK(h.nsamples == 0 || r.nsamples == h.nsamples);
	CHECK(r.warn.n >= 0 && r.warn.n <= BNN_WFDB_WARN_MAX);
	for (int w = 0; w < r.warn.n; w++)
		CHECK(memchr(r.warn.msg[w], 0, sizeof r.warn.msg[w]));
	if (r.hdr.nsig && r.nsamples) {
		/* Every decoded value fits the format (or is its invalid
		 * value); format 8 integrates, so it has no bound. */
		for (int s = 0; s < r.hdr.nsig; s++) {
			const bnn_wfdb_signal *sg = &r.hdr.sig[s];
			const int32_t *x = bnn_wfdb_samples(&r, s);
			int64_t n = bnn_wfdb_signal_len(&r, s);
			int bits = sg->format == 212 ? 12 : sg->format == 80 ? 8
				 : sg->format == 310 || sg->format == 311 ? 10
				 : sg->format == 24 ? 24 : sg->format == 32 ||
				   sg->format == 8 ? 32 : 16;
			int64_t lim = (int64_t)1 << (bits - 1);
			CHECK(x && n == r.nsamples * sg->spf);
			for (int64_t i = 0; i < n; i++)
				CHECK((x[i] >= -lim && x[i] < lim) ||
				      x[i] == sg->invalid || h.nseg);
		}
	}
	/* Beats from the same bytes read as annotations. */
	bnn_wfdb_annlist a;
	if (bnn_wfdb_parse_ann(dat, datlen, &a, &e) == BNN_OK) {
		bnn_beat_opts o;
		bnn_beat_opts_default(&o);
		o.lead = NULL;
		o.signal = 0;
		o.pre = 3;
		o.post = 4;
		o.norm = (bnn_norm)(data[1] % 3);
		o.resample = (bnn_resample_method)((data[1] >> 2) & 1);
		o.baseline = (data[1] >> 3) & 1;
		o.amp_norm = (data[1] >> 4) & 1;
		o.lowpass_hz = (data[1] >> 5) & 1 ? h.fs * 0.2 : 0;
		o.ref_beats = (data[1] >> 6) & 1 ? 1 + data[0] % BNN_REF_BEATS_MAX : 0;
		for (int k = 0; k < 2; k++) {
			o.fs = k ? h.fs * 0.75 : 0;
			bnn_beats b;
			rc = bnn_beats_extract(&r, &a, &o, &b, &e);
			if (rc == BNN_OK) {
				CHECK(b.len == 7);
				size_t sum = 0;
				for (int c = 0; c < BNN_AAMI_NCLASS; c++)
					sum += b.count[c];
				CHECK(sum == b.n);
				CHECK(b.rhythm != NULL);
				bnn_beats_free(&b);
			} else {
				CHECK(b.x == NULL && b.n == 0);
			}
			size_t cnt[BNN_AAMI_NCLASS] = { 0 }, drp[BNN_AAMI_NCLASS] = { 0 };
			(void)bnn_beats_count(&r.hdr, &a, &o, cnt, drp, &e);
		}
		bnn_wfdb_annlist_free(&a);
	}
	bnn_wfdb_record_free(&r);
	bnn_wfdb_header_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bnn_error e;

	/* 1. header */
	bnn_wfdb_header h;
	if (bnn_wfdb_parse_header((const char *)data, size, &h, &e) == BNN_OK) {
		check_header(&h);
		/* Lead lookup on whatever names the header has. */
		for (int i = 0; i < h.nsig && i < 4; i++) {
			int fb;
			int k = bnn_wfdb_find_lead(&h, h.sig[i].desc, &fb);
			CHECK(k >= 0 && k <= i && !fb);
			k = bnn_wfdb_find_lead(&h, "MLII", &fb);
			CHECK((k >= 0 && k < h.nsig) || k == BNN_E_NOTFOUND);
		}
		bnn_wfdb_header_free(&h);
	} else {
		CHECK(h.sig == NULL && e.msg[0]);
	}

	/* 2. annotations */
	bnn_wfdb_annlist a;
	if (bnn_wfdb_parse_ann(data, size, &a, &e) == BNN_OK) {
		CHECK(a.n <= size / 2);
		for (size_t i = 0; i < a.n; i++) {
			CHECK(a.ann[i].code >= 1 && a.ann[i].code <= BNN_WFDB_ACMAX);
			CHECK(a.ann[i].sample >= 0);
			if (a.ann[i].aux)
				CHECK(strlen(a.ann[i].aux) <= a.ann[i].aux_len);
		}
		bnn_wfdb_annlist_free(&a);
	} else {
		CHECK(a.ann == NULL && a.n == 0);
	}

	/* 3. header + signal file */
	fuzz_record(data, size);

	/* 4. other text readers */
	bnn_aami_split sp;
	if (bnn_aami_split_parse((const char *)data, size, &sp, &e) == BNN_OK)
		CHECK(sp.nrec[BNN_SET_DS1] > 0 && sp.nrec[BNN_SET_DS2] > 0);
	float *x;
	size_t n;
	if (bnn_bonn_parse((const char *)data, size, 0, &x, &n, &e) == BNN_OK) {
		CHECK(n > 0 && n <= BNN_BONN_MAX_SAMPLES);
		free(x);
	} else {
		CHECK(x == NULL);
	}
	bnn_csv c;
	unsigned flags = size ? (data[size - 1] & 0x1f) : 0;
	if (bnn_csv_parse((const char *)data, size, flags, &c, &e) == BNN_OK) {
		CHECK(c.rows > 0 && c.cols > 0);
		bnn_csv_free(&c);
	} else {
		CHECK(c.v == NULL && c.names == NULL);
	}
	return 0;
}
