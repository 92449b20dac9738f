// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-mkmodel: write small .bnn models for tests of bnn-run (and anything
 * else that needs a model without training one).
 *
 * bnn.h can load and save models but not build them, so this helper
 * writes the file bytes itself, following Documentation/bnn-format.rst
 * (the layout libbnn/src/format.c checks):
 * a 64-byte header (magic, version, section count, size, CRC-32s), a
 * section table, then the input, classes, meta and one section per
 * layer.  The image is then loaded with bnn_model_load_mem() (the strict
 * reader validates every field) and written with bnn_model_save(), so the
 * file on disk is the library's own canonical output.
 *
 *   bnn-mkmodel [OPTIONS] OUT.bnn
 *     --arch A        majority (default): SIGN, FLATTEN, BDENSE scores with
 *                     row 0 all +1 and row 1 all -1 (further rows alternate),
 *                     so an all-positive item is class 0 and an
 *                     all-negative one class 1 (predictable results);
 *                     conv: BATCHNORM, SIGN, BCONV1D(8), MAXPOOL1D(2),
 *                     FLATTEN, BDENSE(16), BDENSE scores (random weights);
 *                     float: CONV1D(4), ACT relu, GLOBAL_AVGPOOL, DENSE
 *                     (host layers only)
 *     --channels C    (default 1)     --length L  (default 16)
 *     --classes LIST  comma-separated (default N,S,V,F,Q)
 *     --rate HZ       (default 0 = n/a)
 *     --beat PRE,POST beat window (PRE + POST must equal L)
 *     --lead NAME     (default none); with --channels C > 1 also a list
 *                     of C names, NAME0,NAME1,...: a version 3 model
 *                     whose leads section names every channel's lead
 *     --norm N        none (default), zscore, or affine:OFFSET:SCALE
 *     --name NAME     model name      --seed N    weights (default 1)
 *     --features N    0 (default) .. 9: a version 2 model whose items
 *                     carry N rhythm features (kinds 0 .. N-1, thresholds
 *                     0.5, 1.0, 1.5 each) after the signal, joined (JOIN)
 *                     after the FLATTEN (majority, conv) or the pooling
 *                     (float)
 *     --baseline none|median, --lowpass HZ, --amp-norm none|qrs
 *                     the signal section's preprocessing (version 2)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn.h"

/* ---- CRC-32 (zlib's) ---- */
static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

/* ---- a growing byte buffer ---- */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void need(struct buf *b, size_t k)
{
	if (b->n + k <= b->cap)
		return;
	while (b->n + k > b->cap)
		b->cap = b->cap ? 2 * b->cap : 256;
	b->p = realloc(b->p, b->cap);
	if (!b->p) {
		fprintf(stderr, "bnn-mkmodel: out of memory\n");
		exit(1);
	}
}

static void u8(struct buf *b, unsigned v)
{
	need(b, 1);
	b->p[b->n++] = (uint8_t)v;
}

static void u16(struct buf *b, unsigned v)
{
	u8(b, v & 0xff);
	u8(b, (v >> 8) & 0xff);
}

static void u32(struct buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		u8(b, (v >> (8 * i)) & 0xff);
}

static void u64(struct buf *b, uint64_t v)
{
	u32(b, (uint32_t)v);
	u32(b, (uint32_t)(v >> 32));
}

static void f32(struct buf *b, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	u32(b, u);
}

static void f64(struct buf *b, double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	u64(b, u);
}

static void zeros(struct buf *b, size_t k)
{
	while (k--)
		u8(b, 0);
}

static void bytes(struct buf *b, const void *s, size_t k)
{
	need(b, k);
	memcpy(b->p + b->n, s, k);
	b->n += k;
}

/* ---- deterministic random numbers ---- */
static uint64_t rng = 1;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static float rndf(void)
{
	return (float)(rnd() % 2001) / 1000.0f - 1.0f;	/* -1 .. 1 */
}

/* ---- layers, with the shape chained as the reader expects ---- */
enum { VF = 0, VB = 1 };

struct shape {
	uint32_t c, l;
	int vk;
};

struct sec {
	uint32_t type, flags;
	struct buf data;
};

static struct sec secs[64];
static int nsec;

static struct buf *new_sec(uint32_t type, uint32_t flags)
{
	struct sec *s = &secs[nsec++];

	s->type = type;
	s->flags = flags;
	return &s->data;
}

