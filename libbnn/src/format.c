// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * format.c - libbnn: the one reader and writer of .bnn model files
 * (Documentation/bnn-format.rst).
 *
 * The reader trusts nothing: it checks the header, the checksums, the
 * section table (canonical layout: sections in order, 8-byte aligned,
 * zero padding, nothing after the last), then every field of every
 * section, chaining the layer shapes.  Every declared size is compared
 * with the bytes actually present before anything is allocated, so memory
 * use is bounded by the file length.  The writer emits the same canonical
 * layout, so identical models give identical bytes and read(write(m))
 * reproduces m.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define HDR_SIZE 64u
#define SECT_ENTRY 24u
#define INPUT_SIZE 72u
#define LAYER_HDR 64u
#define SIGNAL_HDR 16u
#define SIGNAL_HDR_REF 24u	/* version 4: + ref_beats, reserved */
#define FORMAT_VERSION 1u	/* models without a signal or leads section */
#define FORMAT_VERSION_SIGNAL 2u	/* with a signal section */
#define FORMAT_VERSION_LEADS 3u	/* with a leads section (and maybe a
				 * signal section) */
#define FORMAT_VERSION_REF 4u	/* a signal section with a beat reference
				 * (and maybe a leads section) */
#define FORMAT_VERSION_OFFSETS 5u	/* an offsets section (and maybe any of
					 * the above) */

enum {
	SEC_INPUT = 1,
	SEC_CLASSES = 2,
	SEC_META = 3,
	SEC_LAYER = 4,
	SEC_SIGNAL = 5,
	SEC_LEADS = 6,
	SEC_OFFSETS = 7,
};
#define SEC_F_OPTIONAL 1u
#define LAYER_F_SCORES 1u

/* ---- CRC-32 ------------------------------------------------------------
 *
 * The format's checksum is the IEEE 802.3 CRC-32 (reflected, polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF), which is zlib's
 * crc32(): zlib computes it (crc32_z takes a size_t length).
 */

uint32_t bnn__crc32(const void *buf, size_t len)
{
	return (uint32_t)crc32_z(0, buf, len);
}

/* ---- little-endian access --------------------------------------------- */

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t g64(const uint8_t *p)
{
	return (uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32;
}

static float gf32(const uint8_t *p)
{
	uint32_t u = g32(p);
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static void p16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void p32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void p64(uint8_t *p, uint64_t v)
{
	p32(p, (uint32_t)v);
	p32(p + 4, (uint32_t)(v >> 32));
}

static void pf32(uint8_t *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	p32(p, u);
}

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~(uint64_t)7;
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* ---- sizes shared by reader and writer -------------------------------- */

/* Bytes of a layer section for a derived layer. */
static uint64_t layer_size(const struct bnn__layer *l)
{
	uint64_t s = LAYER_HDR;

	switch (l->kind) {
	case BNN_LAYER_CONV1D:
	case BNN_LAYER_DENSE:
	case BNN_LAYER_BATCHNORM:
		return s + 4 * (bnn__layer_nw(l) + bnn__layer_nb(l));
	case BNN_LAYER_BCONV1D:
	case BNN_LAYER_BDENSE:
		s += ((uint64_t)l->out_c * l->row_bytes + 3) & ~(uint64_t)3;
		if (!l->scores)
			s += 4ull * l->out_c;
		return s;
	default:
		return s;
	}
}

static int is_binary(uint32_t k)
{
	return k == BNN_LAYER_BCONV1D || k == BNN_LAYER_BDENSE;
}

static int is_weighted(uint32_t k)
{
	return k == BNN_LAYER_CONV1D || k == BNN_LAYER_DENSE || is_binary(k);
}

/* ---- reader ------------------------------------------------------------- */

struct section {
	uint32_t type, flags, crc;
	uint64_t off, len;
};

static const char *sec_name(uint32_t type)
{
	switch (type) {
	case SEC_INPUT: return "input";
	case SEC_CLASSES: return "classes";
	case SEC_META: return "meta";
	case SEC_LAYER: return "layer";
	case SEC_SIGNAL: return "signal";
	case SEC_LEADS: return "leads";
	case SEC_OFFSETS: return "offsets";
	default: return "unknown";
	}
}

static int read_input(const uint8_t *p, uint64_t len, bnn_input_desc *in,
		      bnn_error *err)
{
	uint32_t lead_len;
	double rate;

	if (len != INPUT_SIZE)
		return bnn__fail(err, BNN_E_SIZE,
				 "input section: %llu bytes, expected %u",
				 (unsigned long long)len, INPUT_SIZE);
	memset(in, 0, sizeof(*in));
	in->channels = g32(p);
	in->length = g32(p + 4);
	{
		uint64_t u = g64(p + 8);

		memcpy(&rate, &u, 8);
	}
	in->sample_rate_hz = rate;
	if (signbit(rate) && rate == 0)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "input section: sample rate is -0");
	in->norm = (int)g32(p + 16);
	if (g32(p + 16) > 0x7fffffffu)
		in->norm = -1;
	in->norm_offset = gf32(p + 20);
	in->norm_scale = gf32(p + 24);
	in->beat_pre = g32(p + 28);
	in->beat_post = g32(p + 32);
	lead_len = g32(p + 36);
	if (lead_len >= BNN_LEAD_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "input section: lead name length %u exceeds %d",
				 lead_len, BNN_LEAD_MAX - 1);
	if (memchr(p + 40, 0, lead_len) || !all_zero(p + 40 + lead_len,
						     32 - lead_len))
		return bnn__fail(err, BNN_E_CORRUPT,
				 "input section: lead name has NUL bytes or non-zero padding");
	memcpy(in->lead, p + 40, lead_len);
	return BNN_OK;
}

static int read_classes(const uint8_t *p, uint64_t len, char ***names,
			uint32_t *count, bnn_error *err)
{
	uint64_t pos = 4;
	uint32_t n;
	char **v;

	*names = NULL;
	*count = 0;
	if (len < 4)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "classes section: %llu bytes, shorter than its count",
				 (unsigned long long)len);
	n = g32(p);
	if (n < 1 || n > BNN__MAX_CLASSES)
		return bnn__fail(err, BNN_E_RANGE,
				 "classes section: count %u not in 1..%u", n,
				 BNN__MAX_CLASSES);
	/* Each name takes at least 2 bytes: check before allocating. */
	if (4 + 2ull * n > len)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "classes section: %llu bytes cannot hold %u names",
				 (unsigned long long)len, n);
	v = bnn__calloc(n, sizeof(char *));
	if (!v)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	*names = v;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k;

		if (pos + 2 > len)
			return bnn__fail(err, BNN_E_TRUNCATED,
					 "classes section: name %u cut", i);
		k = g16(p + pos);
		pos += 2;
		if (k > len - pos)
			return bnn__fail(err, BNN_E_TRUNCATED,
					 "classes section: name %u (%u bytes) beyond the section",
					 i, k);
		if (memchr(p + pos, 0, k))
			return bnn__fail(err, BNN_E_CORRUPT,
					 "classes section: name %u contains NUL", i);
		v[i] = bnn__malloc((size_t)k + 1);
		if (!v[i])
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		memcpy(v[i], p + pos, k);
		v[i][k] = '\0';
		*count = i + 1;
		pos += k;
	}
	if (pos != len)
		return bnn__fail(err, BNN_E_SIZE,
				 "classes section: %llu extra bytes after the names",
				 (unsigned long long)(len - pos));
	return BNN_OK;
}

