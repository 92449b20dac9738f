// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * run_stream.c - bnn-run --stream: samples from stdin, a FIFO or a file
 * (int16 / float32 little-endian interleaved frames, or CSV lines), one
 * channel to libbnn's live-stream builders (beat items with detection and
 * rhythm features, or windows), each finished item classified at once and
 * printed as one JSON line, flushed.  EOF, SIGINT and SIGTERM end the
 * stream the same way: what remains is decided, then a summary on stderr.
 *
 * Latency of an item: delay_s is signal time, from its R peak (window:
 * its last sample) to the last sample the item needed; compute_ms is wall
 * time from the arrival of that sample (the read that brought it) to the
 * line's write; latency_ms = 1000 delay_s + compute_ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"
#include "metrics.h"

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	g_stop = sig;
}

struct sctx {
	const struct opts *o;
	const bnn_model *m;
	bnn_backend *be;
	uint32_t K, C, L;
	size_t E;
	bnn_signal_desc sd;
	int fkind[BNN_FEATURES_MAX];
	int beat;
	double fs, rate;	/* input rate; model rate (0: n/a) */
	bnn_beat_stream *bs;
	bnn_window_stream *ws;
	float *item, *scores;
	/* results */
	size_t n, cap;
	double *lat_ms, *delay_s, *comp_ms;
	uint64_t *per_class;
	double t_arrival;	/* wall time of the last read */
	int64_t frames;
};

static const char *src_name(const struct opts *o)
{
	return strcmp(o->stream, "-") ? o->stream : "stdin";
}

static void record(struct sctx *c, double delay, double comp, int32_t p)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->lat_ms = xrealloc(c->lat_ms, c->cap * sizeof(double));
		c->delay_s = xrealloc(c->delay_s, c->cap * sizeof(double));
		c->comp_ms = xrealloc(c->comp_ms, c->cap * sizeof(double));
	}
	c->lat_ms[c->n] = 1000 * delay + comp;
	c->delay_s[c->n] = delay;
	c->comp_ms[c->n] = comp;
	c->n++;
	c->per_class[p]++;
}

/* Classify one finished item and print its line. */
static void emit(struct sctx *c, const bnn_stream_item *it)
{
	int32_t pred;
	bnn_stats st;
	bnn_error err;
	double delay, comp;
	int rc;

	memcpy(c->item, it->x, c->L * sizeof(float));
	for (uint32_t k = 0; k < c->sd.nfeatures; k++)
		c->item[c->L + k] = it->rhythm[c->fkind[k]];
	rc = bnn_run(c->be, c->item, 1, c->scores, &pred, &st, &err);
	if (rc)
		die(EX_RUNTIME, "run failed (item at sample %lld): %s",
		    (long long)it->sample, err.msg);
	if (pred < 0 || (uint32_t)pred >= c->K)
		die(EX_RUNTIME, "libbnn returned class %d (model has %u)", pred,
		    c->K);
	/* Beats: from the R peak; windows: from their last input sample. */
	delay = c->beat ? (double)(it->ready - it->sample) / c->fs :
		(double)(it->ready - (it->sample + (int64_t)llround(
			(double)(c->L - 1) * c->fs / (c->rate > 0 ? c->rate : c->fs)))) /
		c->fs;
	if (delay < 0)
		delay = 0;
	printf("{\"t\": %.4f, \"sample\": %lld, ", (double)it->sample / c->fs,
	       (long long)it->sample);
	if (!c->beat)
		printf("\"window\": %zu, ", it->index);
	printf("\"class\": \"");
	for (const char *p = bnn_model_class_name(c->m, (uint32_t)pred); *p; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p >= 0x20)
			putchar(*p);
	printf("\", \"scores\": [");
	for (uint32_t k = 0; k < c->K; k++)
		printf("%s%.6g", k ? ", " : "", (double)c->scores[k]);
	comp = (now_s() - c->t_arrival) * 1000;
	printf("], \"delay_s\": %.4f, \"compute_ms\": %.3f, \"latency_ms\": %.1f}\n",
	       delay, comp, 1000 * delay + comp);
	if (fflush(stdout) || ferror(stdout))
		die(EX_RUNTIME, "writing to stdout failed: %s", strerror(errno));
	record(c, delay, comp, pred);
}

/* --limit reached: the stream ends as at EOF. */
static int g_limited;