static void layer_hdr(struct buf *b, unsigned kind, unsigned flags,
		      const struct shape *in, uint32_t out_c, uint32_t out_l,
		      uint32_t k, uint32_t st, uint32_t pad, uint32_t param,
		      uint32_t fan_in)
{
	u16(b, kind);
	u16(b, flags);
	u32(b, in->c);
	u32(b, in->l);
	u32(b, out_c);
	u32(b, out_l);
	u32(b, k);
	u32(b, st);
	u32(b, pad);
	u32(b, param);
	u32(b, fan_in);
	zeros(b, 8);		/* quantiser offset / scale */
	zeros(b, 16);		/* reserved */
}

static void simple(struct shape *s, unsigned kind)
{
	struct buf *b = new_sec(4, 0);
	uint32_t oc = kind == BNN_LAYER_FLATTEN ? s->c * s->l : s->c;
	uint32_t ol = kind == BNN_LAYER_FLATTEN ||
		      kind == BNN_LAYER_GLOBAL_AVGPOOL ||
		      kind == BNN_LAYER_GLOBAL_MAXPOOL ? 1 : s->l;

	layer_hdr(b, kind, 0, s, oc, ol, 0, 0, 0, 0, 0);
	s->c = oc;
	s->l = ol;
	if (kind == BNN_LAYER_SIGN)
		s->vk = VB;
}

/* JOIN: the shape grows by the features' `aux` thermometer bits. */
static void join_layer(struct shape *s, uint32_t aux)
{
	struct buf *b = new_sec(4, 0);
	uint32_t oc = s->c * s->l + aux;

	layer_hdr(b, BNN_LAYER_JOIN, 0, s, oc, 1, 0, 0, 0, 0, 0);
	s->c = oc;
	s->l = 1;
}

static void act_relu(struct shape *s)
{
	struct buf *b = new_sec(4, 0);

	layer_hdr(b, BNN_LAYER_ACT, 0, s, s->c, s->l, 0, 0, 0, 0, 0);
}

static void batchnorm(struct shape *s)
{
	struct buf *b = new_sec(4, 0);

	layer_hdr(b, BNN_LAYER_BATCHNORM, 0, s, s->c, s->l, 0, 0, 0, 0, 0);
	for (uint32_t i = 0; i < s->c; i++)
		f32(b, 1.0f + 0.1f * rndf());
	for (uint32_t i = 0; i < s->c; i++)
		f32(b, 0.1f * rndf());
}

static void maxpool(struct shape *s, uint32_t k)
{
	struct buf *b = new_sec(4, 0);
	uint32_t ol = (s->l - k) / k + 1;

	layer_hdr(b, BNN_LAYER_MAXPOOL1D, 0, s, s->c, ol, k, k, 0, 0, 0);
	s->l = ol;
}

/* Float CONV1D (kernel k, stride 1, pad 0) or DENSE (k = 0). */
static void float_layer(struct shape *s, uint32_t oc, uint32_t k)
{
	struct buf *b = new_sec(4, 0);
	uint32_t n = k ? s->c * k : s->c;
	uint32_t ol = k ? s->l - k + 1 : 1;

	layer_hdr(b, k ? BNN_LAYER_CONV1D : BNN_LAYER_DENSE, 0, s, oc, ol, k,
		  k ? 1 : 0, 0, 0, n);
	for (uint64_t i = 0; i < (uint64_t)oc * n; i++)
		f32(b, rndf());
	for (uint32_t i = 0; i < oc; i++)
		f32(b, 0.1f * rndf());
	s->c = oc;
	s->l = ol;
	s->vk = VF;
}

/* pattern: 0 random, 1 majority rows (row 0 ones, row 1 zeros, others
 * alternating). */
static void binary_layer(struct shape *s, uint32_t oc, uint32_t k,
			 int scores, int pattern)
{
	struct buf *b = new_sec(4, 0);
	uint32_t n = k ? s->c * k : s->c;
	uint32_t ol = k ? s->l - k + 1 : 1;
	size_t rb = (n + 7) / 8, nbytes = (size_t)oc * rb;

	layer_hdr(b, k ? BNN_LAYER_BCONV1D : BNN_LAYER_BDENSE,
		  scores ? 1 : 0, s, oc, ol, k, k ? 1 : 0, 0, 1, n);
	for (uint32_t o = 0; o < oc; o++)
		for (size_t j = 0; j < rb; j++) {
			unsigned v = 0;

			for (unsigned bit = 0; bit < 8; bit++) {
				size_t idx = j * 8 + bit;
				unsigned w;

				if (idx >= n)
					break;
				w = !pattern ? rnd() & 1 : o == 0 ? 1 :
				    o == 1 ? 0 : (idx + o) & 1;
				v |= w << bit;
			}
			u8(b, v);
		}
	zeros(b, ((nbytes + 3) & ~(size_t)3) - nbytes);
	if (!scores)
		for (uint32_t o = 0; o < oc; o++)
			u32(b, (uint32_t)(int32_t)((int)(rnd() % 5) - 2));
	s->c = oc;
	s->l = ol;
	s->vk = scores ? VF : VB;
}

