// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * model.c - libbnn: model builder, shape chaining and validation, model
 * information (memory footprint), class names.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------ */

int bnn__fail(bnn_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int bnn__prefix(bnn_error *err, int code, const char *fmt, ...)
{
	char pre[BNN_ERRMSG_MAX], tmp[BNN_ERRMSG_MAX];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	{
		size_t a = strlen(pre), b = strlen(err->msg);

		if (a > sizeof(tmp) - 3)
			a = sizeof(tmp) - 3;
		if (b > sizeof(tmp) - 3 - a)
			b = sizeof(tmp) - 3 - a;
		memcpy(tmp, pre, a);
		memcpy(tmp + a, ": ", 2);
		memcpy(tmp + a + 2, err->msg, b);
		tmp[a + 2 + b] = '\0';
	}
	memcpy(err->msg, tmp, sizeof(tmp));
	return err->code;
}

const char *bnn_version(void)
{
#define BNN__STR2(x) #x
#define BNN__STR(x) BNN__STR2(x)
	return BNN__STR(BNN_VERSION_MAJOR) "." BNN__STR(BNN_VERSION_MINOR) "."
		BNN__STR(BNN_VERSION_PATCH);
}

const char *bnn_layer_kind_name(int kind)
{
	static const char *const names[] = {
		[BNN_LAYER_CONV1D] = "conv1d",
		[BNN_LAYER_DENSE] = "dense",
		[BNN_LAYER_BATCHNORM] = "batchnorm",
		[BNN_LAYER_SIGN] = "sign",
		[BNN_LAYER_QUANT] = "quant",
		[BNN_LAYER_BCONV1D] = "bconv1d",
		[BNN_LAYER_BDENSE] = "bdense",
		[BNN_LAYER_MAXPOOL1D] = "maxpool1d",
		[BNN_LAYER_FLATTEN] = "flatten",
		[BNN_LAYER_GLOBAL_AVGPOOL] = "global_avgpool",
		[BNN_LAYER_GLOBAL_MAXPOOL] = "global_maxpool",
		[BNN_LAYER_ACT] = "act",
		[BNN_LAYER_JOIN] = "join",
	};

	if (kind < 1 || kind > BNN_LAYER_JOIN)
		return "?";
	return names[kind];
}

/* ---- text -------------------------------------------------------------- */

int bnn__utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;

	while (p < e) {
		unsigned c = *p++, need, cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(e - p) < need)
			return 0;
		for (unsigned i = 0; i < need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		p += need;
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
	}
	return 1;
}

static char *dupn(const char *s, size_t n)
{
	char *d = bnn__malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- model ------------------------------------------------------------- */

static void layer_free(struct bnn__layer *l)
{
	free(l->w);
	free(l->b);
	free(l->bits);
	free(l->thr);
}

void bnn_model_free(bnn_model *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nlayers; i++)
		layer_free(&m->layers[i]);
	free(m->layers);
	if (m->classes)
		for (uint32_t i = 0; i < m->nclasses; i++)
			free(m->classes[i]);
	free(m->classes);
	free(m->name);
	free(m->desc);
	free(m->sig.thr);
	free(m->leads);
	free(m->offsets);
	free(m);
}

static int check_input(const bnn_input_desc *in, bnn_error *err)
{
	size_t ll;

	if (in->channels < 1 || in->channels > BNN__MAX_CHANNELS)
		return bnn__fail(err, BNN_E_RANGE,
				 "input: channels %u not in 1..%u",
				 in->channels, BNN__MAX_CHANNELS);
	if (in->length < 1 || in->length > BNN__MAX_LENGTH)
		return bnn__fail(err, BNN_E_RANGE,
				 "input: length %u not in 1..%u", in->length,
				 BNN__MAX_LENGTH);
	if ((uint64_t)in->channels * in->length > BNN__MAX_ELEMS)
		return bnn__fail(err, BNN_E_RANGE,
				 "input: %u x %u elements exceed %u",
				 in->length, in->channels, BNN__MAX_ELEMS);
	if (!isfinite(in->sample_rate_hz) || in->sample_rate_hz < 0 ||
	    in->sample_rate_hz > 1e9)
		return bnn__fail(err, BNN_E_RANGE,
				 "input: sample rate %g Hz not in 0..1e9",
				 in->sample_rate_hz);
	switch (in->norm) {
	case BNN_INPUT_NORM_NONE:
	case BNN_INPUT_NORM_ZSCORE:
		if (in->norm_offset != 0.0f || in->norm_scale != 1.0f ||
		    signbit(in->norm_offset))
			return bnn__fail(err, BNN_E_CORRUPT,
					 "input: normalisation offset/scale must be 0/1 unless affine");
		break;
	case BNN_INPUT_NORM_AFFINE:
		if (!isfinite(in->norm_offset) || !isfinite(in->norm_scale) ||
		    in->norm_scale == 0.0f)
			return bnn__fail(err, BNN_E_RANGE,
					 "input: affine normalisation needs a finite offset and a finite non-zero scale");
		break;
	default:
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "input: unknown normalisation kind %d",
				 in->norm);
	}
	if ((in->beat_pre || in->beat_post) &&
	    (uint64_t)in->beat_pre + in->beat_post != in->length)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "input: beat window %u + %u samples differs from length %u",
				 in->beat_pre, in->beat_post, in->length);
	ll = strnlen(in->lead, BNN_LEAD_MAX);
	if (ll >= BNN_LEAD_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "input: lead name longer than %d bytes",
				 BNN_LEAD_MAX - 1);
	if (!bnn__utf8_ok(in->lead, ll))
		return bnn__fail(err, BNN_E_CORRUPT,
				 "input: lead name is not printable UTF-8");
	return BNN_OK;
}

