// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bonn.c - libbnn data: Bonn epilepsy EEG segments (Andrzejak et al. 2001)
 * and a fixed-length windowing helper.
 *
 * The files carry no header: one integer per line, 4097 lines, recorded at
 * 173.61 Hz (23.6 s), so the rate cannot be checked from the data; the
 * reader checks the sample count instead.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define BONN_MAX_FILES 100000	/* per set folder */

static const char bonn_letters[BNN_BONN_NSETS] = { 'Z', 'O', 'N', 'F', 'S' };

char bnn_bonn_set_letter(int set)
{
	return set >= 0 && set < BNN_BONN_NSETS ? bonn_letters[set] : 0;
}

int bnn_bonn_set_from_letter(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	for (int i = 0; i < BNN_BONN_NSETS; i++)
		if (bonn_letters[i] == c)
			return i;
	return BNN_E_NOTFOUND;
}

int bnn_bonn_set_from_path(const char *path)
{
	if (!path)
		return BNN_E_INVAL;
	const char *end = strrchr(path, '/');
	if (!end)
		return BNN_E_NOTFOUND;
	/* Skip repeated slashes: "Z//Z001.txt". */
	while (end > path && end[-1] == '/')
		end--;
	const char *start = end;
	while (start > path && start[-1] != '/')
		start--;
	if (end - start != 1)
		return BNN_E_NOTFOUND;
	return bnn_bonn_set_from_letter(*start);
}

int bnn_bonn_set_from_name(const char *path)
{
	const char *b;

	if (!path)
		return BNN_E_INVAL;
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (strlen(b) != 8 || strcasecmp(b + 4, ".txt"))
		return BNN_E_NOTFOUND;
	for (int i = 1; i < 4; i++)
		if (b[i] < '0' || b[i] > '9')
			return BNN_E_NOTFOUND;
	return bnn_bonn_set_from_letter(b[0]);
}