static void drain(struct sctx *c)
{
	bnn_stream_item it;

	while (!g_limited && (c->bs ? bnn_beat_stream_next(c->bs, &it) :
			      bnn_window_stream_next(c->ws, &it))) {
		emit(c, &it);
		if (c->o->limit && c->n >= c->o->limit)
			g_limited = 1;
	}
}

static void push(struct sctx *c, const float *x, size_t n)
{
	bnn_error err;
	int rc = c->bs ? bnn_beat_stream_push(c->bs, x, n, &err) :
		 bnn_window_stream_push(c->ws, x, n, &err);

	if (rc)
		die(rc == BNN_E_RANGE ? EX_DATA : EX_RUNTIME, "%s: %s",
		    src_name(c->o), err.msg);
	drain(c);
}

static void finish(struct sctx *c)
{
	bnn_error err;
	int rc = c->bs ? bnn_beat_stream_finish(c->bs, &err) :
		 bnn_window_stream_finish(c->ws, &err);

	if (rc)
		die(EX_RUNTIME, "%s: %s", src_name(c->o), err.msg);
	drain(c);
}

/* Physical value (millivolts) of a raw value. */
static float to_mv(const struct opts *o, double v)
{
	switch (o->units) {
	case UNITS_UV: return (float)(v / 1000);
	case UNITS_ADC: return (float)(v / o->gain);
	default: return (float)v;
	}
}

static void summary(const struct sctx *c, const char *how)
{
	double *d = xcalloc(c->n ? c->n : 1, sizeof(double));
	double mean_l = 0, mean_c = 0, max_l = 0;

	if (g_quiet)
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		mean_l += c->lat_ms[i];
		mean_c += c->comp_ms[i];
		max_l = c->lat_ms[i] > max_l ? c->lat_ms[i] : max_l;
	}
	fprintf(stderr, PROG ": stream %s (%s): %zu %s in %.1f s of signal",
		src_name(c->o), how, c->n, c->beat ? "beats" : "windows",
		(double)c->frames / c->fs);
	for (uint32_t k = 0; k < c->K; k++)
		fprintf(stderr, "%s %s %llu", k ? "," : ":",
			bnn_model_class_name(c->m, k),
			(unsigned long long)c->per_class[k]);
	fputc('\n', stderr);
	if (c->n) {
		memcpy(d, c->comp_ms, c->n * sizeof(double));
		mt_sort(d, c->n);
		fprintf(stderr, PROG ": latency mean %.1f ms, max %.1f ms; compute mean %.3f ms, p99 %.3f ms, max %.3f ms\n",
			mean_l / (double)c->n, max_l, mean_c / (double)c->n,
			mt_percentile(d, c->n, 99), d[c->n - 1]);
	}
	if (c->bs) {
		bnn_beat_stream_stats st;

		bnn_beat_stream_stats_get(c->bs, &st);
		if (st.dropped || st.late)
			fprintf(stderr, PROG ": %zu detected beat%s not classified (window past the signal's start or end)\n",
				st.dropped + st.late,
				st.dropped + st.late == 1 ? "" : "s");
	}
out:
	free(d);
}

