// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * exec.c - libbnn: the host executor (see exec.h).
 *
 * Items are processed in chunks, layer by layer.  Inside a chunk, bit
 * tensors are bit planes of W = ceil(e / 64) + 1 words (one zero word of
 * slack for unaligned 64-bit loads; every bit past e is kept 0), a k-bit
 * quantised tensor is k such planes, a float tensor e floats.
 *
 * Binary CONV1D: the windows of a block of output positions are copied
 * into aligned rows (position-major items make each window one contiguous
 * run of K * C bits), every bit plane included, and one XOR-popcount GEMM
 * against the weight panel gives all mismatch counts.  Window bits of
 * padded positions are 0, so the GEMM counts the weight bits there as
 * mismatches; they are subtracted again (popcount of the weight row under
 * the padding mask) for the few edge positions.  Windows of one word
 * (fan-in <= 57 bits, as in the small ECG models) take one unaligned load
 * each (bnn__kernels.win57), and so do bit MAXPOOL1D taps of <= 57
 * channels.  Binary DENSE runs one
 * GEMM over the chunk's items.
 *
 * Two special paths for the small convolutions of 1-D CNNs, where the
 * steps above cost more than the XOR-popcounts: a BCONV1D on a k-bit
 * input with stride 1 and 1-16 outputs runs in level space
 * (kernels_lvl.c; fused with the QUANT before it when the run has both,
 * run_quant_lvl), and one of fan-in <= 57 bits and <= 64 outputs runs
 * the fused one-word kernel (kernels_conv1w.c, run_bconv1w).  Both give
 * the general path's sums exactly.  Bit MAXPOOL1D 2/2 of C | 32 channels
 * goes word by word.
 *
 * JOIN copies its input elements (bits: the plane's words, float: the
 * floats) and appends the thermometer code of the user item's feature
 * values, which come from the `user` items the caller passes along.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scratch budgets (entries); at least one position / item is always
 * processed, so a layer's minimum need is also honoured. */
#define WIN_BUDGET ((size_t)1 << 16)	/* window words per block */
#define D_BUDGET ((size_t)1 << 18)	/* mismatch counts per GEMM */
#define CHUNK_BYTES ((size_t)1 << 18)	/* activations per chunk */
#define CHUNK_MAX 64

struct bfmt {
	int vk;
	uint32_t bits;		/* planes (bits: 1, quant: k), float: 32 */
	size_t e;		/* elements */
	size_t W;		/* words per plane */
	size_t istride;		/* bytes per item inside a chunk */
	size_t iobytes;		/* bytes per item at the boundary */
};

struct hlayer {
	struct bnn__bpanel pn;
	size_t tb;		/* BCONV1D: positions per window block */
	int32_t *thr_t;		/* BCONV1D: thresholds repeated tb times */
	size_t sub;		/* BDENSE: items per GEMM */
	size_t e_lo, e_hi;	/* BCONV1D: padded positions (edge_table) */
	int32_t *eadd;		/* BCONV1D: their sum fixes */
	int conv1w;		/* BCONV1D: fused one-word path (run_bconv1w) */
	int32_t *thr8, *thr_e;	/* its thresholds (conv1w_tables) */
	size_t wp;		/* words per padded plane copy */
	int lvl;		/* BCONV1D: in level space (run_bconv_lvl) */
	int32_t *sg, *thr_T;	/* its +-1 weights, thresholds per output */
	size_t vs;		/* its expanded input row */
};

static int edge_table(const struct bnn__layer *l, struct hlayer *hl);
static int conv1w_ok(const struct bnn__hnet *h, const struct bnn__layer *l,
		     const struct hlayer *hl);
static int conv1w_tables(const struct bnn__layer *l, struct hlayer *hl);
static int lvl_ok(const struct bnn__layer *l);
static int lvl_tables(const struct bnn__layer *l, struct hlayer *hl);

struct bnn__hnet {
	struct bnn_model *m;
	const struct bnn__kernels *k;
	uint32_t nl;
	struct hlayer *hl;
	struct bfmt *bf;	/* nl + 1 */
	size_t chunk;
	size_t max_istride, win_words, d_elems, fwin, corr, pool_words;
	size_t inv_words, bits_words, padx_words, ve_elems, lvs_elems;
	size_t item_floats;	/* user item: e signal floats + features */
};

struct bnn__hscratch {
	uint8_t *buf[2];
	uint64_t *win, *inv, *pool;
	uint32_t *d, *corr;
	int32_t *acc;
	uint64_t *bitsw;
	float *fwin;
	uint64_t *padx;		/* run_bconv1w's padded planes */
	int32_t *ve, *lvs;	/* run_bconv_lvl's levels and sums */
};

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

static size_t align64(size_t v)
{
	return (v + 63) & ~(size_t)63;
}

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* ---- construction ------------------------------------------------------- */

static void set_fmt(struct bfmt *f, int vk, uint32_t bits, size_t e,
		    int boundary0)
{
	f->vk = vk;
	f->bits = bits;
	f->e = e;
	f->W = (e + 63) / 64 + 1;
	if (vk == BNN_VALUES_FLOAT) {
		f->istride = align64(4 * e);
		f->iobytes = 4 * e;	/* boundary 0: item_floats, see new */
	} else {
		f->istride = 8 * f->W * bits;
		f->iobytes = vk == BNN_VALUES_BITS ? align8((e + 7) / 8) :
			     align8(e);
	}
	(void)boundary0;
}

void bnn__hnet_free(struct bnn__hnet *h)
{
	if (!h)
		return;
	if (h->hl)
		for (uint32_t i = 0; i < h->nl; i++) {
			bnn__bpanel_free(&h->hl[i].pn);
			free(h->hl[i].thr_t);
			free(h->hl[i].eadd);
			free(h->hl[i].thr8);
			free(h->hl[i].thr_e);
			free(h->hl[i].sg);
			free(h->hl[i].thr_T);
		}
	free(h->hl);
	free(h->bf);
	bnn_model_free(h->m);
	free(h);
}

int bnn__hnet_new(const struct bnn_model *m, const struct bnn__kernels *k,
		  struct bnn__hnet **out, bnn_error *err)
{
	struct bnn__hnet *h;
	int rc;

