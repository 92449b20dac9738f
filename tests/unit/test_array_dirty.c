/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * The array's dirty rows and its state a piece at a time (what the QEMU
 * device's live migration sends): every path that changes a row's saved
 * state marks the row, paths that change only the head do not, and rows
 * sent while the array is in use, again when dirty, then the head, give
 * an array identical to the source (same image, same later reads).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rbnn_array.h"
#include "array_util.h"

static struct rbnn_params dparams(bool error_model, double disturb)
{
	struct rbnn_params p;

	rbnn_params_default(&p);
	p.error_model = error_model;
	p.tiles = 3;
	p.rows = 32;
	p.cols = 128;
	p.read_ber = 1e-3;
	p.prog_current_ua = 20;
	p.read_disturb = disturb;
	p.read_disturb_n0 = 4;
	p.seed = 99;
	return p;
}

static void clear_all(struct rbnn_array *a)
{
	size_t i;

	for (i = 0; i < rbnn_array_nrows(a); i++)
		rbnn_array_dirty_clear(a, i);
	assert_int_equal(rbnn_array_dirty_count(a), 0);
	assert_int_equal(rbnn_array_dirty_next(a, 0), rbnn_array_nrows(a));
}

/* Exactly rows [first, first + n) are dirty. */
static void expect_dirty(struct rbnn_array *a, size_t first, size_t n)
{
	size_t i, at = 0;

	assert_int_equal(rbnn_array_dirty_count(a), n);
	for (i = 0; i < n; i++) {
		at = rbnn_array_dirty_next(a, at);
		assert_int_equal(at, first + i);
		at++;
	}
	assert_int_equal(rbnn_array_dirty_next(a, at), rbnn_array_nrows(a));
	clear_all(a);
}

static void rand_row(uint64_t *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		w[i] = trng();
}

static void test_new_and_scan(void **state)
{
	struct rbnn_params p = dparams(true, 0);
	struct rbnn_array *a;
	size_t n;

	(void)state;
	p.tiles = 5;	/* 160 rows: the last bitmap word is partial */
	a = mk(&p);
	n = rbnn_array_nrows(a);
	assert_int_equal(n, 160);
	expect_dirty(a, 0, n);		/* a new array: every row */
	rbnn_array_dirty_all(a);
	assert_int_equal(rbnn_array_dirty_count(a), n);
	assert_int_equal(rbnn_array_dirty_next(a, 159), 159);
	assert_int_equal(rbnn_array_dirty_next(a, 160), n);
	assert_int_equal(rbnn_array_dirty_next(a, 1000), n);
	rbnn_array_dirty_clear(a, 70);
	rbnn_array_dirty_clear(a, 70);	/* twice: counted once */
	rbnn_array_dirty_clear(a, 5000);	/* out of range: ignored */
	assert_int_equal(rbnn_array_dirty_count(a), n - 1);
	assert_int_equal(rbnn_array_dirty_next(a, 70), 71);
	clear_all(a);
	rbnn_array_free(a);
}

static void test_paths_mark(void **state)
{
	struct rbnn_params p = dparams(true, 0);
	struct rbnn_array *a = mk(&p);
	unsigned int w = rbnn_array_row_words(a);
	uint64_t rows[4 * 2], in[2] = { 0 }, out[2];
	struct rbnn_prog_result res;
	uint32_t cnt[4];

	(void)state;
	trng_state = 5;
	rand_row(rows, 4 * w);
	clear_all(a);
	rbnn_array_program(a, 1, 3, 4, rows, NULL, &res, NULL);
	expect_dirty(a, 32 + 3, 4);
	rbnn_array_refresh(a, 1, 4, 2, &res, NULL);
	expect_dirty(a, 32 + 4, 2);
	rbnn_array_erase(a, 2, NULL);
	expect_dirty(a, 64, 32);
	rbnn_array_set_threshold(a, 0, 9, 17);
	expect_dirty(a, 9, 1);
	rbnn_array_stick(a, 0, 30, 5, 1);
	expect_dirty(a, 30, 1);
	rbnn_array_stick(a, 0, 30, 5, 2);	/* healed */
	expect_dirty(a, 30, 1);
	/* out of range: nothing */
	rbnn_array_program(a, 3, 0, 1, rows, NULL, &res, NULL);
	rbnn_array_set_threshold(a, 0, 32, 1);
	rbnn_array_stick(a, 0, 0, 128, 1);
	expect_dirty(a, 0, 0);

	/* reads, aging, temperature and the generator: the head only */
	rbnn_array_read(a, 1, 3, out, NULL);
	rbnn_array_xnor_popcount_rows(a, 1, 3, 4, in, NULL, 128, cnt, NULL);
	rbnn_array_advance_age(a, 1e6);
	assert_int_equal(rbnn_array_set_temperature(a, 85), 0);
	rbnn_array_reseed(a, 7);
	rbnn_array_read(a, 1, 3, out, NULL);
	expect_dirty(a, 0, 0);
	rbnn_array_free(a);

	/* with read disturb on, the read count is row state: marked */
	p = dparams(true, 0.05);
	a = mk(&p);
	clear_all(a);
	rbnn_array_read(a, 2, 7, out, NULL);
	expect_dirty(a, 64 + 7, 1);
	rbnn_array_xnor_popcount_rows(a, 0, 1, 3, in, NULL, 128, cnt, NULL);
	expect_dirty(a, 1, 3);
	rbnn_array_free(a);
}