static void die(const char *msg)
{
	fprintf(stderr, "bnn-mkmodel: %s\n", msg);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *arch = "majority", *classes = "N,S,V,F,Q";
	const char *lead = "", *name = "", *norm = "none";
	uint32_t C = 1, L = 16, pre = 0, post = 0;
	double rate = 0;
	uint32_t normk = 0;
	float noff = 0, nscale = 1;
	char *cls[64], *copy;
	uint32_t K = 0, nfeat = 0, baseline = 0, amp = 0;
	float lowpass = 0;
	int v2, nleads = 0;
	char *lead_copy = NULL, *leads[64];
	struct shape s;
	struct buf img = { 0 }, *b;
	uint64_t pos, total;
	bnn_model *m;
	bnn_error err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			out = a;
			continue;
		}
		if (!v)
			die("option without value");
		i++;
		if (!strcmp(a, "--arch"))
			arch = v;
		else if (!strcmp(a, "--channels"))
			C = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--length"))
			L = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--classes"))
			classes = v;
		else if (!strcmp(a, "--rate"))
			rate = strtod(v, NULL);
		else if (!strcmp(a, "--beat")) {
			if (sscanf(v, "%u,%u", &pre, &post) != 2)
				die("--beat PRE,POST");
		} else if (!strcmp(a, "--lead"))
			lead = v;
		else if (!strcmp(a, "--norm"))
			norm = v;
		else if (!strcmp(a, "--name"))
			name = v;
		else if (!strcmp(a, "--seed"))
			rng = strtoull(v, NULL, 10) * 2654435761u + 1;
		else if (!strcmp(a, "--features")) {
			nfeat = (uint32_t)strtoul(v, NULL, 10);
			if (nfeat > BNN_FEAT_COUNT)
				die("--features 0..9");
		} else if (!strcmp(a, "--baseline")) {
			if (strcmp(v, "none") && strcmp(v, "median"))
				die("--baseline none|median");
			baseline = !strcmp(v, "median");
		} else if (!strcmp(a, "--lowpass"))
			lowpass = strtof(v, NULL);
		else if (!strcmp(a, "--amp-norm")) {
			if (strcmp(v, "none") && strcmp(v, "qrs"))
				die("--amp-norm none|qrs");
			amp = !strcmp(v, "qrs");
		} else
			die("unknown option");
	}
	if (!out)
		die("usage: bnn-mkmodel [--arch majority|conv|float] [--channels C] [--length L] [--classes A,B] [--rate HZ] [--beat PRE,POST] [--lead NAME] [--norm none|zscore|affine:OFF:SCALE] [--name NAME] [--seed N] [--features N] [--baseline none|median] [--lowpass HZ] [--amp-norm none|qrs] OUT.bnn");
	if (!C || !L)
		die("--channels and --length must be >= 1");
	if (!strcmp(norm, "zscore"))
		normk = BNN_INPUT_NORM_ZSCORE;
	else if (!strncmp(norm, "affine:", 7)) {
		normk = BNN_INPUT_NORM_AFFINE;
		if (sscanf(norm + 7, "%f:%f", &noff, &nscale) != 2)
			die("--norm affine:OFFSET:SCALE");
	} else if (strcmp(norm, "none"))
		die("--norm none|zscore|affine:OFF:SCALE");
	if (strchr(lead, ',')) {
		char *save = NULL;

		lead_copy = strdup(lead);
		for (char *t = strtok_r(lead_copy, ",", &save); t && nleads < 64;
		     t = strtok_r(NULL, ",", &save))
			leads[nleads++] = t;
		if ((uint32_t)nleads != C)
			die("--lead NAME0,NAME1,... wants one name per channel (--channels)");
		lead = leads[0];
	}
	if (strlen(lead) > 31)
		die("--lead: a name has at most 31 bytes");
	copy = strdup(classes);
	{
		char *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t && K < 64;
		     t = strtok_r(NULL, ",", &save))
			cls[K++] = t;
		if (K < 1)
			die("--classes is empty");
	}

	/* input */
	b = new_sec(1, 0);
	u32(b, C);
	u32(b, L);
	f64(b, rate);
	u32(b, normk);
	f32(b, noff);
	f32(b, nscale);
	u32(b, pre);
	u32(b, post);
	u32(b, (uint32_t)strlen(lead));
	bytes(b, lead, strlen(lead));
	zeros(b, 32 - strlen(lead));
	/* classes */
	b = new_sec(2, 0);
	u32(b, K);
	for (uint32_t k = 0; k < K; k++) {
		u16(b, (unsigned)strlen(cls[k]));
		bytes(b, cls[k], strlen(cls[k]));
	}
	/* signal (version 2): right after classes */
	v2 = nfeat || baseline || lowpass != 0 || amp;
	if (v2) {
		b = new_sec(5, 0);
		u32(b, baseline);
		f32(b, lowpass);
		u32(b, amp);
		u32(b, nfeat);
		for (uint32_t f = 0; f < nfeat; f++) {
			u16(b, f);
			u16(b, 3);
			f32(b, 0.5f);
			f32(b, 1.0f);
			f32(b, 1.5f);
		}
	}
	/* leads (version 3): right after classes and the signal section */
	if (nleads) {
		b = new_sec(6, 0);
		u32(b, (uint32_t)nleads);
		for (int k = 0; k < nleads; k++) {
			u16(b, (unsigned)strlen(leads[k]));
			bytes(b, leads[k], strlen(leads[k]));
		}
	}
	/* meta */
	if (*name) {
		b = new_sec(3, 1);
		u16(b, (unsigned)strlen(name));
		bytes(b, name, strlen(name));
		u16(b, 0);
	}
	/* layers */
	s.c = C;
	s.l = L;
	s.vk = VF;
	if (!strcmp(arch, "majority")) {
		simple(&s, BNN_LAYER_SIGN);
		simple(&s, BNN_LAYER_FLATTEN);
		if (nfeat)
			join_layer(&s, 3 * nfeat);
		binary_layer(&s, K, 0, 1, 1);
	} else if (!strcmp(arch, "conv")) {
		uint32_t k = L >= 5 ? 5 : L;

		batchnorm(&s);
		simple(&s, BNN_LAYER_SIGN);
		binary_layer(&s, 8, k, 0, 0);
		if (s.l >= 2)
			maxpool(&s, 2);
		simple(&s, BNN_LAYER_FLATTEN);
		if (nfeat)
			join_layer(&s, 3 * nfeat);
		binary_layer(&s, 16, 0, 0, 0);
		binary_layer(&s, K, 0, 1, 0);
	} else if (!strcmp(arch, "float")) {
		float_layer(&s, 4, L >= 3 ? 3 : L);
		act_relu(&s);
		simple(&s, BNN_LAYER_GLOBAL_AVGPOOL);
		simple(&s, BNN_LAYER_FLATTEN);
		if (nfeat)
			join_layer(&s, 3 * nfeat);
		float_layer(&s, K, 0);
	} else {
		die("--arch majority|conv|float");
	}

	/* header + table + sections */
	pos = (64 + 24ull * nsec + 7) & ~7ull;
	total = pos;
	for (int i = 0; i < nsec; i++)
		total = (total + secs[i].data.n + 7) & ~7ull;
	bytes(&img, "BNN1", 4);
	u16(&img, nleads ? 3 : v2 ? 2 : 1);
	u16(&img, 64);
	u32(&img, 0);
	u32(&img, (uint32_t)nsec);
	u64(&img, total);
	u32(&img, 0);		/* payload CRC, below */
	zeros(&img, 32);
	u32(&img, 0);		/* header CRC, below */
	for (int i = 0; i < nsec; i++) {
		u32(&img, secs[i].type);
		u32(&img, secs[i].flags);
		u64(&img, pos);
		u32(&img, (uint32_t)secs[i].data.n);
		u32(&img, crc32_of(secs[i].data.p, secs[i].data.n));
		pos = (pos + secs[i].data.n + 7) & ~7ull;
	}
	zeros(&img, ((img.n + 7) & ~(size_t)7) - img.n);
	for (int i = 0; i < nsec; i++) {
		bytes(&img, secs[i].data.p, secs[i].data.n);
		zeros(&img, ((img.n + 7) & ~(size_t)7) - img.n);
	}
	if (img.n != total)
		die("internal: size mismatch");
	{
		uint32_t c = crc32_of(img.p + 64, img.n - 64);

		for (int i = 0; i < 4; i++)
			img.p[24 + i] = (uint8_t)(c >> (8 * i));
		c = crc32_of(img.p, 60);
		for (int i = 0; i < 4; i++)
			img.p[60 + i] = (uint8_t)(c >> (8 * i));
	}
	if (bnn_model_load_mem(img.p, img.n, &m, &err)) {
		fprintf(stderr, "bnn-mkmodel: libbnn refuses the image: %s\n",
			err.msg);
		return 1;
	}
	if (bnn_model_save(m, out, &err)) {
		fprintf(stderr, "bnn-mkmodel: %s\n", err.msg);
		return 1;
	}
	bnn_model_free(m);
	free(img.p);
	for (int i = 0; i < nsec; i++)
		free(secs[i].data.p);
	free(copy);
	free(lead_copy);
	return 0;
}
