// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * report_json.c - bnn-run: the JSON report (--json) and the predictions
 * CSV (--predictions).
 *
 * The JSON is written as it goes, by fprintf, not built through a JSON
 * library (issue 16 weighed Debian's jansson and json-c): the tools only
 * write JSON, never read it, and with either library every field still
 * takes a call of its own, a rate that is undefined still needs a helper
 * that writes null (json_real() refuses NaN, json-c prints it as NaN),
 * and jansson rejects strings that are not UTF-8 (a record's path need
 * not be), so the code would be no shorter and no simpler, and the tools
 * would gain a run-time dependency.  js() below escapes what JSON requires.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bnn-run.h"

/* ---------------------------------------------------------------------
 * JSON report
 * --------------------------------------------------------------------- */

static void js(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);	/* UTF-8 passes through */
	}
	fputc('"', f);
}

static void jnum(FILE *f, double v)
{
	mt_json_num(f, v);
}

static void json_class_metrics(FILE *f, const struct mt_cm *cm, unsigned k)
{
	struct mt_class mc;

	mt_cm_class(cm, k, &mc);
	fprintf(f, "{\"support\": %llu, \"predicted\": %llu, \"tp\": %llu, \"fp\": %llu, \"fn\": %llu, \"tn\": %llu, \"se\": ",
		(unsigned long long)mc.support, (unsigned long long)mc.predicted,
		(unsigned long long)mc.tp, (unsigned long long)mc.fp,
		(unsigned long long)mc.fn, (unsigned long long)mc.tn);
	jnum(f, mc.se);
	fputs(", \"ppv\": ", f);
	jnum(f, mc.ppv);
	fputs(", \"sp\": ", f);
	jnum(f, mc.sp);
	fputs(", \"fpr\": ", f);
	jnum(f, mc.fpr);
	fputs(", \"f1\": ", f);
	jnum(f, mc.f1);
	fputc('}', f);
}

/* Beat detection against the reference annotations (null when no beats
 * were detected): se = tp / (tp + fn), ppv = tp / (tp + fp). */
static void json_detection(FILE *f, const struct detection *d)
{
	if (!d->records) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"records\": %zu, \"records_with_reference\": %zu, \"detected\": %zu, \"match_window_s\": 0.15,\n    \"tp\": %zu, \"fp\": %zu, \"fn\": %zu, \"se\": ",
		d->records, d->records_ref, d->ndet, d->tp, d->fp, d->fn);
	jnum(f, d->tp + d->fn ? (double)d->tp / (double)(d->tp + d->fn) : NAN);
	fputs(", \"ppv\": ", f);
	jnum(f, d->tp + d->fp ? (double)d->tp / (double)(d->tp + d->fp) : NAN);
	fputs("}", f);
}

static void json_ec57_class(FILE *f, const struct ec57_class *x)
{
	if (!x->present) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"support\": %llu, \"predicted\": %llu, \"tp\": %llu, \"fp\": %llu, \"fn\": %llu, \"tn\": %llu, \"se\": ",
		(unsigned long long)x->support, (unsigned long long)x->predicted,
		(unsigned long long)x->tp, (unsigned long long)x->fp,
		(unsigned long long)x->fn, (unsigned long long)x->tn);
	jnum(f, x->se);
	fputs(", \"ppv\": ", f);
	jnum(f, x->ppv);
	fputs(", \"fpr\": ", f);
	jnum(f, x->fpr);
	fputs(", \"sp\": ", f);
	jnum(f, x->sp);
	fputs(",\n        \"per_record\": {\"se\": ", f);
	jnum(f, x->rec_se);
	fprintf(f, ", \"se_records\": %u, \"ppv\": ", x->rec_se_n);
	jnum(f, x->rec_ppv);
	fprintf(f, ", \"ppv_records\": %u, \"fpr\": ", x->rec_ppv_n);
	jnum(f, x->rec_fpr);
	fprintf(f, ", \"fpr_records\": %u}}", x->rec_fpr_n);
}