/* Parse whole CSV lines of buf[0..len); returns bytes used. */
static size_t parse_csv(struct sctx *c, const char *buf, size_t len,
			int64_t *lineno, float *out, size_t *nout, int eof)
{
	const struct opts *o = c->o;
	size_t used = 0;

	*nout = 0;
	for (;;) {
		const char *s = buf + used, *e = memchr(s, '\n', len - used);
		const char *p;
		unsigned field = 0;
		double v = 0, want = 0;

		if (!e) {
			if (!eof || used == len)
				break;
			e = buf + len;
		}
		++*lineno;
		used = (size_t)(e - buf) + (e < buf + len);
		if (e > s && e[-1] == '\r')
			e--;
		p = s;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e || *p == '#')
			continue;
		while (p <= e) {
			const char *f = p, *fe;

			while (p < e && *p != ',' && *p != ';' && *p != ' ' &&
			       *p != '\t')
				p++;
			fe = p;
			if (bnn_parse_f64(f, (size_t)(fe - f), &v)) {
				char shown[48];
				size_t k = (size_t)(e - s) < 40 ? (size_t)(e - s) : 40;

				for (size_t i = 0; i < k; i++)
					shown[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
				shown[k] = '\0';
				die(EX_DATA, "%s: line %lld: '%s' is not a line of %u number%s",
				    src_name(o), (long long)*lineno, shown,
				    o->channels, o->channels == 1 ? "" : "s");
			}
			if (field == o->channel)
				want = v;
			field++;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (p < e && (*p == ',' || *p == ';'))
				p++;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (p == e)
				break;
		}
		if (field != o->channels)
			die(EX_DATA, "%s: line %lld has %u value%s, want %u (--channels)",
			    src_name(o), (long long)*lineno, field,
			    field == 1 ? "" : "s", o->channels);
		out[(*nout)++] = to_mv(o, want);
		c->frames++;
	}
	return used;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Decode whole binary frames of buf[0..len); returns bytes used. */
static size_t parse_bin(struct sctx *c, const unsigned char *buf, size_t len,
			float *out, size_t *nout)
{
	const struct opts *o = c->o;
	size_t w = o->stream_format == SFMT_INT16 ? 2 : 4;
	size_t fb = w * o->channels, nf = len / fb;

	for (size_t i = 0; i < nf; i++) {
		const unsigned char *p = buf + i * fb + o->channel * w;
		double v;

		if (w == 2) {
			v = (int16_t)le16(p);
		} else {
			uint32_t u = le32(p);
			float f;

			memcpy(&f, &u, 4);
			if (!isfinite(f))
				die(EX_DATA, "%s: frame %lld: channel %u is not a finite float32",
				    src_name(o), (long long)(c->frames + (int64_t)i),
				    o->channel);
			v = f;
		}
		out[i] = to_mv(o, v);
	}
	c->frames += (int64_t)nf;
	*nout = nf;
	return nf * fb;
}

static void setup(struct sctx *c, const struct opts *o, const bnn_model *m,
		  const bnn_model_info *mi, bnn_backend *be)
{
	bnn_error err;
	int rc;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->m = m;
	c->be = be;
	c->K = mi->nclasses;
	c->C = mi->input.channels;
	c->L = mi->input.length;
	c->fs = o->fs;
	c->rate = mi->input.sample_rate_hz;
	c->beat = mi->input.beat_pre || mi->input.beat_post;
	c->sd.size = sizeof(c->sd);
	if (bnn_model_signal_get(m, &c->sd))
		die(EX_MODEL, "model: no signal description");
	for (uint32_t k = 0; k < c->sd.nfeatures; k++)
		bnn_model_feature_get(m, k, &c->fkind[k], NULL, NULL);
	if (c->sd.nfeatures && !c->beat)
		die(EX_MODEL,
		    "the model takes %u rhythm features but no beat window: only beat models can have them",
		    c->sd.nfeatures);
	if (c->C != 1) {
		char leads[512] = "";

		for (uint32_t k = 0; k < c->C && bnn_model_lead(m, k)[0]; k++) {
			size_t n = strlen(leads);

			snprintf(leads + n, sizeof(leads) - n, "%s%s",
				 k ? ", " : " (leads ", bnn_model_lead(m, k));
		}
		if (leads[0])
			strncat(leads, ")", sizeof(leads) - strlen(leads) - 1);
		/* The live builders take one lead: a stream of two leads
		 * would need them to run in step, which they do not yet. */
		die(EX_MISMATCH,
		    "the model takes %u channels%s; --stream feeds a model one channel of the stream (--stream-channel K): classify a recording of several leads from its WFDB record instead",
		    c->C, leads);
	}
	if (c->rate > 0 && !rd_same_rate(c->fs, c->rate)) {
		if (!o->resample)
			die(EX_RATE,
			    "the stream is sampled at %g Hz, the model expects %g Hz (--no-resample refuses to resample it)",
			    c->fs, c->rate);
		note("resampling the stream at %g Hz to the model's %g Hz (%s)",
		     c->fs, c->rate, o->resample_method == BNN_RESAMPLE_LINEAR ?
		     "linear" : "windowed sinc");
	}
	if (c->beat) {
		bnn_beat_stream_opts so;

		if (!(c->fs >= BNN_QRS_FS_MIN && c->fs <= BNN_QRS_FS_MAX))
			die(EX_USAGE,
			    "--fs %g: beat detection works at %g .. %g Hz (see " PROG " --help)",
			    c->fs, BNN_QRS_FS_MIN, BNN_QRS_FS_MAX);
		bnn_beat_stream_opts_default(&so, c->fs);
		so.beat.fs = c->rate > 0 && !rd_same_rate(c->fs, c->rate) ?
			     c->rate : 0;
		so.beat.pre = (int)mi->input.beat_pre;
		so.beat.post = (int)mi->input.beat_post;
		so.beat.norm = BNN_NORM_MV;
		so.beat.resample = (bnn_resample_method)o->resample_method;
		so.beat.baseline = c->sd.baseline;
		so.beat.lowpass_hz = c->sd.lowpass_hz;
		so.beat.amp_norm = c->sd.amp_norm;
		so.beat.ref_beats = (int)c->sd.ref_beats;
		for (uint32_t k = 0; k < c->sd.nfeatures; k++)
			so.features |= BNN_STREAM_FEAT(c->fkind[k]);
		rc = bnn_beat_stream_new(&so, &c->bs, &err);
	} else {
		double fs_out = c->rate > 0 && !rd_same_rate(c->fs, c->rate) ?
				c->rate : 0;

		rc = bnn_window_stream_new(c->fs, fs_out,
					   (bnn_resample_method)o->resample_method,
					   c->L, o->hop ? o->hop : c->L, &c->ws,
					   &err);
	}
	if (rc)
		die(status_of(rc), "--stream: %s", err.msg);
	c->E = c->sd.item_floats ? c->sd.item_floats : c->L;
	c->item = xcalloc(c->E, sizeof(float));
	c->scores = xcalloc(c->K, sizeof(float));
	c->per_class = xcalloc(c->K, sizeof(uint64_t));
}

/* File scope: reachable when an error exits (die) mid-stream. */
static struct sctx c;
static unsigned char *buf;
static float *x;

int stream_run(const struct opts *o, const bnn_model *m,
	       const bnn_model_info *mi, bnn_backend *be)
{
	struct sigaction sa;
	enum { CAP = 1 << 16 };
	size_t have = 0, nx;
	int64_t lineno = 0;
	int fd, status = EX_OK;

	buf = xmalloc(CAP);
	x = xmalloc(CAP * sizeof(float));
	setup(&c, o, m, mi, be);
	if (!strcmp(o->stream, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(o->stream, O_RDONLY);
		if (fd < 0)
			die(EX_NOFILE, "--stream %s: %s", o->stream, strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!g_stop && !g_limited) {
		ssize_t k = read(fd, buf + have, CAP - have);
		size_t used;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die(EX_NOFILE, "%s: %s", src_name(o), strerror(errno));
		c.t_arrival = now_s();
		if (k == 0)
			break;
		have += (size_t)k;
		used = o->stream_format == SFMT_CSV ?
		       parse_csv(&c, (const char *)buf, have, &lineno, x, &nx, 0) :
		       parse_bin(&c, buf, have, x, &nx);
		if (o->stream_format == SFMT_CSV && !used && have == CAP)
			die(EX_DATA, "%s: line %lld is longer than %d bytes",
			    src_name(o), (long long)lineno + 1, CAP);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (nx)
			push(&c, x, nx);
	}
	if (!g_stop && !g_limited && have) {
		if (o->stream_format == SFMT_CSV) {
			parse_csv(&c, (const char *)buf, have, &lineno, x, &nx, 1);
			if (nx)
				push(&c, x, nx);
		} else {
			finish(&c);
			summary(&c, "end of input");
			die(EX_DATA, "%s: %zu byte%s at the end are not a whole frame (%u channel%s of %s: %u bytes)",
			    src_name(o), have, have == 1 ? "" : "s", o->channels,
			    o->channels == 1 ? "" : "s",
			    o->stream_format == SFMT_INT16 ? "int16" : "float32",
			    o->channels * (o->stream_format == SFMT_INT16 ? 2 : 4));
		}
	}
	c.t_arrival = now_s();
	finish(&c);
	if (g_stop)
		status = 128 + (int)g_stop;
	summary(&c, g_stop == SIGINT ? "interrupted (SIGINT)" :
		g_stop ? "terminated (SIGTERM)" : g_limited ? "--limit reached" :
		"end of input");
	if (fd != STDIN_FILENO)
		close(fd);
	bnn_beat_stream_free(c.bs);
	bnn_window_stream_free(c.ws);
	free(c.item);
	free(c.scores);
	free(c.per_class);
	free(c.lat_ms);
	free(c.delay_s);
	free(c.comp_ms);
	free(buf);
	free(x);
	return status;
}