static void free_names(char **v, uint32_t n)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int read_meta(const uint8_t *p, uint64_t len, char **name, char **desc,
		     bnn_error *err)
{
	uint32_t a, b;

	if (len < 4)
		return bnn__fail(err, BNN_E_TRUNCATED, "meta section: %llu bytes",
				 (unsigned long long)len);
	a = g16(p);
	if (2ull + a + 2 > len)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "meta section: name beyond the section");
	b = g16(p + 2 + a);
	if (4ull + a + b != len)
		return bnn__fail(err, BNN_E_SIZE,
				 "meta section: %llu bytes, expected %u",
				 (unsigned long long)len, 4 + a + b);
	if (memchr(p + 2, 0, a) || memchr(p + 4 + a, 0, b))
		return bnn__fail(err, BNN_E_CORRUPT,
				 "meta section: NUL in the name or description");
	*name = bnn__malloc((size_t)a + 1);
	*desc = bnn__malloc((size_t)b + 1);
	if (!*name || !*desc)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	memcpy(*name, p + 2, a);
	(*name)[a] = '\0';
	memcpy(*desc, p + 4 + a, b);
	(*desc)[b] = '\0';
	return BNN_OK;
}

/*
 * The leads section: u32 count, then count names of u16 len + len bytes.
 * The counts and sizes are checked here, against the input description
 * and the section's bytes (before anything is allocated); the names
 * themselves by bnn__model_set_leads.  *names gets count pointers into
 * a copy of the names (free both with free(*names)).
 */
static int read_leads(const uint8_t *p, uint64_t len, const bnn_input_desc *in,
		      char ***names, uint32_t *count, bnn_error *err)
{
	uint64_t pos = 4;
	uint32_t n;
	char **v, *text;

	*names = NULL;
	*count = 0;
	if (len < 4)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "leads section: %llu bytes, shorter than its count",
				 (unsigned long long)len);
	n = g32(p);
	if (in->channels < 2)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "leads section in a one-channel model (its lead is the input section's)");
	if (n != in->channels)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "leads section: %u name%s for %u input channels (one per channel)",
				 n, n == 1 ? "" : "s", in->channels);
	if (4 + 2ull * n > len)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "leads section: %llu bytes cannot hold %u names",
				 (unsigned long long)len, n);
	/* n pointers, then every name NUL-terminated in at most len bytes */
	v = bnn__malloc(n * sizeof(char *) + (size_t)len + n);
	if (!v)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	text = (char *)(v + n);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t l;

		if (pos + 2 > len) {
			free(v);
			return bnn__fail(err, BNN_E_TRUNCATED,
					 "leads section: channel %u cut", k);
		}
		l = g16(p + pos);
		pos += 2;
		if (l > len - pos) {
			free(v);
			return bnn__fail(err, BNN_E_TRUNCATED,
					 "leads section: channel %u (%u bytes) beyond the section",
					 k, l);
		}
		if (memchr(p + pos, 0, l)) {
			free(v);
			return bnn__fail(err, BNN_E_CORRUPT,
					 "leads section: channel %u: name contains NUL",
					 k);
		}
		memcpy(text, p + pos, l);
		text[l] = '\0';
		v[k] = text;
		text += l + 1;
		pos += l;
	}
	if (pos != len) {
		free(v);
		return bnn__fail(err, BNN_E_SIZE,
				 "leads section: %llu extra bytes after the names",
				 (unsigned long long)(len - pos));
	}
	if (strcmp(v[0], in->lead)) {
		int rc = bnn__fail(err, BNN_E_CORRUPT,
				   "leads section: channel 0 is '%.31s', the input section's lead '%s' (they must agree)",
				   v[0], in->lead);

		free(v);
		return rc;
	}
	*names = v;
	*count = n;
	return BNN_OK;
}

/* A signal section as read (checked by bnn__model_set_signal). */
struct signal {
	uint32_t baseline, amp_norm, nfeat, ref_beats;
	float lowpass_hz;
	uint32_t kind[BNN_FEATURES_MAX], nthr[BNN_FEATURES_MAX];
	float *thr;
};

static int read_signal(const uint8_t *p, uint64_t len, uint32_t version,
		       struct signal *sg, bnn_error *err)
{
	uint32_t hdr = version >= FORMAT_VERSION_REF ? SIGNAL_HDR_REF :
		       SIGNAL_HDR;
	uint64_t pos = hdr, total = 0;