/* The "ec57" object (ec57.h has the definitions). */
static void json_ec57(FILE *f, const struct run_ctx *c)
{
	struct ec57 e;

	if (rep_ec57(c, &e)) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"beats\": %llu, \"records\": %zu, \"f_as_v_rule\": %s, \"rule\": ",
		(unsigned long long)e.n, c->ds->nsrc,
		e.f_as_v_rule ? "true" : "false");
	js(f, e.f_as_v_rule ? "F beats classified as V are not V false positives (left out of V +P, FPR and Sp)" :
	   "not applied (F or V is not a class of the model)");
	fputs(",\n      \"classes\": {", f);
	for (int k = 0; k < EC57_NCLASSES; k++) {
		fprintf(f, "%s\n       \"%s\": ", k ? "," : "", ec57_class_name(k));
		json_ec57_class(f, &e.c[k]);
	}
	fputs("},\n      \"kappa\": ", f);
	jnum(f, e.kappa);
	fputs(", \"jk\": ", f);
	jnum(f, e.jk);
	fputs(", \"s_se_without\": ", f);
	if (e.s_top < 0 || c->ds->nsrc < 2) {
		fputs("null", f);
	} else {
		fputs("{\"record\": ", f);
		js(f, c->ds->srcs[e.s_top].name);
		fprintf(f, ", \"s_beats\": %llu, \"se\": ",
			(unsigned long long)e.s_top_beats);
		jnum(f, e.s_se_without);
		fputc('}', f);
	}
	fputc('}', f);
}

static void json_pcts(FILE *f, const double *v, size_t n, double scale)
{
	static const double ps[] = { 50, 90, 99 };

	fputc('{', f);
	for (int i = 0; i < 3; i++) {
		fprintf(f, "\"p%.0f\": ", ps[i]);
		jnum(f, mt_percentile(v, n, ps[i]) * scale);
		fputs(", ", f);
	}
	fputs("\"max\": ", f);
	jnum(f, mt_percentile(v, n, 100) * scale);
	fputs(", \"mean\": ", f);
	jnum(f, mt_mean(v, n) * scale);
	fputc('}', f);
}