	*out = NULL;
	if (!m || !k)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	rc = bnn__model_finish(m, err);
	if (rc)
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	rc = bnn__model_clone(m, &h->m, err);
	if (rc) {
		free(h);
		return rc;
	}
	h->k = k;
	h->nl = m->nlayers;
	h->hl = calloc(h->nl, sizeof(*h->hl));
	h->bf = calloc(h->nl + 1, sizeof(*h->bf));
	if (!h->hl || !h->bf)
		goto nomem;
	set_fmt(&h->bf[0], BNN_VALUES_FLOAT, 32,
		(size_t)m->input.channels * m->input.length, 1);
	h->item_floats = bnn__item_floats(m);
	h->bf[0].iobytes = 4 * h->item_floats;
	for (uint32_t i = 0; i < h->nl; i++) {
		const struct bnn__layer *l = &h->m->layers[i];

		set_fmt(&h->bf[i + 1], l->out_vk, l->out_bits,
			(size_t)l->out_c * l->out_l, 0);
	}
	for (uint32_t i = 0; i <= h->nl; i++)
		h->max_istride = max_sz(h->max_istride, h->bf[i].istride);
	h->chunk = CHUNK_BYTES / h->max_istride;
	if (h->chunk < 1)
		h->chunk = 1;
	if (h->chunk > CHUNK_MAX)
		h->chunk = CHUNK_MAX;
	h->d_elems = 1;
	h->corr = 1;
	h->inv_words = 1;
	h->win_words = 1;
	h->pool_words = 1;
	h->fwin = 1;
	h->bits_words = 1;
	h->padx_words = 1;
	h->ve_elems = 1;
	h->lvs_elems = 1;
	for (uint32_t i = 0; i < h->nl; i++) {
		const struct bnn__layer *l = &h->m->layers[i];
		struct hlayer *hl = &h->hl[i];

		if (l->kind == BNN_LAYER_BCONV1D || l->kind == BNN_LAYER_BDENSE) {
			size_t planes = l->in_bits, nw;

			if (bnn__bpanel_pack(&hl->pn, l->bits, l->out_c, l->n,
					     l->row_bytes))
				goto nomem;
			nw = hl->pn.nw;
			if (l->kind == BNN_LAYER_BCONV1D) {
				hl->tb = WIN_BUDGET / (planes * nw);
				if (hl->tb < 1)
					hl->tb = 1;
				if (hl->tb > l->out_l)
					hl->tb = l->out_l;
				h->win_words = max_sz(h->win_words,
						      planes * hl->tb * nw);
				if (!l->scores) {
					hl->thr_t = malloc(hl->tb * l->out_c * 4);
					if (!hl->thr_t)
						goto nomem;
					for (size_t t = 0; t < hl->tb; t++)
						memcpy(hl->thr_t + t * l->out_c, l->thr,
						       l->out_c * 4);
				}
				h->bits_words = max_sz(h->bits_words,
						       hl->tb * l->out_c / 64 + 1);
				h->d_elems = max_sz(h->d_elems, planes * hl->tb *
							       l->out_c);
				h->inv_words = max_sz(h->inv_words, nw);
				if (edge_table(l, hl))
					goto nomem;
				hl->lvl = lvl_ok(l);
				if (hl->lvl) {
					if (lvl_tables(l, hl))
						goto nomem;
					h->ve_elems = max_sz(h->ve_elems,
							     l->in_c * hl->vs);
					h->lvs_elems = max_sz(h->lvs_elems,
						(l->out_l * l->out_c + 15) & ~(size_t)15);
				}
				hl->conv1w = !hl->lvl && conv1w_ok(h, l, hl);
				if (hl->conv1w) {
					if (conv1w_tables(l, hl))
						goto nomem;
					h->padx_words = max_sz(h->padx_words,
							       planes * hl->wp);
				}
			} else {
				hl->sub = D_BUDGET / (planes * l->out_c);
				if (hl->sub < 1)
					hl->sub = 1;
				if (hl->sub > h->chunk)
					hl->sub = h->chunk;
				h->d_elems = max_sz(h->d_elems, planes * hl->sub *
							       l->out_c);
			}
			h->corr = max_sz(h->corr, l->out_c);
		} else if (l->kind == BNN_LAYER_CONV1D && l->pad) {
			h->fwin = max_sz(h->fwin, l->n);
		} else if (l->kind == BNN_LAYER_MAXPOOL1D &&
			   l->in_vk == BNN_VALUES_BITS) {
			h->pool_words = max_sz(h->pool_words,
					       (l->in_c + 63) / 64 + 1);
		}
	}
	*out = h;
	return BNN_OK;
nomem:
	bnn__hnet_free(h);
	return bnn__fail(err, BNN_E_NOMEM, "out of memory");
}

const struct bnn_model *bnn__hnet_model(const struct bnn__hnet *h)
{
	return h->m;
}

size_t bnn__hnet_item_floats(const struct bnn__hnet *h)
{
	return h->item_floats;
}

int bnn__hnet_io(const struct bnn__hnet *h, uint32_t b, int *vk,
		 uint32_t *bits, size_t *elems, size_t *bytes)
{
	if (b > h->nl)
		return BNN_E_INVAL;
	if (vk)
		*vk = h->bf[b].vk;
	if (bits)
		*bits = h->bf[b].bits;
	if (elems)
		*elems = h->bf[b].e;
	if (bytes)
		*bytes = h->bf[b].iobytes;
	return BNN_OK;
}

void bnn__hscratch_free(struct bnn__hscratch *s)
{
	if (!s)
		return;
	free(s->buf[0]);
	free(s->buf[1]);
	free(s->win);
	free(s->inv);
	free(s->pool);
	free(s->d);
	free(s->corr);
	free(s->acc);
	free(s->bitsw);
	free(s->fwin);
	free(s->padx);
	free(s->ve);
	free(s->lvs);
	free(s);
}

int bnn__hscratch_new(const struct bnn__hnet *h, struct bnn__hscratch **out)
{
	struct bnn__hscratch *s = calloc(1, sizeof(*s));
	size_t bb = h->chunk * h->max_istride;

	*out = NULL;
	if (!s)
		return BNN_E_NOMEM;
	s->buf[0] = aligned_alloc(64, align64(bb));
	s->buf[1] = aligned_alloc(64, align64(bb));
	s->win = aligned_alloc(64, align64(h->win_words * 8));
	s->inv = calloc(h->inv_words, 8);
	s->pool = calloc(h->pool_words, 8);
	s->d = malloc(h->d_elems * 4);
	s->corr = malloc(h->corr * 4);
	s->acc = malloc(max_sz(h->corr, h->d_elems) * 4);
	s->bitsw = malloc(max_sz(h->corr / 64 + 1, h->bits_words) * 8);
	s->fwin = calloc(h->fwin, 4);
	s->padx = malloc(h->padx_words * 8);
	s->ve = malloc(h->ve_elems * 4);
	s->lvs = malloc(h->lvs_elems * 4);
	if (!s->buf[0] || !s->buf[1] || !s->win || !s->inv || !s->pool ||
	    !s->d || !s->corr || !s->acc || !s->bitsw || !s->fwin ||
	    !s->padx || !s->ve || !s->lvs) {
		bnn__hscratch_free(s);
		return BNN_E_NOMEM;
	}
	*out = s;
	return BNN_OK;
}

