/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn_test_container.h - libbnn unit tests: an independent reader and
 * writer of the .bnn container (header, section table, CRC-32s), written
 * from Documentation/bnn-format.rst and not from libbnn/src/format.c, so
 * that tests can take a valid file apart, edit a section and seal it again
 * with valid checksums; and the expectations on loading the result.
 * Header-only (static); include after <cmocka.h>.
 */
#ifndef BNN_TEST_CONTAINER_H
#define BNN_TEST_CONTAINER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bnn.h"
#include "model.h"

static inline void save(const struct bnn_model *m, uint8_t **buf, size_t *len)
{
	bnn_error e;

	assert_int_equal(bnn_model_save_mem(m, (void **)buf, len, &e), 0);
}

static inline uint32_t crc32_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

struct tsec {
	uint32_t type, flags;
	uint8_t *data;
	uint32_t len;
};

#define MAXSEC 64

struct tfile {
	uint32_t ns;
	struct tsec s[MAXSEC];
};

static inline void split(const uint8_t *buf, size_t len, struct tfile *f)
{
	(void)len;
	f->ns = rd32(buf + 12);
	assert_true(f->ns <= MAXSEC);
	for (uint32_t i = 0; i < f->ns; i++) {
		const uint8_t *e = buf + 64 + 24 * i;
		uint64_t off = rd32(e + 8) | (uint64_t)rd32(e + 12) << 32;

		f->s[i].type = rd32(e);
		f->s[i].flags = rd32(e + 4);
		f->s[i].len = rd32(e + 16);
		f->s[i].data = malloc(f->s[i].len + 64);
		memcpy(f->s[i].data, buf + off, f->s[i].len);
	}
}

static inline void tfile_free(struct tfile *f)
{
	for (uint32_t i = 0; i < f->ns; i++)
		free(f->s[i].data);
	f->ns = 0;
}

static inline size_t al8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

/* Lay out and seal a file (canonical layout, valid checksums). */
static inline uint8_t *join(const struct tfile *f, uint32_t version,
			    uint32_t flags, size_t *len)
{
	size_t total = al8(64 + 24 * (size_t)f->ns), pos;
	uint8_t *b;

	for (uint32_t i = 0; i < f->ns; i++)
		total = al8(total + f->s[i].len);
	b = calloc(1, total);
	memcpy(b, "BNN1", 4);
	wr16(b + 4, version);
	wr16(b + 6, 64);
	wr32(b + 8, flags);
	wr32(b + 12, f->ns);
	wr64(b + 16, total);
	pos = al8(64 + 24 * (size_t)f->ns);
	for (uint32_t i = 0; i < f->ns; i++) {
		uint8_t *e = b + 64 + 24 * i;

		memcpy(b + pos, f->s[i].data, f->s[i].len);
		wr32(e, f->s[i].type);
		wr32(e + 4, f->s[i].flags);
		wr64(e + 8, pos);
		wr32(e + 16, f->s[i].len);
		wr32(e + 20, crc32_ref(b + pos, f->s[i].len));
		pos = al8(pos + f->s[i].len);
	}
	wr32(b + 24, crc32_ref(b + 64, total - 64));
	wr32(b + 60, crc32_ref(b, 60));
	*len = total;
	return b;
}

/* Re-seal a file edited in place (table and layout unchanged). */
static inline void reseal(uint8_t *b, size_t len)
{
	uint32_t ns = rd32(b + 12);

	for (uint32_t i = 0; i < ns && 64 + 24 * (size_t)(i + 1) <= len; i++) {
		uint8_t *e = b + 64 + 24 * i;
		uint64_t off = rd32(e + 8);
		uint32_t l = rd32(e + 16);

		if (off + l <= len)
			wr32(e + 20, crc32_ref(b + off, l));
	}
	wr32(b + 24, crc32_ref(b + 64, len - 64));
	wr32(b + 60, crc32_ref(b, 60));
}

/* Expect loading to fail with `code` and a message containing `needle`. */
static inline void expect_fail(const uint8_t *b, size_t len, int code,
			       const char *needle)
{
	bnn_model *m = (bnn_model *)1;
	bnn_error e;
	int rc;

	bnn_error_clear(&e);
	rc = bnn_model_load_mem(b, len, &m, &e);
	if (rc != code || (needle && !strstr(e.msg, needle)))
		print_error("load: got %d (%s) \"%s\", want %d \"%s\"\n", rc,
			    bnn_strerror(rc), e.msg, code, needle ? needle : "");
	assert_int_equal(rc, code);
	assert_int_equal(e.code, code);
	assert_null(m);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
}

static inline void expect_ok(const uint8_t *b, size_t len)
{
	bnn_model *m = NULL;
	bnn_error e;
	int rc = bnn_model_load_mem(b, len, &m, &e);

	if (rc)
		print_error("load: %s\n", e.msg);
	assert_int_equal(rc, 0);
	bnn_model_free(m);
}

/* An edit of one section. */
typedef void (*edit_fn)(struct tsec *s);

/* Take a valid model's file apart, edit section `idx`, seal it as
 * `version`, expect loading to fail. */
static inline void edit_case_n(struct bnn_model *m, uint32_t idx, edit_fn fn,
			       uint32_t version, int code, const char *needle)
{
	uint8_t *buf, *b2;
	size_t len, len2;
	struct tfile f;

	save(m, &buf, &len);
	split(buf, len, &f);
	fn(&f.s[idx]);
	b2 = join(&f, version, 0, &len2);
	expect_fail(b2, len2, code, needle);
	free(b2);
	tfile_free(&f);
	free(buf);
}

static inline void edit_case(struct bnn_model *m, uint32_t idx, edit_fn fn,
			     int code, const char *needle)
{
	edit_case_n(m, idx, fn, 1, code, needle);
}

static inline void edit_case_v(struct bnn_model *m, uint32_t idx, edit_fn fn,
			       int code, const char *needle)
{
	edit_case_n(m, idx, fn, 2, code, needle);
}

/* One malformed-section case: the edit, the error code and a substring of
 * the message the loader must give. */
struct edit_case {
	edit_fn fn;
	int code;
	const char *needle;
};

/* Every case applied on its own to section idx of m, the file written as
 * the given version. */
static inline void edit_cases(struct bnn_model *m, uint32_t idx,
			      uint32_t version, const struct edit_case *c,
			      size_t n)
{
	for (size_t i = 0; i < n; i++)
		edit_case_n(m, idx, c[i].fn, version, c[i].code, c[i].needle);
}

#define EDIT_CASES(m, idx, version, cases) \
	edit_cases((m), (idx), (version), (cases), sizeof(cases) / sizeof(*(cases)))

#endif /* BNN_TEST_CONTAINER_H */
