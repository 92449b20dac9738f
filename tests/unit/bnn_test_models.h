/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn_test_models.h - libbnn unit tests: random models and a naive
 * reference evaluator written from the semantics (Documentation/
 * bnn-format.rst, rbnn-device.rst), element by element, in int64 for the
 * binary layers and double for the float ones.  Header-only (static).
 */
#ifndef BNN_TEST_MODELS_H
#define BNN_TEST_MODELS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bnn.h"
#include "model.h"

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t tm_state = 1;

static inline uint64_t tm_rand(void)
{
	uint64_t z = (tm_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline int tm_rnd(int lo, int hi)	/* inclusive */
{
	return lo + (int)(tm_rand() % (uint64_t)(hi - lo + 1));
}

static inline float tm_uniform(float lo, float hi)
{
	return lo + (hi - lo) * (float)((tm_rand() >> 11) * 0x1.0p-53);
}

/* ---- building ------------------------------------------------------------- */

static inline struct bnn_model *tm_new(uint32_t c, uint32_t l, uint32_t ncls)
{
	bnn_input_desc in;
	char names[16][8];
	const char *p[16];
	struct bnn_model *m = NULL;

	memset(&in, 0, sizeof(in));
	in.channels = c;
	in.length = l;
	in.sample_rate_hz = 360;
	in.norm_scale = 1.0f;
	for (uint32_t i = 0; i < ncls && i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "c%u", i);
		p[i] = names[i];
	}
	if (bnn__model_new(&in, ncls, p, "test", NULL, &m, NULL))
		abort();
	return m;
}

/*
 * Random rhythm features (nfeat distinct kinds, 1..6 thresholds each, all
 * multiples of 1/8, strictly increasing) and some preprocessing; before
 * any layer.  Returns bnn__model_set_signal's code.
 */
static inline int tm_add_signal(struct bnn_model *m, uint32_t nfeat)
{
	uint32_t kinds[BNN_FEATURES_MAX], nthr[BNN_FEATURES_MAX], used = 0;
	float thr[BNN_FEATURES_MAX * BNN_FEATURE_THR_MAX];
	uint32_t total = 0;

	for (uint32_t f = 0; f < nfeat; f++) {
		float t = (float)tm_rnd(-16, 16) / 8.0f;

		do
			kinds[f] = (uint32_t)tm_rnd(0, BNN_FEAT_COUNT - 1);
		while (used >> kinds[f] & 1);
		used |= 1u << kinds[f];
		nthr[f] = (uint32_t)tm_rnd(1, 6);
		for (uint32_t k = 0; k < nthr[f]; k++) {
			thr[total++] = t;
			t += (float)tm_rnd(1, 4) / 8.0f;
		}
	}
	return bnn__model_set_signal(m, (uint32_t)tm_rnd(0, 1),
				     tm_rnd(0, 1) ? 40.0f : 0.0f,
				     (uint32_t)tm_rnd(0, 1), nfeat, kinds, nthr,
				     thr, NULL);
}

/* Floats per user item. */
static inline size_t tm_item_floats(const struct bnn_model *m)
{
	return (size_t)m->input.channels * m->input.length + m->sig.nfeat;
}

/* Random feature values of n items (after each item's signal): mostly
 * exactly a threshold or next to one, some far off, some NaN. */
static inline void tm_features(const struct bnn_model *m, float *x, size_t n)
{
	size_t e = (size_t)m->input.channels * m->input.length;
	size_t stride = tm_item_floats(m);

	for (size_t i = 0; i < n; i++)
		for (uint32_t f = 0; f < m->sig.nfeat; f++) {
			const float *t = m->sig.thr + m->sig.thr_off[f];
			float v = t[tm_rnd(0, m->sig.nthr[f] - 1)];

			switch (tm_rnd(0, 5)) {
			case 0: v += 0.0625f; break;
			case 1: v -= 0.0625f; break;
			case 2: v = (float)tm_rnd(-40, 40) / 8.0f; break;
			case 3: v = tm_rnd(0, 3) ? v : NAN; break;
			default: break;	/* a tie */
			}
			x[i * stride + e + f] = v;
		}
}

/* Current output shape of m. */
static inline void tm_shape(const struct bnn_model *m, uint32_t *c,
			    uint32_t *l, int *vk, uint32_t *bits)
{
	if (!m->nlayers) {
		*c = m->input.channels;
		*l = m->input.length;
		*vk = BNN_VALUES_FLOAT;
		*bits = 32;
		return;
	}
	*c = m->layers[m->nlayers - 1].out_c;
	*l = m->layers[m->nlayers - 1].out_l;
	*vk = m->layers[m->nlayers - 1].out_vk;
	*bits = m->layers[m->nlayers - 1].out_bits;
}

static inline int tm_add_simple(struct bnn_model *m, uint32_t kind)
{
	struct bnn__layer l;

	memset(&l, 0, sizeof(l));
	l.kind = kind;
	return bnn__model_add(m, &l, NULL);
}

static inline int tm_add_quant(struct bnn_model *m, uint32_t k, float off,
			       float scale)
{
	struct bnn__layer l;

	memset(&l, 0, sizeof(l));
	l.kind = BNN_LAYER_QUANT;
	l.qbits = k;
	l.qoffset = off;
	l.qscale = scale;
	return bnn__model_add(m, &l, NULL);
}

static inline int tm_add_act(struct bnn_model *m, uint32_t act)
{
	struct bnn__layer l;

	memset(&l, 0, sizeof(l));
	l.kind = BNN_LAYER_ACT;
	l.act = act;
	return bnn__model_add(m, &l, NULL);
}

static inline int tm_add_pool(struct bnn_model *m, uint32_t k, uint32_t s)
{
	struct bnn__layer l;

	memset(&l, 0, sizeof(l));
	l.kind = BNN_LAYER_MAXPOOL1D;
	l.kernel = k;
	l.stride = s;
	return bnn__model_add(m, &l, NULL);
}

/* Binary layer with random weights and thresholds around 0. */
static inline int tm_add_binary(struct bnn_model *m, uint32_t kind,
				uint32_t out_c, uint32_t k, uint32_t s,
				uint32_t p, int scores)
{
	struct bnn__layer l;
	uint32_t c, len, bits, n, rb;
	int vk, rc;

	tm_shape(m, &c, &len, &vk, &bits);
	memset(&l, 0, sizeof(l));
	l.kind = kind;
	l.out_c = out_c;
	l.kernel = k;
	l.stride = s;
	l.pad = p;
	l.scores = (uint32_t)scores;
	n = kind == BNN_LAYER_BDENSE ? c : c * k;
	rb = (n + 7) / 8;
	l.bits = calloc((size_t)out_c * rb + 1, 1);
	for (uint32_t o = 0; o < out_c; o++)
		for (uint32_t j = 0; j < n; j++)
			if (tm_rand() & 1)
				l.bits[(size_t)o * rb + j / 8] |= (uint8_t)(1u << (j % 8));
	if (!scores) {
		int amp = bits > 1 && bits < 32 ? (1 << bits) : 1;
		int span = (int)(1.5 * sqrt((double)n) * amp) + 1;

		l.thr = malloc(sizeof(int32_t) * out_c);
		for (uint32_t o = 0; o < out_c; o++)
			l.thr[o] = tm_rnd(-span, span);
	}
	rc = bnn__model_add(m, &l, NULL);
	free(l.bits);
	free(l.thr);
	return rc;
}

/* Float CONV1D / DENSE / BATCHNORM with random parameters. */
static inline int tm_add_float(struct bnn_model *m, uint32_t kind,
			       uint32_t out_c, uint32_t k, uint32_t s,
			       uint32_t p)
{
	struct bnn__layer l;
	uint32_t c, len, bits;
	size_t nw, nb;
	int vk, rc;

	tm_shape(m, &c, &len, &vk, &bits);
	memset(&l, 0, sizeof(l));
	l.kind = kind;
	if (kind == BNN_LAYER_BATCHNORM) {
		nw = nb = c;
	} else {
		l.out_c = out_c;
		l.kernel = k;
		l.stride = s;
		l.pad = p;
		nw = (size_t)out_c * (kind == BNN_LAYER_DENSE ? c : c * k);
		nb = out_c;
	}
	l.w = malloc(nw * sizeof(float));
	l.b = malloc(nb * sizeof(float));
	/* Dyadic values: float sums are exact, so the reference (double)
	 * must agree exactly, including the SIGN decisions after them. */
	for (size_t i = 0; i < nw; i++)
		l.w[i] = (float)tm_rnd(-8, 8) / 8.0f;
	for (size_t i = 0; i < nb; i++)
		l.b[i] = (float)tm_rnd(-4, 4) / 4.0f;
	rc = bnn__model_add(m, &l, NULL);
	free(l.w);
	free(l.b);
	return rc;
}

/*
 * A random fully binarized 1-D CNN: QUANT (k bits) or SIGN, BCONV1D
 * (random kernel/stride/pad), optional MAXPOOL1D, BCONV1D, FLATTEN,
 * [JOIN of nfeat rhythm features], BDENSE (bits), BDENSE (scores).
 */
static inline struct bnn_model *tm_random_binary_feat(uint32_t qbits,
						      uint32_t nfeat)
{
	uint32_t c = (uint32_t)tm_rnd(1, 3), len = (uint32_t)tm_rnd(8, 40);
	uint32_t ncls = (uint32_t)tm_rnd(2, 6), k, p;
	struct bnn_model *m = tm_new(c, len, ncls);
	uint32_t cc, ll, bits;
	int vk;

	if (nfeat && tm_add_signal(m, nfeat))
		abort();

	if (qbits > 1) {
		/* Inputs are offset + q * scale with scale a power of 2. */
		if (tm_add_quant(m, qbits, -1.0f, 0.125f))
			abort();
	} else if (tm_add_simple(m, BNN_LAYER_SIGN)) {
		abort();
	}
	k = (uint32_t)tm_rnd(1, 7);
	p = (uint32_t)tm_rnd(0, (int)k - 1);
	if (tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(1, 40), k,
			  (uint32_t)tm_rnd(1, 3), p, 0))
		abort();
	tm_shape(m, &cc, &ll, &vk, &bits);
	if (ll >= 2 && tm_rnd(0, 1))
		if (tm_add_pool(m, (uint32_t)tm_rnd(1, 2), (uint32_t)tm_rnd(1, 2)))
			abort();
	tm_shape(m, &cc, &ll, &vk, &bits);
	k = (uint32_t)tm_rnd(1, ll < 5 ? (int)ll : 5);
	p = (uint32_t)tm_rnd(0, (int)k - 1);
	if (tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(1, 70), k,
			  (uint32_t)tm_rnd(1, 2), p, 0))
		abort();
	if (tm_add_simple(m, BNN_LAYER_FLATTEN))
		abort();
	if (nfeat && tm_add_simple(m, BNN_LAYER_JOIN))
		abort();
	if (tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(1, 80), 0, 0,
			  0, 0))
		abort();
	if (tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1))
		abort();
	if (bnn__model_finish(m, NULL))
		abort();
	return m;
}

