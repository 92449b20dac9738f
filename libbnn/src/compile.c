// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * compile.c - libbnn: compilation of a model for the RBNN card (compile.h).
 *
 * Partition.  Layers are scanned in order.  A card stage opens at a layer
 * whose input is bits or k-bit quantised values and grows while the next
 * layer is one the card runs in the same program:
 *   - BCONV1D / BDENSE (a quantised input only as the stage's first card
 *     layer: the card reads k-bit items bit-serially in layer 0 only);
 *   - MAXPOOL1D on bits;
 *   - FLATTEN, which is no card layer at all: items are position-major on
 *     both sides, so an FC layer simply reads the unflattened shape
 *     (fan-in order e = pos * C + ch is the flatten order).  A CONV1D or
 *     MAXPOOL1D after a FLATTEN needs the flattened shape in the program's
 *     shape chain, so it starts a new stage (whose header takes that
 *     shape) unless it is the stage's first card layer anyway.
 * A stage closes after a SCORES layer (only the last layer of a program
 * may emit scores; its output is float for the model), at max_layers, at
 * the segment cap, and before a layer the card cannot run.  Such a binary
 * layer is left to the host (plan->host_binary, plan->note) rather than
 * failing: the item sizes (one input item and every output item within
 * act_buf_size / 2) and the column-block count (<= 65536) are the card's
 * rules.  Trailing FLATTENs of a stage are left to the host (a no-op
 * there), and a stage without a weighted layer (only max pooling) is not
 * worth a program: those layers run on the host too.
 *
 * JOIN (the rhythm features' thermometer bits appended to a bit vector)
 * is a host layer: the card has no access to the user items' features.
 * A stage closes before it, and the next stage starts after it with the
 * joined [1][L*C + A] bits as its input, mapped to tiles like any FC
 * input.
 *
 * Mapping.  Weighted card layers are placed in model order from tile 0,
 * row 0: for each column block b (fan-in bits [b * cols, (b + 1) * cols))
 * the layer's out_c rows follow each other, continuing on the next tile
 * when a tile is full; every run of rows on one tile is one segment, so
 * each (output, block) pair is covered exactly once.  Tiles are therefore
 * used densely from 0 (tiles_used of them).  Thresholds are attached to the
 * block-0 rows of BITS layers.  Running out of rows is an error naming
 * the layer (rows needed, rows free).
 *
 * Segments per stage are capped at 32768 (DRM_RBNN_MAX_SEGMENTS of the
 * driver's uAPI), which also keeps every program image far below the
 * card's 1 MiB (32 + 64 * 4096 + 16 * 32768 bytes at most).
 */
#include "compile.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_regs.h"

#define STAGE_MAX_SEGS 32768u	/* DRM_RBNN_MAX_SEGMENTS */
#define SEG_MAX_COUNT 65535u	/* rbnn_hw_seg.out_count is 16 bits */
#define MAX_BLOCKS 65536u	/* rbnn_hw_seg.block is 16 bits */
#define PROG_HDR 32u
#define PROG_LAYER 64u
#define PROG_SEG 16u

/* ---- growable arrays ------------------------------------------------------ */

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t nc;
	void *q;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 8;
	while (nc < need)
		nc = nc > UINT32_MAX / 2 ? need : 2 * nc;
	q = realloc(*p, (size_t)nc * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

/* ---- sizes ------------------------------------------------------------------ */

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Card item bytes of e elements of a value kind (bits / quant / scores). */
static uint64_t item_bytes(int vk, uint64_t e)
{
	if (vk == BNN_VALUES_BITS)
		return align8(div_up(e, 8));
	if (vk == BNN_VALUES_QUANT)
		return align8(e);
	return align8(4 * e);	/* SCORES */
}

static int is_weighted(uint32_t kind)
{
	return kind == BNN_LAYER_BCONV1D || kind == BNN_LAYER_BDENSE;
}

/* ---- compiler state ------------------------------------------------------- */

struct cc {
	const struct bnn_model *m;
	const struct bnn__card_geom *g;
	struct bnn__plan *p;
	uint32_t words;		/* per row */
	uint64_t total_rows, used_rows;
	uint32_t cap_stages;
	/* Row bits of all stages, in placement order.  Rows hold offsets
	 * into row_words until the end (realloc moves it). */
	uint64_t nwords, cap_words;
};

static int grow_words(struct cc *c, uint64_t more)
{
	uint64_t need = c->nwords + more, nc;
	uint64_t *q;

	if (need <= c->cap_words)
		return 0;
	nc = c->cap_words ? c->cap_words : 1024;
	while (nc < need)
		nc *= 2;
	if (nc > SIZE_MAX / 8)
		return -1;
	q = realloc(c->p->row_words, (size_t)nc * 8);
	if (!q)
		return -1;
	memset(q + c->cap_words, 0, (size_t)(nc - c->cap_words) * 8);
	c->p->row_words = q;
	c->cap_words = nc;
	return 0;
}

/* Working copy of the stage being built (arrays move into the plan). */
struct sb {
	struct bnn__card_stage s;
	uint32_t cap_layers, cap_segs, cap_rows;
};

static void stage_free(struct bnn__card_stage *s)
{
	free(s->layers);
	free(s->segs);
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

void bnn__plan_free(struct bnn__plan *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nstages; i++)
		stage_free(&p->stages[i]);
	free(p->stages);
	free(p->row_words);
	free(p);
}

/* The first reason a binary layer stays on the host (plan->note). */
static void note(struct cc *c, uint32_t li, const char *fmt, uint64_t a,
		 uint64_t b)
{
	const struct bnn__layer *l = &c->m->layers[li];
	char why[160];

	if (c->p->note[0])
		return;
	snprintf(why, sizeof(why), fmt, (unsigned long long)a,
		 (unsigned long long)b);
	snprintf(c->p->note, sizeof(c->p->note),
		 "layer %u (%s) runs on the host: %s", li,
		 bnn_layer_kind_name((int)l->kind), why);
}

struct why {
	const char *fmt;	/* NULL: not a card layer at all */
	uint64_t a, b;
};

/*
 * Can layer li run on the card as a layer of the current stage?  first:
 * it would be the stage's first card layer; (cur_c, cur_l) the stage's
 * current shape.  1: yes.  0: no, and a new stage would not change that
 * (why->fmt says why for a layer the card could otherwise run).  -1: not
 * in this stage, but as the first layer of a new one.
 */
static int card_ok(const struct cc *c, uint32_t li, int first,
		   uint32_t cur_c, uint32_t cur_l, struct why *why)
{
	const struct bnn__layer *l = &c->m->layers[li];
	uint64_t half = c->g->act_buf_size / 2, e, b;

	why->fmt = NULL;
	if (l->in_vk == BNN_VALUES_FLOAT)
		return 0;
	if (l->kind == BNN_LAYER_MAXPOOL1D) {
		if (l->in_vk != BNN_VALUES_BITS)
			return 0;
	} else if (!is_weighted(l->kind)) {
		return 0;
	}
	if (!first && l->in_vk != BNN_VALUES_BITS)
		return -1;	/* k-bit inputs: layer 0 of a program only */
	if (!first && l->kind != BNN_LAYER_BDENSE &&
	    (cur_c != l->in_c || cur_l != l->in_l))
		return -1;	/* after a FLATTEN: the shape chain breaks */
	if (first) {
		e = (uint64_t)l->in_c * l->in_l;
		b = item_bytes(l->in_vk, e);
		if (b > half) {
			why->fmt = "its input item of %llu bytes exceeds half the card's activation buffer (%llu bytes)";
			why->a = b;
			why->b = half;
			return 0;
		}
	}
	e = (uint64_t)l->out_c * l->out_l;
	b = item_bytes(l->scores ? BNN_VALUES_FLOAT : BNN_VALUES_BITS, e);
	if (b > half) {
		why->fmt = "its output item of %llu bytes exceeds half the card's activation buffer (%llu bytes)";
		why->a = b;
		why->b = half;
		return 0;
	}
	if (is_weighted(l->kind) && div_up(l->n, c->g->cols) > MAX_BLOCKS) {
		why->fmt = "fan-in %llu needs more than %llu column blocks";
		why->a = l->n;
		why->b = MAX_BLOCKS;
		return 0;
	}
	return 1;
}

/* Segments layer l takes when placed at the cursor (capped). */
static uint64_t count_segs(const struct cc *c, const struct bnn__layer *l)
{
	uint64_t nb = div_up(l->n, c->g->cols), r = c->used_rows, segs = 0;

	for (uint64_t b = 0; b < nb && segs <= STAGE_MAX_SEGS; b++) {
		uint32_t o = 0;

		while (o < l->out_c && segs <= STAGE_MAX_SEGS) {
			uint64_t cnt = l->out_c - o;
			uint64_t room = c->g->rows - r % c->g->rows;

			if (cnt > room)
				cnt = room;
			if (cnt > SEG_MAX_COUNT)
				cnt = SEG_MAX_COUNT;
			o += (uint32_t)cnt;
			r += cnt;
			segs++;
		}
	}
	return segs;
}

/* Place weighted layer li on rows: segments and rows of stage sb. */
static int place(struct cc *c, struct sb *sb, uint32_t li,
		 struct bnn__card_layer *cl, bnn_error *err)
{
	const struct bnn__layer *l = &c->m->layers[li];
	const struct bnn__card_geom *g = c->g;
	uint64_t nb = div_up(l->n, g->cols), need = nb * l->out_c;
	size_t cb = g->cols / 8;	/* bytes of a block */

	if (need > c->total_rows - c->used_rows)
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "layer %u (%s): needs %llu rows (%u outputs x %llu column blocks of %u bits) but only %llu of the card's %llu rows (%u tiles x %u) are free",
				 li, bnn_layer_kind_name((int)l->kind),
				 (unsigned long long)need, l->out_c,
				 (unsigned long long)nb, g->cols,
				 (unsigned long long)(c->total_rows - c->used_rows),
				 (unsigned long long)c->total_rows, g->tiles,
				 g->rows);
	cl->seg_first = sb->s.nsegs;
	for (uint64_t b = 0; b < nb; b++) {
		size_t b0 = (size_t)b * cb;
		size_t b1 = b0 + cb < l->row_bytes ? b0 + cb : l->row_bytes;
		uint32_t o = 0;

		while (o < l->out_c) {
			uint32_t tile = (uint32_t)(c->used_rows / g->rows);
			uint32_t row = (uint32_t)(c->used_rows % g->rows);
			uint32_t cnt = l->out_c - o;
			struct bnn__card_seg *sg;

			if (cnt > g->rows - row)
				cnt = g->rows - row;
			if (cnt > SEG_MAX_COUNT)
				cnt = SEG_MAX_COUNT;
			if (grow((void **)&sb->s.segs, &sb->cap_segs,
				 sb->s.nsegs + 1, sizeof(*sb->s.segs)) ||
			    grow((void **)&sb->s.rows, &sb->cap_rows,
				 sb->s.nrows + cnt, sizeof(*sb->s.rows)) ||
			    grow_words(c, (uint64_t)cnt * c->words))
				return bnn__fail(err, BNN_E_NOMEM, "out of memory");
			sg = &sb->s.segs[sb->s.nsegs++];
			sg->tile = tile;
			sg->row = row;
			sg->out_first = o;
			sg->out_count = cnt;
			sg->block = (uint32_t)b;
			for (uint32_t i = 0; i < cnt; i++) {
				struct bnn__card_row *r = &sb->s.rows[sb->s.nrows++];
				uint64_t off = c->nwords + (uint64_t)i * c->words;
				uint64_t *w = c->p->row_words + off;
				const uint8_t *src = l->bits +
						     (size_t)(o + i) * l->row_bytes;

				r->tile = tile;
				r->row = row + i;
				r->bits = (const uint64_t *)(uintptr_t)off;
				r->has_thr = b == 0 && !l->scores;
				r->thr = r->has_thr ? l->thr[o + i] : 0;
				/* fan-in bits [b * cols, ...) at columns 0.. */
				for (size_t k = b0; k < b1; k++)
					w[(k - b0) / 8] |= (uint64_t)src[k] <<
							   (8 * ((k - b0) % 8));
			}
			c->nwords += (uint64_t)cnt * c->words;
			c->used_rows += cnt;
			o += cnt;
		}
	}
	cl->nsegs = sb->s.nsegs - cl->seg_first;
	return BNN_OK;
}

static void card_layer(struct bnn__card_layer *cl, const struct bnn__layer *l,
		       uint32_t cur_c, uint32_t cur_l)
{
	memset(cl, 0, sizeof(*cl));
	cl->op = l->kind == BNN_LAYER_BDENSE ? RBNN_LAYER_FC :
		 l->kind == BNN_LAYER_BCONV1D ? RBNN_LAYER_CONV1D :
		 RBNN_LAYER_MAXPOOL1D;
	cl->out_mode = l->scores ? RBNN_OUT_SCORES : RBNN_OUT_BITS;
	/* FC reads the stage's current (possibly unflattened) shape */
	cl->in_c = cur_c;
	cl->in_l = cur_l;
	cl->out_c = l->out_c;
	cl->out_l = l->out_l;
	if (l->kind != BNN_LAYER_BDENSE) {
		cl->kernel = l->kernel;
		cl->stride = l->stride;
		cl->pad = l->pad;
	}
}

static int check_geom(const struct bnn__card_geom *g, bnn_error *err)
{
	if (!g->tiles || !g->rows || !g->cols || g->cols % 64 ||
	    g->act_buf_size < 16 || !g->max_layers || !g->max_batch)
		return bnn__fail(err, BNN_E_INVAL,
				 "card geometry: %u tiles x %u rows x %u columns, activation buffer %u, %u layers, batch %u: every value must be >= 1, columns a multiple of 64",
				 g->tiles, g->rows, g->cols, g->act_buf_size,
				 g->max_layers, g->max_batch);
	return BNN_OK;
}

/*
 * One stage from layer i on (plus leading FLATTENs).  *next: where the
 * scan continues.  Adds the stage to the plan when it has a weighted
 * layer.
 */
static int build_stage(struct cc *c, uint32_t i, uint32_t *next,
		       uint8_t *placed, bnn_error *err)
{
	const struct bnn_model *m = c->m;
	struct sb sb;
	uint32_t j, last = i, ncard = 0, nweighted = 0, first_card = i;
	uint32_t cur_c = 0, cur_l = 0;
	int in_vk = BNN_VALUES_BITS, rc = BNN_OK;
	uint64_t card_bits = 0, rows0 = c->used_rows, words0 = c->nwords;

	memset(&sb, 0, sizeof(sb));
	for (j = i; j < m->nlayers; j++) {
		const struct bnn__layer *l = &m->layers[j];
		struct bnn__card_layer *cl;
		struct why why;
		int ok;

		if (l->kind == BNN_LAYER_FLATTEN) {
			if (l->in_vk == BNN_VALUES_FLOAT)
				break;
			continue;	/* no card layer */
		}
		if (ncard == c->g->max_layers)
			break;
		ok = card_ok(c, j, ncard == 0, cur_c, cur_l, &why);
		if (ok == 0 && ncard == 0 && why.fmt && is_weighted(l->kind))
			note(c, j, why.fmt, why.a, why.b);
		if (ok <= 0)
			break;
		if (is_weighted(l->kind)) {
			uint64_t segs = count_segs(c, l);

			if (sb.s.nsegs + segs > STAGE_MAX_SEGS) {
				if (ncard == 0)
					note(c, j, "it needs %llu segments, more than %llu per program",
					     segs, STAGE_MAX_SEGS);
				break;
			}
		}
		if (grow((void **)&sb.s.layers, &sb.cap_layers, ncard + 1,
			 sizeof(*sb.s.layers))) {
			rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
			goto fail;
		}
		if (ncard == 0) {
			/* the header takes this layer's input shape: the
			 * item layout is that of any flatten before it */
			first_card = j;
			cur_c = l->in_c;
			cur_l = l->in_l;
			in_vk = l->in_vk;
			sb.s.in_c = cur_c;
			sb.s.in_l = cur_l;
			sb.s.in_bits = l->in_bits;
		}
		cl = &sb.s.layers[ncard];
		card_layer(cl, l, cur_c, cur_l);
		if (is_weighted(l->kind)) {
			rc = place(c, &sb, j, cl, err);
			if (rc)
				goto fail;
			nweighted++;
			card_bits += (uint64_t)l->out_c * l->n +
				     (l->scores ? 0 : (uint64_t)l->out_c *
						      BNN_THRESHOLD_BITS);
		}
		ncard++;
		cur_c = l->out_c;
		cur_l = l->out_l;
		last = j + 1;
		if (l->scores)
			break;
	}
	if (!nweighted) {
		/* nothing worth a program: the first candidate (and any
		 * flatten before it) runs on the host */
		stage_free(&sb.s);
		*next = (ncard ? first_card : j) + 1;
		return BNN_OK;
	}
	if (grow((void **)&c->p->stages, &c->cap_stages, c->p->nstages + 1,
		 sizeof(*c->p->stages))) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto fail;
	}
	sb.s.first = i;
	sb.s.last = last;
	sb.s.nlayers = ncard;
	sb.s.in_bytes = item_bytes(in_vk, (uint64_t)sb.s.in_c * sb.s.in_l);
	sb.s.out_bytes = item_bytes(m->layers[last - 1].scores ?
				    BNN_VALUES_FLOAT : BNN_VALUES_BITS,
				    (uint64_t)cur_c * cur_l);
	for (j = i; j < last; j++)
		placed[j] = 1;
	c->p->card_bits += card_bits;
	c->p->stages[c->p->nstages++] = sb.s;
	*next = last;
	return BNN_OK;
fail:
	stage_free(&sb.s);
	c->used_rows = rows0;
	c->nwords = words0;
	return rc;
}

int bnn__compile(const struct bnn_model *m, const struct bnn__card_geom *g,
		 struct bnn__plan **out, bnn_error *err)
{
	struct cc c;
	bnn_model_info mi;
	uint8_t *placed = NULL;
	uint32_t i = 0, more = 0;
	int rc;

	if (!out)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	*out = NULL;
	if (!m || !g)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	rc = check_geom(g, err);
	if (rc)
		return rc;
	rc = bnn__model_finish(m, err);
	if (rc)
		return rc;
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.g = g;
	c.words = g->cols / 64;
	c.total_rows = (uint64_t)g->tiles * g->rows;
	c.p = calloc(1, sizeof(*c.p));
	placed = calloc(m->nlayers, 1);
	if (!c.p || !placed) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto fail;
	}
	while (i < m->nlayers) {
		rc = build_stage(&c, i, &i, placed, err);
		if (rc)
			goto fail;
	}
	/* rows: offsets become pointers now that row_words stays put */
	for (uint32_t s = 0; s < c.p->nstages; s++)
		for (uint32_t r = 0; r < c.p->stages[s].nrows; r++) {
			struct bnn__card_row *row = &c.p->stages[s].rows[r];

			row->bits = c.p->row_words + (uintptr_t)row->bits;
		}
	c.p->tiles_used = (uint32_t)div_up(c.used_rows, g->rows);
	bnn_model_info_get(m, &mi);
	c.p->host_bits = mi.host_bits;
	for (i = 0; i < m->nlayers; i++) {
		const struct bnn__layer *l = &m->layers[i];

		if (!is_weighted(l->kind) || placed[i])
			continue;
		c.p->host_binary++;
		c.p->host_bits += (uint64_t)l->out_c * l->n +
				  (l->scores ? 0 : (uint64_t)l->out_c *
						   BNN_THRESHOLD_BITS);
	}
	more = c.p->host_binary > 1 ? c.p->host_binary - 1 : 0;
	if (more) {
		size_t len = strlen(c.p->note);

		snprintf(c.p->note + len, sizeof(c.p->note) - len,
			 " (and %u more binary layer%s)", more,
			 more > 1 ? "s" : "");
	}
	free(placed);
	*out = c.p;
	return BNN_OK;
fail:
	free(placed);
	bnn__plan_free(c.p);
	return rc;
}

