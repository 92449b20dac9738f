// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-qrs-eval - QRS detection against reference beat annotations.
 *
 *   bnn-qrs-eval [--data DIR] [--signal N] [--ann EXT] [--window S]
 *                [--fs HZ] [--det-dir DIR] [--write-det DIR] [--ec57-vf]
 *                [RECORD...]
 *
 * For every record (default: every .hea file in DIR, sorted) it detects beats in
 * one signal with libbnn's detector (bnn_qrs_detect) -- or, with
 * --det-dir, reads another detector's beats from DIR/RECORD.txt, one
 * sample index per line -- and matches them to the reference beats (every
 * annotation of DIR/RECORD.EXT whose code is a beat in the AAMI map) with
 * bnn_beat_match.  --ec57-vf leaves out, as EC57 does for beat-by-beat
 * detection statistics, the ventricular flutter / fibrillation episodes
 * ('[' .. ']'): reference beats and detections inside them.  --fs
 * resamples the signal first (bnn_resample, band-limited) and moves the
 * reference beats to the new rate: the detector's behaviour at other
 * recorders' rates on the same beats.  Prints a Markdown table per record and the gross
 * totals.  DIR defaults to $RBNN_DATA/mitdb.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnn_data.h"

/* Sample numbers moved to another rate (INT64_MAX: "to the end", kept). */
static void rescale(int64_t *v, size_t n, double k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != INT64_MAX)
			v[i] = llround((double)v[i] * k);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bnn-qrs-eval [--data DIR] [--signal N] [--ann EXT] "
		   "[--window S] [--fs HZ] [--det-dir DIR] [--write-det DIR] "
		   "[--ec57-vf] [RECORD...]\n");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Record names of every .hea in dir, sorted. */
static char **list_records(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t k = 0, cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".hea") || e->d_name[0] == '.')
			continue;
		if (k == cap) {
			cap = cap ? 2 * cap : 64;
			char **p = realloc(v, cap * sizeof *v);
			if (!p)
				break;
			v = p;
		}
		v[k++] = strndup(e->d_name, l - 4);
	}
	closedir(d);
	qsort(v, k, sizeof *v, cmp_str);
	*n = k;
	return v;
}

static int read_det(const char *dir, const char *rec, int64_t **out, size_t *n)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s.txt", dir, rec);
	FILE *f = fopen(p, "r");
	*out = NULL;
	*n = 0;
	if (!f) {
		fprintf(stderr, "bnn-qrs-eval: %s: %s\n", p, strerror(errno));
		return -1;
	}
	size_t cap = 0;
	long long v;
	while (fscanf(f, "%lld", &v) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			int64_t *q = realloc(*out, cap * sizeof *q);
			if (!q) {
				fclose(f);
				return -1;
			}
			*out = q;
		}
		(*out)[(*n)++] = v;
	}
	fclose(f);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Remove the times inside any [ep[2k], ep[2k+1]) range; returns the count. */
static size_t drop_in(int64_t *t, size_t n, const int64_t *ep, size_t nep)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int in = 0;
		for (size_t e = 0; e < nep && !in; e++)
			in = t[i] >= ep[2 * e] && t[i] < ep[2 * e + 1];
		if (!in)
			t[k++] = t[i];
	}
	return k;
}

