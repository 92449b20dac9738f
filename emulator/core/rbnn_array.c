/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: the RRAM array and its periphery.
 *
 * Each row keeps three bit planes: the programmed bits, the stuck mask and
 * the stuck values, plus an "effective" plane: what the sense amplifiers
 * see without transient errors (programmed bits, flipped where the cell's
 * margin is gone, stuck cells forced). XNOR-popcount then costs one pass
 * over the effective words whether the error model is on or not; transient
 * sense errors are drawn as "cells until the next error" across reads.
 *
 * With the error model on, each cell also keeps its margin right after
 * programming (m0, ln units) and its drift coefficient (nu). The effective
 * plane depends on the array age and is recomputed lazily: the array bumps
 * a generation number when the age moves and a row recomputes when its
 * generation is stale.
 *
 * The calibrated model (issue 15, Documentation/rbnn-device.rst): the
 * per-program work (switching failures, device-to-device offsets from a
 * hash, the worn window, the energy's wear) is done when a cell is
 * programmed; the per-row work (Arrhenius retention age, read disturb at
 * doublings of the read count) when the effective bits are recomputed;
 * the per-column SA offsets are fixed at creation. A read costs what it
 * did: one pass over the effective words, plus a read counter when read
 * disturb is on.
 */
#include <endian.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_regs.h"
#include "rbnn_array.h"
#include "rbnn_rng.h"

/*
 * Popcount kernels are built for popcnt and for baseline x86-64 and
 * picked at load time, so the build needs no -mpopcnt.
 */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define RBNN_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#endif
#endif
#ifndef RBNN_POPCNT_CLONES
#define RBNN_POPCNT_CLONES
#endif

#define RBNN_STATE_MAGIC	0x414e4252u	/* "RBNA" */
#define RBNN_STATE_VERSION	3u
#define RBNN_STATE_HDR		48u
#define RBNN_STATE_GLOBALS	80u
#define RBNN_STATE_ROW		48u

/* Margin of a cell that was never programmed: reads its bit for ages. */
#define RBNN_FRESH_MARGIN	100.0f

struct rbnn_row {
	uint64_t cycles;	/* program cycles (times wear_accel) */
	uint64_t eff_gen;	/* generation the effective bits were made at */
	double t_prog;		/* array age when last programmed */
	double t_prog_eff;	/* retention-equivalent age then (Arrhenius) */
	double wear;		/* damage in reference cycles (Miner's sum) */
	uint64_t reads;		/* data reads of the row since programming */
	uint64_t rd_next;	/* reads at which read disturb is re-evaluated */
	int32_t thr;
	uint32_t stuck;		/* cells in the stuck mask */
	uint32_t unverified;	/* cells that failed the last verify */
};

struct rbnn_array {
	struct rbnn_params p;
	unsigned int words;	/* words per row */
	size_t nrows;		/* rows over all tiles */
	struct rbnn_rng rng;
	double age;
	double eff_age;		/* age at the reference temperature */
	double temp_c;		/* present temperature */
	double accel;		/* Arrhenius factor at temp_c */
	uint64_t gen;		/* bumped when the age moves */

	/* transient sense errors */
	bool transient;
	bool disturb;		/* read disturb on: count reads per row */
	double read_geo;	/* geometric parameter for read_ber */
	uint64_t next_err;	/* error-free cell reads before the next error */

	double s_h;		/* ln R_HRS spread */
	double ln_ref;		/* 1T1R reference, ln ohm */
	double a_d2d, a_c2c;	/* weights of the device and cycle parts */
	uint64_t d2d_key;	/* hash key of the device-to-device offsets */

	/* periphery at the supply vdd_v */
	double e_read, e_pop, t_read, leak;	/* fJ, fJ, ns, fJ per ns */
	float *sa_off;		/* per column of each tile, ln units */

	struct rbnn_row *row;
	uint64_t *tile_gen;	/* generation all rows of a tile are fresh at */
	uint64_t *eff, *prog, *smask, *sval;
	float *m0, *nu;		/* per cell, error model only */
	uint64_t *tmp;		/* one row of scratch */

	/*
	 * Rows whose saved state (rbnn_array_save_row()) changed since the
	 * embedding last took them: one bit per row, and their count.
	 */
	uint64_t *dirty;
	size_t ndirty;
};

/* Programming settings resolved against the defaults. */
struct prog_set {
	double mu_l, s_l;	/* ln R_LRS distribution at the current */
	double mu_h;		/* ln R_HRS median at V_reset and pulse */
	uint64_t sw_thresh;	/* switching failure: draw < this (2^-64 units) */
	double wear;		/* damage of one cycle, reference cycles */
	double cur;		/* programming current, uA */
	double e_pulse_fj;	/* energy of one device pulse */
	uint32_t pulse_ns;
	uint32_t verify_max;
	bool verify;
};

/* ---- small helpers --------------------------------------------------- */

static inline unsigned int devs_per_cell(const struct rbnn_array *a)
{
	return a->p.cell_mode == RBNN_CELL_2T2R ? 2 : 1;
}

static inline bool row_ok(const struct rbnn_array *a, uint32_t tile,
			  uint32_t row)
{
	return tile < a->p.tiles && row < a->p.rows;
}

static inline size_t row_index(const struct rbnn_array *a, uint32_t tile,
			       uint32_t row)
{
	return (size_t)tile * a->p.rows + row;
}

static inline uint64_t *row_words(uint64_t *plane, const struct rbnn_array *a,
				  size_t idx)
{
	return plane + idx * a->words;
}

/* Row @idx's saved state changed (it must be sent again). */
static inline void row_dirty(struct rbnn_array *a, size_t idx)
{
	uint64_t bit = 1ull << (idx % 64);

	if (!(a->dirty[idx / 64] & bit)) {
		a->dirty[idx / 64] |= bit;
		a->ndirty++;
	}
}

static inline uint64_t tail_mask(uint32_t nbits)
{
	return (nbits % 64) ? (1ull << (nbits % 64)) - 1 : ~0ull;
}

static inline uint32_t popcount64(uint64_t x)
{
	return (uint32_t)__builtin_popcountll(x);
}

static void cost_read(const struct rbnn_array *a, struct rbnn_cost *cost,
		      uint32_t cells)
{
	if (!cost)
		return;
	cost->energy_fj += cells * a->e_read + a->e_pop +
			   a->leak * a->t_read;
	cost->time_ns += a->t_read;
	cost->cell_reads += cells;
	cost->progress++;
}

/* Time of one programming pass over @cells cells of a row. */
static double pass_time(const struct rbnn_array *a, const struct prog_set *s,
			uint32_t cells)
{
	uint32_t groups = (cells + a->p.prog_parallel - 1) / a->p.prog_parallel;

	return (double)groups * s->pulse_ns * devs_per_cell(a);
}

static void cost_pulses(const struct rbnn_array *a, const struct prog_set *s,
			struct rbnn_cost *cost, uint32_t cells,
			uint64_t *pulses)
{
	uint64_t n = (uint64_t)cells * devs_per_cell(a);

	*pulses += n;
	if (!cost)
		return;
	cost->energy_fj += (double)n * s->e_pulse_fj +
			   a->leak * pass_time(a, s, cells);
	cost->time_ns += pass_time(a, s, cells);
	cost->pulses += n;
}

/* ---- popcount kernels ------------------------------------------------ */

/* Ones in byte lanes [lo, hi) of a word, clamped to lane 8; 0 if empty. */
static inline uint64_t byte_lanes(uint32_t lo, uint32_t hi)
{
	uint64_t m;

	if (lo > 8)
		lo = 8;
	if (hi > 8)
		hi = 8;
	if (lo >= hi)
		return 0;
	m = hi >= 8 ? ~0ull : (1ull << (8 * hi)) - 1;
	return m & ~((1ull << (8 * lo)) - 1);
}

/*
 * Matching cells of @count consecutive rows (@words apart, from @w) with
 * @in over bits [0, nbits): out[i] for row i. One call covers a whole
 * segment so the dispatch and loop set-up are paid once.
 */
RBNN_POPCNT_CLONES
static void xnor_rows(const uint64_t *w, unsigned int words, uint32_t count,
		      const uint64_t *in, uint32_t nbits, uint32_t *out)
{
	uint32_t nw = nbits / 64, r, i;
	uint64_t tail = tail_mask(nbits);

	if (nbits && nbits <= 128) {
		/* One or two words: operands in registers, no inner loop. */
		uint64_t x0 = in[0], m0 = nbits < 64 ? tail : ~0ull;
		uint64_t x1 = nbits > 64 ? in[1] : 0;
		uint64_t m1 = nbits > 64 ? tail : 0;

		for (r = 0; r < count; r++, w += words)
			out[r] = nbits - (popcount64((w[0] ^ x0) & m0) +
					  (m1 ? popcount64((w[1] ^ x1) & m1)
					      : 0));
		return;
	}
	for (r = 0; r < count; r++, w += words) {
		uint32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;

		/* Four sums keep popcnt's latency off the critical path. */
		for (i = 0; i + 4 <= nw; i += 4) {
			c0 += popcount64(w[i] ^ in[i]);
			c1 += popcount64(w[i + 1] ^ in[i + 1]);
			c2 += popcount64(w[i + 2] ^ in[i + 2]);
			c3 += popcount64(w[i + 3] ^ in[i + 3]);
		}
		for (; i < nw; i++)
			c0 += popcount64(w[i] ^ in[i]);
		if (nbits % 64)
			c0 += popcount64((w[nw] ^ in[nw]) & tail);
		out[r] = nbits - (c0 + c1 + c2 + c3);
	}
}

/* Same over the cells selected by @mask, of which there are @cells. */
RBNN_POPCNT_CLONES
static void xnor_rows_masked(const uint64_t *w, unsigned int words,
			     uint32_t count, const uint64_t *in,
			     const uint64_t *mask, uint32_t nbits,
			     uint32_t cells, uint32_t *out)
{
	uint32_t nw = nbits / 64, r, i;
	uint64_t tail = tail_mask(nbits);

	for (r = 0; r < count; r++, w += words) {
		uint32_t c = 0;

		for (i = 0; i < nw; i++)
			c += popcount64((w[i] ^ in[i]) & mask[i]);
		if (nbits % 64)
			c += popcount64((w[nw] ^ in[nw]) & mask[nw] & tail);
		out[r] = cells - c;
	}
}

/* Cells selected by @mask among bits [0, nbits). */
static uint32_t mask_cells(const uint64_t *mask, uint32_t nbits)
{
	uint32_t nw = nbits / 64, i, v = 0;

	for (i = 0; i < nw; i++)
		v += popcount64(mask[i]);
	if (nbits % 64)
		v += popcount64(mask[nw] & tail_mask(nbits));
	return v;
}

/* Column of the @n-th (from 0) set bit of @mask; the caller knows it exists. */
static uint32_t nth_set(const uint64_t *mask, uint32_t nbits, uint64_t n)
{
	uint32_t i, nw = (nbits + 63) / 64;

	for (i = 0; i < nw; i++) {
		uint64_t m = mask[i];
		uint32_t c;

		if (i == nw - 1)
			m &= tail_mask(nbits);
		c = popcount64(m);
		if (n < c) {
			while (n--)
				m &= m - 1;
			return i * 64 + (uint32_t)__builtin_ctzll(m);
		}
		n -= c;
	}
	return nbits;	/* not reached */
}

/* Column of the @n-th clear bit of @mask at or after column @from, or cols. */
static uint32_t nth_clear(const uint64_t *mask, uint32_t cols, uint32_t from,
			  uint64_t n)
{
	uint32_t i;

	for (i = from / 64; i < cols / 64; i++) {
		uint64_t m = ~mask[i];
		uint32_t c;

		if (i == from / 64)
			m &= ~0ull << (from % 64);
		c = popcount64(m);
		if (n < c) {
			while (n--)
				m &= m - 1;
			return i * 64 + (uint32_t)__builtin_ctzll(m);
		}
		n -= c;
	}
	return cols;
}

/* ---- effective bits -------------------------------------------------- */

/* Drift loss factor ln(1 + dt / tau) of a row at the current age. */
static double drift_log(const struct rbnn_array *a, const struct rbnn_row *r)
{
	double dt = a->eff_age - r->t_prog_eff;

	return dt > 0 ? log1p(dt / a->p.drift_tau_s) : 0.0;
}

/*
 * Read disturb: margin lost by a row after its reads since programming,
 * read_disturb * ln(1 + reads / read_disturb_n0) ln units. It is
 * re-evaluated at doublings of the read count (rd_next), so the effective
 * bits are recomputed O(log reads) times.
 */
static double disturb_loss(const struct rbnn_array *a,
			   const struct rbnn_row *r)
{
	if (!(a->p.read_disturb > 0) || r->reads < a->p.read_disturb_n0)
		return 0.0;
	/* the value at the last doubling threshold passed */
	return a->p.read_disturb * log1p((double)(r->rd_next / 2) /
					 a->p.read_disturb_n0);
}

static inline void row_reset_reads(struct rbnn_array *a, struct rbnn_row *r)
{
	r->reads = 0;
	r->rd_next = a->p.error_model && a->p.read_disturb > 0 ?
		     (uint64_t)a->p.read_disturb_n0 : UINT64_MAX;
}

static inline void row_invalidate(struct rbnn_array *a, size_t idx);

/*
 * Count @n activations of row @idx (each read stresses all its cells);
 * past a doubling, its errors change.
 */
static inline void row_reads(struct rbnn_array *a, size_t idx, uint64_t n)
{
	struct rbnn_row *r = &a->row[idx];

	row_dirty(a, idx);
	r->reads = r->reads + n < r->reads ? UINT64_MAX : r->reads + n;
	if (__builtin_expect(r->reads >= r->rd_next, 0)) {
		while (r->rd_next <= r->reads && r->rd_next < UINT64_MAX / 2)
			r->rd_next *= 2;
		if (r->rd_next <= r->reads)
			r->rd_next = UINT64_MAX;
		row_invalidate(a, idx);
	}
}

/* Kept out of line: the read paths only call it when the age moved. */
__attribute__((noinline))
static void row_update_eff(struct rbnn_array *a, size_t idx)
{
	struct rbnn_row *r = &a->row[idx];
	const uint64_t *prog = row_words(a->prog, a, idx);
	const uint64_t *sm = row_words(a->smask, a, idx);
	const uint64_t *sv = row_words(a->sval, a, idx);
	uint64_t *eff = row_words(a->eff, a, idx);
	unsigned int w;

	if (a->p.error_model) {
		const float *m0 = a->m0 + idx * a->p.cols;
		const float *nu = a->nu + idx * a->p.cols;
		const float *off = a->sa_off + (idx / a->p.rows) * a->p.cols;
		float l = (float)drift_log(a, r);
		float d = (float)disturb_loss(a, r);

		for (w = 0; w < a->words; w++) {
			uint64_t flip = 0;
			unsigned int b;

			for (b = 0; b < 64; b++) {
				unsigned int c = w * 64 + b;
				/* The column's offset favours reading a 1. */
				float sg = (float)((int)((prog[w] >> b) & 1) * 2 - 1);

				/* A cell reads its bit only while margin > 0. */
				flip |= (uint64_t)!(m0[c] - nu[c] * l - d +
						    sg * off[c] > 0.0f) << b;
			}
			eff[w] = prog[w] ^ flip;
		}
	} else {
		memcpy(eff, prog, a->words * sizeof(*eff));
	}
	for (w = 0; w < a->words; w++)
		eff[w] = (eff[w] & ~sm[w]) | (sv[w] & sm[w]);
	r->eff_gen = a->gen;
}

/* Effective bits of a row, brought up to date with the age. */
static inline const uint64_t *row_eff(struct rbnn_array *a, size_t idx)
{
	if (__builtin_expect(a->row[idx].eff_gen != a->gen, 0))
		row_update_eff(a, idx);
	return row_words(a->eff, a, idx);
}

static inline void row_invalidate(struct rbnn_array *a, size_t idx)
{
	/* (declared above for row_reads) */
	a->row[idx].eff_gen = a->gen - 1;
	a->tile_gen[idx / a->p.rows] = a->gen - 1;
}

/*
 * Bring every row of @tile up to date, once per generation, so batched
 * reads need no per-row check.
 */
static inline void tile_fresh(struct rbnn_array *a, uint32_t tile)
{
	size_t idx = row_index(a, tile, 0);
	uint32_t i;

	if (__builtin_expect(a->tile_gen[tile] == a->gen, 1))
		return;
	for (i = 0; i < a->p.rows; i++)
		row_eff(a, idx + i);
	a->tile_gen[tile] = a->gen;
}

/* ---- transient sense errors ------------------------------------------ */

static void next_error(struct rbnn_array *a)
{
	a->next_err = rbnn_rng_geometric(&a->rng, a->read_geo);
}

/*
 * Index (from 0) of the next cell that senses wrong in a read of @cells
 * cells of which *@pos are done, or UINT64_MAX when the rest of the read
 * is error-free. Consumes the error counter either way.
 */
static uint64_t sense_next(struct rbnn_array *a, uint64_t *pos,
			   uint64_t cells)
{
	uint64_t left = cells - *pos, i;

	if (a->next_err >= left) {
		a->next_err -= left;
		*pos = cells;
		return UINT64_MAX;
	}
	i = *pos + a->next_err;
	*pos = i + 1;
	next_error(a);
	return i;
}

/* Adjust a match count @m for the sense errors of this read. */
__attribute__((noinline))
static uint32_t sense_errors(struct rbnn_array *a, const uint64_t *w,
			     const uint64_t *in, const uint64_t *mask,
			     uint32_t nbits, uint32_t cells, uint32_t m)
{
	uint64_t pos = 0, i;

	while ((i = sense_next(a, &pos, cells)) != UINT64_MAX) {
		uint32_t col = mask ? nth_set(mask, nbits, i) : (uint32_t)i;
		uint64_t diff = (w[col / 64] ^ in[col / 64]) >> (col % 64);

		/* A wrong sense turns a match into a mismatch or back. */
		if (diff & 1)
			m++;
		else
			m--;
	}
	return m;
}

/* Sense errors of one read; the common error-free case stays inline. */
static inline uint32_t sense(struct rbnn_array *a, const uint64_t *w,
			     const uint64_t *in, const uint64_t *mask,
			     uint32_t nbits, uint32_t cells, uint32_t m)
{
	if (a->next_err >= cells) {
		a->next_err -= cells;
		return m;
	}
	return sense_errors(a, w, in, mask, nbits, cells, m);
}

/* ---- public: periphery ----------------------------------------------- */

void rbnn_array_xnor_popcount_rows(struct rbnn_array *a, uint32_t tile,
				   uint32_t row, uint32_t count,
				   const uint64_t *in, const uint64_t *mask,
				   uint32_t nbits, uint32_t *out,
				   struct rbnn_cost *cost)
{
	const uint64_t *w;
	uint32_t cells, i;
	size_t idx;

	if (tile >= a->p.tiles || row > a->p.rows || count > a->p.rows - row) {
		memset(out, 0, count * sizeof(*out));
		return;
	}
	idx = row_index(a, tile, row);
	w = row_words(a->eff, a, idx);
	if (nbits > a->p.cols)
		nbits = a->p.cols;
	tile_fresh(a, tile);
	if (mask) {
		cells = mask_cells(mask, nbits);
		xnor_rows_masked(w, a->words, count, in, mask, nbits, cells,
				 out);
	} else {
		cells = nbits;
		xnor_rows(w, a->words, count, in, nbits, out);
	}
	if (a->disturb)
		for (i = 0; i < count; i++)
			row_reads(a, idx + i, 1);
	/* Rows are sensed in order, so errors land as with single reads. */
	if (a->transient) {
		uint64_t total = (uint64_t)count * cells;

		if (a->next_err >= total)
			a->next_err -= total;
		else
			for (i = 0; i < count; i++)
				out[i] = sense(a, w + (size_t)i * a->words, in,
					       mask, nbits, cells, out[i]);
	}
	if (cost) {
		cost->energy_fj += count * (cells * a->e_read + a->e_pop +
					    a->leak * a->t_read);
		cost->time_ns += count * a->t_read;
		cost->cell_reads += (uint64_t)count * cells;
		cost->progress += count;
	}
}

/*
 * Weighted matches of @count rows against @planes (1..8) inputs over bits
 * [0, nbits) selected by @mask (NULL: all), @cells of them:
 * out[r] = sum_p 2^p * matches(row r, in[p]). Each row word is loaded
 * once for all planes.
 */
RBNN_POPCNT_CLONES
static void xnor_planes(const uint64_t *w, unsigned int words, uint32_t count,
			const uint64_t *const *in, uint32_t planes,
			const uint64_t *mask, uint32_t nbits, uint32_t cells,
			uint32_t *out)
{
	uint32_t nw = (nbits + 63) / 64, r, i, p;
	uint64_t tail = tail_mask(nbits);
	uint32_t base = 0;

	for (p = 0; p < planes; p++)
		base += cells << p;
	if (nbits <= 8 && planes >= 2 && planes <= 4) {
		/*
		 * Windows of at most 8 bits: plane p's cells go in 2^p byte
		 * lanes of (at most) two words, so two popcounts give the
		 * weighted mismatches of a row. The row's byte is copied to
		 * every lane by a multiply; lanes past 2^planes - 1 are
		 * masked off.
		 */
		const uint64_t rep = 0x0101010101010101ull;
		uint64_t k = (tail & (mask ? mask[0] : ~0ull) & 0xff) * rep;
		uint64_t xa = 0, xb = 0, ka, kb;
		uint32_t used = (1u << planes) - 1;	/* lanes, <= 15 */

		/* Plane p fills lanes [2^p - 1, 2^(p + 1) - 1). */
		for (p = 0; p < planes; p++) {
			uint64_t xv = (in[p][0] & 0xff) * rep;
			uint32_t l0 = (1u << p) - 1, l1 = (1u << (p + 1)) - 1;

			xa |= xv & byte_lanes(l0, l1);
			xb |= xv & byte_lanes(l0 > 8 ? l0 - 8 : 0,
					      l1 > 8 ? l1 - 8 : 0);
		}
		ka = k & byte_lanes(0, used);
		kb = k & byte_lanes(0, used > 8 ? used - 8 : 0);
		for (r = 0; r < count; r++, w += words) {
			uint64_t v = (w[0] & 0xff) * 0x0101010101010101ull;

			out[r] = base - (popcount64((v ^ xa) & ka) +
					 popcount64((v ^ xb) & kb));
		}
		return;
	}
	if (nw == 1) {
		uint64_t k = tail & (mask ? mask[0] : ~0ull), x[8];

		for (p = 0; p < planes; p++)
			x[p] = in[p][0];
		if (planes == 4) {	/* the common 4-bit input, unrolled */
			for (r = 0; r < count; r++, w += words) {
				uint64_t v = w[0];

				out[r] = base -
					 (popcount64((v ^ x[0]) & k) +
					  (popcount64((v ^ x[1]) & k) << 1) +
					  (popcount64((v ^ x[2]) & k) << 2) +
					  (popcount64((v ^ x[3]) & k) << 3));
			}
			return;
		}
		for (r = 0; r < count; r++, w += words) {
			uint64_t v = w[0];
			uint32_t c = 0;

			for (p = 0; p < planes; p++)
				c += popcount64((v ^ x[p]) & k) << p;
			out[r] = base - c;
		}
		return;
	}
	for (r = 0; r < count; r++, w += words) {
		uint32_t c = 0;

		for (p = 0; p < planes; p++) {
			const uint64_t *x = in[p];
			uint32_t cp = 0;

			for (i = 0; i + 1 < nw; i++)
				cp += popcount64((w[i] ^ x[i]) &
						 (mask ? mask[i] : ~0ull));
			cp += popcount64((w[i] ^ x[i]) & tail &
					 (mask ? mask[i] : ~0ull));
			c += cp << p;
		}
		out[r] = base - c;
	}
}

void rbnn_array_xnor_popcount_planes(struct rbnn_array *a, uint32_t tile,
				     uint32_t row, uint32_t count,
				     const uint64_t *const *in,
				     uint32_t planes, const uint64_t *mask,
				     uint32_t nbits, uint32_t *out,
				     struct rbnn_cost *cost)
{
	const uint64_t *w;
	uint32_t cells, i, p;
	uint64_t total;

	if (tile >= a->p.tiles || row > a->p.rows || count > a->p.rows - row ||
	    planes < 1 || planes > 8) {
		memset(out, 0, count * sizeof(*out));
		return;
	}
	w = row_words(a->eff, a, row_index(a, tile, row));
	if (nbits > a->p.cols)
		nbits = a->p.cols;
	tile_fresh(a, tile);
	cells = mask ? mask_cells(mask, nbits) : nbits;
	total = (uint64_t)planes * count * cells;
	if (!nbits) {
		memset(out, 0, count * sizeof(*out));
	} else if (!a->transient || a->next_err >= total) {
		if (planes > 1)
			xnor_planes(w, a->words, count, in, planes, mask,
				    nbits, cells, out);
		else if (mask)
			xnor_rows_masked(w, a->words, count, in[0], mask,
					 nbits, cells, out);
		else
			xnor_rows(w, a->words, count, in[0], nbits, out);
		if (a->transient)
			a->next_err -= total;
	} else {
		/* Errors land in this batch: sense plane by plane, in order. */
		memset(out, 0, count * sizeof(*out));
		for (p = 0; p < planes; p++)
			for (i = 0; i < count; i++) {
				const uint64_t *wr = w + (size_t)i * a->words;
				uint32_t m;

				xnor_planes(wr, 0, 1, &in[p], 1, mask, nbits,
					    cells, &m);
				m = sense(a, wr, in[p], mask, nbits, cells, m);
				out[i] += m << p;
			}
	}
	if (a->disturb)
		for (i = 0; i < count; i++)
			row_reads(a, row_index(a, tile, row) + i, planes);
	rbnn_array_planes_cost(a, count, planes, cells, cost);
}

void rbnn_array_planes_cost(const struct rbnn_array *a, uint32_t count,
			    uint32_t planes, uint32_t cells,
			    struct rbnn_cost *cost)
{
	uint32_t p;

	if (!cost)
		return;
	for (p = 0; p < planes; p++) {
		cost->energy_fj += count * (cells * a->e_read + a->e_pop +
					    a->leak * a->t_read);
		cost->time_ns += count * a->t_read;
		cost->cell_reads += (uint64_t)count * cells;
		cost->progress += count;
	}
}

/* The single-row path stays lean: callers use it once per row. */
uint32_t rbnn_array_xnor_popcount(struct rbnn_array *a, uint32_t tile,
				  uint32_t row, const uint64_t *in,
				  const uint64_t *mask, uint32_t nbits,
				  struct rbnn_cost *cost)
{
	const uint64_t *w;
	uint32_t cells, m;

	if (!row_ok(a, tile, row))
		return 0;
	if (nbits > a->p.cols)
		nbits = a->p.cols;
	w = row_eff(a, row_index(a, tile, row));
	if (mask) {
		cells = mask_cells(mask, nbits);
		xnor_rows_masked(w, 0, 1, in, mask, nbits, cells, &m);
	} else {
		cells = nbits;
		xnor_rows(w, 0, 1, in, nbits, &m);
	}
	if (a->transient)
		m = sense(a, w, in, mask, nbits, cells, m);
	if (a->disturb)
		row_reads(a, row_index(a, tile, row), 1);
	cost_read(a, cost, cells);
	return m;
}

void rbnn_array_read(struct rbnn_array *a, uint32_t tile, uint32_t row,
		     uint64_t *out, struct rbnn_cost *cost)
{
	if (!row_ok(a, tile, row))
		return;
	memcpy(out, row_eff(a, row_index(a, tile, row)),
	       a->words * sizeof(*out));
	if (a->transient) {
		uint64_t pos = 0, i;

		while ((i = sense_next(a, &pos, a->p.cols)) != UINT64_MAX)
			out[i / 64] ^= 1ull << (i % 64);
	}
	if (a->disturb)
		row_reads(a, row_index(a, tile, row), 1);
	cost_read(a, cost, a->p.cols);
}

void rbnn_array_set_threshold(struct rbnn_array *a, uint32_t tile,
			      uint32_t row, int32_t thr)
{
	if (row_ok(a, tile, row)) {
		a->row[row_index(a, tile, row)].thr = thr;
		row_dirty(a, row_index(a, tile, row));
	}
}

int32_t rbnn_array_threshold(const struct rbnn_array *a, uint32_t tile,
			     uint32_t row)
{
	return row_ok(a, tile, row) ? a->row[row_index(a, tile, row)].thr : 0;
}

/* ---- programming ----------------------------------------------------- */

/* The parts of @s that follow the current @cur (uA). */
static void prog_current(const struct rbnn_params *p, struct prog_set *s,
			 double cur)
{
	double f = rbnn_params_sw_fail(p, cur, s->pulse_ns);

	s->cur = cur;
	s->mu_l = log(p->lrs_k_v / (cur * 1e-6));
	s->s_l = p->lrs_sigma_ref * pow(p->lrs_sigma_iref_ua / cur,
					p->lrs_sigma_exp);
	s->sw_thresh = f > 0 ? (uint64_t)(f * 0x1.0p64) : 0;
	/* V * uA * ns = 1e-15 J = 1 fJ */
	s->e_pulse_fj = p->prog_voltage_v * cur * s->pulse_ns;
}

static void prog_settings(const struct rbnn_array *a,
			  const struct rbnn_prog_opts *o, struct prog_set *s)
{
	const struct rbnn_params *p = &a->p;
	double cur = o && o->current_ua > 0 ? o->current_ua : p->prog_current_ua;

	s->pulse_ns = o && o->pulse_ns ? o->pulse_ns : p->pulse_ns;
	s->verify_max = o && o->verify_max ? o->verify_max : p->verify_max;
	s->verify = o && o->verify;
	prog_current(p, s, cur);
	s->mu_h = rbnn_params_ln_hrs(p, s->pulse_ns);
	s->wear = (double)p->wear_accel *
		  rbnn_params_wear_per_cycle(p, cur, s->pulse_ns);
}

/* splitmix64 finaliser: the hash behind the device-to-device offsets. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Fixed standard-normal offset of device @dev of @cell in state @lrs: the
 * same at every programming, so it correlates the cycles of a device.
 */
static double d2d_offset(const struct rbnn_array *a, size_t cell,
			 unsigned int dev, bool lrs)
{
	uint64_t k = ((uint64_t)cell << 2 | dev << 1 | lrs) + a->d2d_key;
	uint64_t h1 = mix64(k), h2 = mix64(h1 ^ 0x9e3779b97f4a7c15ull);
	double u1 = (double)((h1 >> 11) + 1) * 0x1.0p-53;
	double u2 = (double)(h2 >> 11) * 0x1.0p-53;

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/*
 * One device pulse towards LRS (@lrs) or HRS: ln R of the device. With
 * probability sw_fail it does not switch and stays in the other state.
 * @shift is the worn window: LRS up, HRS down by shift / 2 each.
 */
static double device_ln(struct rbnn_array *a, const struct prog_set *s,
			size_t cell, unsigned int dev, bool lrs, double shift)
{
	double z;

	if (s->sw_thresh && rbnn_rng_next(&a->rng) < s->sw_thresh)
		lrs = !lrs;
	z = a->a_c2c * rbnn_rng_normal(&a->rng);
	if (a->a_d2d > 0)
		z += a->a_d2d * d2d_offset(a, cell, dev, lrs);
	return lrs ? s->mu_l + s->s_l * z + 0.5 * shift :
		     s->mu_h + a->s_h * z - 0.5 * shift;
}

/*
 * Program one cell once: sample its devices, margin and drift. @shift is
 * the window its row has lost to wear (ln units).
 */
static void sample_cell(struct rbnn_array *a, const struct prog_set *s,
			size_t cell, bool bit, double shift)
{
	double nu, m;

	if (a->p.cell_mode == RBNN_CELL_2T2R) {
		/* Device 0 (bit line) is SET for a 1, device 1 for a 0. */
		double d0 = device_ln(a, s, cell, 0, bit, shift);
		double d1 = device_ln(a, s, cell, 1, !bit, shift);

		m = bit ? d1 - d0 : d0 - d1;
	} else if (bit) {
		m = a->ln_ref - device_ln(a, s, cell, 0, true, shift);
	} else {
		m = device_ln(a, s, cell, 0, false, shift) - a->ln_ref;
	}
	nu = a->p.drift_nu + a->p.drift_nu_sigma * rbnn_rng_normal(&a->rng);
	/* Retention depends on the state: a 1T1R LRS drifts less. */
	if (a->p.cell_mode == RBNN_CELL_1T1R && bit)
		nu *= a->p.drift_lrs_ratio;
	a->m0[cell] = (float)m;
	a->nu[cell] = nu > 0 ? (float)nu : 0.0f;
}

static inline bool bit_at(const uint64_t *v, uint32_t c)
{
	return (v[c / 64] >> (c % 64)) & 1;
}

/* Does cell @c of row @idx fail verify (after its latest pulse)? */
static bool verify_fails(const struct rbnn_array *a, size_t idx, uint32_t c)
{
	const uint64_t *prog = row_words(a->prog, a, idx);

	if (bit_at(row_words(a->smask, a, idx), c))
		return bit_at(row_words(a->sval, a, idx), c) != bit_at(prog, c);
	if (!a->p.error_model)
		return false;
	/* The verify read goes through the column's sense amplifier too. */
	{
		float o = a->sa_off[(idx / a->p.rows) * a->p.cols + c];

		if (!bit_at(prog, c))
			o = -o;
		return !(a->m0[idx * a->p.cols + c] + o >= a->p.verify_margin);
	}
}

/* Window lost to the wear of a row so far (ln units). */
static double row_shift(const struct rbnn_array *a, const struct rbnn_row *r)
{
	return a->p.window_loss * r->wear / a->p.endurance;
}

/* Mark the cells failing verify in a->tmp; returns their number. */
static uint32_t verify_scan(struct rbnn_array *a, size_t idx)
{
	uint32_t c, n = 0;

	memset(a->tmp, 0, a->words * sizeof(*a->tmp));
	for (c = 0; c < a->p.cols; c++) {
		if (verify_fails(a, idx, c)) {
			a->tmp[c / 64] |= 1ull << (c % 64);
			n++;
		}
	}
	return n;
}

/* Program-and-verify loop after the first pass; returns unverified cells. */
static uint32_t verify_row(struct rbnn_array *a, size_t idx,
			   const struct prog_set *s, uint64_t *pulses,
			   struct rbnn_cost *cost)
{
	const uint64_t *prog = row_words(a->prog, a, idx);
	double shift = row_shift(a, &a->row[idx]);
	struct prog_set st = *s;
	uint32_t fails, it, c;

	cost_read(a, cost, a->p.cols);
	fails = verify_scan(a, idx);
	for (it = 0; it < s->verify_max && fails; it++) {
		/* Incremental step: each re-pulse raises the current. */
		if (a->p.verify_step > 0) {
			double cur = st.cur * (1.0 + a->p.verify_step);

			prog_current(&a->p, &st, cur < 1000.0 ? cur : 1000.0);
		}
		for (c = 0; c < a->p.cols; c++)
			if (bit_at(a->tmp, c) && a->p.error_model)
				sample_cell(a, &st, idx * a->p.cols + c,
					    bit_at(prog, c), shift);
		cost_pulses(a, &st, cost, fails, pulses);
		cost_read(a, cost, a->p.cols);
		fails = verify_scan(a, idx);
	}
	return fails;
}

/* Log-normal lifetime: probability of surviving @c cycles. */
static double survive(const struct rbnn_params *p, double c, bool lower)
{
	double z;

	if (c <= 0)
		return lower ? 0.0 : 1.0;
	z = (log(c) - log(p->endurance)) / (p->endurance_sigma * sqrt(2.0));
	/* lower: the failure CDF, precise for small values */
	return lower ? 0.5 * erfc(-z) : 0.5 * erfc(z);
}

/* Probability that a cell alive after @c0 cycles fails by @c1. */
static double hazard(const struct rbnn_params *p, double c0, double c1)
{
	double s0;

	if (p->endurance_sigma == 0)
		return c1 >= p->endurance ? 1.0 : 0.0;
	s0 = survive(p, c0, false);
	if (!(s0 > 0))
		return 1.0;
	if (c1 < p->endurance)
		return (survive(p, c1, true) - survive(p, c0, true)) / s0;
	return 1.0 - survive(p, c1, false) / s0;
}

/* Cells wearing out during this program cycle become stuck at random. */
static void wear_row(struct rbnn_array *a, size_t idx, double c0,
		     double c1)
{
	struct rbnn_row *r = &a->row[idx];
	uint64_t *sm = row_words(a->smask, a, idx);
	uint64_t *sv = row_words(a->sval, a, idx);
	double h = hazard(&a->p, c0, c1);
	double geo;
	uint32_t col = 0;

	if (!(h > 0))
		return;
	geo = rbnn_rng_geometric_param(h);
	for (;;) {
		uint64_t skip = rbnn_rng_geometric(&a->rng, geo);
		uint64_t bit;

		if (skip >= a->p.cols - r->stuck)
			return;
		col = nth_clear(sm, a->p.cols, col, skip);
		if (col >= a->p.cols)
			return;
		bit = 1ull << (col % 64);
		sm[col / 64] |= bit;
		if (rbnn_rng_next(&a->rng) >> 63)
			sv[col / 64] |= bit;
		else
			sv[col / 64] &= ~bit;
		r->stuck++;
		col++;
	}
}

/* One program operation on one row: wear, first pass, verify. */
static void program_row(struct rbnn_array *a, size_t idx,
			const uint64_t *bits, const struct prog_set *s,
			struct rbnn_prog_result *res, struct rbnn_cost *cost)
{
	struct rbnn_row *r = &a->row[idx];
	uint64_t *prog = row_words(a->prog, a, idx);
	uint64_t c0 = r->cycles, pulses = 0;
	double w0 = r->wear, shift = row_shift(a, r);
	uint32_t c;

	row_dirty(a, idx);
	r->cycles = c0 + a->p.wear_accel < c0 ? UINT64_MAX :
		    c0 + a->p.wear_accel;
	r->wear = w0 + s->wear;
	if (a->p.error_model)
		wear_row(a, idx, w0, r->wear);

	memmove(prog, bits, a->words * sizeof(*prog));
	r->t_prog = a->age;
	r->t_prog_eff = a->eff_age;
	row_reset_reads(a, r);
	if (a->p.error_model)
		for (c = 0; c < a->p.cols; c++)
			sample_cell(a, s, idx * a->p.cols + c,
				    bit_at(prog, c), shift);
	cost_pulses(a, s, cost, a->p.cols, &pulses);
	if (cost)
		cost->progress++;

	r->unverified = s->verify ? verify_row(a, idx, s, &pulses, cost) : 0;
	row_update_eff(a, idx);
	if (res) {
		res->pulses += pulses;
		res->unverified += r->unverified;
	}
}

static void res_clear(struct rbnn_prog_result *res)
{
	if (res) {
		res->pulses = 0;
		res->unverified = 0;
		res->weak = 0;
	}
}

void rbnn_array_program(struct rbnn_array *a, uint32_t tile, uint32_t row,
			uint32_t nrows, const uint64_t *bits,
			const struct rbnn_prog_opts *opts,
			struct rbnn_prog_result *res, struct rbnn_cost *cost)
{
	struct prog_set s;
	uint32_t i;

	res_clear(res);
	if (tile >= a->p.tiles || row > a->p.rows || nrows > a->p.rows - row)
		return;
	prog_settings(a, opts, &s);
	for (i = 0; i < nrows; i++)
		program_row(a, row_index(a, tile, row + i),
			    bits + (size_t)i * a->words, &s, res, cost);
}

/*
 * Signed present margin of cell @c of row @idx (see
 * rbnn_array_cell_margin()), computed as row_update_eff() does: the cell
 * reads its programmed bit exactly when the value is > 0.
 */
static float cell_margin(const struct rbnn_array *a, size_t idx, uint32_t c,
			 float l)
{
	size_t cell = idx * a->p.cols + c;

	if (bit_at(row_words(a->smask, a, idx), c))
		return bit_at(row_words(a->sval, a, idx), c) ==
		       bit_at(row_words(a->prog, a, idx), c) ? INFINITY :
							       -INFINITY;
	if (!a->p.error_model)
		return INFINITY;
	{
		float o = a->sa_off[(idx / a->p.rows) * a->p.cols + c];

		if (!bit_at(row_words(a->prog, a, idx), c))
			o = -o;
		return a->m0[cell] - a->nu[cell] * l -
		       (float)disturb_loss(a, &a->row[idx]) + o;
	}
}

double rbnn_array_cell_margin(struct rbnn_array *a, uint32_t tile,
			      uint32_t row, uint32_t col)
{
	size_t idx;

	if (!row_ok(a, tile, row) || col >= a->p.cols)
		return NAN;
	idx = row_index(a, tile, row);
	return cell_margin(a, idx, col, (float)drift_log(a, &a->row[idx]));
}

/*
 * The scrub's margin read of row @idx against the bits it sensed: cells
 * whose margin in the direction of the sensed bit is below verify_margin
 * (a cell that sensed its programmed bit has margin m, one that sensed the
 * other bit -m). Like verify reads, it draws no transient errors.
 */
static uint32_t scrub_weak(const struct rbnn_array *a, size_t idx,
			   const uint64_t *sensed)
{
	const uint64_t *prog = row_words(a->prog, a, idx);
	float l = (float)drift_log(a, &a->row[idx]);
	float vm = (float)a->p.verify_margin;
	uint32_t c, n = 0;

	for (c = 0; c < a->p.cols; c++) {
		float m = cell_margin(a, idx, c, l);

		if (bit_at(sensed, c) != bit_at(prog, c))
			m = -m;
		n += !(m >= vm);
	}
	return n;
}

void rbnn_array_refresh(struct rbnn_array *a, uint32_t tile, uint32_t row,
			uint32_t nrows, struct rbnn_prog_result *res,
			struct rbnn_cost *cost)
{
	struct rbnn_prog_opts o = { .verify = true };
	struct prog_set s;
	uint64_t *buf = a->tmp + a->words;
	uint32_t i, weak;

	res_clear(res);
	if (tile >= a->p.tiles || row > a->p.rows || nrows > a->p.rows - row)
		return;
	prog_settings(a, &o, &s);
	for (i = 0; i < nrows; i++) {
		size_t idx = row_index(a, tile, row + i);

		rbnn_array_read(a, tile, row + i, buf, cost);
		/* The margin read is one more row activation. */
		cost_read(a, cost, a->p.cols);
		weak = scrub_weak(a, idx, buf);
		program_row(a, idx, buf, &s, res, cost);
		if (res)
			res->weak = res->weak + weak < res->weak ?
				    UINT32_MAX : res->weak + weak;
	}
}

void rbnn_array_erase(struct rbnn_array *a, uint32_t tile,
		      struct rbnn_cost *cost)
{
	struct prog_set s;
	uint64_t *zero = a->tmp + a->words;
	uint32_t i;

	if (tile >= a->p.tiles)
		return;
	prog_settings(a, NULL, &s);
	memset(zero, 0, a->words * sizeof(*zero));
	for (i = 0; i < a->p.rows; i++) {
		size_t idx = row_index(a, tile, i);

		program_row(a, idx, zero, &s, NULL, cost);
		a->row[idx].thr = 0;	/* dirty already */
	}
}

/* ---- wear, faults, age ----------------------------------------------- */

void rbnn_array_row_wear(const struct rbnn_array *a, uint32_t tile,
			 uint32_t row, uint32_t *cycles, uint32_t *stuck)
{
	const struct rbnn_row *r;

	if (!row_ok(a, tile, row)) {
		*cycles = 0;
		*stuck = 0;
		return;
	}
	r = &a->row[row_index(a, tile, row)];
	*cycles = r->cycles > UINT32_MAX ? UINT32_MAX : (uint32_t)r->cycles;
	*stuck = r->stuck;
}

void rbnn_array_tile_wear(const struct rbnn_array *a, uint32_t tile,
			  struct rbnn_tile_wear *w)
{
	uint32_t i;

	memset(w, 0, sizeof(*w));
	if (tile >= a->p.tiles)
		return;
	for (i = 0; i < a->p.rows; i++) {
		const struct rbnn_row *r = &a->row[row_index(a, tile, i)];
		uint32_t c = r->cycles > UINT32_MAX ? UINT32_MAX :
			     (uint32_t)r->cycles;

		if (c > w->cycles_max)
			w->cycles_max = c;
		w->cycles_sum += r->cycles;
		w->stuck += r->stuck;
		w->verify_fails += r->unverified;
	}
}

void rbnn_array_stick(struct rbnn_array *a, uint32_t tile, uint32_t row,
		      uint32_t col, uint32_t value)
{
	size_t idx;
	uint64_t *sm, *sv, bit;

	if (!row_ok(a, tile, row) || col >= a->p.cols)
		return;
	idx = row_index(a, tile, row);
	sm = row_words(a->smask, a, idx) + col / 64;
	sv = row_words(a->sval, a, idx) + col / 64;
	bit = 1ull << (col % 64);
	row_dirty(a, idx);
	if (!(*sm & bit) && value <= 1)
		a->row[idx].stuck++;
	else if ((*sm & bit) && value > 1)
		a->row[idx].stuck--;
	if (value <= 1) {
		*sm |= bit;
		*sv = value ? *sv | bit : *sv & ~bit;
	} else {
		/* Healed: the cell reads what was last programmed into it. */
		*sm &= ~bit;
		*sv &= ~bit;
	}
	row_invalidate(a, idx);
}

void rbnn_array_reseed(struct rbnn_array *a, uint64_t seed)
{
	rbnn_rng_seed(&a->rng, seed);
	a->next_err = UINT64_MAX;
	if (a->transient)
		next_error(a);
}

void rbnn_array_advance_age(struct rbnn_array *a, double seconds)
{
	if (!(seconds > 0) || !isfinite(seconds))
		return;
	a->age += seconds;
	a->eff_age += seconds * a->accel;
	if (a->p.error_model)
		a->gen++;
}

int rbnn_array_set_temperature(struct rbnn_array *a, double temp_c)
{
	if (!isfinite(temp_c) || temp_c < RBNN_TEMP_MIN_C ||
	    temp_c > RBNN_TEMP_MAX_C)
		return -1;
	a->temp_c = temp_c;
	a->accel = rbnn_params_arrhenius(&a->p, temp_c);
	return 0;
}

double rbnn_array_temperature(const struct rbnn_array *a)
{
	return a->temp_c;
}

double rbnn_array_retention_age(const struct rbnn_array *a)
{
	return a->eff_age;
}

double rbnn_array_age(const struct rbnn_array *a)
{
	return a->age;
}

/* ---- life cycle ------------------------------------------------------ */

const struct rbnn_params *rbnn_array_params(const struct rbnn_array *a)
{
	return &a->p;
}

unsigned int rbnn_array_row_words(const struct rbnn_array *a)
{
	return a->words;
}

static void array_reset_cells(struct rbnn_array *a)
{
	size_t i, cells = a->nrows * a->p.cols;

	if (!a->p.error_model)
		return;
	for (i = 0; i < cells; i++) {
		a->m0[i] = RBNN_FRESH_MARGIN;
		a->nu[i] = 0.0f;
	}
}

struct rbnn_array *rbnn_array_new(const struct rbnn_params *p)
{
	struct rbnn_array *a = calloc(1, sizeof(*a));
	size_t words;

	if (!a)
		return NULL;
	a->p = *p;
	a->words = p->cols / 64;
	a->nrows = (size_t)p->tiles * p->rows;
	words = a->nrows * a->words;
	a->row = calloc(a->nrows, sizeof(*a->row));
	a->tile_gen = calloc(p->tiles, sizeof(*a->tile_gen));
	a->eff = calloc(words, sizeof(uint64_t));
	a->prog = calloc(words, sizeof(uint64_t));
	a->smask = calloc(words, sizeof(uint64_t));
	a->sval = calloc(words, sizeof(uint64_t));
	a->tmp = calloc(2 * a->words, sizeof(uint64_t));
	a->dirty = calloc((a->nrows + 63) / 64, sizeof(uint64_t));
	if (p->error_model) {
		a->m0 = calloc(a->nrows * p->cols, sizeof(float));
		a->nu = calloc(a->nrows * p->cols, sizeof(float));
		a->sa_off = calloc((size_t)p->tiles * p->cols, sizeof(float));
	}
	if (!a->row || !a->tile_gen || !a->eff || !a->prog || !a->smask || !a->sval ||
	    !a->tmp || !a->dirty || (p->error_model && (!a->m0 || !a->nu || !a->sa_off))) {
		rbnn_array_free(a);
		return NULL;
	}
	array_reset_cells(a);
	rbnn_array_dirty_all(a);

	rbnn_rng_seed(&a->rng, p->seed);
	a->disturb = p->error_model && p->read_disturb > 0;
	{
		size_t i;

		for (i = 0; i < a->nrows; i++)
			row_reset_reads(a, &a->row[i]);
	}
	a->gen = 1;	/* rows start at generation 0: computed on first use */
	/*
	 * Sense amplifier at the supply: transient errors grow e-fold per
	 * 100 mV below the nominal 1.2 V, offsets as 1 / vdd; dynamic
	 * energy as vdd^2, delay as vdd / (vdd - V_th) normalised (alpha-power
	 * law, alpha 1), leakage as vdd.
	 */
	{
		double v = p->vdd_v, v0 = RBNN_REF_VDD_V, ber;

		ber = p->read_ber * exp((v0 - v) / 0.1);
		a->transient = p->error_model && ber > 0;
		a->read_geo = rbnn_rng_geometric_param(ber < 0.5 ? ber : 0.5);
		a->e_read = p->e_read_fj * (v / v0) * (v / v0);
		a->e_pop = p->e_popcount_fj * (v / v0) * (v / v0);
		a->t_read = p->t_read_ns * (v / (v - RBNN_VTH_V)) /
			    (v0 / (v0 - RBNN_VTH_V));
		/* uW * ns = 1e-15 J = 1 fJ */
		a->leak = p->leak_uw * v / v0;
	}
	a->next_err = UINT64_MAX;
	if (a->transient)
		next_error(a);

	a->s_h = p->hrs_sigma;
	a->ln_ref = 0.5 * (log(p->lrs_k_v / (p->prog_current_ua * 1e-6)) +
			   rbnn_params_ln_hrs(p, p->pulse_ns));
	a->a_d2d = sqrt(p->d2d_frac);
	a->a_c2c = sqrt(1.0 - p->d2d_frac);
	a->d2d_key = mix64(p->seed ^ 0x6432642d6b657931ull);
	rbnn_array_set_temperature(a, p->temperature_c);
	if (p->error_model && p->sa_offset_sigma > 0) {
		/* Own generator: the offsets do not shift the cell draws. */
		struct rbnn_rng g;
		size_t i, n = (size_t)p->tiles * p->cols;
		double so = p->sa_offset_sigma * RBNN_REF_VDD_V / p->vdd_v;

		rbnn_rng_seed(&g, p->seed ^ 0x5341206f66667365ull);
		for (i = 0; i < n; i++)
			a->sa_off[i] = (float)(so * rbnn_rng_normal(&g));
	}
	return a;
}

void rbnn_array_free(struct rbnn_array *a)
{
	if (!a)
		return;
	free(a->row);
	free(a->tile_gen);
	free(a->eff);
	free(a->prog);
	free(a->smask);
	free(a->sval);
	free(a->tmp);
	free(a->dirty);
	free(a->m0);
	free(a->nu);
	free(a->sa_off);
	free(a);
}

/* ---- state ----------------------------------------------------------- */

/*
 * Image layout (version 3), all little-endian:
 *   header (48): magic, version, tiles, rows, cols, cell_mode, error_model,
 *                rsvd (u32 each), total size (u64), rsvd (u64)
 *   globals (80): rng s[4], rng spare (f64 bits), has_spare, next_err,
 *                 age, retention age, temperature (f64 bits)
 *   then each row, in order (rbnn_array_row_state_size() bytes):
 *     meta (48): cycles u64, t_prog f64 bits, thr i32, unverified u32,
 *                t_prog_eff f64 bits, wear f64 bits, reads u64
 *     prog, stuck mask, stuck values (words u64 each)
 *     per cell (error model): m0 f32 bits (cols), then nu f32 bits (cols)
 * Row-major, so that a migration can send rows one at a time (the header
 * and globals being rbnn_array_save_head()). The effective bits, stuck
 * counts and read-disturb thresholds are derived and recomputed on load.
 */

static size_t row_state_size(const struct rbnn_array *a)
{
	size_t n = RBNN_STATE_ROW + 3 * (size_t)a->words * sizeof(uint64_t);

	if (a->p.error_model)
		n += 2 * (size_t)a->p.cols * sizeof(uint32_t);
	return n;
}

static size_t state_size(const struct rbnn_array *a)
{
	return RBNN_STATE_HDR + RBNN_STATE_GLOBALS +
	       a->nrows * row_state_size(a);
}

size_t rbnn_array_state_size(const struct rbnn_array *a)
{
	return state_size(a);
}

size_t rbnn_array_row_state_size(const struct rbnn_array *a)
{
	return row_state_size(a);
}

size_t rbnn_array_head_size(void)
{
	return RBNN_STATE_HDR + RBNN_STATE_GLOBALS;
}

size_t rbnn_array_nrows(const struct rbnn_array *a)
{
	return a->nrows;
}

/* ---- dirty rows ------------------------------------------------------- */

void rbnn_array_dirty_all(struct rbnn_array *a)
{
	size_t i, n = (a->nrows + 63) / 64;

	for (i = 0; i < n; i++)
		a->dirty[i] = ~0ull;
	if (a->nrows % 64)
		a->dirty[n - 1] = (1ull << (a->nrows % 64)) - 1;
	a->ndirty = a->nrows;
}

size_t rbnn_array_dirty_count(const struct rbnn_array *a)
{
	return a->ndirty;
}

size_t rbnn_array_dirty_next(const struct rbnn_array *a, size_t from)
{
	size_t w;
	uint64_t m;

	if (from >= a->nrows || !a->ndirty)
		return a->nrows;
	w = from / 64;
	m = a->dirty[w] & (~0ull << (from % 64));
	while (!m) {
		if (++w >= (a->nrows + 63) / 64)
			return a->nrows;
		m = a->dirty[w];
	}
	return w * 64 + (size_t)__builtin_ctzll(m);
}

void rbnn_array_dirty_clear(struct rbnn_array *a, size_t idx)
{
	uint64_t bit = 1ull << (idx % 64);

	if (idx < a->nrows && (a->dirty[idx / 64] & bit)) {
		a->dirty[idx / 64] &= ~bit;
		a->ndirty--;
	}
}

/* ---- encoding --------------------------------------------------------- */

static uint8_t *put32(uint8_t *b, uint32_t v)
{
	v = htole32(v);
	memcpy(b, &v, 4);
	return b + 4;
}

static uint8_t *put64(uint8_t *b, uint64_t v)
{
	v = htole64(v);
	memcpy(b, &v, 8);
	return b + 8;
}

static uint8_t *putf64(uint8_t *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	return put64(b, v);
}

static const uint8_t *get32(const uint8_t *b, uint32_t *v)
{
	memcpy(v, b, 4);
	*v = le32toh(*v);
	return b + 4;
}

static const uint8_t *get64(const uint8_t *b, uint64_t *v)
{
	memcpy(v, b, 8);
	*v = le64toh(*v);
	return b + 8;
}

static const uint8_t *getf64(const uint8_t *b, double *d)
{
	uint64_t v;

	b = get64(b, &v);
	memcpy(d, &v, 8);
	return b;
}

static uint8_t *put_plane(uint8_t *b, const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b = put64(b, w[i]);
	return b;
}

static const uint8_t *get_plane(const uint8_t *b, uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b = get64(b, &w[i]);
	return b;
}

static uint8_t *put_floats(uint8_t *b, const float *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t v;

		memcpy(&v, &f[i], 4);
		b = put32(b, v);
	}
	return b;
}

static const uint8_t *get_floats(const uint8_t *b, float *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t v;

		b = get32(b, &v);
		memcpy(&f[i], &v, 4);
	}
	return b;
}

