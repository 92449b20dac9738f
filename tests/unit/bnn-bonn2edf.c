// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-bonn2edf - test helper: a Bonn EEG segment (.txt, one integer per
 * line) written as an EDF+ file with Debian's EDFlib (libedf), the C
 * writer of the library libbnn reads EDF with:
 *
 *   bnn-bonn2edf OUT.edf SEGMENT.txt LABEL
 *
 * One data record holding the whole segment (N samples in N / 173.61 s,
 * to 10 us), signal "EEG" in uV with physical = digital (so the integers
 * come back exactly), and one annotation LABEL over the segment, as
 * tests/unit/edf_pyedflib.py writes with pyedflib.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <edflib.h>

#define BONN_FS 173.61
#define MAX_SAMPLES (1 << 20)

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "bnn-bonn2edf: %s: %s\n", path, what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bnn-bonn2edf OUT.edf SEGMENT.txt LABEL\n");
		return 2;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f)
		return fail("cannot open", argv[2]);
	int *x = malloc(MAX_SAMPLES * sizeof *x);
	long v;
	int n = 0, h, ok = 1;

	if (!x)
		return fail("out of memory", argv[2]);
	while (n < MAX_SAMPLES && fscanf(f, "%ld", &v) == 1) {
		if (v < -32768 || v > 32767)
			return fail("a value out of 16 bits", argv[2]);
		x[n++] = (int)v;
	}
	if (!feof(f) || n == 0)
		return fail("not one integer per line", argv[2]);
	fclose(f);
	/* The record's duration in 10 us units gives the rate (EDFlib's
	 * "sample frequency" is samples per data record). */
	double dur = n / BONN_FS;
	int dur10us = (int)lround(dur * 1e5);

	h = edfopen_file_writeonly(argv[1], EDFLIB_FILETYPE_EDFPLUS, 1);
	if (h < 0)
		return fail("edfopen_file_writeonly failed", argv[1]);
	ok = !edf_set_datarecord_duration(h, dur10us) &&
	     !edf_set_samplefrequency(h, 0, n) &&
	     !edf_set_physical_maximum(h, 0, 32767) &&
	     !edf_set_physical_minimum(h, 0, -32768) &&
	     !edf_set_digital_maximum(h, 0, 32767) &&
	     !edf_set_digital_minimum(h, 0, -32768) &&
	     !edf_set_label(h, 0, "EEG") &&
	     !edf_set_physical_dimension(h, 0, "uV") &&
	     !edfwrite_digital_samples(h, x) &&
	     !edfwrite_annotation_utf8(h, 0, llround(dur * 1e4), argv[3]);
	if (edfclose_file(h) || !ok)
		return fail("EDFlib could not write it", argv[1]);
	free(x);
	return 0;
}
