// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * fuzz_model.c - libFuzzer target for the .bnn model reader and the host
 * executor of libbnn.
 *
 * Each input is loaded twice: as is (exercising the header, checksum and
 * section-table checks), and after its checksums are recomputed in a
 * copy, so that mutations reach the section and layer parsers.  Invariants
 * (any violation traps):
 *   - failures return a negative code, a message and a NULL model;
 *   - a loaded model re-serialises to exactly the bytes it was read from
 *     (the format is canonical; files with unknown optional sections lose
 *     them), loads again and re-serialises identically;
 *   - when the model is small enough to run quickly, the cpu backend runs
 *     it on inputs derived from the data with the portable kernels and
 *     with the best kernels of the CPU, and both give bit-identical
 *     scores.
 *
 * Build and run (see libbnn/libbnn.mk, target fuzz-model):
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -Ikernel \
 *     -Iemulator/core -Ilibbnn/data -Ilibbnn/include -Ilibbnn/src \
 *     tests/fuzz/fuzz_model.c libbnn/src/[a-z]*.c libbnn/data/[a-z]*.c \
 *     emulator/core/[a-z]*.c -lm -lpthread -o fuzz_model
 *   ./fuzz_model -seeds=corpus/       write seed models and exit
 *   ./fuzz_model -max_len=16384 corpus/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn.h"
#include "../unit/bnn_test_models.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint32_t crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute every checksum the table lets us find (bounds-checked). */
static void reseal(uint8_t *b, size_t len)
{
	uint32_t ns;

	if (len < 64)
		return;
	ns = rd32(b + 12);
	for (uint32_t i = 0; i < ns && 64 + 24 * ((size_t)i + 1) <= len; i++) {
		uint8_t *e = b + 64 + 24 * (size_t)i;
		uint64_t off = rd32(e + 8) | (uint64_t)rd32(e + 12) << 32;
		uint64_t l = rd32(e + 16);

		if (off <= len && l <= len - off)
			wr32(e + 20, crc(b + off, (size_t)l));
	}
	wr32(b + 24, crc(b + 64, len - 64));
	wr32(b + 60, crc(b, 60));
}

static void run_cpu(const bnn_model *m, const uint8_t *data, size_t size)
{
	bnn_model_info in;
	bnn_signal_desc sd;
	bnn_backend_opts o;
	bnn_backend *be[2];
	float *x, *sc[2];
	size_t n = 3, e;
	bnn_error err;

	CHECK(bnn_model_info_get(m, &in) == 0);
	sd.size = sizeof(sd);
	CHECK(bnn_model_signal_get(m, &sd) == 0);
	/* items carry the features after the signal */
	e = sd.item_floats;
	CHECK(e == (size_t)in.input.channels * in.input.length + sd.nfeatures);
	if (in.binary_macs / 64 + in.float_macs > 200000 || e > 100000)
		return;
	x = malloc(sizeof(float) * n * e);
	for (size_t i = 0; i < n * e; i++)
		x[i] = size ? (float)((int)data[i % size] - 128) / 16.0f : 0;
	for (int k = 0; k < 2; k++) {
		bnn_backend_opts_init(&o);
		o.cpu_isa = k ? BNN_ISA_AUTO : BNN_ISA_PORTABLE;
		CHECK(bnn_backend_open(BNN_BACKEND_CPU, &o, &be[k], &err) == 0);
		CHECK(bnn_prepare(be[k], m, &err) == 0);
		sc[k] = malloc(sizeof(float) * n * in.nclasses);
		CHECK(bnn_run(be[k], x, n, sc[k], NULL, NULL, &err) == 0);
	}
	CHECK(!memcmp(sc[0], sc[1], sizeof(float) * n * in.nclasses));
	for (int k = 0; k < 2; k++) {
		bnn_backend_close(be[k]);
		free(sc[k]);
	}
	free(x);
}

/* Optional sections of unknown types are skipped by the reader and not
 * written back; only files without them re-serialise byte for byte. */
static int unknown_sections(const uint8_t *b)
{
	uint32_t ns = rd32(b + 12);

	for (uint32_t i = 0; i < ns; i++) {
		uint32_t t = rd32(b + 64 + 24 * (size_t)i);

		if (t < 1 || t > 5)
			return 1;
	}
	return 0;
}