int bnn__model_new(const bnn_input_desc *in, uint32_t nclasses,
		   const char *const *classes, const char *name,
		   const char *desc, struct bnn_model **out, bnn_error *err)
{
	struct bnn_model *m;
	int rc;

	if (!out)
		return bnn__fail(err, BNN_E_INVAL, "NULL output");
	*out = NULL;
	if (!in || (nclasses && !classes))
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	rc = check_input(in, err);
	if (rc)
		return rc;
	if (nclasses < 1 || nclasses > BNN__MAX_CLASSES)
		return bnn__fail(err, BNN_E_RANGE, "classes: count %u not in 1..%u",
				 nclasses, BNN__MAX_CLASSES);
	if (!name)
		name = "";
	if (!desc)
		desc = "";
	if (strlen(name) > BNN__NAME_MAX || !bnn__utf8_ok(name, strlen(name)))
		return bnn__fail(err, BNN_E_RANGE,
				 "meta: model name longer than %u bytes or not printable UTF-8",
				 BNN__NAME_MAX);
	if (strlen(desc) > BNN__DESC_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "meta: description longer than %u bytes",
				 BNN__DESC_MAX);
	for (const char *p = desc; *p; p++)	/* allow newlines and tabs */
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			return bnn__fail(err, BNN_E_CORRUPT,
					 "meta: control character in the description");
	{
		/* Check UTF-8 line by line without the allowed controls. */
		const char *p = desc;

		while (*p) {
			size_t k = strcspn(p, "\n\t");

			if (!bnn__utf8_ok(p, k))
				return bnn__fail(err, BNN_E_CORRUPT,
						 "meta: description is not UTF-8");
			p += k;
			if (*p)
				p++;
		}
	}
	for (uint32_t i = 0; i < nclasses; i++) {
		size_t len;

		if (!classes[i])
			return bnn__fail(err, BNN_E_INVAL, "class %u: NULL name", i);
		len = strlen(classes[i]);
		if (len < 1 || len > BNN__CLASS_NAME_MAX)
			return bnn__fail(err, BNN_E_RANGE,
					 "class %u: name length %zu not in 1..%u",
					 i, len, BNN__CLASS_NAME_MAX);
		if (!bnn__utf8_ok(classes[i], len))
			return bnn__fail(err, BNN_E_CORRUPT,
					 "class %u: name is not printable UTF-8", i);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(classes[i], classes[j]))
				return bnn__fail(err, BNN_E_CORRUPT,
						 "class %u: name \"%s\" repeats class %u",
						 i, classes[i], j);
	}
	m = bnn__calloc(1, sizeof(*m));
	if (!m)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	m->input = *in;
	memset(m->input.lead, 0, sizeof(m->input.lead));
	memcpy(m->input.lead, in->lead, strlen(in->lead));
	m->name = dupn(name, strlen(name));
	m->desc = dupn(desc, strlen(desc));
	m->classes = bnn__calloc(nclasses, sizeof(char *));
	if (!m->name || !m->desc || !m->classes)
		goto nomem;
	m->nclasses = nclasses;
	for (uint32_t i = 0; i < nclasses; i++) {
		m->classes[i] = dupn(classes[i], strlen(classes[i]));
		if (!m->classes[i])
			goto nomem;
	}
	*out = m;
	return BNN_OK;
nomem:
	bnn_model_free(m);
	return bnn__fail(err, BNN_E_NOMEM, "out of memory");
}

/* ---- signal section ---------------------------------------------------- */

