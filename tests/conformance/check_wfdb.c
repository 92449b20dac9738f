// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * check_wfdb.c - read the WFDB conformance corpus (wfdb_corpus.py) with
 * libbnn and compare, sample for sample and annotation for annotation,
 * with the reference reading of the WFDB Python package stored beside
 * each file.  Prints TAP: one test per record / annotation file.
 *
 *   check_wfdb DIR...
 *   check_wfdb --write DIR
 *
 * --write: the other way round, libbnn's writer makes DIR/wr.bnn (every
 * field, SKIPs, equal times, AUX of odd and even length) for the wfdb
 * package to read (wfdb_corpus.py --read); checking DIR then compares its
 * reading with libbnn's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_data.h"

static int ntest, nfail;

static void result(int ok, const char *what, const char *why)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", ntest, what,
	       why ? ": " : "", why ? why : "");
}

static void show_warnings(const bnn_wfdb_warnings *w)
{
	for (int i = 0; i < w->n; i++)
		printf("# libbnn warning: %s\n", w->msg[i]);
	if (w->dropped)
		printf("# libbnn: %d more warnings\n", w->dropped);
}

/* Next whitespace-separated integer of *p. */
static int next_i64(char **p, long long *v)
{
	char *e;
	*v = strtoll(*p, &e, 10);
	if (e == *p)
		return -1;
	*p = e;
	return 0;
}

static char *slurp(const char *dir, const char *name)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (bnn_read_file(path, 0, &buf, &len, NULL))
		return NULL;
	return (char *)buf;
}

static void check_record(const char *dir, const char *name)
{
	char fn[512], why[512];
	snprintf(fn, sizeof fn, "%s.ref", name);
	char *ref = slurp(dir, fn), *p = ref;
	if (!ref) {
		result(0, name, "no reference file");
		return;
	}
	bnn_wfdb_record r;
	bnn_error e;
	/* Strict: every checksum and initial value the corpus states must
	 * be the one libbnn finds (skewed signals too). */
	int rc = bnn_wfdb_read_record(dir, name, BNN_WFDB_STRICT, &r, &e);
	if (rc) {
		result(0, name, e.msg);
		free(ref);
		return;
	}
	show_warnings(&r.warn);
	long long frames, nsig, v;
	why[0] = '\0';
	if (sscanf(p, "frames %lld nsig %lld", &frames, &nsig) != 2) {
		snprintf(why, sizeof why, "bad reference file");
		goto done;
	}
	p = strstr(p, "nsig");
	p = strchr(p, '\n');
	if (frames != r.nsamples || nsig != r.hdr.nsig) {
		snprintf(why, sizeof why, "%lld frames x %lld signals, libbnn %lld x %d",
			 frames, nsig, (long long)r.nsamples, r.hdr.nsig);
		goto done;
	}
	for (int s = 0; s < nsig; s++) {
		long long si, spf, n;
		p = strstr(p, "sig ");
		if (!p || sscanf(p, "sig %lld %lld %lld", &si, &spf, &n) != 3) {
			snprintf(why, sizeof why, "bad reference file");
			goto done;
		}
		p = strchr(p, '\n');
		if (spf != r.hdr.sig[s].spf || n != bnn_wfdb_signal_len(&r, s)) {
			snprintf(why, sizeof why,
				 "signal %d: %lld samples (spf %lld), libbnn %lld (spf %d)",
				 s, n, spf, (long long)bnn_wfdb_signal_len(&r, s),
				 r.hdr.sig[s].spf);
			goto done;
		}
		const int32_t *x = bnn_wfdb_samples(&r, s);
		for (long long i = 0; i < n; i++) {
			if (next_i64(&p, &v)) {
				snprintf(why, sizeof why, "bad reference file");
				goto done;
			}
			if (v != x[i]) {
				snprintf(why, sizeof why,
					 "signal %d sample %lld: wfdb %lld, libbnn %d",
					 s, i, v, (int)x[i]);
				goto done;
			}
		}
	}
done:
	snprintf(fn, sizeof fn, "record %s (%lld frames, %d signals, formats",
		 name, (long long)r.nsamples, r.hdr.nsig);
	for (int s = 0; s < r.hdr.nsig && strlen(fn) < 400; s++)
		snprintf(fn + strlen(fn), sizeof fn - strlen(fn), " %d", r.hdr.sig[s].format);
	snprintf(fn + strlen(fn), sizeof fn - strlen(fn), "%s)",
		 r.hdr.nseg ? r.hdr.seg[0].nsamples ? ", fixed multi-segment"
						    : ", variable multi-segment" : "");
	result(!why[0], fn, why[0] ? why : NULL);
	bnn_wfdb_record_free(&r);
	free(ref);
}