/* ---- bit helpers -------------------------------------------------------- */

/* 64 bits of a plane of W words starting at bit pos; outside = 0. */
static inline uint64_t ld_bits(const uint64_t *src, size_t W, int64_t pos)
{
	size_t q, r;
	uint64_t lo, hi;

	if (pos < 0)
		return pos <= -64 ? 0 : src[0] << (-pos);
	q = (size_t)pos / 64;
	r = (size_t)pos % 64;
	lo = q < W ? src[q] : 0;
	if (!r)
		return lo;
	hi = q + 1 < W ? src[q + 1] : 0;
	return (lo >> r) | (hi << (64 - r));
}

static inline uint64_t low_mask(size_t nbits)
{
	return nbits >= 64 ? ~0ull : (1ull << nbits) - 1;
}

/*
 * Fast bit fetches for fields of at most 57 bits (little-endian hosts):
 * one unaligned 8-byte load at byte pos / 8, shifted by pos % 8, gives
 * bits pos .. pos + 56 of a plane.  The caller checks that the 8 bytes lie
 * inside the plane (its slack word makes that true for every in-range
 * field).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BITS57 1
static inline uint64_t ld57(const uint64_t *src, size_t pos)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)src + pos / 8, 8);
	return v >> (pos % 8);
}
#else
#define BITS57 0
static inline uint64_t ld57(const uint64_t *src, size_t pos)
{
	(void)src;
	(void)pos;
	return 0;
}
#endif

/* OR nbits of v into dst at bit pos (dst has a word of slack). */
static void or_bits(uint64_t *dst, size_t pos, const uint64_t *v, size_t nbits)
{
	size_t q = pos / 64, r = pos % 64;

	for (size_t w = 0; w * 64 < nbits; w++) {
		uint64_t x = v[w] & low_mask(nbits - w * 64);

		dst[q + w] |= x << r;
		if (r)
			dst[q + w + 1] |= x >> (64 - r);
	}
}

static inline void set_bit(uint64_t *p, size_t e)
{
	p[e / 64] |= 1ull << (e % 64);
}

/* ---- float layers ------------------------------------------------------- */

static void run_conv(const struct bnn__hnet *h, struct bnn__hscratch *s,
		     const struct bnn__layer *l, const float *x, float *y)
{
	size_t C = l->in_c, K = l->kernel, st = l->stride, p = l->pad;
	size_t L = l->in_l, T = l->out_l, n = l->n;
	size_t t_lo, t_hi;

	(void)h;
	/* Interior positions: t * st >= p and t * st - p + K <= L. */
	t_lo = (p + st - 1) / st;
	t_hi = L + p >= K ? (L + p - K) / st + 1 : 0;
	if (t_hi > T)
		t_hi = T;
	if (t_lo < t_hi)
		bnn__sgemm_nt(x + (t_lo * st - p) * C, st * C, t_hi - t_lo,
			      l->w, n, l->out_c, n, l->b, y + t_lo * l->out_c,
			      l->out_c);
	for (size_t t = 0; t < T; t++) {
		int64_t p0 = (int64_t)(t * st) - (int64_t)p;

		if (t >= t_lo && t < t_hi)
			continue;
		for (size_t k = 0; k < K; k++) {
			int64_t pos = p0 + (int64_t)k;

			if (pos < 0 || pos >= (int64_t)L)
				memset(s->fwin + k * C, 0, C * 4);
			else
				memcpy(s->fwin + k * C, x + (size_t)pos * C, C * 4);
		}
		bnn__sgemm_nt(s->fwin, n, 1, l->w, n, l->out_c, n, l->b,
			      y + t * l->out_c, l->out_c);
	}
}

/* Bit b of each of the 8 bytes of u, byte j -> bit j. */
static inline uint64_t byte_bits(uint64_t u, uint32_t b)
{
	return ((u >> b) & 0x0101010101010101ull) * 0x0102040810204080ull >> 56;
}

static void run_float_item(const struct bnn__layer *l, const float *x,
			   void *out, size_t W)
{
	size_t C = l->in_c, L = l->in_l, e = C * L;
	float *y = out;
	uint64_t *yb = out;

	switch (l->kind) {
	case BNN_LAYER_BATCHNORM:
		for (size_t i = 0; i < e; i++)
			y[i] = x[i] * l->w[i % C] + l->b[i % C];
		break;
	case BNN_LAYER_ACT:
		for (size_t i = 0; i < e; i++) {
			float v = x[i];

			if (l->act == BNN__ACT_RELU)
				y[i] = v > 0 ? v : 0.0f;
			else
				y[i] = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
		}
		break;
	case BNN_LAYER_SIGN:
		for (size_t i0 = 0; i0 < e; i0 += 64) {
			size_t n = e - i0 < 64 ? e - i0 : 64;
			uint64_t v = 0;

			for (size_t j = 0; j < n; j++)
				v |= (uint64_t)(x[i0 + j] >= 0) << j;
			yb[i0 / 64] = v;
		}
		break;
	case BNN_LAYER_QUANT:
		/* 64 elements at a time: levels as bytes, then each plane
		 * word 8 bytes at a time. */
		for (size_t i0 = 0; i0 < e; i0 += 64) {
			size_t n = e - i0 < 64 ? e - i0 : 64;
			float qo = l->qoffset, qs = l->qscale;
			float qmax = (float)((1u << l->qbits) - 1);
			uint8_t q8[64];

			const float *xs = x + i0;
			float tail[64];

			if (n < 64) {
				/* padded with the level-0 value, so that the
				 * full-width (vectorised) loop gives 0 bits */
				for (size_t j = 0; j < 64; j++)
					tail[j] = j < n ? xs[j] : qo;
				xs = tail;
			}
			for (size_t j = 0; j < 64; j++)
				q8[j] = (uint8_t)bnn__quant(qo, qs, qmax, xs[j]);
			for (uint32_t b = 0; b < l->qbits; b++) {
				uint64_t v = 0;

				for (size_t k = 0; k < 8; k++) {
					uint64_t u = 0;

					if (BITS57)
						memcpy(&u, q8 + 8 * k, 8);
					else
						for (size_t j = 0; j < 8; j++)
							u |= (uint64_t)q8[8 * k + j] << (8 * j);
					v |= byte_bits(u, b) << (8 * k);
				}
				yb[b * W + i0 / 64] = v;
			}
		}
		break;
	case BNN_LAYER_MAXPOOL1D:
		for (size_t t = 0; t < l->out_l; t++)
			for (size_t c = 0; c < C; c++) {
				const float *q = x + t * l->stride * C + c;
				float m = q[0];

				for (size_t k = 1; k < l->kernel; k++)
					if (q[k * C] > m)
						m = q[k * C];
				y[t * C + c] = m;
			}
		break;
	case BNN_LAYER_GLOBAL_AVGPOOL:
		for (size_t c = 0; c < C; c++) {
			double sum = 0;

			for (size_t t = 0; t < L; t++)
				sum += x[t * C + c];
			y[c] = (float)(sum / (double)L);
		}
		break;
	case BNN_LAYER_GLOBAL_MAXPOOL:
		for (size_t c = 0; c < C; c++) {
			float m = x[c];

			for (size_t t = 1; t < L; t++)
				if (x[t * C + c] > m)
					m = x[t * C + c];
			y[c] = m;
		}
		break;
	}
}