static void save_head(const struct rbnn_array *a, uint8_t *b)
{
	size_t i;

	b = put32(b, RBNN_STATE_MAGIC);
	b = put32(b, RBNN_STATE_VERSION);
	b = put32(b, a->p.tiles);
	b = put32(b, a->p.rows);
	b = put32(b, a->p.cols);
	b = put32(b, a->p.cell_mode);
	b = put32(b, a->p.error_model);
	b = put32(b, 0);
	b = put64(b, state_size(a));
	b = put64(b, 0);

	for (i = 0; i < 4; i++)
		b = put64(b, a->rng.s[i]);
	b = putf64(b, a->rng.spare);
	b = put64(b, a->rng.has_spare);
	b = put64(b, a->next_err);
	b = putf64(b, a->age);
	b = putf64(b, a->eff_age);
	putf64(b, a->temp_c);
}

static void save_row(const struct rbnn_array *a, size_t i, uint8_t *b)
{
	const struct rbnn_row *r = &a->row[i];
	size_t cells = (size_t)a->p.cols;

	b = put64(b, r->cycles);
	b = putf64(b, r->t_prog);
	b = put32(b, (uint32_t)r->thr);
	b = put32(b, r->unverified);
	b = putf64(b, r->t_prog_eff);
	b = putf64(b, r->wear);
	b = put64(b, r->reads);
	b = put_plane(b, row_words(a->prog, a, i), a->words);
	b = put_plane(b, row_words(a->smask, a, i), a->words);
	b = put_plane(b, row_words(a->sval, a, i), a->words);
	if (a->p.error_model) {
		b = put_floats(b, a->m0 + i * cells, cells);
		put_floats(b, a->nu + i * cells, cells);
	}
}