static void check_ann(const char *dir, const char *name, const char *ext)
{
	char fn[512], why[1024] = "";
	snprintf(fn, sizeof fn, "%s.%s.ref", name, ext);
	char *ref = slurp(dir, fn), *p = ref;
	snprintf(fn, sizeof fn, "annotations %s.%s", name, ext);
	if (!ref) {
		result(0, fn, "no reference file");
		return;
	}
	bnn_wfdb_annlist a;
	bnn_error e;
	if (bnn_wfdb_read_annotations(dir, name, ext, &a, &e)) {
		result(0, fn, e.msg);
		free(ref);
		return;
	}
	show_warnings(&a.warn);
	long long n;
	if (sscanf(p, "n %lld", &n) != 1 || (size_t)n != a.n) {
		snprintf(why, sizeof why, "wfdb has %lld, libbnn %zu", n, a.n);
		goto done;
	}
	p = strchr(p, '\n');
	for (size_t i = 0; i < a.n; i++) {
		long long f[5];
		char aux[1024], hex[3] = "";
		for (int k = 0; k < 5; k++)
			if (next_i64(&p, &f[k])) {
				snprintf(why, sizeof why, "bad reference file");
				goto done;
			}
		int used = 0;
		if (sscanf(p, " %1023s%n", aux, &used) != 1) {
			snprintf(why, sizeof why, "bad reference file");
			goto done;
		}
		p += used;
		const bnn_wfdb_ann *x = &a.ann[i];
		size_t auxlen = strcmp(aux, "-") ? strlen(aux) / 2 : 0;
		int same = f[0] == x->sample && f[1] == x->code &&
			   f[2] == x->subtype && f[3] == x->chan && f[4] == x->num &&
			   auxlen == (x->aux ? x->aux_len : 0);
		for (size_t k = 0; same && k < auxlen; k++) {
			snprintf(hex, sizeof hex, "%02x", (unsigned char)x->aux[k]);
			same = !strncmp(hex, aux + 2 * k, 2);
		}
		if (!same) {
			snprintf(why, sizeof why,
				 "annotation %zu: wfdb %lld %lld %lld %lld %lld aux %.40s, libbnn %lld %d %d %d %d aux %zu bytes",
				 i, f[0], f[1], f[2], f[3], f[4], aux,
				 (long long)x->sample, x->code, x->subtype, x->chan,
				 x->num, x->aux ? x->aux_len : 0);
			goto done;
		}
	}
	/* The time resolution: an "fs F" line when the file has one. */
	double fs = 0;
	if (sscanf(p, " fs %lf", &fs) != 1)
		fs = 0;
	if (fs != a.fs)
		snprintf(why, sizeof why, "time resolution: wfdb %g, libbnn %g",
			 fs, a.fs);
done:
	snprintf(fn + strlen(fn), sizeof fn - strlen(fn), " (%zu annotations)", a.n);
	result(!why[0], fn, why[0] ? why : NULL);
	bnn_wfdb_annlist_free(&a);
	free(ref);
}

/* A deterministic list with what the format can say (NUM 0..127: the
 * wfdb package's range). */
static int write_corpus(const char *dir)
{
	enum { N = 400 };
	static bnn_wfdb_ann a[N];
	static char aux[N][256];
	uint32_t r = 20240611;
	int64_t t = 0;
	char path[4096];
	bnn_error e;

	for (int i = 0; i < N; i++) {
		r = r * 1103515245u + 12345u;
		unsigned v = r >> 8;
		static const int gaps[] = { 0, 1, 1023, 1024, 65535, 65536, 1000000 };
		t += i % 5 ? (int64_t)(v % 900) : gaps[v % 7];
		static const char codes[] = { 1, 5, 8, 9, 6, 13, 12, 28, 14, 16, 22 };
		a[i] = (bnn_wfdb_ann){ .sample = t, .code = codes[v % 11] };
		a[i].subtype = i % 3 ? 0 : (int)(v % 256) - 128;
		a[i].chan = i % 4 ? (i ? a[i - 1].chan : 0) : (int)(v >> 4) % 256;
		a[i].num = i % 6 ? (i ? a[i - 1].num : 0) : (int)(v >> 12) % 128;
		if (i % 7 == 0) {
			size_t k = (size_t)(i % 255) + 1;
			for (size_t j = 0; j < k; j++)
				aux[i][j] = (char)('A' + (j + v) % 26);
			a[i].aux = aux[i];
			a[i].aux_len = k;
		}
	}
	snprintf(path, sizeof path, "%s/wr.hea", dir);
	FILE *f = fopen(path, "w");
	if (!f || fputs("wr 0 360\n", f) < 0 || fclose(f)) {
		fprintf(stderr, "check_wfdb: cannot write %s\n", path);
		return 1;
	}
	snprintf(path, sizeof path, "%s/wr.bnn", dir);
	if (bnn_wfdb_write_ann(path, a, N, &e)) {
		fprintf(stderr, "check_wfdb: %s\n", e.msg);
		return 1;
	}
	return 0;
}

static void check_dir(const char *dir)
{
	char *man = slurp(dir, "MANIFEST");
	if (!man) {
		result(0, dir, "no MANIFEST");
		return;
	}
	char *save = NULL;
	for (char *l = strtok_r(man, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char a[128], b[128];
		if (sscanf(l, "record %127s", a) == 1)
			check_record(dir, a);
		else if (sscanf(l, "ann %127s %127s", a, b) == 2)
			check_ann(dir, a, b);
	}
	free(man);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write"))
		return write_corpus(argv[2]);
	if (argc < 2) {
		fprintf(stderr, "usage: check_wfdb DIR... | check_wfdb --write DIR\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		check_dir(argv[i]);
	printf("1..%d\n", ntest);
	printf("# %d of %d agree with the wfdb Python package\n", ntest - nfail,
	       ntest);
	return nfail ? 1 : 0;
}