/* ---- binary layers ------------------------------------------------------- */

static void emit(const struct bnn__layer *l, int64_t S, uint32_t o, size_t e,
		 void *out)
{
	if (l->scores) {
		int64_t v = S > INT32_MAX ? INT32_MAX :
			    S < INT32_MIN ? INT32_MIN : S;

		((float *)out)[e] = (float)(int32_t)v;
	} else if (S >= l->thr[o]) {
		set_bit(out, e);
	}
}

/*
 * Wide path (sums that might not fit in int32; never for realistic
 * layers): outputs of one output position from per-plane mismatch counts
 * d[p * pstride + o], s->corr[o] the weight bits under the padding (which
 * the GEMM counted as mismatches), nvalid the valid fan-in.  With
 * dp' = dp - corr:  S = sum_p 2^p (nvalid - 2 dp')
 *                     = (2^P - 1)(nvalid + 2 corr) - 2 sum_p 2^p dp.
 * Outputs go to element e0 + o of y.
 */
static void finish_wide(const struct bnn__layer *l, struct bnn__hscratch *s,
			const uint32_t *d, size_t pstride, size_t planes,
			int64_t nvalid, size_t e0, void *y)
{
	int64_t m = ((int64_t)1 << planes) - 1;

	for (size_t o = 0; o < l->out_c; o++) {
		int64_t S = m * (nvalid + 2 * (int64_t)s->corr[o]);

		for (size_t p = 0; p < planes; p++)
			S -= 2 * ((int64_t)d[p * pstride + o] << p);
		emit(l, S, (uint32_t)o, e0 + o, y);
	}
}

/* Do the sums of a layer fit the int32 fast path (and the GEMM's uint32
 * bit-serial accumulation)?  |S| <= 3 n (2^P - 1). */
static int fast_sums(const struct bnn__layer *l)
{
	return (int64_t)l->n * (((int64_t)1 << l->in_bits) - 1) * 4 < INT32_MAX;
}

/*
 * Padding of output position t of a CONV1D: mL / mR taps before / after
 * the input.  When there are any, s->corr[o] gets the weight bits of row o
 * under them (which the GEMM counted as mismatches) and 1 is returned.
 */
static int edge_corr_buf(const struct bnn__layer *l,
			 const struct bnn__bpanel *pn, uint64_t *inv,
			 uint32_t *corr, size_t t, size_t *mLp, size_t *mRp)
{
	size_t nw = pn->nw, C = l->in_c, n = l->n, K = l->kernel;
	int64_t p0 = (int64_t)(t * l->stride) - (int64_t)l->pad;
	int64_t L = l->in_l;
	size_t mL = p0 < 0 ? (size_t)-p0 : 0;
	size_t mR = p0 + (int64_t)K > L ? (size_t)(p0 + (int64_t)K - L) : 0;
	size_t lo = mL * C, hi = n - mR * C;

	*mLp = mL;
	*mRp = mR;
	if (!mL && !mR)
		return 0;
	for (size_t w = 0; w < nw; w++) {
		size_t b0 = 64 * w, b1 = b0 + 64;
		uint64_t msk = 0;

		if (lo > b0)
			msk |= low_mask((lo < b1 ? lo : b1) - b0);
		if (hi < b1)
			msk |= ~low_mask(hi > b0 ? hi - b0 : 0);
		inv[w] = msk;
	}
	inv[nw - 1] &= low_mask(n - (nw - 1) * 64);
	for (size_t o = 0; o < l->out_c; o++)
		corr[o] = bnn__and_popcount(pn->rowmajor + o * nw, inv, nw);
	return 1;
}

static int edge_corr(const struct bnn__layer *l, const struct hlayer *hl,
		     struct bnn__hscratch *s, size_t t, size_t *mLp,
		     size_t *mRp)
{
	return edge_corr_buf(l, &hl->pn, s->inv, s->corr, t, mLp, mRp);
}

/*
 * Fast-path edge fixes of a BCONV1D, computed once: the output positions
 * with padding are t < e_lo and t >= e_hi; eadd row r (r = t for t < e_lo,
 * e_lo + t - e_hi for t >= e_hi) holds, per output channel, what is added
 * to the unpadded sum.  Returns 0 or -1 (out of memory).
 */
static int edge_table(const struct bnn__layer *l, struct hlayer *hl)
{
	size_t T = l->out_l, O = l->out_c, C = l->in_c, lo, hi, mL, mR;
	int64_t m = ((int64_t)1 << l->in_bits) - 1;
	uint64_t *inv = calloc(hl->pn.nw, 8);
	uint32_t *corr = calloc(O, 4);
	int rc = -1;

	if (!inv || !corr)
		goto out;
	for (lo = 0; lo < T && edge_corr_buf(l, &hl->pn, inv, corr, lo, &mL, &mR);
	     lo++)
		;
	for (hi = T; hi > lo &&
	     edge_corr_buf(l, &hl->pn, inv, corr, hi - 1, &mL, &mR); hi--)
		;
	hl->e_lo = lo;
	hl->e_hi = hi;
	hl->eadd = malloc((lo + T - hi) * O * 4 + 4);
	if (!hl->eadd)
		goto out;
	for (size_t t = 0; t < T; t++) {
		int32_t *row;

		if (t >= lo && t < hi)
			continue;
		row = hl->eadd + (t < lo ? t : lo + t - hi) * O;
		if (!edge_corr_buf(l, &hl->pn, inv, corr, t, &mL, &mR)) {
			memset(row, 0, O * 4);
			continue;
		}
		for (size_t o = 0; o < O; o++)
			row[o] = (int32_t)(m * (2 * (int64_t)corr[o] -
						(int64_t)((mL + mR) * C)));
	}
	rc = 0;
out:
	free(inv);
	free(corr);
	return rc;
}

