// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-wfdb2raw - test helper: one lead of a WFDB record, read with
 * libbnn, written to stdout as a raw stream for bnn-run --stream:
 *
 *   bnn-wfdb2raw DIR RECORD LEAD int16|float32|csv [CHANNELS]
 *
 * int16: the ADC value minus the signal's baseline (bnn-run --units adc
 * --gain G gives the millivolts bnn_wfdb_to_phys gives); float32 and csv:
 * millivolts.  CHANNELS > 1 interleaves the lead with copies negated
 * after it (the lead is channel 0).  The lead's gain and the record's rate
 * go to stderr as "gain G fs F".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_data.h"

int main(int argc, char **argv)
{
	bnn_wfdb_record rec;
	bnn_error err;
	int sig, nch = argc > 5 ? atoi(argv[5]) : 1;

	if (argc < 5 || nch < 1) {
		fprintf(stderr, "usage: bnn-wfdb2raw DIR RECORD LEAD int16|float32|csv [CHANNELS]\n");
		return 2;
	}
	if (bnn_wfdb_read_record(argv[1], argv[2], 0, &rec, &err)) {
		fprintf(stderr, "bnn-wfdb2raw: %s\n", err.msg);
		return 1;
	}
	sig = bnn_wfdb_find_lead(&rec.hdr, argv[3], NULL);
	if (sig < 0) {
		fprintf(stderr, "bnn-wfdb2raw: no lead %s\n", argv[3]);
		return 1;
	}
	const bnn_wfdb_signal *s = &rec.hdr.sig[sig];
	const int32_t *v = bnn_wfdb_samples(&rec, sig);
	fprintf(stderr, "gain %.17g fs %.17g\n", s->gain, rec.hdr.fs);
	for (int64_t i = 0; i < rec.nsamples; i++)
		for (int c = 0; c < nch; c++) {
			int32_t a = (v[i] - s->baseline) * (c ? -1 : 1);
			float f = (float)bnn_wfdb_to_phys(s, v[i]) * (c ? -1 : 1);

			if (!strcmp(argv[4], "int16")) {
				unsigned char b[2] = { (unsigned char)(a & 0xff),
						       (unsigned char)((a >> 8) & 0xff) };
				fwrite(b, 1, 2, stdout);
			} else if (!strcmp(argv[4], "float32")) {
				unsigned char b[4];
				uint32_t u;
				memcpy(&u, &f, 4);
				for (int k = 0; k < 4; k++)
					b[k] = (unsigned char)(u >> (8 * k));
				fwrite(b, 1, 4, stdout);
			} else {
				printf("%s%.9g", c ? "," : "", (double)f);
				if (c == nch - 1)
					putchar('\n');
			}
		}
	bnn_wfdb_record_free(&rec);
	return fflush(stdout) ? 1 : 0;
}