static void one(const uint8_t *data, size_t size, int allow_run)
{
	bnn_model *m = (bnn_model *)1, *m2;
	bnn_error err;
	void *out;
	size_t len;
	int rc;

	bnn_error_clear(&err);
	rc = bnn_model_load_mem(data, size, &m, &err);
	if (rc) {
		CHECK(rc < 0 && err.code == rc && m == NULL);
		CHECK(err.msg[0] != '\0');
		CHECK(memchr(err.msg, 0, sizeof(err.msg)));
		return;
	}
	CHECK(m != NULL);
	CHECK(bnn_model_save_mem(m, &out, &len, &err) == 0);
	if (!unknown_sections(data))
		CHECK(len == size && !memcmp(out, data, size));
	CHECK(bnn_model_load_mem(out, len, &m2, &err) == 0);
	{
		void *out2;
		size_t len2;

		CHECK(bnn_model_save_mem(m2, &out2, &len2, &err) == 0);
		CHECK(len2 == len && !memcmp(out, out2, len));
		free(out2);
	}
	bnn_model_free(m2);
	free(out);
	if (allow_run)
		run_cpu(m, data, size);
	bnn_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	one(data, size, 0);
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	reseal(copy, size);
	one(copy, size, 1);
	free(copy);
	return 0;
}

/* -seeds=DIR: write valid models as a starting corpus, then exit. */
static void write_seed(const char *dir, int i, struct bnn_model *m)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/seed-%02d.bnn", dir, i);
	if (bnn_model_save(m, path, NULL))
		abort();
	bnn_model_free(m);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (int a = 1; a < *argc; a++) {
		const char *dir;
		int i = 0;

		if (strncmp((*argv)[a], "-seeds=", 7))
			continue;
		dir = (*argv)[a] + 7;
		tm_state = 42;
		for (; i < 8; i++)
			write_seed(dir, i, tm_random_binary(i % 2 ? 1 : 4));
		{
			struct bnn_model *m = tm_new(2, 12, 3);

			if (tm_add_float(m, BNN_LAYER_CONV1D, 3, 3, 1, 1) ||
			    tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0) ||
			    tm_add_act(m, BNN__ACT_RELU) || tm_add_pool(m, 2, 2) ||
			    tm_add_simple(m, BNN_LAYER_SIGN) ||
			    tm_add_binary(m, BNN_LAYER_BCONV1D, 4, 3, 1, 1, 0) ||
			    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
			    tm_add_binary(m, BNN_LAYER_BDENSE, 5, 0, 0, 0, 1) ||
			    tm_add_act(m, BNN__ACT_HARDTANH) ||
			    tm_add_float(m, BNN_LAYER_DENSE, 3, 0, 0, 0))
				abort();
			write_seed(dir, i++, m);
			m = tm_new(1, 16, 2);
			if (tm_add_quant(m, 3, -1, 0.25f) ||
			    tm_add_binary(m, BNN_LAYER_BCONV1D, 4, 5, 2, 2, 1) ||
			    tm_add_simple(m, BNN_LAYER_GLOBAL_AVGPOOL) ||
			    tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0))
				abort();
			write_seed(dir, i++, m);
			m = tm_new(3, 10, 2);
			if (tm_add_float(m, BNN_LAYER_CONV1D, 2, 4, 2, 1) ||
			    tm_add_simple(m, BNN_LAYER_GLOBAL_MAXPOOL) ||
			    tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0))
				abort();
			write_seed(dir, i++, m);
			/* version 2: rhythm features joined to the bits, and
			 * a float JOIN with preprocessing */
			write_seed(dir, i++, tm_random_binary_feat(1, 3));
			write_seed(dir, i++, tm_random_binary_feat(3, BNN_FEAT_COUNT));
			m = tm_new(1, 16, 2);
			if (tm_add_signal(m, 2) ||
			    tm_add_float(m, BNN_LAYER_CONV1D, 2, 3, 1, 1) ||
			    tm_add_simple(m, BNN_LAYER_GLOBAL_MAXPOOL) ||
			    tm_add_simple(m, BNN_LAYER_JOIN) ||
			    tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0))
				abort();
			write_seed(dir, i++, m);
			/* version 3: two named leads, with a signal section */
			m = tm_new(2, 12, 3);
			{
				static const char *const leads[2] = { "MLII",
								      "V1" };

				if (tm_add_signal(m, 2) ||
				    bnn__model_set_leads(m, 2, leads, NULL) ||
				    tm_add_simple(m, BNN_LAYER_SIGN) ||
				    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
				    tm_add_simple(m, BNN_LAYER_JOIN) ||
				    tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0,
						  1))
					abort();
			}
			write_seed(dir, i++, m);
			/* version 5: class score offsets, with a signal
			 * section */
			{
				static const int32_t off[3] = { 0, 3, -2 };

				m = tm_new(1, 12, 3);
				if (tm_add_signal(m, 1) ||
				    bnn__model_set_offsets(m, 3, off, NULL) ||
				    tm_add_simple(m, BNN_LAYER_SIGN) ||
				    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
				    tm_add_simple(m, BNN_LAYER_JOIN) ||
				    tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0,
						  1))
					abort();
			}
			write_seed(dir, i++, m);
		}
		exit(0);
	}
	return 0;
}