/* Can a BCONV1D take run_bconv1w?  $BNN_CPU_NO_CONV1W (any value) says
 * no, so that tests can compare it with the general path. */
static int conv1w_ok(const struct bnn__hnet *h, const struct bnn__layer *l,
		     const struct hlayer *hl)
{
	return BITS57 && h->k->conv1w && hl->pn.nw == 1 && l->n <= 57 && l->out_c <= 64 &&
	       !l->scores && l->out_vk == BNN_VALUES_BITS &&
	       l->in_bits <= BNN__CONV1W_PLANES && fast_sums(l) &&
	       !getenv("BNN_CPU_NO_CONV1W");
}

/*
 * A BCONV1D of one-word windows (hl->conv1w), by the fused kernel
 * (bnn__kernels.conv1w).  The planes are first copied with the left padding in front
 * (zero bits; the copy's tail is zero too), so every window is one
 * in-bounds load; the edges' sum fixes are folded into their thresholds
 * (S + add >= thr <=> S >= thr - add, hl->thr_e).
 */
static void run_bconv1w(const struct bnn__hnet *h, struct bnn__hscratch *s,
			const struct bnn__layer *l, const struct hlayer *hl,
			const struct bfmt *fin, const uint64_t *x, uint64_t *y)
{
	size_t planes = l->in_bits, C = l->in_c, T = l->out_l;
	size_t W = fin->W, Wp = hl->wp, step = l->stride * C;
	int64_t off = (int64_t)(l->pad * C);
	int32_t k1 = (int32_t)((((int64_t)1 << planes) - 1) * (int64_t)l->n);
	uint64_t mask = low_mask(l->n), *xp = s->padx;

	for (size_t p = 0; p < planes; p++)
		for (size_t w = 0; w < Wp; w++) {
			int64_t pos = (int64_t)(64 * w) - off;

			xp[p * Wp + w] = pos >= (int64_t)(64 * W) ? 0 :
					 ld_bits(x + p * W, W, pos);
		}
	h->k->conv1w(xp, Wp, planes, step, T, mask, &hl->pn, k1, hl->thr8,
		     hl->thr_e, hl->e_lo, hl->e_hi, y);
}

/* The thresholds of run_bconv1w, rows of 8 * ngroups entries: hl->thr8
 * (interior), hl->thr_e (edge rows, eadd's order).  Returns 0 or -1. */
static int conv1w_tables(const struct bnn__layer *l, struct hlayer *hl)
{
	size_t O = l->out_c, R = 8 * (size_t)hl->pn.ngroups;
	size_t ne = hl->e_lo + l->out_l - hl->e_hi;

	hl->thr8 = calloc(R, 4);
	hl->thr_e = calloc(ne * R + 1, 4);
	if (!hl->thr8 || !hl->thr_e)
		return -1;
	memcpy(hl->thr8, l->thr, O * 4);
	for (size_t r = 0; r < ne; r++)
		for (size_t o = 0; o < O; o++) {
			/* clamped: |S| <= n (2^P - 1) is far inside int32,
			 * so S >= the clamped value iff S >= the exact one */
			int64_t v = (int64_t)l->thr[o] - hl->eadd[r * O + o];

			hl->thr_e[r * R + o] = (int32_t)(v < INT32_MIN ? INT32_MIN :
					       v > INT32_MAX ? INT32_MAX : v);
		}
	/* + 10: the 8-word loads of the AVX-512 kernel (win8), zeroes */
	hl->wp = ((l->out_l - 1) * l->stride * l->in_c) / 64 + 10;
	return 0;
}

/* Can a BCONV1D run in level space (kernels_lvl.c)?  A k-bit input
 * (k >= 2), stride 1, 1, 2, 4, 8 or 16 outputs, thresholds, int32 sums, a
 * small expanded input.  $BNN_CPU_NO_LVL (any value) says no. */
static int lvl_ok(const struct bnn__layer *l)
{
	size_t O = l->out_c, vs = (l->in_l + 2 * (size_t)l->pad) * O + 16;

	return l->in_bits >= 2 && l->stride == 1 && 16 % O == 0 &&
	       !l->scores && l->out_vk == BNN_VALUES_BITS && fast_sums(l) &&
	       l->in_c * vs <= ((size_t)1 << 16) && !getenv("BNN_CPU_NO_LVL");
}

/* run_bconv_lvl's tables: sg[j * 16 + i] = +1 if bit j of row i % O is
 * set, else -1; thr_T = the thresholds once per output position.
 * Returns 0 or -1. */
static int lvl_tables(const struct bnn__layer *l, struct hlayer *hl)
{
	size_t O = l->out_c, n = l->n, T = l->out_l;

	hl->vs = (l->in_l + 2 * (size_t)l->pad) * O + 16;
	hl->sg = malloc(n * 16 * 4);
	hl->thr_T = malloc(T * O * 4 + 4);
	if (!hl->sg || !hl->thr_T)
		return -1;
	for (size_t j = 0; j < n; j++)
		for (size_t i = 0; i < 16; i++)
			hl->sg[j * 16 + i] = hl->pn.rowmajor[(i % O) * hl->pn.nw +
							     j / 64] >> (j % 64) & 1 ?
					     1 : -1;
	for (size_t t = 0; t < T; t++)
		memcpy(hl->thr_T + t * O, l->thr, O * 4);
	return 0;
}

/* A BCONV1D in level space (hl->lvl; kernels_lvl.c says why): the sums
 * of all positions, edges included, then the threshold bits. */
static void run_bconv_lvl(const struct bnn__hnet *h, struct bnn__hscratch *s,
			  const struct bnn__layer *l, const struct hlayer *hl,
			  const struct bfmt *fin, const uint64_t *x, uint64_t *y)
{
	size_t O = l->out_c, T = l->out_l;

	bnn__lvl_expand(x, fin->W, l->in_bits, l->in_l, l->in_c, O, l->pad,
			hl->vs, s->ve);
	bnn__lvl_conv(s->ve, hl->vs, l->in_c, l->kernel, O, hl->sg, T,
		      s->lvs);
	h->k->pack_ge(s->lvs, hl->thr_T, T * O, y);
}