static inline struct bnn_model *tm_random_binary(uint32_t qbits)
{
	return tm_random_binary_feat(qbits, 0);
}

/* Random input items (tm_item_floats each) for a model starting with
 * QUANT(off -1, scale 1/8) or SIGN: values exactly representable, some
 * exactly on ties; features as tm_features. */
static inline void tm_inputs(const struct bnn_model *m, float *x, size_t n)
{
	size_t e = (size_t)m->input.channels * m->input.length;
	size_t stride = tm_item_floats(m);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < e; j++) {
			if (m->layers[0].kind == BNN_LAYER_QUANT)
				x[i * stride + j] = -1.0f + 0.0625f *
						    (float)tm_rnd(-8, 600);
			else
				x[i * stride + j] = (float)tm_rnd(-4, 4) * 0.5f;
		}
	tm_features(m, x, n);
}

/* ---- naive reference evaluator ------------------------------------------- */

/* Values in double: floats as is, bits as +-1, quant as 2q - (2^k - 1).
 * item: tm_item_floats floats (the features after the signal). */
static inline void tm_ref_eval(const struct bnn_model *m, const float *item,
			       double *out)
{
	size_t e0 = (size_t)m->input.channels * m->input.length;
	double *x = malloc(sizeof(double) * (e0 + 1));
	size_t C = m->input.channels, L = m->input.length;

	for (size_t i = 0; i < e0; i++)
		x[i] = item[i];
	if (m->input.norm == BNN_INPUT_NORM_AFFINE) {
		for (size_t i = 0; i < e0; i++)
			x[i] = (float)((float)x[i] - m->input.norm_offset) /
			       m->input.norm_scale;
	} else if (m->input.norm == BNN_INPUT_NORM_ZSCORE) {
		for (size_t c = 0; c < C; c++) {
			double s = 0, v = 0, mu, sd;

			for (size_t t = 0; t < L; t++)
				s += x[t * C + c];
			mu = s / (double)L;
			for (size_t t = 0; t < L; t++)
				v += (x[t * C + c] - mu) * (x[t * C + c] - mu);
			sd = sqrt(v / (double)L);
			for (size_t t = 0; t < L; t++)
				x[t * C + c] = sd < 1e-9 ? 0 : (float)((x[t * C + c] - mu) / sd);
		}
	}
	for (uint32_t li = 0; li < m->nlayers; li++) {
		const struct bnn__layer *l = &m->layers[li];
		size_t Ci = l->in_c, Li = l->in_l, Co = l->out_c, Lo = l->out_l;
		double *y = malloc(sizeof(double) * (Co * Lo + 1));

		for (size_t t = 0; t < Lo; t++)
			for (size_t o = 0; o < Co; o++) {
				double *dst = &y[t * Co + o];

				switch (l->kind) {
				case BNN_LAYER_CONV1D:
				case BNN_LAYER_DENSE:
				case BNN_LAYER_BCONV1D:
				case BNN_LAYER_BDENSE: {
					double s = 0;
					int64_t si = 0;
					int bin = l->kind == BNN_LAYER_BCONV1D ||
						  l->kind == BNN_LAYER_BDENSE;

					for (size_t j = 0; j < l->n; j++) {
						size_t ee = j;

						if (l->kind == BNN_LAYER_CONV1D ||
						    l->kind == BNN_LAYER_BCONV1D) {
							int64_t pos = (int64_t)(t * l->stride) -
								      (int64_t)l->pad +
								      (int64_t)(j / Ci);

							if (pos < 0 || pos >= (int64_t)Li)
								continue;
							ee = (size_t)pos * Ci + j % Ci;
						}
						if (bin) {
							int wb = l->bits[o * l->row_bytes + j / 8] >> (j % 8) & 1;

							si += (wb ? 1 : -1) * (int64_t)x[ee];
						} else {
							s += (double)l->w[o * l->n + j] * x[ee];
						}
					}
					if (!bin)
						*dst = s + l->b[o];
					else if (l->scores)
						*dst = (double)(float)(si > INT32_MAX ? INT32_MAX :
								      si < INT32_MIN ? INT32_MIN : si);
					else
						*dst = si >= l->thr[o] ? 1 : -1;
					break;
				}
				case BNN_LAYER_BATCHNORM:
					*dst = x[t * Ci + o] * l->w[o] + l->b[o];
					break;
				case BNN_LAYER_ACT: {
					double v = x[t * Ci + o];

					*dst = l->act == BNN__ACT_RELU ? (v > 0 ? v : 0) :
					       v < -1 ? -1 : v > 1 ? 1 : v;
					break;
				}
				case BNN_LAYER_SIGN:
					*dst = (float)x[t * Ci + o] >= 0 ? 1 : -1;
					break;
				case BNN_LAYER_QUANT: {
					float d = ((float)x[t * Ci + o] - l->qoffset) / l->qscale;
					float qm = (float)((1u << l->qbits) - 1);
					float q = !(d > 0) ? 0 : d >= qm ? qm : roundf(d);

					*dst = 2.0 * q - qm;
					break;
				}
				case BNN_LAYER_MAXPOOL1D: {
					double v = -INFINITY;

					for (size_t k = 0; k < l->kernel; k++) {
						double a = x[(t * l->stride + k) * Ci + o];

						if (a > v)
							v = a;
					}
					*dst = v;
					break;
				}
				case BNN_LAYER_FLATTEN:
					*dst = x[o];
					break;
				case BNN_LAYER_JOIN: {
					size_t a, f = 0;

					if (o < Ci * Li) {
						*dst = x[o];
						break;
					}
					a = o - Ci * Li;
					while (a >= m->sig.nthr[f])
						a -= m->sig.nthr[f++];
					*dst = (double)item[e0 + f] >=
					       (double)m->sig.thr[m->sig.thr_off[f] + a] ?
					       1 : -1;
					break;
				}
				case BNN_LAYER_GLOBAL_AVGPOOL:
				case BNN_LAYER_GLOBAL_MAXPOOL: {
					double s = 0, v = -INFINITY;

					for (size_t k = 0; k < Li; k++) {
						s += x[k * Ci + o];
						if (x[k * Ci + o] > v)
							v = x[k * Ci + o];
					}
					*dst = l->kind == BNN_LAYER_GLOBAL_MAXPOOL ? v :
					       s / (double)Li;
					break;
				}
				}
			}
		free(x);
		x = y;
	}
	memcpy(out, x, sizeof(double) * m->nclasses);
	free(x);
}

#endif /* BNN_TEST_MODELS_H */