/* ---- program images ---------------------------------------------------- */

int bnn__stage_image(const struct bnn__card_stage *s, void **img,
		     size_t *len, bnn_error *err)
{
	size_t n = PROG_HDR + (size_t)PROG_LAYER * s->nlayers +
		   (size_t)PROG_SEG * s->nsegs;
	uint32_t seg0 = PROG_HDR + PROG_LAYER * s->nlayers;
	struct rbnn_hw_prog *h;
	uint8_t *b;

	*img = NULL;
	*len = 0;
	b = calloc(1, n);
	if (!b)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	h = (struct rbnn_hw_prog *)b;
	h->magic = htole32(RBNN_PROG_MAGIC);
	h->version = htole16(RBNN_PROG_VERSION);
	h->nlayers = htole16((uint16_t)s->nlayers);
	h->in_channels = htole32(s->in_c);
	h->in_length = htole32(s->in_l);
	h->in_bits = (uint8_t)s->in_bits;
	for (uint32_t i = 0; i < s->nlayers; i++) {
		const struct bnn__card_layer *cl = &s->layers[i];
		struct rbnn_hw_layer *hl =
			(struct rbnn_hw_layer *)(b + PROG_HDR + PROG_LAYER * i);

		hl->op = (uint8_t)cl->op;
		hl->out_mode = (uint8_t)cl->out_mode;
		hl->in_channels = htole32(cl->in_c);
		hl->out_channels = htole32(cl->out_c);
		hl->in_length = htole32(cl->in_l);
		hl->out_length = htole32(cl->out_l);
		hl->kernel = htole16((uint16_t)cl->kernel);
		hl->stride = htole16((uint16_t)cl->stride);
		hl->pad = htole16((uint16_t)cl->pad);
		hl->nsegs = htole32(cl->nsegs);
		hl->seg_offset = htole32(cl->nsegs ? seg0 + PROG_SEG *
						     cl->seg_first : 0);
	}
	for (uint32_t j = 0; j < s->nsegs; j++) {
		const struct bnn__card_seg *sg = &s->segs[j];
		struct rbnn_hw_seg *hs =
			(struct rbnn_hw_seg *)(b + seg0 + PROG_SEG * j);

		hs->tile = htole32(sg->tile);
		hs->row = htole32(sg->row);
		hs->out_first = htole16((uint16_t)sg->out_first);
		hs->out_count = htole16((uint16_t)sg->out_count);
		hs->block = htole16((uint16_t)sg->block);
	}
	*img = b;
	*len = n;
	return BNN_OK;
}