	memset(sg, 0, sizeof(*sg));
	if (len < hdr)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "signal section: %llu bytes, shorter than its %u-byte header",
				 (unsigned long long)len, hdr);
	sg->baseline = g32(p);
	sg->lowpass_hz = gf32(p + 4);
	sg->amp_norm = g32(p + 8);
	sg->nfeat = g32(p + 12);
	if (hdr == SIGNAL_HDR_REF) {
		sg->ref_beats = g32(p + 16);
		if (g32(p + 20))
			return bnn__fail(err, BNN_E_CORRUPT,
					 "signal section: reserved field is not 0");
		/* version 4 is the version of a beat reference; version 5
		 * (offsets) keeps the 24-byte header with or without one */
		if ((version == FORMAT_VERSION_REF && sg->ref_beats < 1) ||
		    sg->ref_beats > BNN_REF_BEATS_MAX)
			return bnn__fail(err, BNN_E_RANGE,
					 "signal section: beat reference of %u beats not in %u..%u%s",
					 sg->ref_beats,
					 version == FORMAT_VERSION_REF ? 1u : 0u,
					 BNN_REF_BEATS_MAX,
					 version == FORMAT_VERSION_REF ?
					 " (a model without one is version 2 or 3)" : "");
	}
	if (sg->nfeat > BNN_FEATURES_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "signal section: nfeatures %u not in 0..%u",
				 sg->nfeat, BNN_FEATURES_MAX);
	/* Walk the entries within the section before allocating. */
	for (uint32_t f = 0; f < sg->nfeat; f++) {
		if (len - pos < 4)
			return bnn__fail(err, BNN_E_TRUNCATED,
					 "signal section: feature %u beyond the section",
					 f);
		sg->kind[f] = g16(p + pos);
		sg->nthr[f] = g16(p + pos + 2);
		if (sg->nthr[f] < 1 || sg->nthr[f] > BNN_FEATURE_THR_MAX)
			return bnn__fail(err, BNN_E_RANGE,
					 "signal section: feature %u: nthr %u not in 1..%u",
					 f, sg->nthr[f], BNN_FEATURE_THR_MAX);
		pos += 4;
		if (4ull * sg->nthr[f] > len - pos)
			return bnn__fail(err, BNN_E_TRUNCATED,
					 "signal section: feature %u: %u thresholds beyond the section",
					 f, sg->nthr[f]);
		pos += 4ull * sg->nthr[f];
		total += sg->nthr[f];
	}
	if (pos != len)
		return bnn__fail(err, BNN_E_SIZE,
				 "signal section: %llu extra bytes after the features",
				 (unsigned long long)(len - pos));
	if (!sg->baseline && !sg->amp_norm && !sg->nfeat && !sg->ref_beats &&
	    g32(p + 4) == 0)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "signal section: no preprocessing and no features (such a model is written as version 1, without the section)");
	if (total) {
		sg->thr = bnn__malloc((size_t)total * sizeof(float));
		if (!sg->thr)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	pos = hdr;
	total = 0;
	for (uint32_t f = 0; f < sg->nfeat; f++) {
		for (uint32_t k = 0; k < sg->nthr[f]; k++)
			sg->thr[total + k] = gf32(p + pos + 4 + 4 * k);
		pos += 4 + 4ull * sg->nthr[f];
		total += sg->nthr[f];
	}
	return BNN_OK;
}

/*
 * The offsets section: u32 count (= the number of classes), then count
 * signed 32-bit offsets, not all zero.  *out gets a malloc'ed copy.
 */
static int read_offsets(const uint8_t *p, uint64_t len, uint32_t ncls,
			int32_t **out, bnn_error *err)
{
	uint32_t n;
	int32_t *v;
	int any = 0;

	*out = NULL;
	if (len < 4)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "offsets section: %llu bytes, shorter than its count",
				 (unsigned long long)len);
	n = g32(p);
	if (n != ncls)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "offsets section: %u offset%s for %u classes (one per class)",
				 n, n == 1 ? "" : "s", ncls);
	if (len < 4 + 4ull * n)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "offsets section: %llu bytes cannot hold %u offsets",
				 (unsigned long long)len, n);
	if (len > 4 + 4ull * n)
		return bnn__fail(err, BNN_E_SIZE,
				 "offsets section: %llu extra bytes after the offsets",
				 (unsigned long long)(len - 4 - 4ull * n));
	v = bnn__malloc(n * sizeof(*v));
	if (!v)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (uint32_t k = 0; k < n; k++) {
		v[k] = (int32_t)g32(p + 4 + 4 * k);
		if (v[k] < -BNN_CLASS_OFFSET_MAX || v[k] > BNN_CLASS_OFFSET_MAX) {
			int rc = bnn__fail(err, BNN_E_RANGE,
					   "offsets section: class %u: offset %ld not in -%ld..%ld",
					   k, (long)v[k],
					   (long)BNN_CLASS_OFFSET_MAX,
					   (long)BNN_CLASS_OFFSET_MAX);

			free(v);
			return rc;
		}
		any |= v[k] != 0;
	}
	if (!any) {
		free(v);
		return bnn__fail(err, BNN_E_CORRUPT,
				 "offsets section: every offset is 0 (such a model is written without the section)");
	}
	*out = v;
	return BNN_OK;
}

#define LFAIL(code, ...) \
	bnn__prefix((bnn__fail(err, code, __VA_ARGS__), err), code, \
		    "layer %u (%s)", index, bnn_layer_kind_name((int)kind))