int bnn__model_set_signal(struct bnn_model *m, uint32_t baseline,
			  float lowpass_hz, uint32_t amp_norm,
			  uint32_t nfeatures, const uint32_t *kinds,
			  const uint32_t *nthr, const float *thr,
			  bnn_error *err)
{
	struct bnn__signal sg;
	uint32_t seen = 0, total = 0;
	double rate;

	if (!m || (nfeatures && (!kinds || !nthr || !thr)))
		return bnn__fail(err, BNN_E_INVAL, "signal: NULL argument");
	if (m->nlayers)
		return bnn__fail(err, BNN_E_INVAL,
				 "signal: must be set before the layers");
	rate = m->input.sample_rate_hz;
	if (baseline > BNN_BASELINE_MEDIAN)
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "signal: unknown baseline %u", baseline);
	if (amp_norm > BNN_AMP_QRS)
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "signal: unknown amp_norm %u", amp_norm);
	if (lowpass_hz == 0.0f && signbit(lowpass_hz))
		return bnn__fail(err, BNN_E_CORRUPT, "signal: lowpass_hz is -0");
	if (lowpass_hz != 0.0f &&
	    (!isfinite(lowpass_hz) || !(lowpass_hz > 0) || !(rate > 0) ||
	     !((double)lowpass_hz < rate / 2)))
		return bnn__fail(err, BNN_E_RANGE,
				 "signal: lowpass_hz %g not in (0, %g) (half the input sample rate, which must be given)",
				 (double)lowpass_hz, rate / 2);
	if (nfeatures > BNN_FEATURES_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "signal: nfeatures %u not in 0..%u", nfeatures,
				 BNN_FEATURES_MAX);
	memset(&sg, 0, sizeof(sg));
	for (uint32_t f = 0; f < nfeatures; f++) {
		const char *kn = bnn_feature_name((int)kinds[f]);

		if (kinds[f] >= BNN_FEAT_COUNT)
			return bnn__fail(err, BNN_E_UNSUPPORTED,
					 "signal: feature %u: unknown kind %u",
					 f, kinds[f]);
		if (seen >> kinds[f] & 1)
			return bnn__fail(err, BNN_E_CORRUPT,
					 "signal: feature %u: kind %s repeats an earlier feature",
					 f, kn);
		seen |= 1u << kinds[f];
		if (nthr[f] < 1 || nthr[f] > BNN_FEATURE_THR_MAX)
			return bnn__fail(err, BNN_E_RANGE,
					 "signal: feature %u (%s): nthr %u not in 1..%u",
					 f, kn, nthr[f], BNN_FEATURE_THR_MAX);
		for (uint32_t k = 0; k < nthr[f]; k++) {
			float t = thr[total + k];

			if (!isfinite(t))
				return bnn__fail(err, BNN_E_RANGE,
						 "signal: feature %u (%s): threshold %u is not finite",
						 f, kn, k);
			if (k && !(t > thr[total + k - 1]))
				return bnn__fail(err, BNN_E_CORRUPT,
						 "signal: feature %u (%s): threshold %u (%g) not above threshold %u (%g): thresholds must be strictly increasing",
						 f, kn, k, (double)t, k - 1,
						 (double)thr[total + k - 1]);
		}
		sg.kind[f] = (uint16_t)kinds[f];
		sg.nthr[f] = (uint16_t)nthr[f];
		sg.thr_off[f] = total;
		total += nthr[f];
	}
	if (total > BNN__MAX_AUX_BITS)	/* 64 x 64 at most: never */
		return bnn__fail(err, BNN_E_RANGE,
				 "signal: %u thresholds exceed %u", total,
				 BNN__MAX_AUX_BITS);
	sg.baseline = baseline;
	sg.lowpass_hz = lowpass_hz;
	sg.amp_norm = amp_norm;
	sg.nfeat = nfeatures;
	sg.aux_bits = total;
	sg.ref_beats = m->sig.ref_beats;
	sg.present = baseline || lowpass_hz != 0.0f || amp_norm || nfeatures ||
		     sg.ref_beats;
	if (total) {
		sg.thr = bnn__malloc((size_t)total * sizeof(float));
		if (!sg.thr)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		memcpy(sg.thr, thr, (size_t)total * sizeof(float));
	}
	free(m->sig.thr);
	m->sig = sg;
	return BNN_OK;
}

int bnn__model_set_ref_beats(struct bnn_model *m, uint32_t k, bnn_error *err)
{
	if (!m)
		return bnn__fail(err, BNN_E_INVAL, "signal: NULL argument");
	if (m->nlayers)
		return bnn__fail(err, BNN_E_INVAL,
				 "signal: must be set before the layers");
	if (k > BNN_REF_BEATS_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "signal: beat reference of %u beats not in 0..%u",
				 k, BNN_REF_BEATS_MAX);
	m->sig.ref_beats = k;
	m->sig.present = m->sig.baseline || m->sig.lowpass_hz != 0.0f ||
			 m->sig.amp_norm || m->sig.nfeat || k;
	return BNN_OK;
}

size_t bnn__item_floats(const struct bnn_model *m)
{
	return (size_t)m->input.channels * m->input.length + m->sig.nfeat;
}