static void run_bconv(const struct bnn__hnet *h, struct bnn__hscratch *s,
		      const struct bnn__layer *l, const struct hlayer *hl,
		      const struct bfmt *fin, const uint64_t *x, void *y)
{
	const struct bnn__bpanel *pn = &hl->pn;
	size_t nw = pn->nw, planes = l->in_bits, C = l->in_c, T = l->out_l;
	size_t O = l->out_c, n = l->n;
	uint64_t lastmask = low_mask(n - (nw - 1) * 64);
	int64_t m = ((int64_t)1 << planes) - 1;
	int fast = fast_sums(l);

	if (hl->lvl) {
		run_bconv_lvl(h, s, l, hl, fin, x, y);
		return;
	}
	if (hl->conv1w) {
		run_bconv1w(h, s, l, hl, fin, x, y);
		return;
	}
	for (size_t t0 = 0; t0 < T; t0 += hl->tb) {
		size_t tn = T - t0 < hl->tb ? T - t0 : hl->tb;

		for (size_t p = 0; p < planes; p++) {
			const uint64_t *src = x + p * fin->W;
			size_t t = 0;

			if (BITS57 && nw == 1 && n <= 57) {
				/* one word per window: a load and a mask per
				 * position inside the plane, the edges below */
				uint64_t *row = s->win + p * tn;
				size_t step = l->stride * C;
				int64_t s0 = ((int64_t)(t0 * l->stride) -
					      (int64_t)l->pad) * (int64_t)C;

				for (; t < tn && s0 < 0; t++, s0 += (int64_t)step)
					row[t] = ld_bits(src, fin->W, s0) & lastmask;
				if (t < tn && (size_t)s0 / 8 + 8 <= 8 * fin->W) {
					/* positions whose 8-byte load fits */
					size_t lim = 8 * fin->W - 8, cnt;

					cnt = ((lim * 8 + 7) - (size_t)s0) / step + 1;
					cnt = cnt < tn - t ? cnt : tn - t;
					h->k->win57(src, (size_t)s0, step, cnt,
						    lastmask, row + t);
					t += cnt;
				}
			}
			for (; t < tn; t++) {
				uint64_t *row = s->win + (p * tn + t) * nw;
				int64_t s0 = ((int64_t)((t0 + t) * l->stride) -
					      (int64_t)l->pad) * (int64_t)C;

				if (s0 >= 0 && (size_t)s0 / 64 + nw < fin->W) {
					/* inside the plane: no edge checks */
					const uint64_t *q = src + s0 / 64;
					unsigned r = (unsigned)(s0 % 64);

					if (r)
						for (size_t w = 0; w < nw; w++)
							row[w] = q[w] >> r | q[w + 1] << (64 - r);
					else
						memcpy(row, q, nw * 8);
				} else {
					for (size_t w = 0; w < nw; w++)
						row[w] = ld_bits(src, fin->W,
								 s0 + (int64_t)(64 * w));
				}
				row[nw - 1] &= lastmask;
			}
		}
		if (fast) {
			/* D = sum_p 2^p d_p of all positions, as if unpadded
			 * (S = m n - 2 D); then fix the padded edges. */
			int32_t *S = s->acc;

			h->k->xor_gemm(s->win, nw, tn * nw, planes, tn, pn, s->d, O);
			bnn__sums32(s->d, 0, 1, NULL, (int32_t)(m * (int64_t)n), 0,
				    tn * O, S);
			for (size_t t = 0; t < tn; t++) {
				size_t tt = t0 + t;
				const int32_t *add;

				if (tt >= hl->e_lo && tt < hl->e_hi) {
					t = hl->e_hi - 1 - t0;	/* skip the interior */
					continue;
				}
				add = hl->eadd + (tt < hl->e_lo ? tt :
						  hl->e_lo + tt - hl->e_hi) * O;
				for (size_t o = 0; o < O; o++)
					S[t * O + o] += add[o];
			}
			if (l->scores) {
				float *f = (float *)y + t0 * O;

				for (size_t i = 0; i < tn * O; i++)
					f[i] = (float)S[i];
			} else {
				h->k->pack_ge(S, hl->thr_t, tn * O, s->bitsw);
				or_bits(y, t0 * O, s->bitsw, tn * O);
			}
			continue;
		}
		for (size_t p = 0; p < planes; p++)
			h->k->xor_gemm(s->win + p * tn * nw, nw, 0, 1, tn, pn,
				       s->d + p * tn * O, O);
		for (size_t t = 0; t < tn; t++) {
			size_t mL, mR;

			if (!edge_corr(l, hl, s, t0 + t, &mL, &mR)) {
				mL = mR = 0;
				memset(s->corr, 0, O * sizeof(*s->corr));
			}
			finish_wide(l, s, s->d + t * O, tn * O, planes,
				    (int64_t)(n - (mL + mR) * C), (t0 + t) * O, y);
		}
	}
}

static void run_bdense(const struct bnn__hnet *h, struct bnn__hscratch *s,
		       const struct bnn__layer *l, const struct hlayer *hl,
		       const struct bfmt *fin, const struct bfmt *fout,
		       const uint8_t *in, uint8_t *out, size_t cnt)
{
	size_t planes = l->in_bits, O = l->out_c, W = fin->W;
	int64_t n = l->n, mf = ((int64_t)1 << planes) - 1;

	memset(s->corr, 0, O * sizeof(*s->corr));	/* no padding */
	for (size_t i0 = 0; i0 < cnt; i0 += hl->sub) {
		size_t m = cnt - i0 < hl->sub ? cnt - i0 : hl->sub;
		const uint64_t *x = (const uint64_t *)(in + i0 * fin->istride);

		if (fast_sums(l)) {
			int32_t *S = s->acc;

			h->k->xor_gemm(x, planes * W, W, planes, m, &hl->pn,
				       s->d, O);
			bnn__sums32(s->d, 0, 1, NULL, (int32_t)(mf * n), 0,
				    m * O, S);
			for (size_t i = 0; i < m; i++) {
				uint8_t *y = out + (i0 + i) * fout->istride;

				if (l->scores) {
					for (size_t o = 0; o < O; o++)
						((float *)y)[o] = (float)S[i * O + o];
				} else {
					h->k->pack_ge(S + i * O, l->thr, O, s->bitsw);
					memcpy(y, s->bitsw, ((O + 63) / 64) * 8);
				}
			}
			continue;
		}
		for (size_t p = 0; p < planes; p++)
			h->k->xor_gemm(x + p * W, planes * W, 0, 1, m, &hl->pn,
				       s->d + p * O, planes * O);
		for (size_t i = 0; i < m; i++)
			finish_wide(l, s, s->d + i * planes * O, O, planes, n, 0,
				    out + (i0 + i) * fout->istride);
	}
}