static int read_layer(struct bnn_model *m, uint32_t index, const uint8_t *p,
		      uint64_t len, bnn_error *err)
{
	struct bnn__layer t, d;
	uint32_t kind, flags, in_c, in_l, out_c, out_l, param, fan_in;
	uint32_t pc, pl, pbits;
	int pvk, rc;
	uint64_t want, nw, nb;
	float *w = NULL, *b = NULL;
	uint8_t *bits = NULL;
	int32_t *thr = NULL;

	kind = 0;
	if (len < LAYER_HDR)
		return LFAIL(BNN_E_TRUNCATED,
			     "section of %llu bytes is shorter than the %u-byte layer header",
			     (unsigned long long)len, LAYER_HDR);
	kind = g16(p);
	flags = g16(p + 2);
	in_c = g32(p + 4);
	in_l = g32(p + 8);
	out_c = g32(p + 12);
	out_l = g32(p + 16);
	param = g32(p + 32);
	fan_in = g32(p + 36);
	if (kind < BNN_LAYER_CONV1D || kind > BNN_LAYER_JOIN)
		return LFAIL(BNN_E_UNSUPPORTED, "unknown layer kind %u", kind);
	if (!all_zero(p + 48, 16))
		return LFAIL(BNN_E_CORRUPT, "reserved bytes are not zero");
	if (flags & ~(is_binary(kind) ? LAYER_F_SCORES : 0u))
		return LFAIL(BNN_E_CORRUPT, "unknown flags 0x%x", flags);

	/* The chain: this layer's input is the previous output. */
	if (index) {
		const struct bnn__layer *pr = &m->layers[index - 1];

		pc = pr->out_c;
		pl = pr->out_l;
		pvk = pr->out_vk;
		pbits = pr->out_bits;
	} else {
		pc = m->input.channels;
		pl = m->input.length;
		pvk = BNN_VALUES_FLOAT;
		pbits = 32;
	}
	if (in_c != pc || in_l != pl)
		return LFAIL(BNN_E_CORRUPT,
			     "input %u x %u (length x channels), the previous %s outputs %u x %u",
			     in_l, in_c, index ? "layer" : "input description",
			     pl, pc);

	memset(&t, 0, sizeof(t));
	t.kind = kind;
	if (is_weighted(kind))
		t.out_c = out_c;
	t.kernel = g32(p + 20);
	t.stride = g32(p + 24);
	t.pad = g32(p + 28);
	t.scores = flags & LAYER_F_SCORES;
	if (kind == BNN_LAYER_QUANT) {
		t.qbits = param;
		t.qoffset = gf32(p + 40);
		t.qscale = gf32(p + 44);
	} else {
		if (!all_zero(p + 40, 8))
			return LFAIL(BNN_E_CORRUPT,
				     "quantiser fields must be zero");
		if (kind == BNN_LAYER_ACT)
			t.act = param;
		else if (!is_binary(kind) && param)
			return LFAIL(BNN_E_CORRUPT, "param must be 0, is %u",
				     param);
	}
	d = t;
	if (kind == BNN_LAYER_JOIN)
		d.aux = m->sig.aux_bits;
	rc = bnn__layer_derive(&d, index, pvk, pbits, pc, pl, err);
	if (rc)
		return rc;
	if (is_binary(kind) && param != d.in_bits)
		return LFAIL(BNN_E_CORRUPT,
			     "in_bits %u, the input holds %u-bit values", param,
			     d.in_bits);
	if (fan_in != d.n)
		return LFAIL(BNN_E_CORRUPT, "fan_in %u, expected %u", fan_in,
			     d.n);
	{
		uint32_t dc = is_weighted(kind) ? d.out_c :
			      kind == BNN_LAYER_FLATTEN ? pc * pl :
			      kind == BNN_LAYER_JOIN ? pc * pl + d.aux : pc;

		if (out_c != dc || out_l != d.out_l)
			return LFAIL(BNN_E_CORRUPT,
				     "output %u x %u (length x channels), expected %u x %u",
				     out_l, out_c, d.out_l, dc);
	}
	want = layer_size(&d);
	if (len != want)
		return LFAIL(len < want ? BNN_E_TRUNCATED : BNN_E_SIZE,
			     "section of %llu bytes, the layer needs %llu",
			     (unsigned long long)len, (unsigned long long)want);

	/* Parameters: sizes are now known to be inside the section. */
	nw = bnn__layer_nw(&d);
	nb = bnn__layer_nb(&d);
	p += LAYER_HDR;
	if (nw + nb) {
		w = nw ? bnn__malloc(nw * sizeof(float)) : NULL;
		b = nb ? bnn__malloc(nb * sizeof(float)) : NULL;
		if ((nw && !w) || (nb && !b))
			goto nomem;
		for (uint64_t i = 0; i < nw; i++)
			w[i] = gf32(p + 4 * i);
		for (uint64_t i = 0; i < nb; i++)
			b[i] = gf32(p + 4 * (nw + i));
	}
	if (is_binary(kind)) {
		size_t nbytes = (size_t)d.out_c * d.row_bytes;
		size_t padded = (nbytes + 3) & ~(size_t)3;

		bits = bnn__malloc(nbytes ? nbytes : 1);
		if (!bits)
			goto nomem;
		memcpy(bits, p, nbytes);
		if (!all_zero(p + nbytes, padded - nbytes)) {
			rc = LFAIL(BNN_E_CORRUPT,
				   "padding after the weight bits is not zero");
			goto out;
		}
		if (!d.scores) {
			thr = bnn__malloc((size_t)d.out_c * 4);
			if (!thr)
				goto nomem;
			for (uint32_t o = 0; o < d.out_c; o++)
				thr[o] = (int32_t)g32(p + padded + 4 * o);
		}
	}
	t.w = w;
	t.b = b;
	t.bits = bits;
	t.thr = thr;
	rc = bnn__model_add(m, &t, err);
	goto out;
nomem:
	rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
out:
	free(w);
	free(b);
	free(bits);
	free(thr);
	return rc;
}