int bnn_model_signal_get(const bnn_model *m, bnn_signal_desc *out)
{
	bnn_signal_desc d;
	uint32_t size;

	if (!m || !out || out->size < sizeof(uint32_t))
		return BNN_E_INVAL;
	size = out->size;
	memset(&d, 0, sizeof(d));
	d.baseline = (int)m->sig.baseline;
	d.lowpass_hz = m->sig.lowpass_hz;
	d.amp_norm = (int)m->sig.amp_norm;
	d.ref_beats = m->sig.ref_beats;
	d.nfeatures = m->sig.nfeat;
	d.aux_bits = m->sig.aux_bits;
	d.item_floats = (uint32_t)bnn__item_floats(m);
	d.size = size;
	memcpy(out, &d, size < sizeof(d) ? size : sizeof(d));
	return BNN_OK;
}

int bnn_model_feature_get(const bnn_model *m, uint32_t i, int *kind,
			  uint32_t *nthr, const float **thr)
{
	if (!m || i >= m->sig.nfeat)
		return BNN_E_INVAL;
	if (kind)
		*kind = m->sig.kind[i];
	if (nthr)
		*nthr = m->sig.nthr[i];
	if (thr)
		*thr = m->sig.thr + m->sig.thr_off[i];
	return BNN_OK;
}

/* ---- layers ------------------------------------------------------------ */

static int is_binary(uint32_t kind)
{
	return kind == BNN_LAYER_BCONV1D || kind == BNN_LAYER_BDENSE;
}

uint64_t bnn__layer_nw(const struct bnn__layer *l)
{
	switch (l->kind) {
	case BNN_LAYER_CONV1D:
	case BNN_LAYER_DENSE:
		return (uint64_t)l->out_c * l->n;
	case BNN_LAYER_BATCHNORM:
		return l->in_c;
	default:
		return 0;
	}
}

uint64_t bnn__layer_nb(const struct bnn__layer *l)
{
	switch (l->kind) {
	case BNN_LAYER_CONV1D:
	case BNN_LAYER_DENSE:
		return l->out_c;
	case BNN_LAYER_BATCHNORM:
		return l->in_c;
	default:
		return 0;
	}
}

#define LFAIL(code, ...) \
	bnn__prefix((bnn__fail(err, code, __VA_ARGS__), err), code, \
		    "layer %u (%s)", index, bnn_layer_kind_name((int)l->kind))

/* Window of CONV1D / BCONV1D / MAXPOOL1D: sets out_l. */
static int derive_window(struct bnn__layer *l, uint32_t index, uint32_t len,
			 bnn_error *err)
{
	uint64_t span = (uint64_t)len + 2ull * l->pad;

	if (l->kernel < 1 || l->kernel > BNN__MAX_WINDOW)
		return LFAIL(BNN_E_RANGE, "kernel %u not in 1..%u", l->kernel,
			     BNN__MAX_WINDOW);
	if (l->stride < 1 || l->stride > BNN__MAX_WINDOW)
		return LFAIL(BNN_E_RANGE, "stride %u not in 1..%u", l->stride,
			     BNN__MAX_WINDOW);
	if (l->pad >= l->kernel)
		return LFAIL(BNN_E_RANGE, "pad %u must be less than kernel %u",
			     l->pad, l->kernel);
	if (span < l->kernel)
		return LFAIL(BNN_E_RANGE,
			     "kernel %u longer than the padded input (%llu)",
			     l->kernel, (unsigned long long)span);
	l->out_l = (uint32_t)((span - l->kernel) / l->stride + 1);
	return BNN_OK;
}