/* A whole image load marks every row. */
static void test_load_marks(void **state)
{
	struct rbnn_params p = dparams(false, 0);
	struct rbnn_array *a = mk(&p), *b = mk(&p);
	size_t sz = rbnn_array_state_size(a);
	uint8_t *img = malloc(sz);

	(void)state;
	assert_non_null(img);
	rbnn_array_save(a, img);
	clear_all(b);
	assert_int_equal(rbnn_array_load(b, img, sz), 0);
	expect_dirty(b, 0, rbnn_array_nrows(b));
	assert_int_equal(rbnn_array_load(b, img, sz - 1), -1);
	expect_dirty(b, 0, 0);	/* refused: nothing changed */
	free(img);
	rbnn_array_free(a);
	rbnn_array_free(b);
}

/* Some operations on @a, as a guest would issue while it migrates. */
static void churn(struct rbnn_array *a, int steps)
{
	const struct rbnn_params *p = rbnn_array_params(a);
	unsigned int w = rbnn_array_row_words(a);
	uint64_t row[2], out[2];
	uint32_t cnt[8];
	struct rbnn_prog_result res;
	int i;

	for (i = 0; i < steps; i++) {
		uint32_t t = trng() % p->tiles, r = trng() % (p->rows - 8);

		rand_row(row, w);
		switch (trng() % 5) {
		case 0:
			rbnn_array_program(a, t, r, 1, row, NULL, &res, NULL);
			break;
		case 1:
			rbnn_array_refresh(a, t, r, 2, &res, NULL);
			break;
		case 2:
			rbnn_array_xnor_popcount_rows(a, t, r, 8, row, NULL,
						      p->cols, cnt, NULL);
			break;
		case 3:
			rbnn_array_advance_age(a, 3600);
			rbnn_array_read(a, t, r, out, NULL);
			break;
		default:
			rbnn_array_set_threshold(a, t, r, (int32_t)(trng() % 99));
			break;
		}
	}
}

/* Send up to @max dirty rows of @a to @b, as a migration iteration. */
static size_t send_rows(struct rbnn_array *a, struct rbnn_array *b,
			size_t max, uint8_t *row)
{
	size_t len = rbnn_array_row_state_size(a), n = 0, i = 0;

	while (n < max &&
	       (i = rbnn_array_dirty_next(a, i)) < rbnn_array_nrows(a)) {
		rbnn_array_save_row(a, i, row);
		rbnn_array_dirty_clear(a, i);
		assert_int_equal(rbnn_array_load_row(b, i, row, len), 0);
		n++;
	}
	return n;
}