/* Name the first section whose checksum is wrong, for messages. */
static int locate_crc(const uint8_t *buf, uint64_t total, uint32_t ns,
		      bnn_error *err)
{
	uint32_t layer = 0;

	for (uint32_t i = 0; i < ns; i++) {
		const uint8_t *e = buf + HDR_SIZE + SECT_ENTRY * i;
		uint32_t type = g32(e);
		uint64_t off = g64(e + 8), len = g32(e + 16);

		if (off > total || len > total - off)
			break;
		if (bnn__crc32(buf + off, len) != g32(e + 20)) {
			if (type == SEC_LAYER)
				return bnn__fail(err, BNN_E_CHECKSUM,
						 "layer %u (section %u): checksum mismatch",
						 layer, i);
			return bnn__fail(err, BNN_E_CHECKSUM,
					 "%s section (section %u): checksum mismatch",
					 sec_name(type), i);
		}
		if (type == SEC_LAYER)
			layer++;
	}
	return bnn__fail(err, BNN_E_CHECKSUM,
			 "payload checksum mismatch (section table or padding)");
}

static int load(const uint8_t *buf, size_t len, struct bnn_model **out,
		bnn_error *err)
{
	uint64_t total, pos;
	uint32_t ns, version, nlayers = 0, i;
	struct section *sec = NULL;
	bnn_input_desc in;
	char **names = NULL, *name = NULL, *desc = NULL, **leads = NULL;
	uint32_t ncls = 0, nleads = 0;
	int32_t *offsets = NULL;
	struct bnn_model *m = NULL;
	struct signal sg;
	int rc, seen_meta = 0, seen_signal = 0, seen_leads = 0, seen_off = 0;

	memset(&sg, 0, sizeof(sg));

	if (len < HDR_SIZE)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "%zu bytes, shorter than the %u-byte header",
				 len, HDR_SIZE);
	if (memcmp(buf, "BNN1", 4))
		return bnn__fail(err, BNN_E_CORRUPT,
				 "not a .bnn model (bad magic)");
	if (bnn__crc32(buf, 60) != g32(buf + 60))
		return bnn__fail(err, BNN_E_CHECKSUM, "header checksum mismatch");
	version = g16(buf + 4);
	if (version < FORMAT_VERSION || version > FORMAT_VERSION_OFFSETS)
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "format version %u (this library reads versions %u to %u)",
				 version, FORMAT_VERSION, FORMAT_VERSION_OFFSETS);
	if (g16(buf + 6) != HDR_SIZE)
		return bnn__fail(err, BNN_E_CORRUPT, "header size %u, expected %u",
				 g16(buf + 6), HDR_SIZE);
	if (g32(buf + 8))
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "unknown header flags 0x%x", g32(buf + 8));
	if (!all_zero(buf + 28, 32))
		return bnn__fail(err, BNN_E_CORRUPT,
				 "reserved header bytes are not zero");
	ns = g32(buf + 12);
	total = g64(buf + 16);
	if (total > len)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "%zu bytes, the header says %llu", len,
				 (unsigned long long)total);
	if (total < len)
		return bnn__fail(err, BNN_E_SIZE,
				 "%zu bytes, the header says %llu (extra data)",
				 len, (unsigned long long)total);
	if (ns < 3 || ns > BNN__MAX_LAYERS + 16)
		return bnn__fail(err, BNN_E_RANGE, "%u sections, expected 3..%u",
				 ns, BNN__MAX_LAYERS + 16);
	pos = align8(HDR_SIZE + (uint64_t)SECT_ENTRY * ns);
	if (pos > total)
		return bnn__fail(err, BNN_E_TRUNCATED,
				 "section table of %u entries beyond the end", ns);
	if (bnn__crc32(buf + HDR_SIZE, total - HDR_SIZE) != g32(buf + 24))
		return locate_crc(buf, total, ns, err);
	if (!all_zero(buf + HDR_SIZE + SECT_ENTRY * ns,
		      pos - HDR_SIZE - SECT_ENTRY * ns))
		return bnn__fail(err, BNN_E_CORRUPT,
				 "padding after the section table is not zero");

	sec = bnn__calloc(ns, sizeof(*sec));
	if (!sec)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (i = 0; i < ns; i++) {
		const uint8_t *e = buf + HDR_SIZE + SECT_ENTRY * i;
		struct section *s = &sec[i];
		int known;

		s->type = g32(e);
		s->flags = g32(e + 4);
		s->off = g64(e + 8);
		s->len = g32(e + 16);
		s->crc = g32(e + 20);
		known = s->type >= SEC_INPUT && s->type <= SEC_OFFSETS;
		if (s->off != pos) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u (%s): offset %llu, expected %llu",
				       i, sec_name(s->type),
				       (unsigned long long)s->off,
				       (unsigned long long)pos);
			goto fail;
		}
		if (s->len > total - pos) {
			rc = bnn__fail(err, BNN_E_TRUNCATED,
				       "section %u (%s): %llu bytes beyond the end",
				       i, sec_name(s->type),
				       (unsigned long long)s->len);
			goto fail;
		}
		if (s->flags & ~SEC_F_OPTIONAL ||
		    (known && s->flags != (s->type == SEC_META ?
					   SEC_F_OPTIONAL : 0u))) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u (%s): bad flags 0x%x", i,
				       sec_name(s->type), s->flags);
			goto fail;
		}
		if (bnn__crc32(buf + pos, s->len) != s->crc) {
			rc = bnn__fail(err, BNN_E_CHECKSUM,
				       "section %u (%s): checksum mismatch", i,
				       sec_name(s->type));
			goto fail;
		}
		if (!all_zero(buf + pos + s->len, align8(pos + s->len) -
						  (pos + s->len))) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u (%s): padding is not zero", i,
				       sec_name(s->type));
			goto fail;
		}
		pos = align8(pos + s->len);
		if (i == 0 && s->type != SEC_INPUT) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section 0 is %s, expected input",
				       sec_name(s->type));
			goto fail;
		}
		if (i == 1 && s->type != SEC_CLASSES) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section 1 is %s, expected classes",
				       sec_name(s->type));
			goto fail;
		}
		if (i >= 2 && (s->type == SEC_INPUT || s->type == SEC_CLASSES)) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: a second %s section", i,
				       sec_name(s->type));
			goto fail;
		}
		if (s->type == SEC_SIGNAL && version < FORMAT_VERSION_SIGNAL) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: a signal section in a version %u file (it needs version %u)",
				       i, version, FORMAT_VERSION_SIGNAL);
			goto fail;
		}
		if (s->type == SEC_LEADS && version < FORMAT_VERSION_LEADS) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: a leads section in a version %u file (it needs version %u)",
				       i, version, FORMAT_VERSION_LEADS);
			goto fail;
		}
		/* after classes and the signal section, if there is one */
		if (s->type == SEC_LEADS &&
		    (seen_leads++ || i != 2u + (uint32_t)seen_signal)) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: the leads section must come once, right after classes (and the signal section)",
				       i);
			goto fail;
		}
		if (s->type == SEC_OFFSETS &&
		    version < FORMAT_VERSION_OFFSETS) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: an offsets section in a version %u file (it needs version %u)",
				       i, version, FORMAT_VERSION_OFFSETS);
			goto fail;
		}
		/* after classes, the signal and the leads sections */
		if (s->type == SEC_OFFSETS &&
		    (seen_off++ ||
		     i != 2u + (uint32_t)seen_signal + (uint32_t)seen_leads)) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: the offsets section must come once, right after classes (and the signal and leads sections)",
				       i);
			goto fail;
		}
		if (s->type == SEC_SIGNAL && (seen_signal++ || i != 2)) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: the signal section must come once, right after classes",
				       i);
			goto fail;
		}
		if (s->type == SEC_META && (seen_meta++ || nlayers)) {
			rc = bnn__fail(err, BNN_E_CORRUPT,
				       "section %u: meta must come once, before the layers",
				       i);
			goto fail;
		}
		if (!known && !(s->flags & SEC_F_OPTIONAL)) {
			rc = bnn__fail(err, BNN_E_UNSUPPORTED,
				       "section %u: unknown required section type %u",
				       i, s->type);
			goto fail;
		}
		if (s->type == SEC_LAYER)
			nlayers++;
	}
	if (pos != total) {
		rc = bnn__fail(err, BNN_E_SIZE,
			       "%llu bytes after the last section",
			       (unsigned long long)(total - pos));
		goto fail;
	}
	if (version == FORMAT_VERSION_SIGNAL && !seen_signal) {
		rc = bnn__fail(err, BNN_E_CORRUPT,
			       "format version %u without a signal section (such a model is version %u)",
			       version, FORMAT_VERSION);
		goto fail;
	}
	if (version == FORMAT_VERSION_LEADS && !seen_leads) {
		rc = bnn__fail(err, BNN_E_CORRUPT,
			       "format version %u without a leads section (such a model is version %u or %u)",
			       version, FORMAT_VERSION, FORMAT_VERSION_SIGNAL);
		goto fail;
	}
	if (version == FORMAT_VERSION_REF && !seen_signal) {
		rc = bnn__fail(err, BNN_E_CORRUPT,
			       "format version %u without a signal section (version %u is that of a beat reference)",
			       version, FORMAT_VERSION_REF);
		goto fail;
	}
	if (version == FORMAT_VERSION_OFFSETS && !seen_off) {
		rc = bnn__fail(err, BNN_E_CORRUPT,
			       "format version %u without an offsets section (version %u is that of class offsets)",
			       version, FORMAT_VERSION_OFFSETS);
		goto fail;
	}
	if (!nlayers) {
		rc = bnn__fail(err, BNN_E_CORRUPT, "model has no layers");
		goto fail;
	}
	if (nlayers > BNN__MAX_LAYERS) {
		rc = bnn__fail(err, BNN_E_RANGE, "%u layers, at most %u",
			       nlayers, BNN__MAX_LAYERS);
		goto fail;
	}

	rc = read_input(buf + sec[0].off, sec[0].len, &in, err);
	if (rc)
		goto fail;
	rc = read_classes(buf + sec[1].off, sec[1].len, &names, &ncls, err);
	if (rc)
		goto fail;
	for (i = 2; i < ns; i++)
		if (sec[i].type == SEC_META) {
			rc = read_meta(buf + sec[i].off, sec[i].len, &name,
				       &desc, err);
			if (rc)
				goto fail;
		}
	if (seen_signal) {
		rc = read_signal(buf + sec[2].off, sec[2].len, version, &sg,
				 err);
		if (rc)
			goto fail;
	}
	if (seen_leads) {
		i = 2 + (uint32_t)seen_signal;
		rc = read_leads(buf + sec[i].off, sec[i].len, &in, &leads,
				&nleads, err);
		if (rc)
			goto fail;
	}
	if (seen_off) {
		i = 2 + (uint32_t)seen_signal + (uint32_t)seen_leads;
		rc = read_offsets(buf + sec[i].off, sec[i].len, ncls, &offsets,
				  err);
		if (rc)
			goto fail;
	}
	rc = bnn__model_new(&in, ncls, (const char *const *)names, name, desc,
			    &m, err);
	if (rc)
		goto fail;
	if (seen_off) {
		rc = bnn__model_set_offsets(m, ncls, offsets, err);
		if (rc)
			goto fail;
	}
	if (seen_leads) {
		rc = bnn__model_set_leads(m, nleads, (const char *const *)leads,
					  err);
		if (rc)
			goto fail;
	}
	if (seen_signal) {
		rc = bnn__model_set_ref_beats(m, sg.ref_beats, err);
		if (rc)
			goto fail;
		rc = bnn__model_set_signal(m, sg.baseline, sg.lowpass_hz,
					   sg.amp_norm, sg.nfeat, sg.kind,
					   sg.nthr, sg.thr, err);
		if (rc)
			goto fail;
	}
	for (i = 2; i < ns; i++) {
		if (sec[i].type != SEC_LAYER)
			continue;
		rc = read_layer(m, m->nlayers, buf + sec[i].off, sec[i].len,
				err);
		if (rc)
			goto fail;
	}
	rc = bnn__model_finish(m, err);
	if (rc)
		goto fail;
	*out = m;
	m = NULL;
