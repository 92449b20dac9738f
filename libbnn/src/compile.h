/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * compile.h - libbnn internal: compilation of a model for the RBNN card.
 *
 * The compiler partitions a model into host ranges (float layers, SIGN,
 * QUANT, JOIN, normalisation; run by the host executor, exec.h) and card stages:
 * maximal runs of consecutive binary layers (BCONV1D, BDENSE, MAXPOOL1D on
 * bits) that the card runs as one layer program (rbnn-device.rst, "Layer
 * programs"). It maps every binary layer onto tile rows: fan-in larger than
 * a tile's columns is split into column blocks, fan-out spreads over rows
 * and tiles; a stage's first layer may read k-bit inputs bit-serially.
 *
 * The plan is backend-neutral: the `emu` backend turns a stage into a
 * struct rbnn_hw_prog image for the in-process device model, the `rbnn`
 * backend into DRM_IOCTL_RBNN_EXEC layers and segments; both program the
 * rows listed in the stage. Tile numbers in a plan are indices into the
 * tile list given to bnn__compile() (the backend translates them to the
 * tiles it owns).
 */
#ifndef BNN_COMPILE_H
#define BNN_COMPILE_H

#include <stdint.h>

#include "model.h"

/* What the compiler needs to know about the card. */
struct bnn__card_geom {
	uint32_t tiles;		/* tiles available to this plan */
	uint32_t rows;		/* rows per tile */
	uint32_t cols;		/* columns per tile, multiple of 64 */
	uint32_t act_buf_size;	/* bytes; items must fit in half */
	uint32_t max_layers;	/* layers per program */
	uint32_t max_batch;	/* items per EXEC */
};

/* One weight row to program: (tile, row) <- bits, threshold. */
struct bnn__card_row {
	uint32_t tile, row;
	const uint64_t *bits;	/* cols / 64 words, LE bit order, into the plan */
	int32_t thr;		/* threshold (valid when has_thr) */
	uint32_t has_thr;	/* block-0 row of a BITS-output layer */
};

/* A card layer, in the card's terms (struct rbnn_hw_layer, host order). */
struct bnn__card_layer {
	uint32_t op;		/* RBNN_LAYER_* */
	uint32_t out_mode;	/* RBNN_OUT_* */
	uint32_t in_c, out_c, in_l, out_l;
	uint32_t kernel, stride, pad;
	uint32_t seg_first, nsegs;	/* into stage->segs */
};

/* A segment, in the card's terms (struct rbnn_hw_seg, host order). */
struct bnn__card_seg {
	uint32_t tile, row, out_first, out_count, block;
};

struct bnn__card_stage {
	uint32_t first, last;	/* model layers [first, last) */
	uint32_t in_c, in_l, in_bits;	/* program header */
	size_t in_bytes, out_bytes;	/* item sizes at the boundaries */
	uint32_t nlayers;
	struct bnn__card_layer *layers;
	uint32_t nsegs;
	struct bnn__card_seg *segs;
	uint32_t nrows;
	struct bnn__card_row *rows;
};

struct bnn__plan {
	uint32_t nstages;
	struct bnn__card_stage *stages;	/* in model order */
	uint32_t tiles_used;	/* distinct tiles referenced */
	uint64_t card_bits;	/* weights + thresholds on the card */
	uint64_t host_bits;	/* parameters left on the host */
	/* storage the rows' bits point into */
	uint64_t *row_words;
	/*
	 * Added with compile.c: binary layers (BCONV1D / BDENSE) the card
	 * cannot run (an item too large for half the activation buffer, too
	 * many column blocks or segments) are left to the host executor
	 * instead of failing; they count in host_bits (weight bits and
	 * BNN_THRESHOLD_BITS per threshold), not in card_bits.
	 */
	uint32_t host_binary;	/* such layers */
	char note[256];		/* why, naming the first one ("" if none) */
};

/*
 * Compile `m` for a card of geometry `g`. Fails with BNN_E* and a message
 * naming the layer when a binary layer cannot be mapped (too many rows for
 * the tiles, an item too large for the activation buffer, ...).
 */
int bnn__compile(const struct bnn_model *m, const struct bnn__card_geom *g,
		 struct bnn__plan **out, bnn_error *err);
void bnn__plan_free(struct bnn__plan *p);

/*
 * Added with compile.c: the stage as a card program image (struct
 * rbnn_hw_prog, its layers, then its segments; little-endian), as EXEC
 * reads it.  *img is malloc'ed (free with free()).  BNN_E_NOMEM only.
 */
int bnn__stage_image(const struct bnn__card_stage *s, void **img,
		     size_t *len, bnn_error *err);

#endif /* BNN_COMPILE_H */
