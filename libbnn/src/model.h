/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * model.h - libbnn internal: the in-memory model (struct bnn_model), its
 * builder and validator.  Shared by format.c (reader/writer), the
 * backends, the compiler and the tests.  Not installed.
 *
 * A model is a chain of layers over tensors of [length][channels]
 * elements, position-major (element e = pos * channels + ch), as in the
 * card.  Each tensor holds one kind of values (bnn_value_kind): float,
 * bits (+-1, 1 = +1) or k-bit unsigned quantised values for a bit-serial
 * first binary layer.  The shapes and value kinds of every layer follow
 * from the previous one; bnn__model_add() derives and checks them.
 *
 * Parameter layouts (all dense, host order):
 *   CONV1D    w[out_c][kernel][in_c] (fan-in j = k * in_c + c), b[out_c]
 *   DENSE     w[out_c][in_c] (input length must be 1: FLATTEN first),
 *             b[out_c]
 *   BATCHNORM w = scale[c], b = shift[c]:  y = x * scale + shift
 *   QUANT     qbits k (2..8), qoffset, qscale > 0:
 *             q = clamp(roundf((x - qoffset) / qscale), 0, 2^k - 1)
 *             (float32 arithmetic, NaN -> 0); the next binary layer reads
 *             v = 2q - (2^k - 1) bit-serially
 *   BCONV1D / BDENSE: bits[out_c][row_bytes], row_bytes = ceil(n / 8),
 *             fan-in bit j of row o = bit (j % 8) of byte o * row_bytes +
 *             j / 8 (1 = +1), padding bits 0; thr[out_c] (int32) unless
 *             `scores`: out bit = (S >= thr); scores = S saturated to
 *             int32, as float
 *   ACT       act = BNN__ACT_RELU / BNN__ACT_HARDTANH
 *   JOIN      no parameters: [L][C] bits or floats -> [1][L*C + A], the
 *             input elements then, per feature f and threshold k of the
 *             model's signal section, (value_f >= thr_fk) ? +1 : -1
 *             (NaN: -1); A = the model's aux_bits.  The feature values
 *             are those of the user item (after its C*L signal floats).
 *
 * Signal section (format version 2): preprocessing the data layer applies
 * and the rhythm features appended to each item.  A model has one when any
 * field is set (sig.present); nfeatures > 0 needs exactly one JOIN layer,
 * and a JOIN needs features.  It is set with bnn__model_set_signal()
 * before the layers are added.
 *
 * Leads section (format version 3, model_leads.c): the lead (channel name)
 * of every input channel of a model with C >= 2 channels (leads != NULL);
 * leads[0] is always the input description's lead, so everything that
 * reads input.lead sees channel 0.  A one-channel model names its lead in
 * the input description only.
 */
#ifndef BNN_MODEL_H
#define BNN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bnn.h"

/* ---- caps (a hostile file cannot exceed them) ---- */
#define BNN__MAX_LAYERS 256u
#define BNN__MAX_CLASSES 4096u
#define BNN__CLASS_NAME_MAX 255u	/* bytes, without NUL */
#define BNN__NAME_MAX 255u		/* model name */
#define BNN__DESC_MAX 4096u		/* model description */
#define BNN__MAX_CHANNELS 65535u	/* card: 16-bit output indices */
#define BNN__MAX_LENGTH (1u << 24)
#define BNN__MAX_ELEMS (1u << 22)	/* channels * length of any tensor */
#define BNN__MAX_WINDOW 65535u		/* kernel, stride, pad (card: 16 bits) */
#define BNN__MAX_FANIN (1u << 24)	/* weights per output */
#define BNN__MAX_PARAMS ((uint64_t)1 << 28)	/* weights of one layer */
#define BNN__MAX_QBITS 8u
#define BNN__MAX_AUX_BITS 4096u	/* thermometer bits of all features */

#define BNN__ACT_RELU 0u
#define BNN__ACT_HARDTANH 1u

struct bnn__layer {
	/* given by the builder / file */
	uint32_t kind;		/* bnn_layer_kind */
	uint32_t out_c;		/* CONV1D, DENSE, BCONV1D, BDENSE */
	uint32_t kernel, stride, pad;	/* CONV1D, BCONV1D, MAXPOOL1D */
	uint32_t scores;	/* BCONV1D, BDENSE: raw sums, no thresholds */
	uint32_t qbits;		/* QUANT */
	float qoffset, qscale;	/* QUANT */
	uint32_t act;		/* ACT */
	float *w, *b;		/* CONV1D, DENSE, BATCHNORM */
	uint8_t *bits;		/* BCONV1D, BDENSE */
	int32_t *thr;		/* BCONV1D, BDENSE (NULL when scores) */

	/* derived by bnn__model_add() */
	uint32_t in_c, in_l, out_l;
	int in_vk, out_vk;	/* bnn_value_kind */
	uint32_t in_bits;	/* 1 (bits), k (quant), 32 (float) */
	uint32_t out_bits;	/* same, for the output */
	uint32_t n;		/* fan-in (weighted layers) */
	size_t row_bytes;	/* binary weights */
	uint32_t aux;		/* JOIN: bits appended (set by
				 * bnn__model_add from the model) */
};

struct bnn__signal {
	int present;		/* a signal section (format version 2) */
	uint32_t baseline;	/* bnn_baseline */
	float lowpass_hz;	/* 0 = none */
	uint32_t amp_norm;	/* bnn_amp_norm */
	uint32_t ref_beats;	/* 0, or 1 .. BNN_REF_BEATS_MAX (version 4) */
	uint32_t nfeat;
	uint32_t aux_bits;	/* sum of nthr */
	uint16_t kind[BNN_FEATURES_MAX];
	uint16_t nthr[BNN_FEATURES_MAX];
	uint32_t thr_off[BNN_FEATURES_MAX];	/* into thr */
	float *thr;		/* aux_bits thresholds, feature by feature */
};