fail:
	bnn_model_free(m);
	free(sg.thr);
	free(offsets);
	free(leads);
	free_names(names, ncls);
	free(name);
	free(desc);
	free(sec);
	return rc;
}

int bnn_model_load_mem(const void *buf, size_t len, bnn_model **out,
		       bnn_error *err)
{
	int rc;

	if (!out)
		return bnn__fail(err, BNN_E_INVAL, "NULL output");
	*out = NULL;
	if (!buf && len)
		return bnn__fail(err, BNN_E_INVAL, "NULL buffer");
	if (len > BNN_MODEL_MAX_BYTES)
		return bnn__fail(err, BNN_E_SIZE, "%zu bytes exceed the %zu-byte cap",
				 len, BNN_MODEL_MAX_BYTES);
	rc = load(buf ? buf : "", len, out, err);
	if (rc == BNN_OK)
		bnn_error_clear(err);
	return rc;
}

int bnn_model_load(const char *path, bnn_model **out, bnn_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (!out)
		return bnn__fail(err, BNN_E_INVAL, "NULL output");
	*out = NULL;
	if (!path)
		return bnn__fail(err, BNN_E_INVAL, "NULL path");
	/* bnn_read_file's messages name the path already. */
	rc = bnn_read_file(path, BNN_MODEL_MAX_BYTES, &data, &len, err);
	if (rc)
		return rc;
	rc = bnn_model_load_mem(data, len, out, err);
	free(data);
	if (rc)
		return bnn__prefix(err, rc, "%s", path);
	return rc;
}

