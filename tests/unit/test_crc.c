// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: the .bnn checksum (bnn__crc32 in libbnn/src/format.c, zlib's
 * crc32 underneath).
 *
 * The format says CRC-32 of IEEE 802.3, reflected (Documentation/
 * bnn-format.rst): the published check values of that CRC, the bitwise
 * reference of the tests' container writer (bnn_test_container.h) on
 * random buffers of every length up to 1 KiB and on one of several MiB,
 * and the shipped models, which must still load (their checksums verify)
 * and re-save to the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bnn.h"
#include "bnn_data.h"
#include "bnn_test_models.h"
#include "bnn_test_container.h"

static uint32_t crc_str(const char *s)
{
	return bnn__crc32(s, strlen(s));
}

/* The check values every CRC-32/ISO-HDLC (IEEE 802.3) implementation
 * publishes: "123456789" -> 0xCBF43926 is the catalogue's check value. */
static void test_known_vectors(void **state)
{
	static const uint8_t ff[4] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero32[32];

	(void)state;
	assert_int_equal(bnn__crc32("", 0), 0x00000000u);
	assert_int_equal(bnn__crc32(NULL, 0), 0x00000000u);
	assert_int_equal(crc_str("a"), 0xe8b7be43u);
	assert_int_equal(crc_str("abc"), 0x352441c2u);
	assert_int_equal(crc_str("123456789"), 0xcbf43926u);
	assert_int_equal(crc_str("message digest"), 0x20159d7fu);
	assert_int_equal(crc_str("The quick brown fox jumps over the lazy dog"),
			 0x414fa339u);
	assert_int_equal(bnn__crc32(ff, 4), 0xffffffffu);
	assert_int_equal(bnn__crc32(zero32, 32), 0x190a55adu);
}

/* Every length 0..1024 at every alignment 0..7, and one long buffer,
 * against the tests' own bit-at-a-time CRC. */
static void test_matches_reference(void **state)
{
	enum { N = 1024 + 8, BIG = 5 * 1024 * 1024 + 3 };
	uint8_t *b = malloc(N), *big = malloc(BIG);

	(void)state;
	assert_non_null(b);
	assert_non_null(big);
	tm_state = 16;
	for (size_t i = 0; i < N; i++)
		b[i] = (uint8_t)tm_rand();
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= N && n <= 1024; n++)
			assert_int_equal(bnn__crc32(b + off, n),
					 crc32_ref(b + off, n));
	for (size_t i = 0; i < BIG; i++)
		big[i] = (uint8_t)(tm_rand() >> 7);
	assert_int_equal(bnn__crc32(big, BIG), crc32_ref(big, BIG));
	free(b);
	free(big);
}

/* A written model carries the checksums the format defines: the header's
 * (bytes 0..59, at 60), the payload's (64.., at 24) and each section's. */
static void test_written_checksums(void **state)
{
	struct bnn_model *m;
	uint8_t *a;
	size_t la;

	(void)state;
	tm_state = 3;
	m = tm_random_binary_feat(1, 0);
	save(m, &a, &la);
	assert_true(la > 64);
	assert_int_equal(rd32(a + 60), crc32_ref(a, 60));
	assert_int_equal(rd32(a + 24), crc32_ref(a + 64, la - 64));
	assert_true(rd32(a + 12) >= 2);
	for (uint32_t i = 0; i < rd32(a + 12); i++) {
		const uint8_t *e = a + 64 + 24 * i;
		uint64_t off = rd32(e + 8) | (uint64_t)rd32(e + 12) << 32;

		assert_true(off + rd32(e + 16) <= la);
		assert_int_equal(rd32(e + 20), crc32_ref(a + off, rd32(e + 16)));
	}
	free(a);
	bnn_model_free(m);
}

/* The shipped models (written with the old table-driven CRC, and by the
 * Python exporter with Python's zlib.crc32) load and re-save identically. */
static void test_shipped_models(void **state)
{
	static const char *const paths[] = {
		"models/ecg-bin-full.bnn",
		"models/ecg-bin-clf.bnn",
		"models/ecg2-bin-full.bnn",
		"models/eeg-seizure-bin-full.bnn",
	};
	int loaded = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct bnn_model *m = NULL;
		bnn_error e;
		uint8_t *file;
		void *out;
		size_t lf, lo;

		if (bnn_read_file(paths[i], 1u << 26, &file, &lf, &e))
			continue;	/* not run from the checkout */
		assert_int_equal(bnn_model_load_mem(file, lf, &m, &e), BNN_OK);
		assert_int_equal(bnn_model_save_mem(m, &out, &lo, &e), BNN_OK);
		assert_int_equal(lo, lf);
		assert_memory_equal(out, file, lf);
		free(out);
		free(file);
		bnn_model_free(m);
		loaded++;
	}
	if (!loaded)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_matches_reference),
		cmocka_unit_test(test_written_checksums),
		cmocka_unit_test(test_shipped_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
