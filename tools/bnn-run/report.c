// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * report.c - bnn-run: the text report, the JSON report, the predictions
 * CSV and the progress bar.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bnn-run.h"

/* ---------------------------------------------------------------------
 * Progress bar (stderr)
 * --------------------------------------------------------------------- */

void progress_init(struct progress *p, int mode, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->tty = isatty(2);
	p->always = mode == PROGRESS_ALWAYS;
	p->on = p->always || (mode == PROGRESS_AUTO && p->tty && !quiet);
	p->t0 = now_s();
}

void progress_update(struct progress *p, const char *what, uint64_t done,
		     uint64_t total, const char *unit)
{
	double t, el, rate;
	int width = 28, fill;
	char eta[32] = "";

	if (!p->on)
		return;
	t = now_s();
	el = t - p->t0;
	/* auto: no bar for things that are over in a moment */
	if (!p->always && el < 0.5)
		return;
	if (p->shown && t - p->last < (p->tty ? 0.1 : 1.0) && done < total)
		return;
	p->last = t;
	p->shown = 1;
	fill = total ? (int)((double)done / (double)total * width) : 0;
	if (fill > width)
		fill = width;
	rate = el > 0 ? (double)done / el : 0;
	if (rate > 0 && done < total)
		snprintf(eta, sizeof(eta), ", ETA %.0f s",
			 (double)(total - done) / rate);
	fprintf(stderr, "%s%-7s [%.*s%*s] %3.0f%% %llu/%llu %s (%.0f/s%s)%s",
		p->tty ? "\r" : "", what, fill,
		"##############################", width - fill, "",
		total ? 100.0 * (double)done / (double)total : 0.0,
		(unsigned long long)done, (unsigned long long)total, unit, rate,
		eta, p->tty ? "\033[K" : "\n");
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->shown && p->tty) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = 0;
	p->t0 = now_s();
}

/* ---------------------------------------------------------------------
 * Shared helpers
 * --------------------------------------------------------------------- */

/* "beats", "windows", "rows" or "items" */
const char *rep_unit(const struct dataset *ds)
{
	int kinds = 0;

	for (size_t i = 0; i < ds->nsrc; i++)
		kinds |= 1 << ds->srcs[i].kind;
	switch (kinds) {
	case 1 << SRC_BEATS: return "beats";
	case 1 << SRC_WINDOWS: return "windows";
	case 1 << SRC_ROWS: return "rows";
	default: return "items";
	}
}

/* Model class that the AAMI class `letter` (S, V) is evaluated as, or -1
 * (none, or shared with another AAMI class: then its Se / +P are not the
 * EC57 figures). */
int rep_aami_class(const struct run_ctx *c, const char *letter)
{
	const struct dataset *ds = c->ds;
	int32_t k = -1;

	for (size_t i = 0; i < ds->nlabels; i++)
		if (ds->label_kind[i] == LABEL_AAMI &&
		    !strcmp(ds->labels[i], letter))
			k = ds->lmap[i];
	if (k < 0)
		return -1;
	for (size_t i = 0; i < ds->nlabels; i++)
		if (ds->label_kind[i] == LABEL_AAMI && ds->lmap[i] == k &&
		    strcmp(ds->labels[i], letter))
			return -1;
	return k;
}

int rep_ec57(const struct run_ctx *c, struct ec57 *e)
{
	int map[EC57_NCLASSES];

	for (int k = 0; k < EC57_NCLASSES; k++)
		map[k] = rep_aami_class(c, ec57_class_name(k));
	if (!c->labelled || (map[EC57_S] < 0 && map[EC57_V] < 0))
		return -1;
	return ec57_compute(&c->cm, c->src_cm, c->ds->nsrc, map, e);
}

