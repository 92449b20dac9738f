// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * report_html.c - bnn-run --report DIR: one static page, DIR/index.html,
 * with inline CSS and inline SVG (no script, no network, nothing else to
 * copy along), so that a clinician can open it from a USB stick.  The
 * numbers are those of the text report (report.c); the cells that tests
 * read carry data-k / data-cm attributes.
 *
 * One file, written beside itself and renamed when complete (output.c):
 * a failed or interrupted run leaves the previous report whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "report_html.h"

void html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);	/* UTF-8 passes through */
		}
}

/* ---------------------------------------------------------------------
 * The folder
 * --------------------------------------------------------------------- */

static char *index_path(const char *dir)
{
	size_t n = strlen(dir);

	return xasprintf("%s%sindex.html", dir, n && dir[n - 1] == '/' ? "" : "/");
}

/* DIR/index.html may be replaced only when it is a regular file (never a
 * symlink, a folder or a device). */
static void check_index(const char *dir)
{
	char *p = index_path(dir);
	struct stat st;

	if (!lstat(p, &st) && !S_ISREG(st.st_mode))
		die(EX_RUNTIME, "cannot write the report to %s: %s is %s, not a regular file (refusing to replace it)",
		    dir, p, S_ISLNK(st.st_mode) ? "a symbolic link" :
		    S_ISDIR(st.st_mode) ? "a folder" : "a special file");
	free(p);
}

