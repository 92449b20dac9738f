// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * rhythm.c - libbnn data: RR-interval (rhythm) features of heartbeats,
 * the one definition shared by training and inference (bnn_data.h).
 */
#include "beats_internal.h"

#include <math.h>
#include <string.h>

static const char *const feature_names[BNN_FEAT_COUNT] = {
	[BNN_FEAT_PRE_RR] = "pre_rr",
	[BNN_FEAT_POST_RR] = "post_rr",
	[BNN_FEAT_LOCAL_RR] = "local_rr",
	[BNN_FEAT_LONG_RR] = "long_rr",
	[BNN_FEAT_PRE_LOCAL] = "pre_local",
	[BNN_FEAT_POST_PRE] = "post_pre",
	[BNN_FEAT_PRE_LONG] = "pre_long",
	[BNN_FEAT_LOCAL_LONG] = "local_long",
	[BNN_FEAT_IRREG] = "irreg",
};

const char *bnn_feature_name(int kind)
{
	return kind >= 0 && kind < BNN_FEAT_COUNT ? feature_names[kind] : "?";
}

/* Seconds between beats a < b (t[k - off] is beat k).  The sum of
 * RR_(a+1) .. RR_b telescopes to this, which makes every mean O(1).  The
 * difference is taken in double: exact below 2^53 samples, and no
 * overflow for any int64. */
static double span(const int64_t *t, size_t off, size_t a, size_t b, double fs)
{
	return ((double)t[b - off] - (double)t[a - off]) / fs;
}

static double rr(const int64_t *t, size_t off, size_t i, double fs)
{
	return span(t, off, i - 1, i, fs);
}

void bnn__rhythm_row(const int64_t *t, size_t off, size_t i, size_t n,
		     double fs, size_t *lop, float *o)
{
	const double horizon = BNN_RHYTHM_LONG_S * fs;
	size_t lo = *lop;	/* first RR_k (k >= 1) inside LONG's window */
	double pre = rr(t, off, i ? i : 1, fs);
	double post = i + 1 < n ? rr(t, off, i + 1, fs) : pre;

	/* LOCAL: RR_a+1 .. RR_(i-1), a = max(0, i - 11). */
	double local = pre;
	if (i >= 2) {
		size_t a = i > BNN_RHYTHM_LOCAL_N + 1 ?
			   i - BNN_RHYTHM_LOCAL_N - 1 : 0;
		local = span(t, off, a, i - 1, fs) / (double)(i - 1 - a);
	}

	/* LONG: RR_k, lo <= k <= i - 1, t_k > t_i - 300 fs.  lo only moves
	 * forward as t_i grows. */
	double limit = (double)t[i - off] - horizon;
	while (lo < i && !((double)t[lo - off] > limit))
		lo++;
	double longrr = local;
	if (i >= 1 && lo <= i - 1)
		longrr = span(t, off, lo - 1, i - 1, fs) / (double)(i - lo);

	/* IRREG: |RR_k - RR_(k-1)|, k = max(2, i - 9) .. i. */
	double irreg = 0;
	if (i >= 2) {
		size_t k0 = i >= BNN_RHYTHM_LOCAL_N + 1 ?
			    i - BNN_RHYTHM_LOCAL_N + 1 : 2;
		double sum = 0;
		for (size_t k = k0; k <= i; k++)
			sum += fabs(rr(t, off, k, fs) - rr(t, off, k - 1, fs));
		irreg = bnn__rr_ratio(sum / (double)(i - k0 + 1), local);
	}

	o[BNN_FEAT_PRE_RR] = (float)pre;
	o[BNN_FEAT_POST_RR] = (float)post;
	o[BNN_FEAT_LOCAL_RR] = (float)local;
	o[BNN_FEAT_LONG_RR] = (float)longrr;
	o[BNN_FEAT_PRE_LOCAL] = (float)bnn__rr_ratio(pre, local);
	o[BNN_FEAT_POST_PRE] = (float)bnn__rr_ratio(post, pre);
	o[BNN_FEAT_PRE_LONG] = (float)bnn__rr_ratio(pre, longrr);
	o[BNN_FEAT_LOCAL_LONG] = (float)bnn__rr_ratio(local, longrr);
	o[BNN_FEAT_IRREG] = (float)irreg;
	*lop = lo;
}

int bnn_rhythm_features(const int64_t *t, size_t n, double fs, float *out,
			bnn_error *err)
{
	if (!t || !out)
		return bnn__err(err, BNN_E_INVAL, "rhythm: NULL argument");
	if (!(isfinite(fs) && fs > 0))
		return bnn__err(err, BNN_E_INVAL,
				"rhythm: rate %g Hz must be finite and > 0", fs);
	if (n < 2)
		return bnn__err(err, BNN_E_RANGE,
				"%s: RR features need at least 2 beats",
				n ? "one beat" : "no beats");
	for (size_t i = 1; i < n; i++)
		if (t[i] <= t[i - 1])
			return bnn__err(err, BNN_E_INVAL,
					"rhythm: beat %zu at sample %lld is not after beat %zu at %lld (times must increase strictly)",
					i, (long long)t[i], i - 1,
					(long long)t[i - 1]);

	size_t lo = 1;
	for (size_t i = 0; i < n; i++)
		bnn__rhythm_row(t, 0, i, n, fs, &lo, out + i * BNN_FEAT_COUNT);
	return BNN_OK;
}