static void run_bpool(struct bnn__hscratch *s, const struct bnn__layer *l,
		      const struct bfmt *fin, const uint64_t *x, uint64_t *y)
{
	size_t C = l->in_c, cw = (C + 63) / 64, t = 0;

	if (BITS57 && l->kernel == 2 && l->stride == 2 && 32 % C == 0) {
		/* pairs of positions, word by word: every input word holds
		 * 64 / (2 C) whole pairs; OR each pair's halves, then pack the
		 * kept C-bit runs (doubling runs: 1 -> 2 -> ... -> 32 bits)
		 * into the word's 32 output bits */
		size_t nb = l->out_l * C, nw = (nb + 31) / 32, ns = 0;
		uint32_t *y32 = (uint32_t *)y;
		uint64_t m0 = 0, ms[5];

		for (size_t b = 0; b < 64; b += 2 * C)
			m0 |= low_mask(C) << b;
		for (size_t r = C; r < 32; r *= 2, ns++) {
			ms[ns] = 0;
			for (size_t b = 0; b < 64; b += 4 * r)
				ms[ns] |= low_mask(2 * r) << b;
		}
		for (size_t i = 0; i < nw; i++) {
			uint64_t z = (x[i] | x[i] >> C) & m0;

			for (size_t j = 0, r = C; j < ns; j++, r *= 2)
				z = (z | z >> r) & ms[j];
			if (32 * i + 32 > nb)
				z &= low_mask(nb - 32 * i);
			y32[i] = (uint32_t)z;
		}
		return;
	}
	if (BITS57 && C <= 57) {
		/* one load per tap; the last taps of a plane end inside it
		 * (MAXPOOL1D has no padding), so only their 8-byte load may
		 * need the slow fetch.  The outputs are collected in a
		 * register and each word of y is stored once: OR-ing every
		 * position into y in memory made a chain of store-to-load
		 * forwards. */
		uint64_t msk = low_mask(C), acc = 0, *yw = y;
		unsigned fill = 0;

		for (; t < l->out_l; t++) {
			size_t pos = t * l->stride * C, last = pos + (l->kernel - 1) * C;
			uint64_t v = 0;

			if (last / 8 + 8 > 8 * fin->W)
				break;
			for (size_t k = 0; k < l->kernel; k++)
				v |= ld57(x, pos + k * C);
			v &= msk;
			acc |= v << fill;
			if (fill + C >= 64) {
				*yw++ = acc;
				acc = fill ? v >> (64 - fill) : 0;
				fill = fill + (unsigned)C - 64;
			} else {
				fill += (unsigned)C;
			}
		}
		if (fill)
			*yw |= acc;
	}
	for (; t < l->out_l; t++) {
		memset(s->pool, 0, cw * 8);
		for (size_t k = 0; k < l->kernel; k++) {
			int64_t pos = (int64_t)((t * l->stride + k) * C);

			for (size_t w = 0; w < cw; w++)
				s->pool[w] |= ld_bits(x, fin->W,
						      pos + (int64_t)(64 * w));
		}
		or_bits(y, t * C, s->pool, C);
	}
}

/* ---- boundaries --------------------------------------------------------- */

void bnn__normalize_item(const bnn_input_desc *d, float *x)
{
	size_t C = d->channels, L = d->length;

	if (d->norm == BNN_INPUT_NORM_AFFINE) {
		for (size_t i = 0; i < C * L; i++)
			x[i] = (x[i] - d->norm_offset) / d->norm_scale;
	} else if (d->norm == BNN_INPUT_NORM_ZSCORE) {
		for (size_t c = 0; c < C; c++) {
			double sum = 0, var = 0, mean, sd;

			for (size_t t = 0; t < L; t++)
				sum += x[t * C + c];
			mean = sum / (double)L;
			for (size_t t = 0; t < L; t++) {
				double v = x[t * C + c] - mean;

				var += v * v;
			}
			sd = sqrt(var / (double)L);
			for (size_t t = 0; t < L; t++)
				x[t * C + c] = sd < 1e-9 ? 0.0f :
					       (float)((x[t * C + c] - mean) / sd);
		}
	}
}

static void load_items(const struct bnn__hnet *h, uint32_t b, const uint8_t *in,
		       size_t cnt, uint8_t *buf)
{
	const struct bfmt *f = &h->bf[b];

	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *src = in + i * f->iobytes;
		uint8_t *dst = buf + i * f->istride;

		if (f->vk == BNN_VALUES_FLOAT) {
			/* boundary 0: the signal floats, not the features */
			memcpy(dst, src, 4 * f->e);
			if (b == 0)
				bnn__normalize_item(&h->m->input, (float *)dst);
			continue;
		}
		memset(dst, 0, f->istride);
		if (f->vk == BNN_VALUES_BITS) {
			uint64_t *w = (uint64_t *)dst;

			for (size_t e = 0; e < (f->e + 7) / 8; e++)
				w[e / 8] |= (uint64_t)src[e] << (8 * (e % 8));
			if (f->e % 64)
				w[f->e / 64] &= low_mask(f->e % 64);
		} else {
			uint64_t *w = (uint64_t *)dst;

			for (size_t e = 0; e < f->e; e++)
				for (uint32_t p = 0; p < f->bits; p++)
					if (src[e] >> p & 1)
						set_bit(w + p * f->W, e);
		}
	}
}

static void store_items(const struct bnn__hnet *h, uint32_t b,
			const uint8_t *buf, size_t cnt, uint8_t *out)
{
	const struct bfmt *f = &h->bf[b];

	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *src = buf + i * f->istride;
		uint8_t *dst = out + i * f->iobytes;

		if (f->vk == BNN_VALUES_FLOAT) {
			memcpy(dst, src, 4 * f->e);
		} else if (f->vk == BNN_VALUES_BITS) {
			const uint64_t *w = (const uint64_t *)src;

			for (size_t e = 0; e < f->iobytes; e++)
				dst[e] = (uint8_t)(w[e / 8] >> (8 * (e % 8)));
		} else {
			const uint64_t *w = (const uint64_t *)src;

			memset(dst, 0, f->iobytes);
			for (size_t e = 0; e < f->e; e++)
				for (uint32_t p = 0; p < f->bits; p++)
					dst[e] |= (uint8_t)((w[p * f->W + e / 64] >>
							     (e % 64) & 1) << p);
		}
	}
}