/* ---- writer ------------------------------------------------------------- */

static void write_layer(uint8_t *p, const struct bnn__layer *l)
{
	uint64_t nw = bnn__layer_nw(l), nb = bnn__layer_nb(l);

	p16(p, l->kind);
	p16(p + 2, is_binary(l->kind) && l->scores ? LAYER_F_SCORES : 0);
	p32(p + 4, l->in_c);
	p32(p + 8, l->in_l);
	p32(p + 12, l->out_c);
	p32(p + 16, l->out_l);
	p32(p + 20, l->kernel);
	p32(p + 24, l->stride);
	p32(p + 28, l->pad);
	p32(p + 32, is_binary(l->kind) ? l->in_bits :
		    l->kind == BNN_LAYER_QUANT ? l->qbits :
		    l->kind == BNN_LAYER_ACT ? l->act : 0);
	p32(p + 36, l->n);
	if (l->kind == BNN_LAYER_QUANT) {
		pf32(p + 40, l->qoffset);
		pf32(p + 44, l->qscale);
	}
	p += LAYER_HDR;
	for (uint64_t i = 0; i < nw; i++)
		pf32(p + 4 * i, l->w[i]);
	for (uint64_t i = 0; i < nb; i++)
		pf32(p + 4 * (nw + i), l->b[i]);
	if (is_binary(l->kind)) {
		size_t nbytes = (size_t)l->out_c * l->row_bytes;
		size_t padded = (nbytes + 3) & ~(size_t)3;

		memcpy(p, l->bits, nbytes);
		if (!l->scores)
			for (uint32_t o = 0; o < l->out_c; o++)
				p32(p + padded + 4 * o, (uint32_t)l->thr[o]);
	}
}