int main(int argc, char **argv)
{
	const char *data = NULL, *ann = "atr", *detdir = NULL, *writedir = NULL;
	int sig = 0, vf = 0;
	double window = 0.15, fs_out = 0;
	int first = 1;
	char defdir[4096];

	for (; first < argc && argv[first][0] == '-'; first++) {
		const char *a = argv[first];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--ec57-vf")) {
			vf = 1;
			continue;
		}
		if (first + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		if (!strcmp(a, "--data"))
			data = argv[++first];
		else if (!strcmp(a, "--signal"))
			sig = atoi(argv[++first]);
		else if (!strcmp(a, "--ann"))
			ann = argv[++first];
		else if (!strcmp(a, "--window"))
			window = atof(argv[++first]);
		else if (!strcmp(a, "--fs")) {
			char *end;

			fs_out = strtod(argv[++first], &end);
			if (*end || !(fs_out >= 50 && fs_out <= 100000)) {
				fprintf(stderr, "bnn-qrs-eval: --fs wants a rate in Hz, 50 to 100000\n");
				return 2;
			}
		}
		else if (!strcmp(a, "--det-dir"))
			detdir = argv[++first];
		else if (!strcmp(a, "--write-det"))
			writedir = argv[++first];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!data) {
		const char *root = bnn_data_dir(NULL);
		if (!root) {
			fprintf(stderr, "bnn-qrs-eval: set RBNN_DATA or --data\n");
			return 2;
		}
		snprintf(defdir, sizeof defdir, "%s/mitdb", root);
		data = defdir;
	}
	char **recs;
	size_t nrec;
	int own = 0;
	if (first < argc) {
		recs = argv + first;
		nrec = (size_t)(argc - first);
	} else {
		recs = list_records(data, &nrec);
		own = 1;
		if (!nrec) {
			fprintf(stderr, "bnn-qrs-eval: no .hea in %s\n", data);
			return 1;
		}
	}
	signed char map[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(map);

	printf("| record | fs | ref beats | TP | FP | FN | Se %% | +P %% | err ms | time ms |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	size_t T[4] = { 0 };	/* ref tp fp fn */
	double ttot = 0.0, errsum = 0.0;
	int fails = 0;
	for (size_t r = 0; r < nrec; r++) {
		bnn_wfdb_record rec;
		bnn_wfdb_annlist al;
		bnn_error e;
		/* Frame-rate signals: annotation times count frames. */
		if (bnn_wfdb_read_record(data, recs[r], 0, &rec, &e) ||
		    bnn_wfdb_frame_average(&rec, &e) ||
		    bnn_wfdb_read_annotations(data, recs[r], ann, &al, &e) ||
		    bnn_wfdb_ann_to_rate(&al, rec.hdr.fs, &e)) {
			fprintf(stderr, "bnn-qrs-eval: %s: %s\n", recs[r], e.msg);
			fails++;
			continue;
		}
		if (sig < 0 || sig >= rec.hdr.nsig) {
			fprintf(stderr, "bnn-qrs-eval: %s: no signal %d\n", recs[r], sig);
			fails++;
			bnn_wfdb_record_free(&rec);
			bnn_wfdb_annlist_free(&al);
			continue;
		}
		size_t n = (size_t)rec.nsamples;
		float *x = malloc((n ? n : 1) * sizeof *x);
		int64_t *ref = malloc((al.n ? al.n : 1) * sizeof *ref);
		if (!x || !ref)
			return 1;
		const int32_t *s = bnn_wfdb_samples(&rec, sig);
		for (size_t i = 0; i < n; i++)
			x[i] = (float)bnn_wfdb_to_phys(&rec.hdr.sig[sig], s[i]);
		size_t nref = 0;
		for (size_t i = 0; i < al.n; i++) {
			int c = al.ann[i].code;
			if (c >= 0 && c < BNN_AAMI_MAP_SIZE && map[c] >= 0)
				ref[nref++] = al.ann[i].sample;
		}
		qsort(ref, nref, sizeof *ref, cmp_i64);
		/* VF episodes: [on, off) sample ranges */
		int64_t *ep = malloc((al.n ? al.n : 1) * 2 * sizeof *ep);
		size_t nep = 0;
		if (!ep)
			return 1;
		if (vf) {
			int on = bnn_wfdb_ann_code("["), off = bnn_wfdb_ann_code("]");
			int64_t start = -1;
			for (size_t i = 0; i < al.n; i++) {
				if (al.ann[i].code == on && start < 0)
					start = al.ann[i].sample;
				else if (al.ann[i].code == off && start >= 0) {
					ep[2 * nep] = start;
					ep[2 * nep++ + 1] = al.ann[i].sample;
					start = -1;
				}
			}
			if (start >= 0) {
				ep[2 * nep] = start;
				ep[2 * nep++ + 1] = INT64_MAX;
			}
			nref = drop_in(ref, nref, ep, nep);
		}
		double fs = rec.hdr.fs;
		if (fs_out > 0 && fs_out != fs && !detdir) {
			float *y;
			size_t ny;
			if (bnn_resample(x, n, fs, fs_out, BNN_RESAMPLE_SINC, &y,
					 &ny, &e)) {
				fprintf(stderr, "bnn-qrs-eval: %s: %s\n", recs[r], e.msg);
				return 1;
			}
			free(x);
			x = y;
			n = ny;
			rescale(ref, nref, fs_out / fs);
			rescale(ep, 2 * nep, fs_out / fs);
			fs = fs_out;
		}
		int64_t *det = NULL;
		size_t ndet = 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc;
		if (detdir) {
			rc = read_det(detdir, recs[r], &det, &ndet);
			if (!rc)
				qsort(det, ndet, sizeof *det, cmp_i64);
		} else {
			rc = bnn_qrs_detect(x, n, fs, NULL, &det, &ndet, &e);
			if (rc)
				fprintf(stderr, "bnn-qrs-eval: %s: %s\n", recs[r], e.msg);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!rc && vf)
			ndet = drop_in(det, ndet, ep, nep);
		free(ep);
		double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		bnn_match_result m;
		if (!rc)
			rc = bnn_beat_match(ref, nref, det, ndet, fs, window, &m, &e);
		if (rc) {
			fails++;
		} else {
			printf("| %s | %g | %zu | %zu | %zu | %zu | %.2f | %.2f | %.1f | %.0f |\n",
			       recs[r], fs, nref, m.tp, m.fp, m.fn,
			       100.0 * m.se, 100.0 * m.ppv, 1e3 * m.mean_abs_err_s, ms);
			T[0] += nref;
			T[1] += m.tp;
			T[2] += m.fp;
			T[3] += m.fn;
			errsum += m.mean_abs_err_s * (double)m.tp;
			ttot += ms;
			bnn_match_result_free(&m);
		}
		if (writedir && !detdir && !rc) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%s.txt", writedir, recs[r]);
			FILE *f = fopen(p, "w");
			if (f) {
				for (size_t i = 0; i < ndet; i++)
					fprintf(f, "%lld\n", (long long)det[i]);
				fclose(f);
			}
		}
		free(det);
		free(x);
		free(ref);
		bnn_wfdb_record_free(&rec);
		bnn_wfdb_annlist_free(&al);
		fflush(stdout);
	}
	printf("| **gross** | | %zu | %zu | %zu | %zu | %.2f | %.2f | %.1f | %.0f |\n",
	       T[0], T[1], T[2], T[3],
	       T[1] + T[3] ? 100.0 * T[1] / (T[1] + T[3]) : 0.0,
	       T[1] + T[2] ? 100.0 * T[1] / (T[1] + T[2]) : 0.0,
	       T[1] ? 1e3 * errsum / T[1] : 0.0, ttot);
	if (own) {
		for (size_t r = 0; r < nrec; r++)
			free(recs[r]);
		free(recs);
	}
	return fails ? 1 : 0;
}