/* ---- JOIN ----------------------------------------------------------------- */

/*
 * The input elements, then per feature and threshold (value >= thr): +1
 * (NaN: -1).  `user`: the cnt user items of the chunk.  out is zeroed for
 * bits by the caller.
 */
static void run_join(const struct bnn__hnet *h, const struct bfmt *fi,
		     const struct bfmt *fo, const uint8_t *in, uint8_t *out,
		     size_t cnt, const float *user)
{
	const struct bnn__signal *sg = &h->m->sig;
	size_t e = fi->e, feat0 = h->bf[0].e;

	for (size_t it = 0; it < cnt; it++) {
		const uint8_t *x = in + it * fi->istride;
		uint8_t *y = out + it * fo->istride;
		const float *v = user ? user + it * h->item_floats + feat0 : NULL;
		size_t pos = e;

		if (fi->vk == BNN_VALUES_BITS)
			memcpy(y, x, (e + 63) / 64 * 8);	/* bits past e are 0 */
		else
			memcpy(y, x, 4 * e);
		for (uint32_t f = 0; f < sg->nfeat; f++) {
			const float *thr = sg->thr + sg->thr_off[f];
			float val = v ? v[f] : NAN;

			if (fi->vk == BNN_VALUES_BITS) {
				/* thresholds strictly increase (model.c checks):
				 * the bits that are on are the first cnt */
				size_t cnt = 0;

				while (cnt < sg->nthr[f] && val >= thr[cnt])
					cnt++;	/* NaN: 0 */
				for (size_t b = 0; b < cnt; b += 64) {
					uint64_t ones = low_mask(cnt - b);

					or_bits((uint64_t *)y, pos + b, &ones,
						cnt - b < 64 ? cnt - b : 64);
				}
				pos += sg->nthr[f];
				continue;
			}
			for (uint32_t k = 0; k < sg->nthr[f]; k++, pos++)
				((float *)y)[pos] = val >= thr[k] ? 1.0f : -1.0f;
		}
	}
}

/* ---- driver ------------------------------------------------------------- */

static void run_layer(const struct bnn__hnet *h, struct bnn__hscratch *s,
		      uint32_t i, const uint8_t *in, uint8_t *out, size_t cnt,
		      const float *user)
{
	const struct bnn__layer *l = &h->m->layers[i];
	const struct hlayer *hl = &h->hl[i];
	const struct bfmt *fi = &h->bf[i], *fo = &h->bf[i + 1];

	if (fo->vk != BNN_VALUES_FLOAT)
		memset(out, 0, cnt * fo->istride);
	switch (l->kind) {
	case BNN_LAYER_DENSE:
		bnn__sgemm_nt((const float *)in, fi->istride / 4, cnt, l->w,
			      l->n, l->out_c, l->n, l->b, (float *)out,
			      fo->istride / 4);
		return;
	case BNN_LAYER_BDENSE:
		run_bdense(h, s, l, hl, fi, fo, in, out, cnt);
		return;
	case BNN_LAYER_FLATTEN:
		memcpy(out, in, cnt * fi->istride);	/* same layout */
		return;
	case BNN_LAYER_JOIN:
		run_join(h, fi, fo, in, out, cnt, user);
		return;
	default:
		break;
	}
	for (size_t it = 0; it < cnt; it++) {
		const uint8_t *x = in + it * fi->istride;
		uint8_t *y = out + it * fo->istride;

		if (l->kind == BNN_LAYER_CONV1D)
			run_conv(h, s, l, (const float *)x, (float *)y);
		else if (l->kind == BNN_LAYER_BCONV1D)
			run_bconv(h, s, l, hl, fi, (const uint64_t *)x, y);
		else if (l->kind == BNN_LAYER_MAXPOOL1D &&
			 l->in_vk == BNN_VALUES_BITS)
			run_bpool(s, l, fi, (const uint64_t *)x, (uint64_t *)y);
		else
			run_float_item(l, (const float *)x, y, fo->W);
	}
}

/*
 * QUANT then a BCONV1D in level space (layers i, i + 1): the levels go
 * from the floats straight into the convolution's expanded input, the
 * QUANT's bit planes are never formed.  Same levels (bnn__quant), same
 * sums, same bits.
 */
static void run_quant_lvl(const struct bnn__hnet *h, struct bnn__hscratch *s,
			  uint32_t i, const uint8_t *in, uint8_t *out,
			  size_t cnt)
{
	const struct bnn__layer *q = &h->m->layers[i], *l = q + 1;
	const struct hlayer *hl = &h->hl[i + 1];
	const struct bfmt *fi = &h->bf[i], *fo = &h->bf[i + 2];
	size_t O = l->out_c, T = l->out_l;

	memset(out, 0, cnt * fo->istride);
	for (size_t it = 0; it < cnt; it++) {
		bnn__lvl_expand_quant((const float *)(in + it * fi->istride),
				      q->qoffset, q->qscale, q->qbits, l->in_l,
				      l->in_c, O, l->pad, hl->vs, s->ve);
		bnn__lvl_conv(s->ve, hl->vs, l->in_c, l->kernel, O, hl->sg, T,
			      s->lvs);
		h->k->pack_ge(s->lvs, hl->thr_T, T * O,
			      (uint64_t *)(out + it * fo->istride));
	}
}

void bnn__hnet_run(const struct bnn__hnet *h, struct bnn__hscratch *s,
		   uint32_t first, uint32_t last, const void *in, size_t n,
		   void *out, const float *user)
{
	const uint8_t *src = in;
	uint8_t *dst = out;

	for (size_t i0 = 0; i0 < n; i0 += h->chunk) {
		size_t cnt = n - i0 < h->chunk ? n - i0 : h->chunk;
		int cur = 0;

		load_items(h, first, src + i0 * h->bf[first].iobytes, cnt,
			   s->buf[0]);
		for (uint32_t i = first; i < last; i++) {
			if (i + 1 < last && h->m->layers[i].kind == BNN_LAYER_QUANT &&
			    h->hl[i + 1].lvl) {
				run_quant_lvl(h, s, i, s->buf[cur],
					      s->buf[cur ^ 1], cnt);
				i++;
			} else {
				run_layer(h, s, i, s->buf[cur], s->buf[cur ^ 1],
					  cnt, user ? user + i0 * h->item_floats :
					  NULL);
			}
			cur ^= 1;
		}
		store_items(h, last, s->buf[cur], cnt,
			    dst + i0 * h->bf[last].iobytes);
	}
}