int bnn_model_save_mem(const bnn_model *m, void **bufp, size_t *lenp,
		       bnn_error *err)
{
	uint32_t ns, i, s, *types;
	uint64_t *slen, total, pos;
	size_t nlen, dlen;
	uint8_t *buf;
	int meta, sig, leads, offs, sig_ref;
	uint32_t li = 0;

	if (!bufp || !lenp)
		return bnn__fail(err, BNN_E_INVAL, "NULL output");
	*bufp = NULL;
	*lenp = 0;
	if (!m)
		return bnn__fail(err, BNN_E_INVAL, "NULL model");
	nlen = strlen(m->name);
	dlen = strlen(m->desc);
	meta = nlen || dlen;
	sig = m->sig.present;
	leads = m->leads != NULL;
	offs = m->offsets != NULL;
	/* the 24-byte signal header of versions 4 and 5 */
	sig_ref = sig && (m->sig.ref_beats || offs);
	ns = 2 + (uint32_t)sig + (uint32_t)leads + (uint32_t)offs +
	     (uint32_t)meta + m->nlayers;
	slen = bnn__calloc(ns, sizeof(*slen));
	types = bnn__calloc(ns, sizeof(*types));
	if (!slen || !types) {
		free(slen);
		free(types);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	/* input, classes, [signal], [leads], [offsets], [meta], layers */
	s = 0;
	types[s] = SEC_INPUT;
	slen[s++] = INPUT_SIZE;
	types[s] = SEC_CLASSES;
	slen[s] = 4;
	for (i = 0; i < m->nclasses; i++)
		slen[s] += 2 + strlen(m->classes[i]);
	s++;
	if (sig) {
		types[s] = SEC_SIGNAL;
		slen[s++] = (sig_ref ? SIGNAL_HDR_REF : SIGNAL_HDR) +
			    4ull * m->sig.nfeat +
			    4ull * m->sig.aux_bits;
	}
	if (leads) {
		types[s] = SEC_LEADS;
		slen[s] = 4;
		for (i = 0; i < m->input.channels; i++)
			slen[s] += 2 + strlen(m->leads[i]);
		s++;
	}
	if (offs) {
		types[s] = SEC_OFFSETS;
		slen[s++] = 4 + 4ull * m->nclasses;
	}
	if (meta) {
		types[s] = SEC_META;
		slen[s++] = 4 + nlen + dlen;
	}
	for (i = 0; i < m->nlayers; i++) {
		types[s] = SEC_LAYER;
		slen[s++] = layer_size(&m->layers[i]);
	}
	total = align8(HDR_SIZE + (uint64_t)SECT_ENTRY * ns);
	for (i = 0; i < ns; i++)
		total = align8(total + slen[i]);
	if (total > BNN_MODEL_MAX_BYTES) {
		free(slen);
		free(types);
		return bnn__fail(err, BNN_E_SIZE,
				 "model of %llu bytes exceeds the %zu-byte cap",
				 (unsigned long long)total, BNN_MODEL_MAX_BYTES);
	}
	buf = bnn__calloc(1, (size_t)total);
	if (!buf) {
		free(slen);
		free(types);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	memcpy(buf, "BNN1", 4);
	/* the lowest version that has every section used: a model without
	 * the newer sections stays byte for byte what older writers gave */
	p16(buf + 4, offs ? FORMAT_VERSION_OFFSETS :
		     sig && m->sig.ref_beats ? FORMAT_VERSION_REF :
		     leads ? FORMAT_VERSION_LEADS :
		     sig ? FORMAT_VERSION_SIGNAL : FORMAT_VERSION);
	p16(buf + 6, HDR_SIZE);
	p32(buf + 12, ns);
	p64(buf + 16, total);
	pos = align8(HDR_SIZE + (uint64_t)SECT_ENTRY * ns);
	for (s = 0; s < ns; s++) {
		uint8_t *e = buf + HDR_SIZE + SECT_ENTRY * s, *p = buf + pos;
		uint32_t type = types[s];

		if (type == SEC_INPUT) {
			const bnn_input_desc *in = &m->input;
			uint64_t u;
			size_t ll = strlen(in->lead);

			p32(p, in->channels);
			p32(p + 4, in->length);
			memcpy(&u, &in->sample_rate_hz, 8);
			p64(p + 8, u);
			p32(p + 16, (uint32_t)in->norm);
			pf32(p + 20, in->norm_offset);
			pf32(p + 24, in->norm_scale);
			p32(p + 28, in->beat_pre);
			p32(p + 32, in->beat_post);
			p32(p + 36, (uint32_t)ll);
			memcpy(p + 40, in->lead, ll);
		} else if (type == SEC_CLASSES) {
			size_t q = 4;

			p32(p, m->nclasses);
			for (i = 0; i < m->nclasses; i++) {
				size_t k = strlen(m->classes[i]);

				p16(p + q, (uint32_t)k);
				memcpy(p + q + 2, m->classes[i], k);
				q += 2 + k;
			}
		} else if (type == SEC_SIGNAL) {
			const struct bnn__signal *g = &m->sig;
			size_t q = sig_ref ? SIGNAL_HDR_REF : SIGNAL_HDR;

			p32(p, g->baseline);
			pf32(p + 4, g->lowpass_hz);
			p32(p + 8, g->amp_norm);
			p32(p + 12, g->nfeat);
			if (sig_ref)
				p32(p + 16, g->ref_beats);
			for (i = 0; i < g->nfeat; i++) {
				p16(p + q, g->kind[i]);
				p16(p + q + 2, g->nthr[i]);
				for (uint32_t k = 0; k < g->nthr[i]; k++)
					pf32(p + q + 4 + 4 * k,
					     g->thr[g->thr_off[i] + k]);
				q += 4 + 4 * (size_t)g->nthr[i];
			}
		} else if (type == SEC_LEADS) {
			size_t q = 4;

			p32(p, m->input.channels);
			for (i = 0; i < m->input.channels; i++) {
				size_t k = strlen(m->leads[i]);

				p16(p + q, (uint32_t)k);
				memcpy(p + q + 2, m->leads[i], k);
				q += 2 + k;
			}
		} else if (type == SEC_OFFSETS) {
			p32(p, m->nclasses);
			for (i = 0; i < m->nclasses; i++)
				p32(p + 4 + 4 * i, (uint32_t)m->offsets[i]);
		} else if (type == SEC_META) {
			p16(p, (uint32_t)nlen);
			memcpy(p + 2, m->name, nlen);
			p16(p + 2 + nlen, (uint32_t)dlen);
			memcpy(p + 4 + nlen, m->desc, dlen);
		} else {
			write_layer(p, &m->layers[li++]);
		}
		p32(e, type);
		p32(e + 4, type == SEC_META ? SEC_F_OPTIONAL : 0);
		p64(e + 8, pos);
		p32(e + 16, (uint32_t)slen[s]);
		p32(e + 20, bnn__crc32(p, slen[s]));
		pos = align8(pos + slen[s]);
	}
	p32(buf + 24, bnn__crc32(buf + HDR_SIZE, total - HDR_SIZE));
	p32(buf + 60, bnn__crc32(buf, 60));
	free(slen);
	free(types);
	*bufp = buf;
	*lenp = (size_t)total;
	return BNN_OK;
}

int bnn_model_save(const bnn_model *m, const char *path, bnn_error *err)
{
	void *buf;
	size_t len, done = 0;
	char *tmp;
	int fd, rc;

	if (!path)
		return bnn__fail(err, BNN_E_INVAL, "NULL path");
	rc = bnn_model_save_mem(m, &buf, &len, err);
	if (rc)
		return rc;
	tmp = bnn__malloc(strlen(path) + 16);
	if (!tmp) {
		free(buf);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	sprintf(tmp, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = bnn__fail(err, BNN_E_IO, "%s: cannot create: %s", path,
			       strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t k = write(fd, (uint8_t *)buf + done, len - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = bnn__fail(err, BNN_E_IO, "%s: write failed: %s",
				       path, k < 0 ? strerror(errno) : "no progress");
			break;
		}
		done += (size_t)k;
	}
	if (!rc && fchmod(fd, 0644) != 0)
		rc = bnn__fail(err, BNN_E_IO, "%s: chmod: %s", path,
			       strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = bnn__fail(err, BNN_E_IO, "%s: close: %s", path,
			       strerror(errno));
	if (!rc && rename(tmp, path) != 0)
		rc = bnn__fail(err, BNN_E_IO, "%s: rename: %s", path,
			       strerror(errno));
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	free(buf);
	return rc;
}
