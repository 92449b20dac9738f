/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: layer programs.
 *
 * rbnn_prog_parse() checks every field of a program image (little-endian,
 * see struct rbnn_hw_prog) and turns it into host-order tables with all the
 * scratch memory a run needs, so rbnn_prog_run() cannot fail.
 *
 * Activations are bit vectors in uint64_t words (element e = pos * C + ch
 * is bit e). A run walks output positions; for each position and column
 * block it builds the block's input window (and, at padded edges, a mask)
 * once and reuses it for every output channel stored in that block.
 */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_regs.h"
#include "rbnn_exec.h"

#define PROG_MAX_LEN	(1u << 20)
#define HDR_SIZE	32u
#define LAYER_SIZE	64u
#define SEG_SIZE	16u
#define MAX_BLOCKS	65536u	/* rbnn_hw_seg.block is 16 bits */

struct seg {
	uint32_t tile, row;
	uint32_t out_first, out_count;
	uint32_t block;
	uint32_t idx;		/* position in the image, for messages */
};

struct layer {
	uint32_t op, out_mode;
	uint32_t in_c, in_l, out_c, out_l;
	uint32_t kernel, stride, pad;
	uint32_t nblocks;
	uint64_t n;		/* fan-in bits */
	uint32_t nsegs;
	struct seg *segs;	/* sorted by (block, out_first) */
	uint32_t *blk;		/* segs of block b: [blk[b], blk[b + 1]) */
	bool narrow;		/* every sum fits 32 bits: acc32 */
};

/* Where a resumable run is (see rbnn_prog_step()). */
struct cursor {
	uint32_t layer;		/* nlayers: every layer done */
	uint32_t t;		/* output position */
	uint32_t b;		/* column block */
	uint32_t j;		/* segment */
	uint32_t sp, sr;	/* split segment: plane, first row left */
	bool layer_on, pos_on, blk_on;
	bool fresh;		/* narrow: no block of this position read */
	bool have_lim;
	bool done;		/* the output is written */
	int64_t offset;		/* sum offset of the position so far */
	int64_t lim_offset;	/* offset the limits were set for */
	const uint64_t *win[8];	/* block window per plane */
	const uint64_t *mask;	/* NULL: every cell of the window valid */
	uint32_t nb;		/* cells of the block */
	uint32_t valid;		/* ... not padding */
	uint8_t *out;		/* the item's output */
};

/* Run-time scratch, sized at parse time. */
struct scratch {
	struct cursor k;
	uint64_t *planes;	/* input bit planes, plane_words each */
	uint64_t *act[2];	/* ping-pong activations, act_words each */
	uint64_t *win;		/* one block window per plane */
	uint64_t *mask;		/* valid cells of a window at a padded edge */
	uint64_t *pool;		/* one MAXPOOL1D output position */
	int64_t *acc;		/* sums per output channel */
	uint32_t *cnt;		/* match counts of one segment's rows */
	int32_t *thr;		/* thresholds per output channel */
	uint32_t *acc32;	/* sums per output channel, narrow layers */
	int32_t *lim;		/* output bit is acc32 >= lim, per channel */
	uint64_t *packed;	/* the same bits packed */
};

struct rbnn_prog {
	uint32_t nlayers;
	uint32_t in_c, in_l, in_bits;
	size_t in_bytes, out_bytes;
	uint32_t cols, words;	/* array geometry */
	size_t plane_words, act_words;
	uint32_t max_count;	/* largest segment */
	struct layer *layers;
	struct scratch *s;
};

/* ---- sizes ----------------------------------------------------------- */

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

static uint64_t bits_bytes(uint64_t elems)
{
	return align8((elems + 7) / 8);
}