void report_json(FILE *f, const struct run_ctx *c, int status)
{
	const bnn_model_info *mi = &c->mi;
	const struct dataset *ds = c->ds;
	const struct perf *pf = c->pf;
	const struct opts *o = c->o;
	uint32_t K = mi->nclasses;
	unsigned used;

	fprintf(f, "{\n  \"tool\": \"%s\",\n  \"version\": \"%s\",\n  \"libbnn\": ",
		PROG, BNN_RUN_VERSION);
	js(f, bnn_version());
	fputs(",\n  \"command\": [", f);
	for (int i = 0; i < o->argc; i++) {
		if (i)
			fputs(", ", f);
		js(f, o->argv[i]);
	}
	fprintf(f, "],\n  \"exit_status\": %d,\n", status);

	/* model */
	fputs("  \"model\": {\"path\": ", f);
	js(f, o->model);
	fputs(", \"name\": ", f);
	js(f, mi->name);
	fputs(", \"classes\": [", f);
	for (uint32_t k = 0; k < K; k++) {
		if (k)
			fputs(", ", f);
		js(f, bnn_model_class_name(c->m, k));
	}
	/* added to the last layer's output: every score printed includes them */
	fputs("], \"class_offsets\": [", f);
	for (uint32_t k = 0; k < K; k++)
		fprintf(f, "%s%ld", k ? ", " : "",
			(long)bnn_model_class_offset(c->m, k));
	fprintf(f, "],\n    \"input\": {\"channels\": %u, \"length\": %u, \"sample_rate_hz\": ",
		mi->input.channels, mi->input.length);
	jnum(f, mi->input.sample_rate_hz);
	fprintf(f, ", \"norm\": \"%s\", \"norm_offset\": ", rep_norm_name(mi->input.norm));
	jnum(f, mi->input.norm_offset);
	fputs(", \"norm_scale\": ", f);
	jnum(f, mi->input.norm_scale);
	fprintf(f, ", \"beat_pre\": %u, \"beat_post\": %u, \"lead\": ",
		mi->input.beat_pre, mi->input.beat_post);
	js(f, mi->input.lead);
	/* every channel's lead ("" where the model names none) */
	fputs(", \"leads\": [", f);
	for (uint32_t k = 0; k < mi->input.channels; k++) {
		if (k)
			fputs(", ", f);
		js(f, bnn_model_lead(c->m, k));
	}
	fputs("]},\n    \"layers\": [", f);
	for (uint32_t i = 0; i < mi->nlayers; i++) {
		bnn_layer_info li;

		if (bnn_model_layer_info(c->m, i, &li))
			continue;
		fprintf(f, "%s\n      {\"kind\": \"%s\", \"where\": \"%s\", \"in\": [%u, %u], \"out\": [%u, %u], \"in_values\": \"%s\", \"out_values\": \"%s\", \"in_bits\": %u, \"kernel\": %u, \"stride\": %u, \"pad\": %u, \"fan_in\": %u, \"scores\": %s, \"card_bits\": %llu, \"host_bits\": %llu, \"macs\": %llu}",
			i ? "," : "", bnn_layer_kind_name(li.kind),
			li.binary ? "card" : "host", li.in_length, li.in_channels,
			li.out_length, li.out_channels, rep_values_name(li.in_values),
			rep_values_name(li.out_values), li.in_bits, li.kernel, li.stride,
			li.pad, li.fan_in, li.scores ? "true" : "false",
			(unsigned long long)li.card_bits,
			(unsigned long long)li.host_bits,
			(unsigned long long)li.macs);
	}
	fprintf(f, "],\n    \"card_layers\": %u, \"host_layers\": %u,\n",
		mi->binary_layers, mi->nlayers - mi->binary_layers);
	fprintf(f, "    \"memory_bits\": {\"card\": %llu, \"card_weights\": %llu, \"card_thresholds\": %llu, \"host\": %llu, \"total\": %llu},\n",
		(unsigned long long)mi->card_bits,
		(unsigned long long)mi->card_weight_bits,
		(unsigned long long)mi->card_threshold_bits,
		(unsigned long long)mi->host_bits,
		(unsigned long long)(mi->card_bits + mi->host_bits));
	fprintf(f, "    \"binary_macs\": %llu, \"float_macs\": %llu,\n",
		(unsigned long long)mi->binary_macs,
		(unsigned long long)mi->float_macs);
	if (c->have_pi) {
		const bnn_prepare_info *pi = &c->pi;

		fprintf(f, "    \"tiles\": {\"used\": %u, \"total\": %u, \"cards\": %u},\n",
			pi->tiles_used, pi->tiles_total, pi->cards);
		fprintf(f, "    \"placement\": {\"card_stages\": %u, \"card_layers\": %u, \"host_layers\": %u, \"host_binary_layers\": %u, \"card_bits\": %llu, \"host_bits\": %llu, \"note\": ",
			pi->card_stages, pi->card_layers, pi->host_layers,
			pi->host_binary_layers,
			(unsigned long long)pi->card_bits,
			(unsigned long long)pi->host_bits);
		js(f, pi->note);
		fprintf(f, "},\n    \"programming\": {\"rows\": %llu, \"cmds\": %llu, \"pulses\": %llu, \"unverified\": %llu, \"time_ns\": %llu, \"energy_pj\": ",
			(unsigned long long)pi->prog_rows,
			(unsigned long long)pi->prog_cmds,
			(unsigned long long)pi->prog_pulses,
			(unsigned long long)pi->prog_unverified,
			(unsigned long long)pi->prog_time_ns);
		jnum(f, pi->prog_energy_pj);
		fprintf(f, ", \"scrubs\": %llu, \"scrub_rows_rewritten\": %llu}},\n",
			(unsigned long long)pi->scrubs,
			(unsigned long long)pi->scrub_rows_rewritten);
	} else {
		fputs("    \"tiles\": null, \"placement\": null, \"programming\": null},\n", f);
	}

	/* backend */
	fputs("  \"backend\": {\"requested\": ", f);
	js(f, bnn_backend_kind_name(o->backend));
	fputs(", \"name\": ", f);
	js(f, c->bi.name);
	fputs(", \"detail\": ", f);
	js(f, c->bi.detail);
	fputs(", \"device\": ", f);
	if (o->device)
		js(f, o->device);
	else
		fputs("null", f);
	fprintf(f, ", \"cards\": %u, \"cpu_isa\": \"%s\", \"batch\": %u, \"queue\": %u, \"threads\": ",
		c->bi.cards, bnn_cpu_isa_name(c->bi.cpu_isa), o->batch, o->queue);
	/* the option as given (what it came to: detail) */
	if (o->threads == BNN_THREADS_AUTO)
		fputs("\"auto\"", f);
	else
		fprintf(f, "%u", o->threads);
	if (c->bi.kind == BNN_BACKEND_EMU) {
		fprintf(f, ",\n    \"error_model\": {\"on\": %s, \"cell_mode\": \"%s\", \"prog_current_ua\": ",
			o->error_model ? "true" : "false",
			o->cell_mode == BNN_CELL_1T1R ? "1t1r" : "2t2r");
		jnum(f, o->prog_current_ua);
		fputs(", \"read_ber\": ", f);
		jnum(f, o->read_ber);
		fprintf(f, ", \"seed\": %llu, \"age_s\": ", (unsigned long long)o->seed);
		jnum(f, o->age_s);
		fprintf(f, ", \"wear_cycles\": %llu",
			(unsigned long long)o->wear_cycles);
		fputs(", \"temperature_c\": ", f);
		jnum(f, o->temperature_c);
		fprintf(f, ", \"scrub_policy\": %s", o->scrub ? "true" : "false");
		fprintf(f, ", \"verify\": %s, \"tiles\": %u}",
			o->verify == 0 ? "false" : "true", o->tiles ? o->tiles : 16);
	}
	if (c->bi.kind == BNN_BACKEND_RBNN) {
		fprintf(f, ",\n    \"scrub_policy\": %s, \"temperature_c\": ",
			o->scrub ? "true" : "false");
		jnum(f, o->temperature_c);
	}
	fputs("},\n", f);

	/* data */
	fprintf(f, "  \"data\": {\"unit\": \"%s\", \"items\": %zu, \"labelled\": %zu, \"unlabelled\": %zu, \"excluded\": %zu, \"limited\": %s,\n",
		rep_unit(ds), ds->n, c->labelled, c->unlabelled, c->excluded,
		ds->limited ? "true" : "false");
	fputs("    \"labels\": [", f);
	for (size_t i = 0; i < ds->nlabels; i++) {
		fputs(i ? ", " : "", f);
		fputs("{\"label\": ", f);
		js(f, ds->labels[i]);
		fprintf(f, ", \"items\": %zu, \"class\": ", ds->label_count[i]);
		if (ds->lmap[i] >= 0)
			js(f, bnn_model_class_name(c->m, (uint32_t)ds->lmap[i]));
		else
			fputs("null", f);
		if (c->unmapped[i]) {
			fputs(", \"predicted\": [", f);
			for (uint32_t k = 0; k < K; k++)
				fprintf(f, "%s%llu", k ? ", " : "",
					(unsigned long long)c->unmapped[i][k]);
			fputc(']', f);
		}
		fputc('}', f);
	}
	fputs("],\n    \"sources\": [", f);
	for (size_t i = 0; i < ds->nsrc; i++) {
		const struct source *s = &ds->srcs[i];

		fprintf(f, "%s\n      {\"name\": ", i ? "," : "");
		js(f, s->name);
		fputs(", \"path\": ", f);
		js(f, s->path);
		fprintf(f, ", \"reader\": \"%s\", \"set\": ", s->reader);
		if (s->set)
			js(f, s->set);
		else
			fputs("null", f);
		fprintf(f, ", \"items\": %zu, \"dropped\": %zu, \"fs\": ", s->n,
			s->dropped);
		jnum(f, s->fs > 0 ? s->fs : NAN);
		fprintf(f, ", \"resampled\": %s, \"lead\": ",
			s->resampled ? "true" : "false");
		if (s->lead[0])
			js(f, s->lead);
		else
			fputs("null", f);
		if (c->labelled) {
			fputs(", \"accuracy\": ", f);
			jnum(f, mt_cm_accuracy(&c->src_cm[i]));
			fputs(", \"confusion\": [", f);
			for (uint32_t a = 0; a < K; a++) {
				fputs(a ? ", [" : "[", f);
				for (uint32_t b = 0; b < K; b++)
					fprintf(f, "%s%llu", b ? ", " : "",
						(unsigned long long)mt_cm_get(&c->src_cm[i], a, b));
				fputc(']', f);
			}
			fputc(']', f);
		}
		fputc('}', f);
	}
	fputs("]},\n", f);

	/* metrics */
	if (!c->labelled) {
		fputs("  \"metrics\": null,\n", f);
	} else {
		int s = rep_aami_class(c, "S"), v = rep_aami_class(c, "V");

		fprintf(f, "  \"metrics\": {\"items\": %llu, \"correct\": %llu, \"accuracy\": ",
			(unsigned long long)mt_cm_total(&c->cm),
			(unsigned long long)mt_cm_correct(&c->cm));
		jnum(f, mt_cm_accuracy(&c->cm));
		fputs(", \"macro_f1\": ", f);
		jnum(f, mt_cm_macro_f1(&c->cm, &used));
		fprintf(f, ", \"macro_f1_classes\": %u,\n    \"confusion\": [", used);
		for (uint32_t a = 0; a < K; a++) {
			fputs(a ? ",\n      [" : "\n      [", f);
			for (uint32_t b = 0; b < K; b++)
				fprintf(f, "%s%llu", b ? ", " : "",
					(unsigned long long)mt_cm_get(&c->cm, a, b));
			fputc(']', f);
		}
		fputs("],\n    \"per_class\": {", f);
		for (uint32_t k = 0; k < K; k++) {
			fputs(k ? ",\n      " : "\n      ", f);
			js(f, bnn_model_class_name(c->m, k));
			fputs(": ", f);
			json_class_metrics(f, &c->cm, k);
		}
		fputs("},\n    \"aami\": ", f);
		if (s < 0 && v < 0) {
			fputs("null", f);
		} else {
			fputs("{\"SVEB\": ", f);
			if (s >= 0)
				json_class_metrics(f, &c->cm, (unsigned)s);
			else
				fputs("null", f);
			fputs(", \"VEB\": ", f);
			if (v >= 0)
				json_class_metrics(f, &c->cm, (unsigned)v);
			else
				fputs("null", f);
			fputc('}', f);
		}
		fputs(",\n    \"ec57\": ", f);
		json_ec57(f, c);
		fputs("},\n", f);
	}

	/* performance */
	fprintf(f, "  \"performance\": {\"items\": %zu, \"batches\": %zu, \"seconds\": ",
		pf->items, pf->batches);
	jnum(f, pf->wall_s);
	fputs(", \"items_per_s\": ", f);
	jnum(f, pf->wall_s > 0 ? (double)pf->items / pf->wall_s : NAN);
	fputs(",\n    \"latency_batch_ms\": ", f);
	json_pcts(f, pf->batch_ms, pf->batches, 1);
	fputs(",\n    \"latency_item_us\": ", f);
	json_pcts(f, pf->item_us, pf->batches, 1);
	fputs(",\n    \"device\": ", f);
	if (c->bi.kind == BNN_BACKEND_CPU || !pf->total.items) {
		fputs("null", f);
	} else {
		fputs("{\"energy_pj_per_item\": ", f);
		jnum(f, pf->total.device_energy_pj / (double)pf->total.items);
		fputs(", \"time_ns_per_item\": ", f);
		jnum(f, (double)pf->total.device_ns / (double)pf->total.items);
		fputs(", \"energy_pj\": ", f);
		jnum(f, pf->total.device_energy_pj);
		fprintf(f, ", \"time_ns\": %llu, \"commands\": %llu}",
			(unsigned long long)pf->total.device_ns,
			(unsigned long long)pf->total.device_cmds);
	}
	fprintf(f, ",\n    \"host_ns\": %llu, \"load_s\": ",
		(unsigned long long)pf->total.host_ns);
	jnum(f, ds->load_s);
	fputs(", \"prepare_s\": ", f);
	jnum(f, c->prepare_s);
	fputs("},\n  \"detection\": ", f);
	json_detection(f, &ds->det);
	fputs(",\n  \"skipped\": [", f);
	for (size_t i = 0; i < ds->nskips; i++) {
		fputs(i ? ",\n    {\"input\": " : "\n    {\"input\": ", f);
		js(f, ds->skips[i].input);
		fputs(", \"reason\": ", f);
		js(f, ds->skips[i].reason);
		fprintf(f, ", \"status\": %d}", ds->skips[i].status);
	}
	fputs("],\n  \"warnings\": [", f);
	for (size_t i = 0; i < warnings_count(); i++) {
		fputs(i ? ", " : "", f);
		js(f, warning_at(i));
	}
	fputs("]\n}\n", f);
}

/* ---------------------------------------------------------------------
 * Predictions CSV
 * --------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' &&
	    (!*s || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void predictions_write(FILE *f, const struct run_ctx *c)
{
	const struct dataset *ds = c->ds;
	uint32_t K = c->mi.nclasses;

	fputs("record,index,sample,true,predicted", f);
	for (uint32_t k = 0; k < K; k++) {
		char h[300];

		snprintf(h, sizeof(h), "score_%s", bnn_model_class_name(c->m, k));
		fputc(',', f);
		csv_field(f, h);
	}
	fputc('\n', f);
	for (size_t i = 0; i < ds->n; i++) {
		const struct source *s = &ds->srcs[ds->src[i]];

		csv_field(f, s->name);
		fprintf(f, ",%zu,%lld,", i - s->first, (long long)ds->pos[i]);
		if (ds->dlabel[i] >= 0)
			csv_field(f, ds->labels[ds->dlabel[i]]);
		fputc(',', f);
		csv_field(f, bnn_model_class_name(c->m, (uint32_t)c->pred[i]));
		for (uint32_t k = 0; k < K; k++)
			fprintf(f, ",%.9g", (double)c->scores[i * K + k]);
		fputc('\n', f);
	}
}