/* "2 MIT-BIH records", "500 Bonn EEG segments", "3 sources"... */
static const char *sources_desc(const struct dataset *ds)
{
	static char buf[96];
	static const char *const readers[][3] = {
		{ "wfdb", "WFDB record", "WFDB records" },
		{ "bonn", "Bonn EEG segment", "Bonn EEG segments" },
		{ "csv", "CSV file", "CSV files" },
		{ "f32", "float32 file", "float32 files" },
	};
	const char *r = ds->nsrc ? ds->srcs[0].reader : "";

	for (size_t i = 1; i < ds->nsrc; i++)
		if (strcmp(ds->srcs[i].reader, r))
			r = "";
	for (size_t k = 0; k < 4; k++)
		if (!strcmp(r, readers[k][0])) {
			snprintf(buf, sizeof(buf), "%zu %s", ds->nsrc,
				 readers[k][ds->nsrc == 1 ? 1 : 2]);
			return buf;
		}
	snprintf(buf, sizeof(buf), "%zu source%s", ds->nsrc,
		 ds->nsrc == 1 ? "" : "s");
	return buf;
}

/* "12.34 %" or "-" */
static const char *pct(char *b, size_t cap, double v)
{
	char t[32];

	if (!isfinite(v))
		snprintf(b, cap, "-");
	else
		snprintf(b, cap, "%s %%", mt_fmt(t, sizeof(t), v, 100, 2));
	return b;
}