int bnn__layer_derive(struct bnn__layer *l, uint32_t index, int vk,
		      uint32_t bits, uint32_t c, uint32_t len, bnn_error *err)
{
	int rc;
	uint64_t elems;

	l->in_c = c;
	l->in_l = len;
	l->in_vk = vk;
	l->in_bits = bits;
	l->n = 0;
	l->row_bytes = 0;
	l->out_vk = vk;
	l->out_bits = bits;

	/* Fields a kind does not use must be zero. */
	{
		int uses_out = l->kind == BNN_LAYER_CONV1D ||
			       l->kind == BNN_LAYER_DENSE || is_binary(l->kind);
		int uses_win = l->kind == BNN_LAYER_CONV1D ||
			       l->kind == BNN_LAYER_BCONV1D ||
			       l->kind == BNN_LAYER_MAXPOOL1D;

		if (l->kind < BNN_LAYER_CONV1D || l->kind > BNN_LAYER_JOIN)
			return LFAIL(BNN_E_UNSUPPORTED, "unknown layer kind %u",
				     l->kind);
		if (l->kind != BNN_LAYER_JOIN && l->aux)
			return LFAIL(BNN_E_CORRUPT, "appended bits must be 0");
		if (!uses_out && l->out_c)
			return LFAIL(BNN_E_CORRUPT, "out_channels must be 0");
		if (!uses_win && (l->kernel || l->stride || l->pad))
			return LFAIL(BNN_E_CORRUPT,
				     "kernel, stride and pad must be 0");
		if (l->kind == BNN_LAYER_MAXPOOL1D && l->pad)
			return LFAIL(BNN_E_CORRUPT, "pad must be 0");
		if (!is_binary(l->kind) && l->scores)
			return LFAIL(BNN_E_CORRUPT, "only binary layers output scores");
		if (l->kind != BNN_LAYER_QUANT &&
		    (l->qbits || l->qoffset != 0.0f || l->qscale != 0.0f ||
		     signbit(l->qoffset) || signbit(l->qscale)))
			return LFAIL(BNN_E_CORRUPT,
				     "quantiser fields must be 0");
		if (l->kind != BNN_LAYER_ACT && l->act)
			return LFAIL(BNN_E_CORRUPT, "activation must be 0");
	}

	switch (l->kind) {
	case BNN_LAYER_CONV1D:
	case BNN_LAYER_BCONV1D:
	case BNN_LAYER_DENSE:
	case BNN_LAYER_BDENSE:
		if (l->kind == BNN_LAYER_CONV1D || l->kind == BNN_LAYER_DENSE) {
			if (vk != BNN_VALUES_FLOAT)
				return LFAIL(BNN_E_CORRUPT,
					     "needs a float input (got %s)",
					     vk == BNN_VALUES_BITS ? "bits" : "quantised values");
		} else if (vk == BNN_VALUES_FLOAT) {
			return LFAIL(BNN_E_CORRUPT,
				     "needs a bit or quantised input (add SIGN or QUANT)");
		}
		if (l->out_c < 1 || l->out_c > BNN__MAX_CHANNELS)
			return LFAIL(BNN_E_RANGE, "out_channels %u not in 1..%u",
				     l->out_c, BNN__MAX_CHANNELS);
		if (l->kind == BNN_LAYER_DENSE || l->kind == BNN_LAYER_BDENSE) {
			if (len != 1)
				return LFAIL(BNN_E_CORRUPT,
					     "input length %u must be 1 (FLATTEN first)",
					     len);
			l->out_l = 1;
			l->n = c;
		} else {
			rc = derive_window(l, index, len, err);
			if (rc)
				return rc;
			if ((uint64_t)c * l->kernel > BNN__MAX_FANIN)
				return LFAIL(BNN_E_RANGE,
					     "fan-in %u x %u exceeds %u", c,
					     l->kernel, BNN__MAX_FANIN);
			l->n = c * l->kernel;
		}
		if ((uint64_t)l->out_c * l->n > BNN__MAX_PARAMS)
			return LFAIL(BNN_E_RANGE, "%u x %u weights exceed %llu",
				     l->out_c, l->n,
				     (unsigned long long)BNN__MAX_PARAMS);
		if (is_binary(l->kind)) {
			l->row_bytes = (l->n + 7) / 8;
			l->out_vk = l->scores ? BNN_VALUES_FLOAT : BNN_VALUES_BITS;
			l->out_bits = l->scores ? 32 : 1;
		} else {
			l->out_vk = BNN_VALUES_FLOAT;
			l->out_bits = 32;
		}
		c = l->out_c;
		len = l->out_l;
		break;
	case BNN_LAYER_BATCHNORM:
	case BNN_LAYER_ACT:
	case BNN_LAYER_SIGN:
	case BNN_LAYER_QUANT:
	case BNN_LAYER_GLOBAL_AVGPOOL:
	case BNN_LAYER_GLOBAL_MAXPOOL:
		if (vk != BNN_VALUES_FLOAT)
			return LFAIL(BNN_E_CORRUPT, "needs a float input");
		l->out_l = len;
		if (l->kind == BNN_LAYER_SIGN) {
			l->out_vk = BNN_VALUES_BITS;
			l->out_bits = 1;
		} else if (l->kind == BNN_LAYER_QUANT) {
			if (l->qbits < 2 || l->qbits > BNN__MAX_QBITS)
				return LFAIL(BNN_E_RANGE, "bits %u not in 2..%u",
					     l->qbits, BNN__MAX_QBITS);
			l->out_vk = BNN_VALUES_QUANT;
			l->out_bits = l->qbits;
		} else if (l->kind == BNN_LAYER_ACT) {
			if (l->act > BNN__ACT_HARDTANH)
				return LFAIL(BNN_E_UNSUPPORTED,
					     "unknown activation %u", l->act);
		} else if (l->kind == BNN_LAYER_GLOBAL_AVGPOOL ||
			   l->kind == BNN_LAYER_GLOBAL_MAXPOOL) {
			l->out_l = 1;
		}
		len = l->out_l;
		break;
	case BNN_LAYER_MAXPOOL1D:
		if (vk == BNN_VALUES_QUANT)
			return LFAIL(BNN_E_CORRUPT,
				     "needs a float or bit input");
		rc = derive_window(l, index, len, err);
		if (rc)
			return rc;
		len = l->out_l;
		break;
	case BNN_LAYER_FLATTEN:
		c = c * len;	/* <= BNN__MAX_ELEMS */
		len = 1;
		l->out_l = 1;
		break;
	case BNN_LAYER_JOIN:
		if (vk == BNN_VALUES_QUANT)
			return LFAIL(BNN_E_CORRUPT,
				     "needs a float or bit input (got quantised values)");
		if (!l->aux)
			return LFAIL(BNN_E_CORRUPT,
				     "the model has no rhythm features to join (signal section)");
		c = c * len + l->aux;	/* <= 2^22 + 4096: checked below */
		len = 1;
		l->out_l = 1;
		break;
	}
	elems = (uint64_t)c * len;
	if (c > BNN__MAX_ELEMS || elems > BNN__MAX_ELEMS)
		return LFAIL(BNN_E_RANGE, "output %u x %u exceeds %u elements",
			     len, c, BNN__MAX_ELEMS);
	if (l->kind == BNN_LAYER_FLATTEN || l->kind == BNN_LAYER_MAXPOOL1D ||
	    (!is_binary(l->kind) && l->kind != BNN_LAYER_CONV1D &&
	     l->kind != BNN_LAYER_DENSE))
		l->out_c = 0;	/* kept 0 in the struct; see out channels */
	return BNN_OK;
}