static uint64_t layer_out_bytes(const struct layer *l)
{
	uint64_t e = (uint64_t)l->out_c * l->out_l;

	return l->out_mode == RBNN_OUT_SCORES ? align8(4 * e) : bits_bytes(e);
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Words for @bits bits plus one, so unaligned 64-bit loads stay inside. */
static size_t slack_words(uint64_t bits)
{
	return (size_t)div_up(bits, 64) + 1;
}

/* ---- parsing --------------------------------------------------------- */

struct parse {
	const struct rbnn_params *p;
	const uint8_t *img;
	size_t len;
	char *err;
	size_t errlen;
	uint32_t off;		/* offending struct */
};

static int fail(struct parse *c, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse *c, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	c->off = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
	if (c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return le32toh(v);
}

static uint16_t rd16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return le16toh(v);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	while (n--)
		if (*b++)
			return false;
	return true;
}

static int parse_header(struct parse *c, struct rbnn_prog *pr)
{
	const uint8_t *h = c->img;
	uint64_t elems, bytes;

	if (c->len < HDR_SIZE)
		return fail(c, 0, "program of %zu bytes is shorter than its header",
			    c->len);
	if (c->len > PROG_MAX_LEN)
		return fail(c, 0, "program of %zu bytes exceeds 1 MiB", c->len);
	if (rd32(h) != RBNN_PROG_MAGIC)
		return fail(c, 0, "bad magic 0x%08x", rd32(h));
	if (rd16(h + 4) != RBNN_PROG_VERSION)
		return fail(c, 0, "unsupported version %u", rd16(h + 4));
	pr->nlayers = rd16(h + 6);
	pr->in_c = rd32(h + 8);
	pr->in_l = rd32(h + 12);
	pr->in_bits = h[16];
	if (pr->nlayers < 1 || pr->nlayers > c->p->max_layers)
		return fail(c, 0, "nlayers %u not in 1..%u", pr->nlayers,
			    c->p->max_layers);
	if (!pr->in_c || !pr->in_l)
		return fail(c, 0, "input channels and length must be >= 1");
	if (pr->in_bits < 1 || pr->in_bits > 8)
		return fail(c, 0, "in_bits %u not in 1..8", pr->in_bits);
	if (!all_zero(h + 17, 15))
		return fail(c, 0, "reserved header bytes are not zero");

	elems = (uint64_t)pr->in_c * pr->in_l;
	bytes = pr->in_bits == 1 ? bits_bytes(elems) : align8(elems);
	if (bytes > c->p->act_buf_size / 2)
		return fail(c, 0,
			    "input item of %llu bytes exceeds half the activation buffer (%u)",
			    (unsigned long long)bytes, c->p->act_buf_size / 2);
	pr->in_bytes = bytes;
	pr->plane_words = slack_words(elems);

	if (c->len < HDR_SIZE + (uint64_t)LAYER_SIZE * pr->nlayers)
		return fail(c, HDR_SIZE + LAYER_SIZE * ((c->len - HDR_SIZE) /
							LAYER_SIZE),
			    "program ends inside the layer table");
	return 0;
}

/* Shape of a CONV1D or MAXPOOL1D window over @in_l positions. */
static int check_window(struct parse *c, uint32_t off, const struct layer *l)
{
	uint64_t span = (uint64_t)l->in_l + 2ull * l->pad;

	if (!l->kernel || !l->stride)
		return fail(c, off, "kernel and stride must be >= 1");
	if (l->pad >= l->kernel)
		return fail(c, off, "pad %u must be less than kernel %u",
			    l->pad, l->kernel);
	if (span < l->kernel)
		return fail(c, off, "kernel %u longer than the padded input",
			    l->kernel);
	if (l->out_l != (span - l->kernel) / l->stride + 1)
		return fail(c, off, "out_length %u, expected %llu", l->out_l,
			    (unsigned long long)((span - l->kernel) /
						 l->stride + 1));
	return 0;
}

static int check_shape(struct parse *c, uint32_t off, struct layer *l,
		       bool first, bool last, uint32_t in_bits)
{
	uint64_t bytes;

	switch (l->op) {
	case RBNN_LAYER_FC:
		if (l->kernel || l->stride || l->pad)
			return fail(c, off, "FC needs kernel = stride = pad = 0");
		if (l->out_l != 1)
			return fail(c, off, "FC out_length must be 1");
		l->n = (uint64_t)l->in_c * l->in_l;
		break;
	case RBNN_LAYER_CONV1D:
		if (check_window(c, off, l))
			return -1;
		l->n = (uint64_t)l->in_c * l->kernel;
		break;
	case RBNN_LAYER_MAXPOOL1D:
		if (first && in_bits > 1)
			return fail(c, off, "MAXPOOL1D needs a bit input");
		if (l->pad)
			return fail(c, off, "MAXPOOL1D pad must be 0");
		if (l->out_c != l->in_c)
			return fail(c, off, "MAXPOOL1D out_channels must equal in_channels");
		if (l->out_mode != RBNN_OUT_BITS)
			return fail(c, off, "MAXPOOL1D outputs bits");
		if (check_window(c, off, l))
			return -1;
		l->n = 0;
		break;
	default:
		return fail(c, off, "unknown layer op %u", l->op);
	}
	if (!l->out_c)
		return fail(c, off, "out_channels must be >= 1");
	if (l->out_mode == RBNN_OUT_SCORES && !last)
		return fail(c, off, "only the last layer may output scores");
	/* Bound the element count first so the byte count cannot wrap. */
	bytes = (uint64_t)l->out_c * l->out_l > 8ull * c->p->act_buf_size ?
		UINT64_MAX : layer_out_bytes(l);
	if (bytes > c->p->act_buf_size / 2)
		return fail(c, off,
			    "output of %ux%u exceeds half the activation buffer (%u bytes)",
			    l->out_c, l->out_l, c->p->act_buf_size / 2);
	l->nblocks = 0;
	if (l->n) {
		uint64_t nb = div_up(l->n, c->p->cols);

		if (nb > MAX_BLOCKS)
			return fail(c, off, "fan-in %llu needs more than %u column blocks",
				    (unsigned long long)l->n, MAX_BLOCKS);
		l->nblocks = (uint32_t)nb;
	}
	return 0;
}

static int parse_seg(struct parse *c, const struct layer *l, uint32_t j,
		     uint64_t off, struct seg *s)
{
	const uint8_t *b = c->img + off;

	s->tile = rd32(b);
	s->row = rd32(b + 4);
	s->out_first = rd16(b + 8);
	s->out_count = rd16(b + 10);
	s->block = rd16(b + 12);
	s->idx = j;
	if (rd16(b + 14))
		return fail(c, off, "segment %u: reserved field not zero", j);
	if (s->tile >= c->p->tiles)
		return fail(c, off, "segment %u: tile %u >= %u tiles", j,
			    s->tile, c->p->tiles);
	if (!s->out_count)
		return fail(c, off, "segment %u: out_count is 0", j);
	if ((uint64_t)s->row + s->out_count > c->p->rows)
		return fail(c, off, "segment %u: rows %u..%u beyond %u rows", j,
			    s->row, s->row + s->out_count - 1, c->p->rows);
	if (s->out_first + s->out_count > l->out_c)
		return fail(c, off, "segment %u: outputs %u..%u beyond %u", j,
			    s->out_first, s->out_first + s->out_count - 1,
			    l->out_c);
	if (s->block >= l->nblocks)
		return fail(c, off, "segment %u: block %u >= %u blocks", j,
			    s->block, l->nblocks);
	return 0;
}

static int seg_cmp(const void *x, const void *y)
{
	const struct seg *a = x, *b = y;

	if (a->block != b->block)
		return a->block < b->block ? -1 : 1;
	if (a->out_first != b->out_first)
		return a->out_first < b->out_first ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Every (output, block) pair exactly once; segs sorted by seg_cmp. */
static int check_coverage(struct parse *c, uint32_t off, struct layer *l,
			  uint32_t seg_off)
{
	uint32_t j, b = 0, next = 0;

	for (j = 0; j <= l->nsegs; j++) {
		const struct seg *s = j < l->nsegs ? &l->segs[j] : NULL;

		/* Close the blocks before this segment's. */
		while (b < l->nblocks && (!s || s->block > b)) {
			if (next < l->out_c)
				return fail(c, off,
					    "output %u of block %u has no segment",
					    next, b);
			l->blk[++b] = j;
			next = 0;
		}
		if (!s)
			break;
		if (s->out_first < next) {
			const struct seg *p = &l->segs[j - 1];
			uint32_t dup = p->idx > s->idx ? p->idx : s->idx;

			return fail(c, seg_off + SEG_SIZE * (uint64_t)dup,
				    "segment %u: output %u of block %u covered twice",
				    dup, s->out_first, b);
		}
		if (s->out_first > next)
			return fail(c, off, "output %u of block %u has no segment",
				    next, b);
		next = s->out_first + s->out_count;
	}
	return 0;
}

static int parse_segs(struct parse *c, uint32_t off, struct layer *l,
		      uint32_t seg_off, uint32_t *max_count)
{
	uint32_t j;

	if (l->op == RBNN_LAYER_MAXPOOL1D) {
		if (l->nsegs || seg_off)
			return fail(c, off, "MAXPOOL1D takes no segments");
		return 0;
	}
	if (!l->nsegs)
		return fail(c, off, "layer has no segments");
	if (seg_off % 8)
		return fail(c, off, "seg_offset %u not 8-byte aligned", seg_off);
	if ((uint64_t)seg_off + (uint64_t)SEG_SIZE * l->nsegs > c->len)
		return fail(c, off, "segments beyond the end of the program");

	l->segs = calloc(l->nsegs, sizeof(*l->segs));
	l->blk = calloc((size_t)l->nblocks + 1, sizeof(*l->blk));
	if (!l->segs || !l->blk)
		return fail(c, off, "out of memory");
	for (j = 0; j < l->nsegs; j++) {
		if (parse_seg(c, l, j, seg_off + (uint64_t)SEG_SIZE * j,
			      &l->segs[j]))
			return -1;
		if (l->segs[j].out_count > *max_count)
			*max_count = l->segs[j].out_count;
	}
	qsort(l->segs, l->nsegs, sizeof(*l->segs), seg_cmp);
	return check_coverage(c, off, l, seg_off);
}

static int parse_layer(struct parse *c, struct rbnn_prog *pr, uint32_t i,
		       uint32_t prev_c, uint32_t prev_l)
{
	uint32_t off = HDR_SIZE + LAYER_SIZE * i;
	const uint8_t *b = c->img + off;
	struct layer *l = &pr->layers[i];

	l->op = b[0];
	l->out_mode = b[1];
	l->in_c = rd32(b + 4);
	l->out_c = rd32(b + 8);
	l->in_l = rd32(b + 12);
	l->out_l = rd32(b + 16);
	l->kernel = rd16(b + 20);
	l->stride = rd16(b + 22);
	l->pad = rd16(b + 24);
	l->nsegs = rd32(b + 28);

	if (l->op < RBNN_LAYER_FC || l->op > RBNN_LAYER_MAXPOOL1D)
		return fail(c, off, "layer %u: unknown op %u", i, l->op);
	if (l->out_mode > RBNN_OUT_SCORES)
		return fail(c, off, "layer %u: unknown out_mode %u", i,
			    l->out_mode);
	if (rd16(b + 2) || rd16(b + 26) || !all_zero(b + 36, 28))
		return fail(c, off, "layer %u: reserved fields not zero", i);
	if (l->in_c != prev_c || l->in_l != prev_l)
		return fail(c, off, "layer %u: input %ux%u, previous output %ux%u",
			    i, l->in_c, l->in_l, prev_c, prev_l);
	if (check_shape(c, off, l, i == 0, i + 1 == pr->nlayers, pr->in_bits))
		return -1;
	return parse_segs(c, off, l, rd32(b + 32), &pr->max_count);
}

static void free_layers(struct rbnn_prog *pr)
{
	uint32_t i;

	if (!pr->layers)
		return;
	for (i = 0; i < pr->nlayers; i++) {
		free(pr->layers[i].segs);
		free(pr->layers[i].blk);
	}
	free(pr->layers);
}

void rbnn_prog_free(struct rbnn_prog *pr)
{
	struct scratch *s;

	if (!pr)
		return;
	free_layers(pr);
	s = pr->s;
	if (s) {
		free(s->planes);
		free(s->act[0]);
		free(s->act[1]);
		free(s->win);
		free(s->mask);
		free(s->pool);
		free(s->acc);
		free(s->cnt);
		free(s->thr);
		free(s->acc32);
		free(s->lim);
		free(s->packed);
		free(s);
	}
	free(pr);
}

static int alloc_scratch(struct parse *c, struct rbnn_prog *pr)
{
	struct scratch *s = calloc(1, sizeof(*s));
	uint32_t i, max_c = 1;
	size_t act = 1;

	pr->s = s;
	if (!s)
		return fail(c, 0, "out of memory");
	for (i = 0; i < pr->nlayers; i++) {
		const struct layer *l = &pr->layers[i];
		uint64_t e = (uint64_t)l->out_c * l->out_l;

		if (slack_words(e) > act)
			act = slack_words(e);
		if (l->out_c > max_c)
			max_c = l->out_c;
	}
	if (pr->in_c > max_c)
		max_c = pr->in_c;
	pr->act_words = act;
	s->planes = calloc(pr->plane_words * pr->in_bits, sizeof(uint64_t));
	s->act[0] = calloc(act, sizeof(uint64_t));
	s->act[1] = calloc(act, sizeof(uint64_t));
	s->win = calloc((size_t)pr->words * pr->in_bits, sizeof(uint64_t));
	s->mask = calloc(pr->words, sizeof(uint64_t));
	s->pool = calloc(slack_words(max_c), sizeof(uint64_t));
	s->acc = calloc(max_c, sizeof(int64_t));
	s->thr = calloc(max_c, sizeof(int32_t));
	s->cnt = calloc(pr->max_count + 1, sizeof(uint32_t));
	s->acc32 = calloc(max_c, sizeof(uint32_t));
	s->lim = calloc(max_c, sizeof(int32_t));
	s->packed = calloc(div_up(max_c, 64), sizeof(uint64_t));
	if (!s->planes || !s->act[0] || !s->act[1] || !s->win || !s->mask ||
	    !s->pool || !s->acc || !s->thr || !s->cnt || !s->acc32 ||
	    !s->lim || !s->packed)
		return fail(c, 0, "out of memory");
	return 0;
}

struct rbnn_prog *rbnn_prog_parse(const struct rbnn_array *a, const void *img,
				  size_t len, char *err, size_t errlen,
				  uint32_t *err_off)
{
	struct parse c = {
		.p = rbnn_array_params(a), .img = img, .len = len,
		.err = err, .errlen = errlen,
	};
	struct rbnn_prog *pr = calloc(1, sizeof(*pr));
	uint32_t i, prev_c, prev_l;

	if (errlen)
		err[0] = '\0';
	if (!pr) {
		fail(&c, 0, "out of memory");
		goto bad;
	}
	pr->cols = c.p->cols;
	pr->words = c.p->cols / 64;
	if (!img || parse_header(&c, pr))
		goto bad;
	pr->layers = calloc(pr->nlayers, sizeof(*pr->layers));
	if (!pr->layers) {
		fail(&c, 0, "out of memory");
		goto bad;
	}
	prev_c = pr->in_c;
	prev_l = pr->in_l;
	for (i = 0; i < pr->nlayers; i++) {
		struct layer *l = &pr->layers[i];
		uint32_t planes = i ? 1 : pr->in_bits;

		if (parse_layer(&c, pr, i, prev_c, prev_l))
			goto bad;
		/*
		 * A sum is at most n * (2^planes - 1); with room for 2 * acc
		 * in an int32 the layer runs on 32-bit sums.
		 */
		l->narrow = l->n <= (INT32_MAX / 2) / ((1u << planes) - 1);
		prev_c = pr->layers[i].out_c;
		prev_l = pr->layers[i].out_l;
	}
	pr->out_bytes = layer_out_bytes(&pr->layers[pr->nlayers - 1]);
	if (alloc_scratch(&c, pr))
		goto bad;
	if (err_off)
		*err_off = 0;
	return pr;
bad:
	if (err_off)
		*err_off = c.off;
	rbnn_prog_free(pr);
	return NULL;
}

size_t rbnn_prog_in_bytes(const struct rbnn_prog *prog)
{
	return prog->in_bytes;
}

size_t rbnn_prog_out_bytes(const struct rbnn_prog *prog)
{
	return prog->out_bytes;
}

/* ---- bit helpers ----------------------------------------------------- */

/*
 * 64 bits of @src starting at bit @pos (>= -63); bits before 0 read as 0.
 * @src has a word of slack past its last valid bit.
 */
static inline uint64_t load_bits(const uint64_t *src, int64_t pos)
{
	uint64_t q, r;

	if (pos < 0)
		return src[0] << (-pos);
	q = (uint64_t)pos / 64;
	r = (uint64_t)pos % 64;
	return r ? (src[q] >> r) | (src[q + 1] << (64 - r)) : src[q];
}

/* Ones at bits [lo, hi) of a 64-bit word (hi <= 64); 0 if lo >= hi. */
static inline uint64_t range_mask(uint32_t lo, uint32_t hi)
{
	uint64_t m;

	if (lo >= hi)
		return 0;
	m = hi >= 64 ? ~0ull : (1ull << hi) - 1;
	return m & (~0ull << lo);
}

/*
 * dst bits [lo, hi) = src bits [s0 + lo, s0 + hi), other bits of the
 * first @words words 0.
 */
static void window_copy(uint64_t *dst, uint32_t words, const uint64_t *src,
			int64_t s0, uint32_t lo, uint32_t hi)
{
	uint32_t w;

	if (words == 1) {	/* the common narrow window, no loop */
		dst[0] = lo < hi ? load_bits(src, s0) & range_mask(lo, hi) : 0;
		return;
	}
	memset(dst, 0, words * sizeof(*dst));
	for (w = lo / 64; w * 64 < hi; w++) {
		uint32_t a = lo > w * 64 ? lo - w * 64 : 0;
		uint32_t b = hi - w * 64 < 64 ? hi - w * 64 : 64;

		dst[w] = load_bits(src, s0 + w * 64) & range_mask(a, b);
	}
}

/* OR @n bits of @v into @dst at bit @pos (dst has a word of slack). */
static void store_bits(uint64_t *dst, uint64_t pos, const uint64_t *v,
		       uint32_t n)
{
	uint32_t w, r = pos % 64;
	uint64_t q = pos / 64;

	for (w = 0; w * 64 < n; w++) {
		uint64_t x = v[w] & range_mask(0, n - w * 64 < 64 ?
						  n - w * 64 : 64);

		dst[q + w] |= x << r;
		if (r)
			dst[q + w + 1] |= x >> (64 - r);
	}
}

/* ---- running --------------------------------------------------------- */

/* Split the input item into bit planes (host-order words). */
static void load_input(const struct rbnn_prog *pr, const void *in)
{
	struct scratch *s = pr->s;
	uint64_t elems = (uint64_t)pr->in_c * pr->in_l, e;
	const uint8_t *q = in;
	uint32_t p;

	memset(s->planes, 0, pr->plane_words * pr->in_bits * sizeof(uint64_t));
	if (pr->in_bits == 1) {
		for (e = 0; e < pr->in_bytes / 8; e++) {
			uint64_t v;

			memcpy(&v, q + 8 * e, 8);
			s->planes[e] = le64toh(v);
		}
		/* Bits past the item's elements are padding: ignore them. */
		s->planes[elems / 64] &= range_mask(0, elems % 64);
		return;
	}
	/*
	 * Eight elements at a time: bit p of each byte gathered into a byte
	 * by one multiply (the partial products neither overlap nor carry).
	 */
	for (e = 0; e + 8 <= elems; e += 8) {
		uint64_t v;

		memcpy(&v, q + e, 8);
		v = le64toh(v);
		for (p = 0; p < pr->in_bits; p++) {
			uint64_t b = ((v >> p) & 0x0101010101010101ull) *
				     0x0102040810204080ull >> 56;

			s->planes[p * pr->plane_words + e / 64] |=
				b << (e % 64);
		}
	}
	for (; e < elems; e++)
		for (p = 0; p < pr->in_bits; p++)
			if ((q[e] >> p) & 1)
				s->planes[p * pr->plane_words + e / 64] |=
					1ull << (e % 64);
}

/* Thresholds of the outputs: those of their block-0 rows. */
static void load_thresholds(const struct rbnn_array *a,
			    const struct layer *l, int32_t *thr)
{
	uint32_t j, i;

	for (j = l->blk[0]; j < l->blk[1]; j++) {
		const struct seg *sg = &l->segs[j];

		for (i = 0; i < sg->out_count; i++)
			thr[sg->out_first + i] =
				rbnn_array_threshold(a, sg->tile, sg->row + i);
	}
}

/*
 * Write the outputs of position @t, S = 2 * acc - @offset: bits into @dst
 * or scores into @out.
 */
static void emit(const struct rbnn_prog *pr, const struct layer *l,
		 uint32_t t, int64_t offset, uint64_t *dst, uint8_t *out)
{
	struct scratch *s = pr->s;
	uint64_t e0 = (uint64_t)t * l->out_c;
	uint32_t o;

	if (l->out_mode == RBNN_OUT_SCORES) {
		for (o = 0; o < l->out_c; o++) {
			int64_t v = 2 * s->acc[o] - offset;
			uint32_t le;

			v = v > INT32_MAX ? INT32_MAX :
			    v < INT32_MIN ? INT32_MIN : v;
			le = htole32((uint32_t)(int32_t)v);
			memcpy(out + 4 * (e0 + o), &le, 4);
		}
		return;
	}
	/* Gather each destination word's bits in a register. */
	for (o = 0; o < l->out_c;) {
		uint64_t e = e0 + o, word = 0;
		uint32_t sh = (uint32_t)(e % 64), n = 64 - sh, k;

		if (n > l->out_c - o)
			n = l->out_c - o;
		for (k = 0; k < n; k++)
			word |= (uint64_t)(2 * s->acc[o + k] - offset >=
					   s->thr[o + k]) << k;
		dst[e / 64] |= word << sh;
		o += n;
	}
}


/*
 * Limits of the bit outputs for sum offset @offset: S = 2 * acc - offset
 * >= thr exactly when acc >= ceil((thr + offset) / 2), clamped to
 * [0, INT32_MAX] (acc of a narrow layer is at most INT32_MAX / 2).
 */
static void set_limits(const struct layer *l, const int32_t *thr,
		       int64_t offset, int32_t *lim)
{
	uint32_t o;

	for (o = 0; o < l->out_c; o++) {
		int64_t x = (int64_t)thr[o] + offset;
		int64_t v = x >= 0 ? (x + 1) / 2 : -(-x / 2);

		lim[o] = v < 0 ? 0 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
	}
}

/* Four int32 lanes (GNU C vector extension; plain code on any target). */
typedef int32_t v4si __attribute__((vector_size(16)));

/*
 * Bit outputs of position @t of a narrow layer: acc32[o] >= lim[o] (both
 * in [0, INT32_MAX]), sixteen at a time: lane compares give -1 or 0, each
 * lane keeps its own bit and the lanes are ORed together.
 */
static void emit_narrow_bits(const struct rbnn_prog *pr,
			     const struct layer *l, uint32_t t, uint64_t *dst)
{
	struct scratch *s = pr->s;
	const uint32_t *acc = s->acc32;
	const int32_t *lim = s->lim;
	uint64_t *packed = s->packed;
	uint32_t n = l->out_c, o, k;
	const v4si b0 = { 1 << 0, 1 << 1, 1 << 2, 1 << 3 };

	for (o = 0; o < (n + 63) / 64; o++)
		packed[o] = 0;
	for (o = 0; o + 16 <= n; o += 16) {
		v4si x = { 0, 0, 0, 0 };
		uint64_t v;

		for (k = 0; k < 4; k++) {
			v4si av, lv;

			memcpy(&av, acc + o + 4 * k, sizeof(av));
			memcpy(&lv, lim + o + 4 * k, sizeof(lv));
			x |= (av >= lv) & (b0 << (int32_t)(4 * k));
		}
		v = (uint32_t)(x[0] | x[1] | x[2] | x[3]);
		packed[o / 64] |= v << (o % 64);
	}
	for (; o < n; o++)
		packed[o / 64] |= (uint64_t)((int32_t)acc[o] >= lim[o]) <<
				  (o % 64);
	store_bits(dst, (uint64_t)t * n, packed, n);
}


/*
 * ---- resumable run ------------------------------------------------------
 *
 * An item runs as a sequence of small steps with the cursor in the
 * scratch (struct cursor): layer, output position, column block, segment,
 * and inside a segment the plane and first row of the next piece. Every
 * step does exactly what the one-shot loops did, in the same order:
 *
 *   for layer: for position t: for block b: for segment j:
 *       rbnn_array_xnor_popcount_planes(rows of j, every plane)
 *
 * A segment read that does not fit the budget is split into pieces of
 * rows, plane by plane (the order in which that function senses them),
 * with cost NULL; its cost is added once when the last piece is done,
 * with rbnn_array_planes_cost() (the same additions). So results, array
 * state, random draws and costs do not depend on the budget.
 */

/* Budget units of reading @rows rows of @cells cells (at least 1). */
static uint64_t units(uint64_t rows, uint64_t cells)
{
	uint64_t u = rows * cells;

	return u ? u : 1;
}

static void spend(uint64_t *budget, uint64_t u)
{
	*budget = u < *budget ? *budget - u : 0;
}

/*
 * Set up block @b at position @t of the current layer: the window (and
 * mask) of every plane. Returns the number of valid (not padding) cells.
 */
static uint32_t block_setup(const struct rbnn_prog *pr, const struct layer *l,
			    const uint64_t *src, uint32_t planes, uint32_t t,
			    uint32_t b)
{
	struct scratch *s = pr->s;
	struct cursor *k = &s->k;
	uint64_t elems = (uint64_t)l->in_c * l->in_l;
	uint64_t j0 = (uint64_t)b * pr->cols;
	uint32_t nb = l->n - j0 < pr->cols ? (uint32_t)(l->n - j0) : pr->cols;
	int64_t s0 = (int64_t)j0;
	uint32_t lo, hi, p, i, valid;
	uint32_t nbw = (nb + 63) / 64;	/* words the reads look at */

	/* Window start in input bits; only CONV1D moves and pads. */
	if (l->op == RBNN_LAYER_CONV1D)
		s0 += ((int64_t)t * l->stride - l->pad) * l->in_c;
	lo = s0 < 0 ? (uint32_t)(-s0 < nb ? -s0 : nb) : 0;
	hi = s0 + nb <= (int64_t)elems ? nb :
	     (int64_t)elems > s0 + lo ? (uint32_t)(elems - s0) : lo;
	valid = hi - lo;
	k->nb = nb;
	k->mask = NULL;
	if (!valid)
		return 0;	/* all padding: contributes 0 */

	for (p = 0; p < planes; p++) {
		const uint64_t *plane = src + p * pr->plane_words;

		if (lo == 0 && hi == nb && s0 % 64 == 0) {
			k->win[p] = plane + s0 / 64;
		} else {
			uint64_t *w = s->win + (size_t)p * pr->words;

			window_copy(w, nbw, plane, s0, lo, hi);
			k->win[p] = w;
		}
	}
	if (valid != nb) {
		for (i = 0; i < nbw; i++) {
			uint32_t ml = lo > i * 64 ? lo - i * 64 : 0;
			uint32_t mh = hi > i * 64 ? hi - i * 64 : 0;

			s->mask[i] = range_mask(ml, mh < 64 ? mh : 64);
		}
		k->mask = s->mask;
	}
	return valid;
}

/*
 * Segment k->j of the current block, as far as the budget goes. Narrow
 * layers add to acc32[] (while k->fresh the first reads write there
 * directly: the segments of a block cover every output exactly once),
 * the others to acc[]. Returns true when the segment is done.
 */
static bool run_seg(struct rbnn_array *a, const struct rbnn_prog *pr,
		    const struct layer *l, uint32_t planes,
		    struct rbnn_cost *cost, uint64_t *budget)
{
	struct scratch *s = pr->s;
	struct cursor *k = &s->k;
	const struct seg *sg = &l->segs[k->j];
	uint32_t cells = k->valid, n = sg->out_count, i;
	uint64_t whole = units((uint64_t)n * planes, cells);

	if (!k->sp && !k->sr && whole <= *budget) {
		/* The whole read at once, as a one-shot run does it. */
		if (l->narrow) {
			uint32_t *acc = s->acc32 + sg->out_first;

			if (k->fresh) {
				rbnn_array_xnor_popcount_planes(a, sg->tile,
					sg->row, n, k->win, planes, k->mask,
					k->nb, acc, cost);
			} else {
				rbnn_array_xnor_popcount_planes(a, sg->tile,
					sg->row, n, k->win, planes, k->mask,
					k->nb, s->cnt, cost);
				for (i = 0; i < n; i++)
					acc[i] += s->cnt[i];
			}
		} else {
			int64_t *acc = s->acc + sg->out_first;

			rbnn_array_xnor_popcount_planes(a, sg->tile, sg->row,
							n, k->win, planes,
							k->mask, k->nb, s->cnt,
							cost);
			for (i = 0; i < n; i++)
				acc[i] += s->cnt[i];
		}
		spend(budget, whole);
		return true;
	}
	/* Pieces: plane k->sp, rows from k->sr. */
	while (*budget) {
		uint32_t left = n - k->sr;
		uint64_t fit = *budget / (cells ? cells : 1);
		uint32_t m = fit >= left ? left : fit ? (uint32_t)fit : 1;
		uint32_t p = k->sp, first = sg->out_first + k->sr;

		rbnn_array_xnor_popcount_planes(a, sg->tile, sg->row + k->sr,
						m, &k->win[p], 1, k->mask,
						k->nb, s->cnt, NULL);
		if (l->narrow) {
			uint32_t *acc = s->acc32 + first;

			for (i = 0; i < m; i++)
				acc[i] = (k->fresh && !p ? 0 : acc[i]) +
					 (s->cnt[i] << p);
		} else {
			int64_t *acc = s->acc + first;

			for (i = 0; i < m; i++)
				acc[i] += (int64_t)s->cnt[i] << p;
		}
		spend(budget, units(m, cells));
		k->sr += m;
		if (k->sr < n)
			continue;
		k->sr = 0;
		if (++k->sp < planes)
			continue;
		k->sp = 0;
		rbnn_array_planes_cost(a, n, planes, cells, cost);
		return true;
	}
	return false;
}

/* Outputs of position k->t once every block is read. */
static void finish_position(const struct rbnn_prog *pr, const struct layer *l,
			    uint64_t *dst, uint8_t *out)
{
	struct scratch *s = pr->s;
	struct cursor *k = &s->k;
	uint32_t o;

	if (!l->narrow) {
		emit(pr, l, k->t, k->offset, dst, out);
		return;
	}
	if (k->fresh)	/* every block was padding */
		for (o = 0; o < l->out_c; o++)
			s->acc32[o] = 0;
	if (l->out_mode == RBNN_OUT_SCORES) {
		for (o = 0; o < l->out_c; o++)
			s->acc[o] = s->acc32[o];
		emit(pr, l, k->t, k->offset, dst, out);
		return;
	}
	/* The offset only changes at padded edges. */
	if (!k->have_lim || k->offset != k->lim_offset) {
		set_limits(l, s->thr, k->offset, s->lim);
		k->lim_offset = k->offset;
		k->have_lim = true;
	}
	emit_narrow_bits(pr, l, k->t, dst);
}

/* One MAXPOOL1D output position. */
static void maxpool_position(const struct rbnn_prog *pr, const struct layer *l,
			     const uint64_t *src, uint64_t *dst, uint32_t t)
{
	uint64_t *pool = pr->s->pool;
	uint32_t c = l->in_c, words = (uint32_t)slack_words(c), k, w;

	if (c <= 64) {	/* one word per position */
		uint64_t v = 0;

		for (k = 0; k < l->kernel; k++)
			v |= load_bits(src, ((int64_t)t * l->stride + k) * c);
		store_bits(dst, (uint64_t)t * c, &v, c);
		return;
	}
	memset(pool, 0, words * sizeof(*pool));
	for (k = 0; k < l->kernel; k++) {
		int64_t pos = ((int64_t)t * l->stride + k) * c;

		for (w = 0; w * 64 < c; w++)
			pool[w] |= load_bits(src, pos + w * 64);
	}
	store_bits(dst, (uint64_t)t * c, pool, c);
}

void rbnn_prog_begin(const struct rbnn_prog *prog, const void *in, void *out)
{
	struct cursor *k = &prog->s->k;

	memset(k, 0, sizeof(*k));
	k->out = out;
	memset(out, 0, prog->out_bytes);
	load_input(prog, in);
}

bool rbnn_prog_step(struct rbnn_array *a, const struct rbnn_prog *prog,
		    struct rbnn_cost *cost, uint64_t *budget)
{
	struct scratch *s = prog->s;
	struct cursor *k = &s->k;

	while (k->layer < prog->nlayers) {
		const struct layer *l = &prog->layers[k->layer];
		const uint64_t *src = k->layer ? s->act[(k->layer - 1) % 2] :
						 s->planes;
		uint32_t planes = k->layer ? 1 : prog->in_bits;
		uint64_t *dst = s->act[k->layer % 2];

		if (!*budget)
			return false;
		if (!k->layer_on) {
			memset(dst, 0, prog->act_words * sizeof(*dst));
			if (l->op != RBNN_LAYER_MAXPOOL1D)
				load_thresholds(a, l, s->thr);
			k->have_lim = false;
			k->t = 0;
			k->pos_on = false;
			k->layer_on = true;
			spend(budget, units(1, l->out_c));
			continue;
		}
		if (k->t == l->out_l) {
			k->layer++;
			k->layer_on = false;
			continue;
		}
		if (l->op == RBNN_LAYER_MAXPOOL1D) {
			maxpool_position(prog, l, src, dst, k->t);
			spend(budget, units(l->kernel, l->in_c));
			k->t++;
			continue;
		}
		if (!k->pos_on) {
			k->offset = 0;
			k->fresh = true;
			if (!l->narrow)
				memset(s->acc, 0, l->out_c * sizeof(*s->acc));
			k->b = 0;
			k->blk_on = false;
			k->pos_on = true;
			continue;
		}
		if (k->b == l->nblocks) {
			finish_position(prog, l, dst, k->out);
			spend(budget, units(1, l->out_c));
			k->t++;
			k->pos_on = false;
			continue;
		}
		if (!k->blk_on) {
			k->valid = block_setup(prog, l, src, planes, k->t,
					       k->b);
			if (!k->valid) {
				k->b++;
				continue;
			}
			k->j = l->blk[k->b];
			k->sp = k->sr = 0;
			k->blk_on = true;
		}
		if (k->j == l->blk[k->b + 1]) {
			k->offset += (int64_t)k->valid *
				     (((int64_t)1 << planes) - 1);
			if (l->narrow)
				k->fresh = false;
			k->b++;
			k->blk_on = false;
			continue;
		}
		if (run_seg(a, prog, l, planes, cost, budget))
			k->j++;
	}
	if (!k->done) {
		k->done = true;
		if (prog->layers[prog->nlayers - 1].out_mode == RBNN_OUT_BITS) {
			const uint64_t *res = s->act[(prog->nlayers - 1) % 2];
			uint8_t *o8 = k->out;
			size_t w;

			for (w = 0; w < prog->out_bytes / 8; w++) {
				uint64_t v = htole64(res[w]);

				memcpy(o8 + 8 * w, &v, 8);
			}
		}
	}
	return true;
}

void rbnn_prog_run(struct rbnn_array *a, const struct rbnn_prog *prog,
		   const void *in, void *out, struct rbnn_cost *cost)
{
	uint64_t budget = UINT64_MAX;

	rbnn_prog_begin(prog, in, out);
	while (!rbnn_prog_step(a, prog, cost, &budget))
		budget = UINT64_MAX;
}