static const char *fmt_time_ns(char *b, size_t cap, double ns)
{
	if (!isfinite(ns))
		snprintf(b, cap, "-");
	else if (ns < 1e3)
		snprintf(b, cap, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(b, cap, "%.2f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(b, cap, "%.2f ms", ns / 1e6);
	else
		snprintf(b, cap, "%.3f s", ns / 1e9);
	return b;
}

static const char *fmt_energy_pj(char *b, size_t cap, double pj)
{
	if (!isfinite(pj))
		snprintf(b, cap, "-");
	else if (pj < 1e3)
		snprintf(b, cap, "%.1f pJ", pj);
	else if (pj < 1e6)
		snprintf(b, cap, "%.2f nJ", pj / 1e3);
	else if (pj < 1e9)
		snprintf(b, cap, "%.2f uJ", pj / 1e6);
	else
		snprintf(b, cap, "%.2f mJ", pj / 1e9);
	return b;
}

const char *rep_norm_name(int n)
{
	switch (n) {
	case BNN_INPUT_NORM_NONE: return "none";
	case BNN_INPUT_NORM_ZSCORE: return "zscore";
	case BNN_INPUT_NORM_AFFINE: return "affine";
	default: return "?";
	}
}

const char *rep_values_name(int v)
{
	return v == BNN_VALUES_FLOAT ? "f32" : v == BNN_VALUES_BITS ? "bit" :
	       "q";
}

/* ---------------------------------------------------------------------
 * Text report
 * --------------------------------------------------------------------- */

static void text_model(FILE *f, const struct run_ctx *c)
{
	const bnn_model_info *mi = &c->mi;
	const bnn_input_desc *in = &mi->input;
	uint32_t ncard = 0;

	fprintf(f, "Model     %s", c->o->model);
	if (mi->name && *mi->name)
		fprintf(f, "  \"%s\"", mi->name);
	fprintf(f, "\n  classes   %u:", mi->nclasses);
	for (uint32_t k = 0; k < mi->nclasses; k++)
		fprintf(f, "%s%s", k ? ", " : " ", bnn_model_class_name(c->m, k));
	fprintf(f, "\n  input     %u channel%s x %u samples", in->channels,
		in->channels == 1 ? "" : "s", in->length);
	if (in->sample_rate_hz > 0)
		fprintf(f, " at %g Hz", in->sample_rate_hz);
	if (in->channels > 1 && bnn_model_lead(c->m, 1)[0]) {
		fprintf(f, ", leads");
		for (uint32_t k = 0; k < in->channels; k++)
			fprintf(f, "%s%s", k ? ", " : " ", bnn_model_lead(c->m, k));
	} else if (in->lead[0]) {
		fprintf(f, ", lead %s", in->lead);
	}
	if (in->beat_pre || in->beat_post)
		fprintf(f, ", beat window [-%u, +%u)", in->beat_pre,
			in->beat_post);
	fprintf(f, ", normalisation %s", rep_norm_name(in->norm));
	if (in->norm == BNN_INPUT_NORM_AFFINE)
		fprintf(f, " (x - %g) / %g", in->norm_offset, in->norm_scale);
	fputc('\n', f);
	for (uint32_t i = 0; i < mi->nlayers; i++) {
		bnn_layer_info li;

		if (!bnn_model_layer_info(c->m, i, &li) && li.binary)
			ncard++;
	}
	fprintf(f, "  layers    %u: %u on the card (binary), %u on the host\n",
		mi->nlayers, ncard, mi->nlayers - ncard);
	fprintf(f, "     #  %-14s %-14s %-14s %-5s %8s %12s\n", "kind", "input",
		"output", "where", "fan-in", "bits");
	for (uint32_t i = 0; i < mi->nlayers; i++) {
		bnn_layer_info li;
		char a[32], b[32];

		if (bnn_model_layer_info(c->m, i, &li))
			continue;
		snprintf(a, sizeof(a), "%ux%u %s", li.in_length, li.in_channels,
			 li.in_values == BNN_VALUES_QUANT ? "q" :
			 rep_values_name(li.in_values));
		if (li.in_values == BNN_VALUES_QUANT)
			snprintf(a, sizeof(a), "%ux%u q%u", li.in_length,
				 li.in_channels, li.in_bits);
		snprintf(b, sizeof(b), "%ux%u %s", li.out_length,
			 li.out_channels, rep_values_name(li.out_values));
		{
			char fi[16] = "-", bits[24] = "-";
			uint64_t nb = li.binary ? li.card_bits : li.host_bits;

			if (li.fan_in)
				snprintf(fi, sizeof(fi), "%u", li.fan_in);
			if (nb)
				snprintf(bits, sizeof(bits), "%llu",
					 (unsigned long long)nb);
			fprintf(f, "  %4u  %-14s %-14s %-14s %-5s %8s %12s\n", i,
				bnn_layer_kind_name(li.kind), a, b,
				li.binary ? "card" : "host", fi, bits);
		}
	}
	fprintf(f, "  memory    card %llu bits (weights %llu + thresholds %llu), host %llu bits; total %llu bits (%.1f KiB)\n",
		(unsigned long long)mi->card_bits,
		(unsigned long long)mi->card_weight_bits,
		(unsigned long long)mi->card_threshold_bits,
		(unsigned long long)mi->host_bits,
		(unsigned long long)(mi->card_bits + mi->host_bits),
		(double)(mi->card_bits + mi->host_bits) / 8192.0);
	fprintf(f, "  compute   %llu binary MACs (XNOR-popcount) + %llu float MACs per item\n",
		(unsigned long long)mi->binary_macs,
		(unsigned long long)mi->float_macs);
	if (!c->have_pi)
		return;
	if (!c->pi.cards) {
		fprintf(f, "  tiles     0 (%s backend: no card)\n", c->bi.name);
		return;
	}
	fprintf(f, "  tiles     %u of %u used%s\n", c->pi.tiles_used,
		c->pi.tiles_total, c->pi.cards > 1 ? " (over the cards)" : "");
	fprintf(f, "  placed    %u card stage%s (%u layers on the card), %u layers on the host (%u binary)\n",
		c->pi.card_stages, c->pi.card_stages == 1 ? "" : "s",
		c->pi.card_layers, c->pi.host_layers,
		c->pi.host_binary_layers);
	fprintf(f, "  placed    card %llu bits, host %llu bits%s\n",
		(unsigned long long)c->pi.card_bits,
		(unsigned long long)c->pi.host_bits,
		c->pi.cards > 1 ? " (per card; each holds the model)" : "");
	fprintf(f, "  program   %llu rows, %llu pulses, %.3f uJ, %.3f ms (modeled, once)",
		(unsigned long long)c->pi.prog_rows,
		(unsigned long long)c->pi.prog_pulses,
		c->pi.prog_energy_pj / 1e6, (double)c->pi.prog_time_ns / 1e6);
	if (c->pi.prog_unverified)
		fprintf(f, ", %llu cells unverified",
			(unsigned long long)c->pi.prog_unverified);
	fputc('\n', f);
	if (c->o->scrub)
		fprintf(f, "  scrub     %llu read-verify pass%s over the rows, %llu rows programmed again (scrub policy; cost included above)\n",
			(unsigned long long)c->pi.scrubs,
			c->pi.scrubs == 1 ? "" : "es",
			(unsigned long long)c->pi.scrub_rows_rewritten);
	if (c->pi.note[0])
		fprintf(f, "  note      %s\n", c->pi.note);
}

static void text_backend(FILE *f, const struct run_ctx *c)
{
	fprintf(f, "Backend   %s", c->bi.name);
	if (c->bi.detail && *c->bi.detail)
		fprintf(f, " (%s)", c->bi.detail);
	if (c->bi.kind != BNN_BACKEND_CPU)
		fprintf(f, ", %u card%s", c->bi.cards, c->bi.cards == 1 ? "" : "s");
	if (c->bi.kind != BNN_BACKEND_CPU)
		fprintf(f, ", host kernels %s", bnn_cpu_isa_name(c->bi.cpu_isa));
	fprintf(f, ", batch %u", c->o->batch);
	if (c->o->queue > 1)
		fprintf(f, ", %u batches in flight", c->o->queue);
	if (c->o->backend == BNN_BACKEND_AUTO)
		fprintf(f, "  (chosen by --backend auto)");
	fputc('\n', f);
	if (c->bi.kind == BNN_BACKEND_EMU) {
		const struct opts *o = c->o;

		if (o->error_model)
			fprintf(f, "  error model on: %s cells, %g uA programming, verify %s, read BER %g, seed %llu, age %g s at %g C, wear %llu cycles, scrub policy %s\n",
				o->cell_mode == BNN_CELL_1T1R ? "1T1R" : "2T2R",
				o->prog_current_ua, o->verify == 0 ? "off" : "on",
				o->read_ber, (unsigned long long)o->seed, o->age_s,
				o->temperature_c,
				(unsigned long long)o->wear_cycles,
				o->scrub ? "on" : "off");
		else
			fprintf(f, "  error model off (ideal array)\n");
	}
	if (c->bi.kind == BNN_BACKEND_RBNN)
		fprintf(f, "  scrub policy %s (at %g C)\n",
			c->o->scrub ? "on" : "off", c->o->temperature_c);
}

static void text_data(FILE *f, const struct run_ctx *c)
{
	const struct dataset *ds = c->ds;
	const char *unit = rep_unit(ds);
	size_t dropped = 0, resampled = 0;
	int wfdb = 0, bonn = 0;

	for (size_t i = 0; i < ds->nsrc; i++) {
		dropped += ds->srcs[i].dropped;
		resampled += ds->srcs[i].resampled;
		wfdb |= !strcmp(ds->srcs[i].reader, "wfdb");
		bonn |= !strcmp(ds->srcs[i].reader, "bonn");
	}
	fprintf(f, "Data      %s", sources_desc(ds));
	if (ds->nsrc <= 24 || !bonn) {
		fputc(':', f);
		for (size_t i = 0; i < ds->nsrc && i < 24; i++)
			fprintf(f, " %s", ds->srcs[i].name);
		if (ds->nsrc > 24)
			fprintf(f, " ... %s", ds->srcs[ds->nsrc - 1].name);
	}
	if (wfdb && ds->nsrc && !strcmp(ds->srcs[0].reader, "wfdb") &&
	    ds->srcs[0].lead[0])
		fprintf(f, "  (lead %s)", ds->srcs[0].lead);
	fputc('\n', f);
	fprintf(f, "  %s  %zu%s", unit, ds->n, ds->nlabels ? ":" : " (no labels)");
	for (size_t i = 0; i < ds->nlabels; i++) {
		if (!ds->label_count[i])
			continue;
		fprintf(f, "  %s %zu", ds->labels[i], ds->label_count[i]);
		if (ds->lmap[i] < 0)
			fprintf(f, "*");
		else if (strcasecmp(ds->labels[i],
				    bnn_model_class_name(c->m, (uint32_t)ds->lmap[i])))
			fprintf(f, "->%s", bnn_model_class_name(c->m,
							       (uint32_t)ds->lmap[i]));
	}
	fputc('\n', f);
	if (c->excluded)
		fprintf(f, "  * not a model class (or mapped to '-'): %zu %s left out of the metrics\n",
			c->excluded, unit);
	if (c->unlabelled && ds->nlabels)
		fprintf(f, "  %zu %s without a label\n", c->unlabelled, unit);
	if (dropped)
		fprintf(f, "  %zu beat%s too close to a record's edge for the window left out\n",
			dropped, dropped == 1 ? "" : "s");
	if (resampled)
		fprintf(f, "  %zu source%s resampled to %g Hz (%s)\n", resampled,
			resampled == 1 ? "" : "s", c->mi.input.sample_rate_hz,
			c->o->resample_method == BNN_RESAMPLE_LINEAR ? "linear" :
			"windowed sinc");
	if (ds->limited)
		fprintf(f, "  stopped at --limit %llu\n",
			(unsigned long long)c->o->limit);
	if (ds->det.records) {
		const struct detection *d = &ds->det;

		fprintf(f, "  beats detected in %zu record%s (%zu beats)", d->records,
			d->records == 1 ? "" : "s", d->ndet);
		if (d->records_ref)
			fprintf(f, "; against the reference annotations of %zu (EC57, 150 ms): Se %.2f %%, +P %.2f %% (%zu matched, %zu missed, %zu extra)",
				d->records_ref,
				d->tp + d->fn ? 100.0 * d->tp / (d->tp + d->fn) : 0.0,
				d->tp + d->fp ? 100.0 * d->tp / (d->tp + d->fp) : 0.0,
				d->tp, d->fn, d->fp);
		fputc('\n', f);
	}
	for (size_t i = 0; i < ds->nskips; i++)
		fprintf(f, "  skipped   %s: %s\n", ds->skips[i].input,
			ds->skips[i].reason);
}

static int num_width(uint64_t v)
{
	int w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

static void text_confusion(FILE *f, const struct run_ctx *c)
{
	uint32_t K = c->cm.k;
	int w = 5, rw = 4;
	const struct dataset *ds = c->ds;

	for (uint32_t k = 0; k < K; k++) {
		int nl = (int)strlen(bnn_model_class_name(c->m, k));

		if (nl > w)
			w = nl;
		if (nl + 1 > rw)
			rw = nl + 1;
		for (uint32_t j = 0; j < K; j++)
			if (num_width(mt_cm_get(&c->cm, k, j)) > w)
				w = num_width(mt_cm_get(&c->cm, k, j));
	}
	for (size_t i = 0; i < ds->nlabels; i++)
		if (c->unmapped[i] && (int)strlen(ds->labels[i]) + 1 > rw)
			rw = (int)strlen(ds->labels[i]) + 1;
	if (K > 24 || (rw + (w + 1) * (int)K) > 200) {
		fprintf(f, "  confusion matrix: %u classes, too wide for text (see --json)\n",
			K);
		return;
	}
	fprintf(f, "  confusion matrix (rows: true class, columns: predicted)\n");
	fprintf(f, "    %*s", rw, "");
	for (uint32_t j = 0; j < K; j++)
		fprintf(f, " %*s", w, bnn_model_class_name(c->m, j));
	fputc('\n', f);
	for (uint32_t k = 0; k < K; k++) {
		fprintf(f, "    %-*s", rw, bnn_model_class_name(c->m, k));
		for (uint32_t j = 0; j < K; j++)
			fprintf(f, " %*llu", w,
				(unsigned long long)mt_cm_get(&c->cm, k, j));
		fputc('\n', f);
	}
	for (size_t i = 0; i < ds->nlabels; i++) {
		char nm[300];

		if (!c->unmapped[i] || !ds->label_count[i])
			continue;
		snprintf(nm, sizeof(nm), "%s*", ds->labels[i]);
		fprintf(f, "    %-*s", rw, nm);
		for (uint32_t j = 0; j < K; j++)
			fprintf(f, " %*llu", w,
				(unsigned long long)c->unmapped[i][j]);
		fputc('\n', f);
	}
}

static void text_metrics(FILE *f, const struct run_ctx *c)
{
	char b1[32], b2[32], b3[32], b4[32];
	unsigned used;
	double mf1 = mt_cm_macro_f1(&c->cm, &used);
	uint32_t K = c->cm.k;
	int nw = 5;
	struct ec57 e;

	fprintf(f, "Results   %zu labelled %s\n", c->labelled, rep_unit(c->ds));
	fprintf(f, "  accuracy  %s  (%llu of %llu)\n",
		pct(b1, sizeof(b1), mt_cm_accuracy(&c->cm)),
		(unsigned long long)mt_cm_correct(&c->cm),
		(unsigned long long)mt_cm_total(&c->cm));
	fprintf(f, "  macro F1  %s  (mean over the %u class%s present or predicted)\n",
		mt_fmt(b1, sizeof(b1), mf1, 1, 3), used, used == 1 ? "" : "es");
	if (!rep_ec57(c, &e)) {
		fprintf(f, "  AAMI EC57");
		for (int i = 0; i < 2; i++) {
			const struct ec57_class *x = &e.c[i ? EC57_V : EC57_S];

			if (!x->present)
				continue;
			fprintf(f, "%s%s (%s): Se %s, +P %s, FPR %s",
				i && e.c[EC57_S].present ? ";  " : "  ",
				i ? "VEB" : "SVEB", i ? "V" : "S",
				pct(b1, sizeof(b1), x->se),
				pct(b2, sizeof(b2), x->ppv),
				pct(b3, sizeof(b3), x->fpr));
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	text_confusion(f, c);
	fputc('\n', f);
	for (uint32_t k = 0; k < K; k++)
		if ((int)strlen(bnn_model_class_name(c->m, k)) > nw)
			nw = (int)strlen(bnn_model_class_name(c->m, k));
	fprintf(f, "    %-*s %9s %9s %8s %8s %8s %8s\n", nw, "class", "support",
		"predicted", "Se %", "+P %", "Sp %", "F1");
	for (uint32_t k = 0; k < K; k++) {
		struct mt_class mc;

		mt_cm_class(&c->cm, k, &mc);
		fprintf(f, "    %-*s %9llu %9llu %8s %8s %8s %8s\n", nw,
			bnn_model_class_name(c->m, k),
			(unsigned long long)mc.support,
			(unsigned long long)mc.predicted,
			mt_fmt(b1, sizeof(b1), mc.se, 100, 2),
			mt_fmt(b2, sizeof(b2), mc.ppv, 100, 2),
			mt_fmt(b3, sizeof(b3), mc.sp, 100, 2),
			mt_fmt(b4, sizeof(b4), mc.f1, 1, 3));
	}
}

/* The EC57 block: per AAMI class gross and per-record Se / +P / FPR,
 * kappa, j-index, S Se without the record with the most S beats. */
static void text_ec57(FILE *f, const struct run_ctx *c)
{
	struct ec57 e;
	char b[7][32];

	if (rep_ec57(c, &e))
		return;
	fprintf(f, "\n  EC57      all beats (gross) | mean over %zu record%s%s\n",
		c->ds->nsrc, c->ds->nsrc == 1 ? "" : "s",
		e.f_as_v_rule ? "; F beats classified as V are not V false positives" : "");
	fprintf(f, "    %-5s %9s %7s %7s %7s | %7s %7s %7s  %s\n", "class", "beats",
		"Se %", "+P %", "FPR %", "Se %", "+P %", "FPR %", "records Se/+P");
	for (int k = 0; k < EC57_NCLASSES; k++) {
		const struct ec57_class *x = &e.c[k];

		if (!x->present)
			continue;
		fprintf(f, "    %-5s %9llu %7s %7s %7s | %7s %7s %7s  %u/%u\n",
			ec57_class_name(k), (unsigned long long)x->support,
			mt_fmt(b[0], 32, x->se, 100, 2), mt_fmt(b[1], 32, x->ppv, 100, 2),
			mt_fmt(b[2], 32, x->fpr, 100, 2),
			mt_fmt(b[3], 32, x->rec_se, 100, 2),
			mt_fmt(b[4], 32, x->rec_ppv, 100, 2),
			mt_fmt(b[5], 32, x->rec_fpr, 100, 2), x->rec_se_n,
			x->rec_ppv_n);
	}
	fprintf(f, "    kappa %s, j-index %s",
		mt_fmt(b[0], 32, e.kappa, 1, 3), mt_fmt(b[1], 32, e.jk, 1, 3));
	if (e.s_top >= 0 && c->ds->nsrc > 1)
		fprintf(f, "; S Se without record %s (%llu of %llu S beats): %s",
			c->ds->srcs[e.s_top].name,
			(unsigned long long)e.s_top_beats,
			(unsigned long long)e.c[EC57_S].support,
			pct(b[6], 32, e.s_se_without));
	fputc('\n', f);
}

static void text_per_source(FILE *f, const struct run_ctx *c)
{
	const struct dataset *ds = c->ds;
	struct ec57 e;
	int s, v;
	int nw = 6, sets = 0;
	char b[4][32];

	if (ds->nsrc < 2 || ds->nsrc > 60 || !c->labelled)
		return;
	if (rep_ec57(c, &e))
		memset(&e, 0, sizeof(e));
	s = e.c[EC57_S].present;
	v = e.c[EC57_V].present;
	for (size_t i = 0; i < ds->nsrc; i++) {
		if ((int)strlen(ds->srcs[i].name) > nw)
			nw = (int)strlen(ds->srcs[i].name);
		sets |= ds->srcs[i].set != NULL;
	}
	fprintf(f, "\n    %-*s %s%8s %9s", nw, "source", sets ? "set   " : "",
		rep_unit(ds), "accuracy");
	if (s)
		fprintf(f, " %8s %8s", "S Se", "S +P");
	if (v)
		fprintf(f, " %8s %8s", "V Se", "V +P");
	fputc('\n', f);
	for (size_t i = 0; i < ds->nsrc; i++) {
		const struct mt_cm *cm = &c->src_cm[i];
		struct ec57_class ms, mv;

		ec57_class(cm, e.map, EC57_S, e.f_as_v_rule, &ms);
		ec57_class(cm, e.map, EC57_V, e.f_as_v_rule, &mv);
		fprintf(f, "    %-*s ", nw, ds->srcs[i].name);
		if (sets)
			fprintf(f, "%-5s ", ds->srcs[i].set ? ds->srcs[i].set : "-");
		fprintf(f, "%*zu %9s", (int)strlen(rep_unit(ds)) > 8 ?
			(int)strlen(rep_unit(ds)) : 8, ds->srcs[i].n,
			mt_fmt(b[0], sizeof(b[0]), mt_cm_accuracy(cm), 100, 2));
		if (s)
			fprintf(f, " %8s %8s", mt_fmt(b[1], 32, ms.se, 100, 1),
				mt_fmt(b[2], 32, ms.ppv, 100, 1));
		if (v)
			fprintf(f, " %8s %8s", mt_fmt(b[1], 32, mv.se, 100, 1),
				mt_fmt(b[3], 32, mv.ppv, 100, 1));
		fputc('\n', f);
	}
	fprintf(f, "    (accuracy%s in %%)\n", s || v ? ", Se, +P (EC57)" : "");
}

static void text_perf(FILE *f, const struct run_ctx *c)
{
	const struct perf *pf = c->pf;
	char a[32], b[32], d[32], e[32];
	const char *unit = rep_unit(c->ds);

	fprintf(f, "Performance\n");
	fprintf(f, "  throughput  %.0f %s/s  (%zu in %.3f s, %zu batch%s of up to %u)\n",
		pf->wall_s > 0 ? (double)pf->items / pf->wall_s : 0.0, unit,
		pf->items, pf->wall_s, pf->batches,
		pf->batches == 1 ? "" : "es", c->o->batch);
	fprintf(f, "  latency     per batch  p50 %s  p90 %s  p99 %s  (max %s)\n",
		fmt_time_ns(a, sizeof(a), mt_percentile(pf->batch_ms, pf->batches, 50) * 1e6),
		fmt_time_ns(b, sizeof(b), mt_percentile(pf->batch_ms, pf->batches, 90) * 1e6),
		fmt_time_ns(d, sizeof(d), mt_percentile(pf->batch_ms, pf->batches, 99) * 1e6),
		fmt_time_ns(e, sizeof(e), mt_percentile(pf->batch_ms, pf->batches, 100) * 1e6));
	fprintf(f, "              per item   p50 %s  p90 %s  p99 %s  (batch latency / items)\n",
		fmt_time_ns(a, sizeof(a), mt_percentile(pf->item_us, pf->batches, 50) * 1e3),
		fmt_time_ns(b, sizeof(b), mt_percentile(pf->item_us, pf->batches, 90) * 1e3),
		fmt_time_ns(d, sizeof(d), mt_percentile(pf->item_us, pf->batches, 99) * 1e3));
	if (c->bi.kind == BNN_BACKEND_CPU || !pf->total.items)
		fprintf(f, "  device      not modeled (%s backend)\n", c->bi.name);
	else
		fprintf(f, "  device      modeled per inference: energy %s, time %s  (total %s, %s, %llu commands)\n",
			fmt_energy_pj(a, sizeof(a), pf->total.device_energy_pj /
				      (double)pf->total.items),
			fmt_time_ns(b, sizeof(b), (double)pf->total.device_ns /
				    (double)pf->total.items),
			fmt_energy_pj(d, sizeof(d), pf->total.device_energy_pj),
			fmt_time_ns(e, sizeof(e), (double)pf->total.device_ns),
			(unsigned long long)pf->total.device_cmds);
	fprintf(f, "  host        %s in libbnn runs (%s per item), %s reading data, %s preparing the model\n",
		fmt_time_ns(a, sizeof(a), (double)pf->total.host_ns),
		fmt_time_ns(b, sizeof(b), pf->total.items ?
			    (double)pf->total.host_ns / (double)pf->total.items : NAN),
		fmt_time_ns(d, sizeof(d), c->ds->load_s * 1e9),
		fmt_time_ns(e, sizeof(e), c->prepare_s * 1e9));
}

/* Without labels, what the model said: items per predicted class. */
static void text_predicted(FILE *f, const struct run_ctx *c)
{
	uint32_t k, nc = c->mi.nclasses;
	uint64_t *cnt = xcalloc(nc ? nc : 1, sizeof(*cnt));

	for (size_t i = 0; i < c->ds->n; i++)
		if (c->pred[i] >= 0 && (uint32_t)c->pred[i] < nc)
			cnt[c->pred[i]]++;
	fprintf(f, "  predicted");
	for (k = 0; k < nc; k++)
		fprintf(f, "%s %s %" PRIu64, k ? "," : "",
			bnn_model_class_name(c->m, k), cnt[k]);
	fprintf(f, "  (of %zu items)\n", c->ds->n);
	free(cnt);
}

void report_text(FILE *f, const struct run_ctx *c)
{
	fprintf(f, "%s %s, libbnn %s\n\n", PROG, BNN_RUN_VERSION, bnn_version());
	text_model(f, c);
	text_backend(f, c);
	text_data(f, c);
	fputc('\n', f);
	if (c->labelled) {
		text_metrics(f, c);
		text_ec57(f, c);
		text_per_source(f, c);
	} else {
		fprintf(f, "Results   metrics skipped: %s\n",
			c->ds->nlabels ? "no label of the data is a model class (see --label-map)" :
			"the data has no labels");
		text_predicted(f, c);
	}
	fputc('\n', f);
	text_perf(f, c);
}