/* Output channels of a derived layer. */
static uint32_t out_channels(const struct bnn__layer *l)
{
	switch (l->kind) {
	case BNN_LAYER_FLATTEN:
		return l->in_c * l->in_l;
	case BNN_LAYER_JOIN:
		return l->in_c * l->in_l + l->aux;
	case BNN_LAYER_CONV1D:
	case BNN_LAYER_DENSE:
	case BNN_LAYER_BCONV1D:
	case BNN_LAYER_BDENSE:
		return l->out_c;
	default:
		return l->in_c;
	}
}

static int check_params(const struct bnn__layer *l, uint32_t index,
			bnn_error *err)
{
	uint64_t nw = bnn__layer_nw(l), nb = bnn__layer_nb(l);

	if ((nw && !l->w) || (nb && !l->b))
		return LFAIL(BNN_E_INVAL, "missing float parameters");
	if ((!nw && l->w) || (!nb && l->b))
		return LFAIL(BNN_E_INVAL, "unexpected float parameters");
	for (uint64_t i = 0; i < nw; i++)
		if (!isfinite(l->w[i]))
			return LFAIL(BNN_E_RANGE, "weight %llu is not finite",
				     (unsigned long long)i);
	for (uint64_t i = 0; i < nb; i++)
		if (!isfinite(l->b[i]))
			return LFAIL(BNN_E_RANGE, "%s %llu is not finite",
				     l->kind == BNN_LAYER_BATCHNORM ? "shift" : "bias",
				     (unsigned long long)i);
	if (l->kind == BNN_LAYER_QUANT &&
	    (!isfinite(l->qoffset) || !isfinite(l->qscale) ||
	     !(l->qscale > 0)))
		return LFAIL(BNN_E_RANGE,
			     "offset must be finite and scale finite and > 0");
	if (is_binary(l->kind)) {
		uint32_t tail = l->n % 8;

		if (!l->bits)
			return LFAIL(BNN_E_INVAL, "missing weight bits");
		if (!l->scores && !l->thr)
			return LFAIL(BNN_E_INVAL, "missing thresholds");
		if (l->scores && l->thr)
			return LFAIL(BNN_E_INVAL,
				     "a scores layer has no thresholds");
		if (tail)
			for (uint32_t o = 0; o < l->out_c; o++)
				if (l->bits[(size_t)o * l->row_bytes +
					    l->row_bytes - 1] >> tail)
					return LFAIL(BNN_E_CORRUPT,
						     "row %u: padding bits after bit %u are not 0",
						     o, l->n - 1);
	} else if (l->bits || l->thr) {
		return LFAIL(BNN_E_INVAL, "unexpected binary parameters");
	}
	return BNN_OK;
}

static void *dupmem(const void *p, size_t n)
{
	void *d;

	if (!p || !n)
		return NULL;
	d = bnn__malloc(n);
	if (d)
		memcpy(d, p, n);
	return d;
}