void rbnn_array_save_head(const struct rbnn_array *a, void *buf)
{
	save_head(a, buf);
}

void rbnn_array_save_row(const struct rbnn_array *a, size_t idx, void *buf)
{
	if (idx < a->nrows)
		save_row(a, idx, buf);
}

void rbnn_array_save(const struct rbnn_array *a, void *buf)
{
	uint8_t *b = buf;
	size_t i, rs = row_state_size(a);

	save_head(a, b);
	b += RBNN_STATE_HDR + RBNN_STATE_GLOBALS;
	for (i = 0; i < a->nrows; i++, b += rs)
		save_row(a, i, b);
}

/* Ages and temperature of a head image. */
struct head_ages {
	double age, eff_age, temp;
};

/* Check a header and globals image; 0 with its ages in @h if sane. */
static int head_check(const struct rbnn_array *a, const uint8_t *b,
		      struct head_ages *h)
{
	uint32_t v[8];
	uint64_t size, has_spare;
	size_t i;

	for (i = 0; i < 8; i++)
		b = get32(b, &v[i]);
	b = get64(b, &size);
	if (v[0] != RBNN_STATE_MAGIC || v[1] != RBNN_STATE_VERSION ||
	    v[2] != a->p.tiles || v[3] != a->p.rows || v[4] != a->p.cols ||
	    v[5] != a->p.cell_mode || v[6] != (uint32_t)a->p.error_model ||
	    v[7] != 0 || size != state_size(a))
		return -1;
	b += 8 + 4 * 8 + 8;
	b = get64(b, &has_spare);
	b = getf64(b + 8, &h->age);
	b = getf64(b, &h->eff_age);
	getf64(b, &h->temp);
	if (has_spare > 1 || !isfinite(h->age) || h->age < 0 ||
	    !isfinite(h->eff_age) || h->eff_age < 0 || !isfinite(h->temp) ||
	    h->temp < RBNN_TEMP_MIN_C || h->temp > RBNN_TEMP_MAX_C)
		return -1;
	return 0;
}