void report_html_check(const char *dir)
{
	struct stat st;

	/* Not followed: a link could send the page anywhere. */
	if (!lstat(dir, &st) && S_ISLNK(st.st_mode))
		die(EX_RUNTIME, "cannot write the report to %s: it is a symbolic link (give the folder it names)",
		    dir);
	if (lstat(dir, &st)) {
		if (errno != ENOENT || mkdir(dir, 0777))
			die(EX_RUNTIME, "cannot write the report to %s: %s", dir,
			    strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		die(EX_RUNTIME, "cannot write the report to %s: it exists and is not a folder",
		    dir);
	} else if (access(dir, W_OK | X_OK)) {
		die(EX_RUNTIME, "cannot write the report to %s: %s", dir,
		    strerror(errno));
	}
	check_index(dir);
}

/* ---------------------------------------------------------------------
 * Page parts
 * --------------------------------------------------------------------- */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#111}"
	"h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}"
	"h3{font-size:1.05em;margin:1.2em 0 .3em}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	"th{background:#f3f3f3}td.l,th.l{text-align:left}"
	"td.diag{background:#e3f3e3;font-weight:bold}td.off{background:#fbe9e7}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:2px 1em}dt{font-weight:bold}dd{margin:0}"
	".note{color:#555}.tmiss{color:#b00;font-weight:bold}.tcall{color:#036}"
	"figure.strip{display:inline-block;margin:.4em .6em .6em 0;vertical-align:top}"
	"figure.miss svg{border:2px solid #d33}figure.call svg{border:2px solid #36c}"
	"figcaption{font-size:12px;max-width:640px}"
	"svg.sig{background:#fffaf8}.g0{stroke:#f4c7c0;stroke-width:.5}.g1{stroke:#e59a8f;stroke-width:.8}"
	".tr{fill:none;stroke:#000;stroke-width:1}.mk{stroke:#999;stroke-dasharray:2 3}"
	".mmiss{stroke:#d33;stroke-width:1.5}.mcall{stroke:#36c;stroke-width:1.5}"
	".ax{font-size:9px;fill:#777}.ln{font-size:10px;fill:#555}.lf{font-size:11px;font-weight:bold;fill:#000}"
	"@media print{figure.strip{break-inside:avoid}}";

static void num(FILE *f, const char *key, size_t v)
{
	fprintf(f, "<span data-k=\"%s\">%zu</span>", key, v);
}

/* A rate as "12.34" (percent) in a cell, "-" when undefined. */
static void td_pct(FILE *f, double v, const char *key)
{
	char b[32];

	if (key)
		fprintf(f, "<td data-k=\"%s\">%s</td>", key,
			mt_fmt(b, sizeof(b), v, 100, 2));
	else
		fprintf(f, "<td>%s</td>", mt_fmt(b, sizeof(b), v, 100, 2));
}

static void summary(FILE *f, const struct run_ctx *c)
{
	const struct dataset *ds = c->ds;
	const bnn_input_desc *in = &c->mi.input;
	const char *unit = rep_unit(ds);

	fputs("<h2>Run</h2>\n<dl>\n<dt>Model</dt><dd>", f);
	html_esc(f, c->o->model);
	if (c->mi.name && *c->mi.name) {
		fputs(" &ldquo;", f);
		html_esc(f, c->mi.name);
		fputs("&rdquo;", f);
	}
	fprintf(f, "<br>%u classes:", c->mi.nclasses);
	for (uint32_t k = 0; k < c->mi.nclasses; k++) {
		fputs(k ? ", " : " ", f);
		html_esc(f, bnn_model_class_name(c->m, k));
	}
	fprintf(f, "; input %u channel%s &times; %u samples", in->channels,
		in->channels == 1 ? "" : "s", in->length);
	if (in->sample_rate_hz > 0)
		fprintf(f, " at %g Hz", in->sample_rate_hz);
	if (in->lead[0]) {
		fputs(", lead ", f);
		html_esc(f, in->lead);
	}
	fputs("</dd>\n<dt>Backend</dt><dd>", f);
	html_esc(f, c->bi.name);
	if (c->bi.detail && *c->bi.detail) {
		fputs(" (", f);
		html_esc(f, c->bi.detail);
		fputc(')', f);
	}
	if (c->o->backend == BNN_BACKEND_AUTO)
		fputs(", chosen by --backend auto", f);
	fprintf(f, "</dd>\n<dt>Inputs</dt><dd><span data-k=\"sources\">%zu</span> source%s:",
		ds->nsrc, ds->nsrc == 1 ? "" : "s");
	for (size_t i = 0; i < ds->nsrc && i < 60; i++) {
		fputc(' ', f);
		html_esc(f, ds->srcs[i].name);
	}
	if (ds->nsrc > 60)
		fprintf(f, " &hellip; (%zu more)", ds->nsrc - 60);
	fprintf(f, "</dd>\n<dt>%s</dt><dd>", unit);
	num(f, "items", ds->n);
	fputs(": ", f);
	for (size_t i = 0; i < ds->nlabels; i++) {
		if (!ds->label_count[i])
			continue;
		html_esc(f, ds->labels[i]);
		fprintf(f, " %zu%s ", ds->label_count[i], ds->lmap[i] < 0 ?
			" (no model class)" : "");
	}
	fputs("<br>labelled ", f);
	num(f, "labelled", c->labelled);
	fputs(", without a label ", f);
	num(f, "unlabelled", c->unlabelled);
	fputs(", label not a model class ", f);
	num(f, "excluded", c->excluded);
	if (ds->limited)
		fprintf(f, "; stopped at --limit %llu",
			(unsigned long long)c->o->limit);
	fputs("</dd>\n", f);
	for (size_t i = 0; i < ds->nskips; i++) {
		fputs("<dt>Skipped</dt><dd>", f);
		html_esc(f, ds->skips[i].input);
		fputs(": ", f);
		html_esc(f, ds->skips[i].reason);
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n", f);
}

static void results(FILE *f, const struct run_ctx *c)
{
	char b[32];
	unsigned used;
	double mf1 = mt_cm_macro_f1(&c->cm, &used);
	uint32_t K = c->cm.k;
	const struct dataset *ds = c->ds;
	struct ec57 e;

	fputs("<h2>Results</h2>\n", f);
	if (!c->labelled) {
		fprintf(f, "<p>Metrics skipped: %s.</p>\n", ds->nlabels ?
			"no label of the data is a model class" :
			"the data has no labels");
		return;
	}
	fprintf(f, "<p>Accuracy <b data-k=\"accuracy\">%s</b> %% (",
		mt_fmt(b, sizeof(b), mt_cm_accuracy(&c->cm), 100, 2));
	num(f, "correct", (size_t)mt_cm_correct(&c->cm));
	fputs(" of ", f);
	num(f, "total", (size_t)mt_cm_total(&c->cm));
	fprintf(f, "), macro F1 %s over %u class%s.", mt_fmt(b, sizeof(b), mf1, 1, 3),
		used, used == 1 ? "" : "es");
	if (!rep_ec57(c, &e))
		for (int i = 0; i < 2; i++) {
			const struct ec57_class *x = &e.c[i ? EC57_V : EC57_S];

			if (!x->present)
				continue;
			fprintf(f, " AAMI EC57 %s: Se <span data-k=\"ec57-%s-se\">%s</span> %%",
				i ? "VEB (V)" : "SVEB (S)", i ? "V" : "S",
				mt_fmt(b, sizeof(b), x->se, 100, 2));
			fprintf(f, ", +P <span data-k=\"ec57-%s-ppv\">%s</span> %%.",
				i ? "V" : "S", mt_fmt(b, sizeof(b), x->ppv, 100, 2));
		}
	fputs("</p>\n", f);

	fputs("<h3>Confusion matrix</h3>\n<table class=\"cm\"><tr><th class=\"l\">true \\ predicted</th>", f);
	for (uint32_t j = 0; j < K; j++) {
		fputs("<th>", f);
		html_esc(f, bnn_model_class_name(c->m, j));
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (uint32_t k = 0; k < K; k++) {
		fputs("<tr><th class=\"l\">", f);
		html_esc(f, bnn_model_class_name(c->m, k));
		fputs("</th>", f);
		for (uint32_t j = 0; j < K; j++) {
			uint64_t v = mt_cm_get(&c->cm, k, j);

			fprintf(f, "<td class=\"%s\" data-cm=\"%u,%u\">%llu</td>",
				j == k ? "diag" : v ? "off" : "", k, j,
				(unsigned long long)v);
		}
		fputs("</tr>\n", f);
	}
	for (size_t i = 0; i < ds->nlabels; i++) {
		if (!c->unmapped[i] || !ds->label_count[i])
			continue;
		fputs("<tr><th class=\"l\">", f);
		html_esc(f, ds->labels[i]);
		fputs(" <small>(no model class)</small></th>", f);
		for (uint32_t j = 0; j < K; j++)
			fprintf(f, "<td>%llu</td>",
				(unsigned long long)c->unmapped[i][j]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h3>Per class</h3>\n<table class=\"pc\"><tr><th class=\"l\">class</th><th>support</th><th>predicted</th><th>Se %</th><th>+P %</th><th>Sp %</th><th>F1</th></tr>\n", f);
	for (uint32_t k = 0; k < K; k++) {
		struct mt_class mc;

		mt_cm_class(&c->cm, k, &mc);
		fputs("<tr><td class=\"l\">", f);
		html_esc(f, bnn_model_class_name(c->m, k));
		fprintf(f, "</td><td>%llu</td><td>%llu</td>",
			(unsigned long long)mc.support,
			(unsigned long long)mc.predicted);
		td_pct(f, mc.se, NULL);
		td_pct(f, mc.ppv, NULL);
		td_pct(f, mc.sp, NULL);
		fprintf(f, "<td>%s</td></tr>\n", mt_fmt(b, sizeof(b), mc.f1, 1, 3));
	}
	fputs("</table>\n", f);
}

static void per_source(FILE *f, const struct run_ctx *c, const struct strips *s)
{
	const struct dataset *ds = c->ds;
	struct ec57 e;
	int sv = 0;
	size_t left = 0;

	if (rep_ec57(c, &e))
		memset(&e, 0, sizeof(e));
	else
		sv = 1;
	for (size_t q = 0; q < ds->nsrc; q++)
		left += s->cand[q] - s->shown[q];
	fputs("<h2>Per record</h2>\n", f);
	fprintf(f, "<p>%zu strips of calls and misses drawn, ", s->nsel);
	fprintf(f, "<span data-k=\"strips-left\">%zu</span> left out (at most <span data-k=\"strip-cap\">%zu</span> per source).</p>\n",
		left, s->cap);
	fprintf(f, "<table class=\"rec\"><tr><th class=\"l\">source</th><th class=\"l\">set</th><th>%s</th><th>accuracy %%</th>",
		rep_unit(ds));
	if (sv && e.c[EC57_S].present)
		fputs("<th>S Se %</th><th>S +P %</th>", f);
	if (sv && e.c[EC57_V].present)
		fputs("<th>V Se %</th><th>V +P %</th>", f);
	fputs("<th>strips</th><th>left out</th></tr>\n", f);
	for (size_t q = 0; q < ds->nsrc; q++) {
		const struct mt_cm *cm = &c->src_cm[q];

		fputs("<tr data-src=\"", f);
		html_esc(f, ds->srcs[q].name);
		fputs("\"><td class=\"l\">", f);
		if (s->shown[q])
			fprintf(f, "<a href=\"#src-%zu\">", q);
		html_esc(f, ds->srcs[q].name);
		fprintf(f, "%s</td><td class=\"l\">", s->shown[q] ? "</a>" : "");
		html_esc(f, ds->srcs[q].set ? ds->srcs[q].set : "-");
		fprintf(f, "</td><td data-k=\"items\">%zu</td>", ds->srcs[q].n);
		td_pct(f, mt_cm_accuracy(cm), "accuracy");
		for (int k = 0; sv && k < 2; k++) {
			struct ec57_class x;
			int cl = k ? EC57_V : EC57_S;

			if (!e.c[cl].present)
				continue;
			ec57_class(cm, e.map, cl, e.f_as_v_rule, &x);
			td_pct(f, x.se, NULL);
			td_pct(f, x.ppv, NULL);
		}
		fprintf(f, "<td data-k=\"strips\">%zu</td><td data-k=\"left\">%zu</td></tr>\n",
			s->shown[q], s->cand[q] - s->shown[q]);
	}
	fputs("</table>\n", f);
}

static void page(FILE *f, const struct run_ctx *c, const struct strips *s)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[64] = "";

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>bnn-run report: ", f);
	html_esc(f, c->mi.name && *c->mi.name ? c->mi.name : c->o->model);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n", css);
	fputs("<h1>bnn-run report</h1>\n<p class=\"note\">", f);
	fprintf(f, "%s %s, libbnn %s, %s. The machine's classes are a help to review, not a diagnosis: "
		"every strip below is a beat or window it called abnormal or got wrong.</p>\n",
		PROG, BNN_RUN_VERSION, bnn_version(), when);
	summary(f, c);
	results(f, c);
	per_source(f, c, s);
	fputs("<h2>Strips</h2>\n", f);
	if (!s->nsel)
		fputs("<p>No call or miss to show.</p>\n", f);
	else
		fputs("<p class=\"note\">Red frame: a miss (reference &ne; predicted); blue: a call. "
		      "The marked line is the item; the letters above are the predicted classes of the beats in view.</p>\n", f);
	strips_write(f, c, s);
	fputs("</body></html>\n", f);
}

void report_html_write(const char *dir, const struct run_ctx *c)
{
	struct output out;
	struct strips s;
	char *p = index_path(dir);

	report_html_check(dir);
	strips_plan(c, STRIPS_PER_SOURCE, &s);
	output_open(&out, p, "the report");
	page(out.f, c, &s);
	output_commit(&out);
	note("report in %s", p);
	strips_free(&s);
	free(p);
}