int bnn__model_add(struct bnn_model *m, const struct bnn__layer *tmpl,
		   bnn_error *err)
{
	struct bnn__layer l = *tmpl, *prev;
	uint32_t index, c, len, bits;
	int vk, rc;

	if (!m || !tmpl)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	index = m->nlayers;
	if (index >= BNN__MAX_LAYERS)
		return bnn__fail(err, BNN_E_RANGE, "more than %u layers",
				 BNN__MAX_LAYERS);
	/* The JOIN appends the model's feature bits; nothing else may. */
	l.aux = l.kind == BNN_LAYER_JOIN ? m->sig.aux_bits : 0;
	if (l.kind == BNN_LAYER_JOIN)
		for (uint32_t i = 0; i < index; i++)
			if (m->layers[i].kind == BNN_LAYER_JOIN)
				return bnn__fail(err, BNN_E_CORRUPT,
						 "layer %u (join): a second JOIN (layer %u is one)",
						 index, i);
	prev = index ? &m->layers[index - 1] : NULL;
	if (prev) {
		c = out_channels(prev);
		len = prev->out_l;
		vk = prev->out_vk;
		bits = prev->out_bits;
	} else {
		c = m->input.channels;
		len = m->input.length;
		vk = BNN_VALUES_FLOAT;
		bits = 32;
	}
	rc = bnn__layer_derive(&l, index, vk, bits, c, len, err);
	if (rc)
		return rc;
	rc = check_params(&l, index, err);
	if (rc)
		return rc;
	if (m->nlayers == m->cap) {
		uint32_t cap = m->cap ? 2 * m->cap : 8;
		struct bnn__layer *nl = bnn__realloc(m->layers,
						     cap * sizeof(*nl));

		if (!nl)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		m->layers = nl;
		m->cap = cap;
	}
	l.w = dupmem(tmpl->w, bnn__layer_nw(&l) * sizeof(float));
	l.b = dupmem(tmpl->b, bnn__layer_nb(&l) * sizeof(float));
	l.bits = is_binary(l.kind) ?
		 dupmem(tmpl->bits, (size_t)l.out_c * l.row_bytes) : NULL;
	l.thr = is_binary(l.kind) && !l.scores ?
		dupmem(tmpl->thr, (size_t)l.out_c * sizeof(int32_t)) : NULL;
	if ((bnn__layer_nw(&l) && !l.w) || (bnn__layer_nb(&l) && !l.b) ||
	    (is_binary(l.kind) && (!l.bits || (!l.scores && !l.thr)))) {
		layer_free(&l);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	if (l.kind == BNN_LAYER_FLATTEN || l.kind == BNN_LAYER_MAXPOOL1D ||
	    l.kind == BNN_LAYER_BATCHNORM || l.kind == BNN_LAYER_ACT ||
	    l.kind == BNN_LAYER_SIGN || l.kind == BNN_LAYER_QUANT ||
	    l.kind == BNN_LAYER_GLOBAL_AVGPOOL ||
	    l.kind == BNN_LAYER_GLOBAL_MAXPOOL || l.kind == BNN_LAYER_JOIN)
		l.out_c = out_channels(&l);
	m->layers[m->nlayers++] = l;
	return BNN_OK;
}

int bnn__model_finish(const struct bnn_model *m, bnn_error *err)
{
	const struct bnn__layer *l;
	uint32_t joins = 0, first = 0;

	if (!m || !m->nlayers)
		return bnn__fail(err, BNN_E_CORRUPT, "model has no layers");
	for (uint32_t i = 0; i < m->nlayers; i++)
		if (m->layers[i].kind == BNN_LAYER_JOIN && !joins++)
			first = i;
	if (m->sig.nfeat && !joins)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "the model has %u rhythm features but no JOIN layer to use them",
				 m->sig.nfeat);
	if (joins && !m->sig.nfeat)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "layer %u (join): the model has no rhythm features to join (signal section)",
				 first);
	if (joins > 1)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "%u JOIN layers, a model has at most one", joins);
	l = &m->layers[m->nlayers - 1];
	if (l->out_vk != BNN_VALUES_FLOAT || l->out_l != 1 ||
	    l->out_c != m->nclasses)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "last layer %u (%s) outputs %s %u x %u, the model needs float scores 1 x %u (one per class)",
				 m->nlayers - 1, bnn_layer_kind_name((int)l->kind),
				 l->out_vk == BNN_VALUES_FLOAT ? "float" :
				 l->out_vk == BNN_VALUES_BITS ? "bits" : "quantised",
				 l->out_l, l->out_c, m->nclasses);
	return BNN_OK;
}