/* A row's ages are those of a moment no later than the array's age. */
static bool row_ages_ok(double t, double te, double age, double eff_age)
{
	return t <= age && te <= eff_age;
}

/* Check a row image (no comparison with the array age). */
static int row_check(const uint8_t *b, double *t, double *te)
{
	double w;

	getf64(b + 8, t);
	getf64(b + 24, te);
	getf64(b + 32, &w);
	if (!isfinite(*t) || *t < 0 || !isfinite(*te) || *te < 0 ||
	    !isfinite(w) || w < 0)
		return -1;
	return 0;
}

static void load_head(struct rbnn_array *a, const uint8_t *b)
{
	size_t i;
	uint64_t v;
	double temp;

	b += RBNN_STATE_HDR;
	for (i = 0; i < 4; i++)
		b = get64(b, &a->rng.s[i]);
	b = getf64(b, &a->rng.spare);
	b = get64(b, &v);
	a->rng.has_spare = v;
	b = get64(b, &a->next_err);
	b = getf64(b, &a->age);
	b = getf64(b, &a->eff_age);
	getf64(b, &temp);
	rbnn_array_set_temperature(a, temp);
	if (!a->transient)
		a->next_err = UINT64_MAX;
	/* The effective bits follow the loaded age. */
	a->gen++;
}

