/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: the RRAM array (tiles of 2T2R or 1T1R cells with
 * stochastic programming, sense errors, wear and drift) and its digital
 * periphery (popcount, thresholds). Plain C, no global state, not
 * thread-safe: one array is used by one thread at a time.
 *
 * Rows are bit vectors of `cols` bits stored as little-endian-ordered
 * uint64_t words: bit c of a row is bit (c % 64) of word c / 64.
 */
#ifndef RBNN_ARRAY_H
#define RBNN_ARRAY_H

#include <stdint.h>
#include "rbnn_params.h"

struct rbnn_array;

/* Modeled cost of an operation; callers add these up. */
struct rbnn_cost {
	double energy_fj;
	double time_ns;
	uint64_t cell_reads;	/* cells sensed */
	uint64_t pulses;	/* device programming pulses */
	uint64_t progress;	/* work units (row operations) */
};

/* Per-program-operation settings; zero fields take the defaults. */
struct rbnn_prog_opts {
	double current_ua;
	uint32_t pulse_ns;
	uint32_t verify_max;
	bool verify;
};

/* Result of programming rows. */
struct rbnn_prog_result {
	uint64_t pulses;	/* device pulses spent */
	uint32_t unverified;	/* cells that never passed verify */
	uint32_t weak;		/* refresh only: cells its margin read failed */
};

struct rbnn_tile_wear {
	uint32_t cycles_max;
	uint64_t cycles_sum;
	uint32_t stuck;
	uint32_t verify_fails;
};

/* Returns NULL on allocation failure; @p must pass rbnn_params_check(). */
struct rbnn_array *rbnn_array_new(const struct rbnn_params *p);
void rbnn_array_free(struct rbnn_array *a);
const struct rbnn_params *rbnn_array_params(const struct rbnn_array *a);

/* Words per row: cols / 64. */
unsigned int rbnn_array_row_words(const struct rbnn_array *a);

/*
 * Program @nrows rows starting at (tile, row) from @bits (nrows * row_words
 * words). Counts one program cycle per row (times wear_accel). The caller
 * has checked the ranges.
 */
void rbnn_array_program(struct rbnn_array *a, uint32_t tile, uint32_t row,
			uint32_t nrows, const uint64_t *bits,
			const struct rbnn_prog_opts *opts,
			struct rbnn_prog_result *res, struct rbnn_cost *cost);

/* Sense one row through the sense amplifiers (with errors) into @out. */
void rbnn_array_read(struct rbnn_array *a, uint32_t tile, uint32_t row,
		     uint64_t *out, struct rbnn_cost *cost);

/*
 * XNOR-popcount of row (tile, row) with @in over the columns [0, nbits)
 * where @mask (may be NULL = all ones) has a 1. Returns the number of
 * matching cells, with sense errors as configured.
 */
uint32_t rbnn_array_xnor_popcount(struct rbnn_array *a, uint32_t tile,
				  uint32_t row, const uint64_t *in,
				  const uint64_t *mask, uint32_t nbits,
				  struct rbnn_cost *cost);

/*
 * The same for @count consecutive rows of @tile with one input: out[i]
 * gets the count of row + i. Equivalent to rbnn_array_xnor_popcount() on
 * each row in order (same errors, same cost), but faster.
 */
void rbnn_array_xnor_popcount_rows(struct rbnn_array *a, uint32_t tile,
				   uint32_t row, uint32_t count,
				   const uint64_t *in, const uint64_t *mask,
				   uint32_t nbits, uint32_t *out,
				   struct rbnn_cost *cost);

/*
 * Bit-plane form: @planes (1..8) inputs in[p] read against the same
 * @count rows; out[i] = sum over p of 2^p * (count of row + i with in[p]).
 * Equivalent to rbnn_array_xnor_popcount_rows() for p = 0, 1, ... in
 * order (same errors, same cost, accumulated in the same order).
 */
void rbnn_array_xnor_popcount_planes(struct rbnn_array *a, uint32_t tile,
				     uint32_t row, uint32_t count,
				     const uint64_t *const *in,
				     uint32_t planes, const uint64_t *mask,
				     uint32_t nbits, uint32_t *out,
				     struct rbnn_cost *cost);

/*
 * The cost rbnn_array_xnor_popcount_planes() adds for @count rows,
 * @planes planes and @cells sensed cells per row read, added the same way
 * (so the sums are bit-identical): a caller that splits one such read
 * into pieces with cost NULL adds this once for the whole.
 */
void rbnn_array_planes_cost(const struct rbnn_array *a, uint32_t count,
			    uint32_t planes, uint32_t cells,
			    struct rbnn_cost *cost);

void rbnn_array_set_threshold(struct rbnn_array *a, uint32_t tile,
			      uint32_t row, int32_t thr);
int32_t rbnn_array_threshold(const struct rbnn_array *a, uint32_t tile,
			     uint32_t row);

/*
 * Scrub rows in place: for each row, sense it, check every cell with a
 * margin read against the sensed bit (a cell is "weak" when its margin in
 * the direction of the sensed bit is below verify_margin: it reads wrong,
 * or is close to; res->weak counts them), then re-program the sensed data
 * with verify at the defaults. No ECC: what the sense got wrong is written
 * back wrong, weak or not.
 */