int bnn_bonn_layout_set(const char *path)
{
	char parent[4096];
	int set = bnn_bonn_set_from_path(path);
	const char *end, *start;
	size_t plen;

	if (set < 0)
		return set;
	/* path = [parent/]L/file: find L's folder, then its parent. */
	end = strrchr(path, '/');
	while (end > path && end[-1] == '/')
		end--;
	start = end;
	while (start > path && start[-1] != '/')
		start--;
	plen = (size_t)(start - path);
	if (plen >= sizeof(parent) - 8)
		return BNN_E_NOTFOUND;
	memcpy(parent, path, plen);
	for (int i = 0; i < BNN_BONN_NSETS; i++) {
		struct stat st;

		if (i == set)
			continue;
		for (int lower = 0; lower < 2; lower++) {
			char c = bonn_letters[i];

			snprintf(parent + plen, sizeof(parent) - plen, "%c",
				 lower ? c - 'A' + 'a' : c);
			if (!stat(parent, &st) &&
			    S_ISDIR(st.st_mode))
				return set;
		}
	}
	return BNN_E_NOTFOUND;
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

int bnn_bonn_parse(const char *text, size_t len, size_t expect, float **x,
		   size_t *n, bnn_error *err)
{
	if (x)
		*x = NULL;
	if (n)
		*n = 0;
	if (!x || !n || (!text && len))
		return bnn__err(err, BNN_E_INVAL, "bonn: NULL argument");
	if (expect > BNN_BONN_MAX_SAMPLES)
		return bnn__err(err, BNN_E_INVAL,
				"bonn: expected count %zu above the limit %zu",
				expect, BNN_BONN_MAX_SAMPLES);

	struct bnn__lines L = { text, text + len, 0 };
	const char *s = NULL, *e = NULL;
	float *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;
	char shown[48];

	while ((rc = bnn__next_line(&L, &s, &e, 64, err)) == 1) {
		while (s < e && blank(*s))
			s++;
		while (e > s && blank(e[-1]))
			e--;
		if (s == e) {
			rc = bnn__err(err, BNN_E_PARSE, "bonn: line %zu: empty",
				      L.lineno);
			goto fail;
		}
		int64_t iv;
		int r = bnn_parse_i64(s, (size_t)(e - s), &iv);
		if (r == BNN_OK && (iv > BNN_BONN_MAX_VALUE ||
				    iv < -(int64_t)BNN_BONN_MAX_VALUE))
			r = BNN_E_RANGE;
		if (r != BNN_OK) {
			bnn__show(shown, sizeof shown, s, (size_t)(e - s));
			rc = bnn__err(err, r, "bonn: line %zu: %s '%s'",
				      L.lineno,
				      r == BNN_E_RANGE ? "value out of range"
						       : "not an integer",
				      shown);
			goto fail;
		}
		if (cnt == BNN_BONN_MAX_SAMPLES ||
		    (expect && cnt == expect)) {
			rc = bnn__err(err, cnt == expect ? BNN_E_SIZE : BNN_E_RANGE,
				      "bonn: more than %zu samples",
				      cnt == expect ? expect : BNN_BONN_MAX_SAMPLES);
			goto fail;
		}
		if (cnt == cap) {
			/* Every sample takes >= 2 bytes (digit + line end),
			 * except the last: never reserve more than that. */
			size_t ncap = cap ? cap * 2 : (expect ? expect : 4096);
			if (ncap > len / 2 + 1)
				ncap = len / 2 + 1;
			float *nv = bnn__realloc(v, ncap * sizeof *nv);
			if (!nv) {
				rc = bnn__err(err, BNN_E_NOMEM, "bonn: out of memory");
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = (float)iv;
	}
	if (rc < 0) {
		bnn__err_prefix(err, "bonn");
		goto fail;
	}
	if (cnt == 0) {
		rc = bnn__err(err, BNN_E_SIZE, "bonn: no samples");
		goto fail;
	}
	if (expect && cnt != expect) {
		rc = bnn__err(err, BNN_E_SIZE, "bonn: %zu samples, expected %zu",
			      cnt, expect);
		goto fail;
	}
	*x = v;
	*n = cnt;
	return BNN_OK;
fail:
	free(v);
	return rc;
}

void bnn_bonn_segment_free(bnn_bonn_segment *s)
{
	if (!s)
		return;
	free(s->x);
	memset(s, 0, sizeof *s);
}

int bnn_bonn_read_segment(const char *path, size_t expect,
			  bnn_bonn_segment *out, bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!path || !out)
		return bnn__err(err, BNN_E_INVAL, "bonn_read: NULL argument");
	int set = bnn_bonn_set_from_path(path);
	if (set < 0)
		return bnn__err(err, BNN_E_NOTFOUND,
				"%s: folder is not a Bonn set (Z, O, N, F or S)",
				path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t bl = strlen(base);
	if (bl == 0 || bl >= sizeof out->name)
		return bnn__err(err, BNN_E_RANGE, "%s: bad file name length",
				path);
	uint8_t *buf;
	size_t len;
	/* 4097 short lines: a few tens of KiB; allow 64 MiB for other uses. */
	int rc = bnn_read_file(path, (size_t)64 << 20, &buf, &len, err);
	if (rc)
		return rc;
	bnn_bonn_segment s = { .set = set };
	memcpy(s.name, base, bl + 1);
	rc = bnn_bonn_parse((const char *)buf, len, expect, &s.x, &s.n, err);
	free(buf);
	if (rc)
		return bnn__err_prefix(err, path);
	*out = s;
	return BNN_OK;
}

void bnn_bonn_dataset_free(bnn_bonn_dataset *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->seg[i].x);
	free(d->seg);
	memset(d, 0, sizeof *d);
}

static int is_txt(const char *name)
{
	size_t n = strlen(name);
	if (n < 5 || name[0] == '.')
		return 0;
	const char *e = name + n - 4;
	return e[0] == '.' && (e[1] | 0x20) == 't' && (e[2] | 0x20) == 'x' &&
	       (e[3] | 0x20) == 't';
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted ".txt" names of a folder; *names is one malloc'ed block holding
 * the pointer array followed by the strings. */
static int list_txt(const char *dir, char ***names, size_t *count,
		    bnn_error *err)
{
	*names = NULL;
	*count = 0;
	DIR *d = opendir(dir);
	if (!d)
		return bnn__err(err, errno == ENOENT ? BNN_E_NOTFOUND : BNN_E_IO,
				"%s: cannot open folder: %s", dir,
				strerror(errno));
	size_t n = 0, cap = 0, bytes = 0, bcap = 0;
	char *pool = NULL;
	size_t *offs = NULL;
	int rc = BNN_OK;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!is_txt(de->d_name))
			continue;
		if (n == BONN_MAX_FILES) {
			rc = bnn__err(err, BNN_E_RANGE,
				      "%s: more than %d segment files", dir,
				      BONN_MAX_FILES);
			goto out;
		}
		size_t l = strlen(de->d_name) + 1;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 128;
			size_t *no = bnn__realloc(offs, nc * sizeof *no);
			if (!no)
				goto nomem;
			offs = no;
			cap = nc;
		}
		if (!pool || bytes + l > bcap) {
			size_t nb = bcap ? bcap * 2 : 4096;
			while (nb < bytes + l)
				nb *= 2;
			char *np = bnn__realloc(pool, nb);
			if (!np)
				goto nomem;
			pool = np;
			bcap = nb;
		}
		memcpy(pool + bytes, de->d_name, l);
		offs[n++] = bytes;
		bytes += l;
	}
	{
		char **arr = bnn__malloc(n * sizeof *arr + bytes);
		if (!arr)
			goto nomem;
		char *strs = (char *)(arr + n);
		if (pool)	/* NULL only when no name was stored */
			memcpy(strs, pool, bytes);
		for (size_t i = 0; i < n; i++)
			arr[i] = strs + offs[i];
		qsort(arr, n, sizeof *arr, cmp_names);
		*names = arr;
		*count = n;
	}
	goto out;
nomem:
	rc = bnn__err(err, BNN_E_NOMEM, "%s: out of memory", dir);
out:
	free(pool);
	free(offs);
	closedir(d);
	return rc;
}

