// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * wfdb_frames.c - libbnn data: a record's oversampled signals (samples
 * per frame > 1) brought to the frame rate, one sample per frame, the
 * mean of the frame's samples, as WFDB's getvec() and the wfdb Python
 * package's rdrecord(smooth_frames=True) read them; and annotation times
 * written at another resolution ("## time resolution") moved to frames.
 * Beat extraction, detection and annotation times all count frames.
 */
#define BNN_DATA_INTERNAL
#include "wfdb_internal.h"

#include <math.h>
#include <stddef.h>

/* Mean of the valid samples of one frame, rounded half away from zero;
 * the invalid value when every sample of the frame is invalid. */
static int32_t frame_mean(const bnn_wfdb_signal *s, const int32_t *v,
			  size_t spf)
{
	int64_t sum = 0, n = 0;

	for (size_t j = 0; j < spf; j++) {
		if (bnn_wfdb_is_invalid(s, v[j]))
			continue;
		sum += v[j];
		n++;
	}
	if (!n)
		return s->invalid;
	/* |sum| <= 2^31 * BNN_WFDB_MAX_SPF = 2^47: no overflow. */
	return (int32_t)(sum >= 0 ? (sum + n / 2) / n : -((-sum + n / 2) / n));
}

int bnn_wfdb_frame_average(bnn_wfdb_record *r, bnn_error *err)
{
	if (!r || (r->hdr.nsig > 0 && !r->hdr.sig))
		return bnn__err(err, BNN_E_INVAL, "frame_average: NULL argument");
	if (r->nsamples < 0 || r->hdr.nsig < 0)
		return bnn__err(err, BNN_E_INVAL, "frame_average: bad record");
	if (r->nsamples > 0 && r->hdr.nsig > 0 && !r->data)
		return bnn__err(err, BNN_E_INVAL, "frame_average: no samples");
	size_t ns = (size_t)r->nsamples, in = 0, out = 0;

	/* Signal after signal, in place: each one's output starts at or
	 * before its input, and frame f is read before it is written. */
	for (int s = 0; s < r->hdr.nsig; s++) {
		bnn_wfdb_signal *sg = &r->hdr.sig[s];
		size_t spf = sg->spf > 1 ? (size_t)sg->spf : 1;

		for (size_t f = 0; f < ns; f++)
			r->data[out + f] = spf == 1 ? r->data[in + f]
				: frame_mean(sg, r->data + in + f * spf, spf);
		in += ns * spf;
		out += ns;
		sg->spf = 1;
	}
	return BNN_OK;
}

int bnn_wfdb_ann_to_rate(bnn_wfdb_annlist *a, double frame_fs, bnn_error *err)
{
	if (!a || (a->n && !a->ann))
		return bnn__err(err, BNN_E_INVAL, "ann_to_rate: NULL argument");
	if (!(frame_fs > 0 && frame_fs <= 1e12))
		return bnn__err(err, BNN_E_INVAL, "ann_to_rate: bad rate %g",
				frame_fs);
	if (!(a->fs > 0) || a->fs == frame_fs)
		return BNN_OK;
	double k = frame_fs / a->fs;

	/* Times stay non-negative and ordered; llround keeps them exact
	 * below 2^53. */
	for (size_t i = 0; i < a->n; i++)
		a->ann[i].sample = (int64_t)llround((double)a->ann[i].sample * k);
	a->fs = frame_fs;
	return BNN_OK;
}