int bnn__model_clone(const struct bnn_model *m, struct bnn_model **out,
		     bnn_error *err)
{
	struct bnn_model *c;
	int rc;

	rc = bnn__model_new(&m->input, m->nclasses,
			    (const char *const *)m->classes, m->name, m->desc,
			    &c, err);
	if (rc)
		return rc;
	if (m->sig.present) {
		uint32_t kinds[BNN_FEATURES_MAX], nthr[BNN_FEATURES_MAX];

		for (uint32_t f = 0; f < m->sig.nfeat; f++) {
			kinds[f] = m->sig.kind[f];
			nthr[f] = m->sig.nthr[f];
		}
		rc = bnn__model_set_ref_beats(c, m->sig.ref_beats, err);
		if (!rc)
			rc = bnn__model_set_signal(c, m->sig.baseline,
						   m->sig.lowpass_hz,
						   m->sig.amp_norm,
						   m->sig.nfeat, kinds, nthr,
						   m->sig.thr, err);
		if (rc) {
			bnn_model_free(c);
			return rc;
		}
	}
	if (m->leads) {
		const char **names = bnn__calloc(m->input.channels,
						 sizeof(*names));

		if (!names) {
			bnn_model_free(c);
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		}
		for (uint32_t k = 0; k < m->input.channels; k++)
			names[k] = m->leads[k];
		rc = bnn__model_set_leads(c, m->input.channels, names, err);
		free(names);
		if (rc) {
			bnn_model_free(c);
			return rc;
		}
	}
	rc = bnn__model_set_offsets(c, m->offsets ? m->nclasses : 0,
				    m->offsets, err);
	if (rc) {
		bnn_model_free(c);
		return rc;
	}
	for (uint32_t i = 0; i < m->nlayers; i++) {
		struct bnn__layer t = m->layers[i];

		/* Restore the builder's view: derived out_c is given again. */
		if (!(t.kind == BNN_LAYER_CONV1D || t.kind == BNN_LAYER_DENSE ||
		      is_binary(t.kind)))
			t.out_c = 0;
		rc = bnn__model_add(c, &t, err);
		if (rc) {
			bnn_model_free(c);
			return rc;
		}
	}
	*out = c;
	return BNN_OK;
}

/* ---- info --------------------------------------------------------------- */

int bnn_model_layer_info(const bnn_model *m, uint32_t i, bnn_layer_info *o)
{
	const struct bnn__layer *l;

	if (!m || !o || i >= m->nlayers)
		return BNN_E_INVAL;
	l = &m->layers[i];
	memset(o, 0, sizeof(*o));
	o->kind = (int)l->kind;
	o->in_values = l->in_vk;
	o->out_values = l->out_vk;
	o->in_bits = l->in_bits;
	o->in_channels = l->in_c;
	o->in_length = l->in_l;
	o->out_channels = l->out_c;
	o->out_length = l->out_l;
	o->kernel = l->kernel;
	o->stride = l->stride;
	o->pad = l->pad;
	o->fan_in = l->n;
	o->binary = is_binary(l->kind);
	o->scores = (int)l->scores;
	if (o->binary) {
		o->card_bits = (uint64_t)l->out_c * l->n +
			       (l->scores ? 0 : (uint64_t)l->out_c * BNN_THRESHOLD_BITS);
		o->macs = (uint64_t)l->out_c * l->out_l * l->n;
	} else {
		o->host_bits = 32 * (bnn__layer_nw(l) + bnn__layer_nb(l));
		if (l->kind == BNN_LAYER_QUANT)
			o->host_bits = 64;
		if (l->kind == BNN_LAYER_JOIN)	/* the feature thresholds */
			o->host_bits = 32ull * l->aux;
		if (l->kind == BNN_LAYER_CONV1D || l->kind == BNN_LAYER_DENSE)
			o->macs = (uint64_t)l->out_c * l->out_l * l->n;
	}
	return BNN_OK;
}

int bnn_model_info_get(const bnn_model *m, bnn_model_info *o)
{
	if (!m || !o)
		return BNN_E_INVAL;
	memset(o, 0, sizeof(*o));
	o->input = m->input;
	o->nclasses = m->nclasses;
	o->nlayers = m->nlayers;
	o->name = m->name ? m->name : "";
	if (m->input.norm == BNN_INPUT_NORM_AFFINE)
		o->host_bits = 64;
	for (uint32_t i = 0; i < m->nlayers; i++) {
		const struct bnn__layer *l = &m->layers[i];
		bnn_layer_info li;

		bnn_model_layer_info(m, i, &li);
		o->host_bits += li.host_bits;
		if (li.binary) {
			o->binary_layers++;
			o->card_weight_bits += (uint64_t)l->out_c * l->n;
			if (!l->scores)
				o->card_threshold_bits +=
					(uint64_t)l->out_c * BNN_THRESHOLD_BITS;
			o->binary_macs += li.macs;
		} else {
			o->float_macs += li.macs;
		}
	}
	o->card_bits = o->card_weight_bits + o->card_threshold_bits;
	return BNN_OK;
}

const char *bnn_model_class_name(const bnn_model *m, uint32_t i)
{
	if (!m || i >= m->nclasses)
		return NULL;
	return m->classes[i];
}