struct bnn_model {
	bnn_input_desc input;
	struct bnn__signal sig;
	char *name;		/* "" when none */
	char *desc;		/* "" when none */
	uint32_t nclasses;
	char **classes;
	uint32_t nlayers, cap;
	struct bnn__layer *layers;
	char (*leads)[BNN_LEAD_MAX];	/* input.channels names, or NULL */
	int32_t *offsets;	/* nclasses score offsets, or NULL */
};

/*
 * New empty model for `in` (channels, length, normalisation, window, lead
 * are checked) and nclasses class names (non-empty UTF-8 without control
 * characters, unique, at most BNN__CLASS_NAME_MAX bytes).  name/desc may
 * be NULL.
 */
int bnn__model_new(const bnn_input_desc *in, uint32_t nclasses,
		   const char *const *classes, const char *name,
		   const char *desc, struct bnn_model **out, bnn_error *err);

/*
 * Append a layer: `l` gives the kind, the fields the kind uses and its
 * parameters (copied; unused fields must be zero / NULL).  Shapes and value
 * kinds are derived from the previous layer and checked; parameters are
 * checked (finite floats, QUANT scale > 0, binary padding bits 0).
 * Messages start with "layer N (kind): ".
 */
int bnn__model_add(struct bnn_model *m, const struct bnn__layer *l,
		   bnn_error *err);

/*
 * Signal section of a model that has no layers yet: preprocessing
 * (baseline bnn_baseline, lowpass_hz 0 or in (0, sample_rate / 2), amp_norm
 * bnn_amp_norm) and nfeatures (<= BNN_FEATURES_MAX) rhythm features, feature
 * f of kind kinds[f] (< BNN_FEAT_COUNT, unique) with nthr[f] (1 ..
 * BNN_FEATURE_THR_MAX) thresholds, all of them concatenated in `thr`
 * (finite, strictly increasing per feature).  Everything none / 0 removes
 * the section.  Copied.  Messages start with "signal: ".
 */
int bnn__model_set_signal(struct bnn_model *m, uint32_t baseline,
			  float lowpass_hz, uint32_t amp_norm,
			  uint32_t nfeatures, const uint32_t *kinds,
			  const uint32_t *nthr, const float *thr,
			  bnn_error *err);

/*
 * Beat reference of the signal section (format version 4): k beats (1 ..
 * BNN_REF_BEATS_MAX), or 0 for none; before the layers, kept by a later
 * bnn__model_set_signal.  A reference alone makes a signal section.
 */
int bnn__model_set_ref_beats(struct bnn_model *m, uint32_t k, bnn_error *err);

/*
 * Leads section: the lead of each of the model's n = channels >= 2 input
 * channels (names[k] for channel k), before the layers are added.  Names
 * are 1 .. BNN_LEAD_MAX - 1 bytes of printable UTF-8, no two equal when
 * ASCII case is ignored (a record's lead lookup ignores case).  names[0]
 * becomes the input description's lead.  n == 0 removes the section (the
 * input lead stays).  Copied.  Messages start with "leads: ".
 */
int bnn__model_set_leads(struct bnn_model *m, uint32_t n,
			 const char *const *names, bnn_error *err);

/*
 * Offsets section: n = nclasses class-score offsets (each within
 * +-BNN_CLASS_OFFSET_MAX), at any time; n == 0 or all zero removes them.
 * Copied.  Messages start with "offsets: ".
 */
int bnn__model_set_offsets(struct bnn_model *m, uint32_t n, const int32_t *v,
			   bnn_error *err);

/* Add the offsets off (NULL: none) to n items of ncls scores in place and
 * write their argmax (lowest index on ties, NaN ignored) to pred (may be
 * NULL): the one definition of a model's classes, for every backend. */
void bnn__scores_finish(const int32_t *off, float *s, size_t n, uint32_t ncls,
			int32_t *pred);

/* Floats per user item: channels * length + nfeatures. */
size_t bnn__item_floats(const struct bnn_model *m);

/* The last layer must output float [1][nclasses]; features need exactly
 * one JOIN and a JOIN needs features. */
int bnn__model_finish(const struct bnn_model *m, bnn_error *err);

/* Deep copy. */
int bnn__model_clone(const struct bnn_model *m, struct bnn_model **out,
		     bnn_error *err);

/* Shape derivation only (no parameter checks): fills the derived fields
 * of *l from the input (vk, bits, c, len).  Returns BNN_OK or an error
 * with a message naming the field. */
int bnn__layer_derive(struct bnn__layer *l, uint32_t index, int vk,
		      uint32_t bits, uint32_t c, uint32_t len,
		      bnn_error *err);

/* Element counts of a layer's parameter arrays. */
uint64_t bnn__layer_nw(const struct bnn__layer *l);	/* floats in w */
uint64_t bnn__layer_nb(const struct bnn__layer *l);	/* floats in b */

/* The .bnn checksum: CRC-32 of IEEE 802.3 (reflected, as zlib's crc32(),
 * which computes it) of len bytes at buf. */
uint32_t bnn__crc32(const void *buf, size_t len);

/* Utility: UTF-8 text without control characters (and no NUL). */
int bnn__utf8_ok(const char *s, size_t len);

/* Set err (may be NULL) to code + formatted message; returns code. */
int bnn__fail(bnn_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message in err with "<fmt>: ". Returns err->code (or code when
 * err is NULL). */
int bnn__prefix(bnn_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* BNN_MODEL_H */