int bnn_bonn_load(const char *root, bnn_bonn_dataset *out, bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!root || !out)
		return bnn__err(err, BNN_E_INVAL, "bonn_load: NULL argument");
	bnn_bonn_dataset d = { 0 };
	size_t cap = 0;
	int rc = BNN_OK;
	char **names = NULL;

	for (int set = 0; set < BNN_BONN_NSETS; set++) {
		char dir[4096], path[4096], sub[2] = { bonn_letters[set], 0 };
		size_t cnt;
		if ((rc = bnn__path_join(dir, sizeof dir, root, sub, NULL, err)))
			goto fail;
		if ((rc = list_txt(dir, &names, &cnt, err)))
			goto fail;
		if (cnt == 0) {
			rc = bnn__err(err, BNN_E_NOTFOUND,
				      "%s: no .txt segment files", dir);
			goto fail;
		}
		if (d.n + cnt > cap) {
			size_t nc = d.n + cnt;
			bnn_bonn_segment *ns = bnn__realloc(d.seg, nc * sizeof *ns);
			if (!ns) {
				rc = bnn__err(err, BNN_E_NOMEM,
					      "bonn_load: out of memory");
				goto fail;
			}
			d.seg = ns;
			cap = nc;
		}
		for (size_t i = 0; i < cnt; i++) {
			if ((rc = bnn__path_join(path, sizeof path, dir, names[i],
						 NULL, err)))
				goto fail;
			if ((rc = bnn_bonn_read_segment(path, BNN_BONN_SAMPLES,
							&d.seg[d.n], err)))
				goto fail;
			d.n++;
			d.per_set[set]++;
		}
		free(names);
		names = NULL;
	}
	*out = d;
	return BNN_OK;
fail:
	free(names);
	bnn_bonn_dataset_free(&d);
	return rc;
}

int bnn_window_count(size_t n, size_t win, size_t hop, size_t *count,
		     bnn_error *err)
{
	if (count)
		*count = 0;
	if (!count || win == 0 || hop == 0)
		return bnn__err(err, BNN_E_INVAL,
				"windows: need win >= 1, hop >= 1 and an output");
	*count = n < win ? 0 : (n - win) / hop + 1;
	return BNN_OK;
}

int bnn_windows(const float *x, size_t n, size_t win, size_t hop, float **out,
		size_t *count, bnn_error *err)
{
	if (out)
		*out = NULL;
	if (count)
		*count = 0;
	if (!out || !count || (!x && n))
		return bnn__err(err, BNN_E_INVAL, "windows: NULL argument");
	size_t c, vals, bytes;
	int rc = bnn_window_count(n, win, hop, &c, err);
	if (rc)
		return rc;
	if (c == 0)
		return BNN_OK;
	if (bnn__mul(c, win, &vals) || vals > BNN_MAX_VALUES ||
	    bnn__mul(vals, sizeof(float), &bytes))
		return bnn__err(err, BNN_E_RANGE,
				"windows: %zu windows x %zu samples exceeds the limit of %zu values",
				c, win, BNN_MAX_VALUES);
	float *w = bnn__malloc(bytes);
	if (!w)
		return bnn__err(err, BNN_E_NOMEM, "windows: out of memory");
	for (size_t k = 0; k < c; k++)
		memcpy(w + k * win, x + k * hop, win * sizeof *w);
	*out = w;
	*count = c;
	return BNN_OK;
}