/* Load a checked row image into row @i, with its derived state. */
static void load_row(struct rbnn_array *a, size_t i, const uint8_t *b)
{
	struct rbnn_row *r = &a->row[i];
	size_t cells = (size_t)a->p.cols;
	const uint64_t *sm = row_words(a->smask, a, i);
	uint32_t thr, w, n = 0;
	uint64_t reads;

	b = get64(b, &r->cycles);
	b = getf64(b, &r->t_prog);
	b = get32(b, &thr);
	r->thr = (int32_t)thr;
	b = get32(b, &r->unverified);
	b = getf64(b, &r->t_prog_eff);
	b = getf64(b, &r->wear);
	b = get64(b, &reads);
	/* rd_next: the first doubling of n0 above the reads */
	row_reset_reads(a, r);
	r->reads = reads;
	while (r->rd_next <= reads && r->rd_next < UINT64_MAX / 2)
		r->rd_next *= 2;
	if (r->rd_next <= reads)
		r->rd_next = UINT64_MAX;
	b = get_plane(b, row_words(a->prog, a, i), a->words);
	b = get_plane(b, row_words(a->smask, a, i), a->words);
	b = get_plane(b, row_words(a->sval, a, i), a->words);
	if (a->p.error_model) {
		b = get_floats(b, a->m0 + i * cells, cells);
		get_floats(b, a->nu + i * cells, cells);
	}
	for (w = 0; w < a->words; w++)
		n += popcount64(sm[w]);
	r->stuck = n;
	row_invalidate(a, i);
	row_dirty(a, i);
}