void rbnn_array_refresh(struct rbnn_array *a, uint32_t tile, uint32_t row,
			uint32_t nrows, struct rbnn_prog_result *res,
			struct rbnn_cost *cost);

/* Program every row of @tile to zeros and its thresholds to 0. */
void rbnn_array_erase(struct rbnn_array *a, uint32_t tile,
		      struct rbnn_cost *cost);

void rbnn_array_row_wear(const struct rbnn_array *a, uint32_t tile,
			 uint32_t row, uint32_t *cycles, uint32_t *stuck);
void rbnn_array_tile_wear(const struct rbnn_array *a, uint32_t tile,
			  struct rbnn_tile_wear *w);

/* Fault injection: value 0/1 sticks the cell, anything else heals it. */
void rbnn_array_stick(struct rbnn_array *a, uint32_t tile, uint32_t row,
		      uint32_t col, uint32_t value);

/*
 * Present margin of a cell in ln units, signed: > 0 when it reads the bit
 * last programmed into it, <= 0 when it reads the opposite (a persistent
 * error). Stuck cells: +INFINITY when the stuck value is the programmed
 * bit, -INFINITY otherwise. Error model off: +INFINITY (stuck cells as
 * above). NAN when out of range. For tests and diagnostics.
 */
double rbnn_array_cell_margin(struct rbnn_array *a, uint32_t tile,
			      uint32_t row, uint32_t col);

/*
 * Restart the array's random number generator from @seed, as
 * rbnn_array_new() seeds it, and draw the distance to the next transient
 * sense error afresh. Reads after it are a function of the array's
 * state and @seed alone: libbnn's emu backend gives each item its own
 * transient-error stream this way, so that items can be split over
 * threads. (Transient errors are independent per cell read, so a stream
 * restarted at an item boundary has the same statistics as one running
 * on.) Later programming draws from the restarted generator too.
 */
void rbnn_array_reseed(struct rbnn_array *a, uint64_t seed);

/*
 * Virtual age of the array (drives drift). Advancing by @seconds at the
 * present temperature adds seconds * Arrhenius factor to the retention
 * age (the equivalent age at RBNN_REF_TEMP_C) that drift follows.
 */
void rbnn_array_advance_age(struct rbnn_array *a, double seconds);
double rbnn_array_age(const struct rbnn_array *a);
double rbnn_array_retention_age(const struct rbnn_array *a);

/*
 * Array temperature (starts at the temperature_c parameter): it sets how
 * fast later rbnn_array_advance_age() calls age the cells. Returns -1 and
 * changes nothing if @temp_c is not finite or outside
 * [RBNN_TEMP_MIN_C, RBNN_TEMP_MAX_C].
 */
int rbnn_array_set_temperature(struct rbnn_array *a, double temp_c);
double rbnn_array_temperature(const struct rbnn_array *a);

/*
 * Serialised state: size, save into buf, load from buf (-1, nothing
 * changed, if @buf is malformed or from an array of another geometry).
 * The image is the head (header and globals: generator, age,
 * temperature) followed by every row's state.
 */
size_t rbnn_array_state_size(const struct rbnn_array *a);
void rbnn_array_save(const struct rbnn_array *a, void *buf);
int rbnn_array_load(struct rbnn_array *a, const void *buf, size_t len);

/*
 * The same state a piece at a time, for a migration that sends rows
 * while the array is in use: rows in any order, each as many times as it
 * changed, then the head. rbnn_array_load_row() loads one row (-1,
 * nothing changed, if @len or a value is wrong); rbnn_array_load_head()
 * loads the head and checks every row against its age (-1, nothing
 * changed, if the head is malformed, from another geometry, or older
 * than a row), so it comes last.
 */
size_t rbnn_array_nrows(const struct rbnn_array *a);	/* tiles * rows */
size_t rbnn_array_row_state_size(const struct rbnn_array *a);
size_t rbnn_array_head_size(void);
void rbnn_array_save_row(const struct rbnn_array *a, size_t idx, void *buf);
void rbnn_array_save_head(const struct rbnn_array *a, void *buf);
int rbnn_array_load_row(struct rbnn_array *a, size_t idx, const void *buf,
			size_t len);
int rbnn_array_load_head(struct rbnn_array *a, const void *buf, size_t len);

/*
 * Dirty rows: a row is marked whenever its saved state changes
 * (programming, refresh, erase, thresholds, stuck cells, the read count
 * that read disturb keeps, a load); aging and the generator change only
 * the head. A new array has every row dirty. Index tile * rows + row.
 * rbnn_array_dirty_next() returns the first dirty row >= @from, or
 * rbnn_array_nrows() if there is none.
 */
void rbnn_array_dirty_all(struct rbnn_array *a);
size_t rbnn_array_dirty_count(const struct rbnn_array *a);
size_t rbnn_array_dirty_next(const struct rbnn_array *a, size_t from);
void rbnn_array_dirty_clear(struct rbnn_array *a, size_t idx);

#endif /* RBNN_ARRAY_H */