static void check_live(bool error_model, double disturb)
{
	struct rbnn_params p = dparams(error_model, disturb);
	struct rbnn_array *a = mk(&p), *b;
	size_t sz = rbnn_array_state_size(a), hl = rbnn_array_head_size();
	uint8_t *ia = malloc(sz), *ib = malloc(sz), *head = malloc(hl);
	uint8_t *row = malloc(rbnn_array_row_state_size(a));
	size_t resent = 0, it;
	uint64_t oa[2], ob[2];
	uint32_t r;

	assert_non_null(ia);
	assert_non_null(ib);
	assert_non_null(head);
	assert_non_null(row);
	trng_state = 11;
	churn(a, 300);
	/* the destination: same properties, a history of its own, replaced */
	b = mk(&p);
	churn(b, 50);
	rbnn_array_dirty_all(a);
	for (it = 0; it < 8; it++) {
		resent += send_rows(a, b, 20, row);
		churn(a, 10);	/* the guest goes on meanwhile */
	}
	/* final stage: what is still dirty, then the head */
	resent += send_rows(a, b, SIZE_MAX, row);
	assert_true(resent > rbnn_array_nrows(a));	/* some went twice */
	rbnn_array_save_head(a, head);
	assert_int_equal(rbnn_array_load_head(b, head, hl), 0);
	rbnn_array_save(a, ia);
	rbnn_array_save(b, ib);
	assert_memory_equal(ia, ib, sz);
	/* and the same results from then on, errors included */
	for (r = 0; r < p.rows; r++) {
		rbnn_array_read(a, 1, r, oa, NULL);
		rbnn_array_read(b, 1, r, ob, NULL);
		assert_memory_equal(oa, ob, sizeof(oa));
	}
	free(ia);
	free(ib);
	free(head);
	free(row);
	rbnn_array_free(a);
	rbnn_array_free(b);
}

static void test_live_copy(void **state)
{
	(void)state;
	check_live(true, 0);
	check_live(true, 0.05);
	check_live(false, 0);
}

/* Malformed rows and heads are refused and change nothing. */
static void test_refused(void **state)
{
	struct rbnn_params p = dparams(true, 0);
	struct rbnn_array *a = mk(&p), *b = mk(&p), *c;
	size_t len = rbnn_array_row_state_size(a), hl = rbnn_array_head_size();
	size_t sz = rbnn_array_state_size(a);
	uint8_t *row = malloc(len), *head = malloc(hl), *img = malloc(sz);
	uint8_t *img2 = malloc(sz);
	uint64_t w[2] = { 0x1234, 0x5678 };
	struct rbnn_prog_result res;
	double nan = NAN;

	(void)state;
	assert_non_null(row);
	assert_non_null(head);
	assert_non_null(img);
	assert_non_null(img2);
	rbnn_array_advance_age(a, 500);
	rbnn_array_program(a, 0, 4, 1, w, NULL, &res, NULL);
	rbnn_array_save_row(a, 4, row);
	rbnn_array_save_head(a, head);
	rbnn_array_save(b, img);

	assert_int_equal(rbnn_array_load_row(b, 96, row, len), -1);
	assert_int_equal(rbnn_array_load_row(b, 4, row, len - 1), -1);
	assert_int_equal(rbnn_array_load_row(b, 4, NULL, len), -1);
	memcpy(row + 8, &nan, 8);	/* t_prog */
	assert_int_equal(rbnn_array_load_row(b, 4, row, len), -1);
	rbnn_array_save(b, img2);
	assert_memory_equal(img, img2, sz);

	/* a row programmed at age 500 with a head of age 0: refused */
	rbnn_array_save_row(a, 4, row);
	assert_int_equal(rbnn_array_load_row(b, 4, row, len), 0);
	rbnn_array_save(b, img);
	{
		struct rbnn_array *z = mk(&p);
		uint8_t *h0 = malloc(hl);

		assert_non_null(h0);
		rbnn_array_save_head(z, h0);
		assert_int_equal(rbnn_array_load_head(b, h0, hl), -1);
		free(h0);
		rbnn_array_free(z);
	}
	assert_int_equal(rbnn_array_load_head(b, head, hl - 1), -1);
	assert_int_equal(rbnn_array_load_head(b, NULL, hl), -1);
	head[0] ^= 1;		/* magic */
	assert_int_equal(rbnn_array_load_head(b, head, hl), -1);
	head[0] ^= 1;
	rbnn_array_save(b, img2);
	assert_memory_equal(img, img2, sz);
	/* another geometry */
	p.rows = 64;
	c = mk(&p);
	assert_int_equal(rbnn_array_load_head(c, head, hl), -1);
	rbnn_array_free(c);
	assert_int_equal(rbnn_array_load_head(b, head, hl), 0);
	assert_true(rbnn_array_age(b) == 500);
	free(row);
	free(head);
	free(img);
	free(img2);
	rbnn_array_free(a);
	rbnn_array_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_scan),
		cmocka_unit_test(test_paths_mark),
		cmocka_unit_test(test_load_marks),
		cmocka_unit_test(test_live_copy),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