int rbnn_array_load(struct rbnn_array *a, const void *buf, size_t len)
{
	const uint8_t *b = buf, *rows;
	size_t i, rs = row_state_size(a);
	struct head_ages h;
	double t, te;

	if (!buf || len != state_size(a) || head_check(a, b, &h))
		return -1;
	rows = b + RBNN_STATE_HDR + RBNN_STATE_GLOBALS;
	for (i = 0; i < a->nrows; i++)
		if (row_check(rows + i * rs, &t, &te) ||
		    !row_ages_ok(t, te, h.age, h.eff_age))
			return -1;
	load_head(a, b);
	for (i = 0; i < a->nrows; i++)
		load_row(a, i, rows + i * rs);
	return 0;
}

int rbnn_array_load_row(struct rbnn_array *a, size_t idx, const void *buf,
			size_t len)
{
	double t, te;

	if (!buf || idx >= a->nrows || len != row_state_size(a) ||
	    row_check(buf, &t, &te))
		return -1;
	load_row(a, idx, buf);
	return 0;
}

int rbnn_array_load_head(struct rbnn_array *a, const void *buf, size_t len)
{
	struct head_ages h;
	size_t i;

	if (!buf || len != rbnn_array_head_size() || head_check(a, buf, &h))
		return -1;
	/* Every row (loaded before) must be no younger than the array. */
	for (i = 0; i < a->nrows; i++)
		if (!row_ages_ok(a->row[i].t_prog, a->row[i].t_prog_eff,
				 h.age, h.eff_age))
			return -1;
	load_head(a, buf);
	return 0;
}
