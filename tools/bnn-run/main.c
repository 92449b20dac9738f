// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-run: run a .bnn model on ECG / EEG data with libbnn and report the
 * classification metrics and the performance (see --help, bnn-run(1)).
 *
 * The flow: options -> model -> backend -> data -> prepare -> run in
 * batches -> metrics -> text or JSON report (+ predictions CSV).  Every
 * user error ends with one line "bnn-run: error: ..." and a distinct exit
 * status (util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "bnn-run.h"
#include "output.h"
#include "report_html.h"

/* ---------------------------------------------------------------------
 * Model
 * --------------------------------------------------------------------- */

static bnn_model *load_model(const char *path)
{
	struct stat st;
	bnn_model *m;
	bnn_error err;
	int rc;

	if (stat(path, &st))
		die(EX_NOFILE, "model %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die(EX_NOFILE, "model %s: is a folder, not a .bnn file", path);
	if (access(path, R_OK))
		die(EX_NOFILE, "model %s: %s", path, strerror(errno));
	rc = bnn_model_load(path, &m, &err);
	if (rc == BNN_E_IO)
		die(EX_NOFILE, "model %s", err.msg);
	if (rc == BNN_E_NOMEM)
		die(EX_RUNTIME, "model %s", err.msg);
	if (rc) {
		char magic[4] = { 0 };
		FILE *f = fopen(path, "rb");
		size_t k = f ? fread(magic, 1, 4, f) : 0;

		if (f)
			fclose(f);
		if ((k < 4 || memcmp(magic, "BNN1", 4)) &&
		    !strstr(err.msg, "magic"))
			die(EX_MODEL, "%s (not a .bnn model: no BNN1 magic)",
			    err.msg);
		die(EX_MODEL, "%s", err.msg);
	}
	return m;
}

/* ---------------------------------------------------------------------
 * Backend
 * --------------------------------------------------------------------- */

static const char udev_rule[] =
	"SUBSYSTEM==\"accel\", KERNEL==\"accel*\", GROUP=\"render\", MODE=\"0660\"";

static void die_perm(const char *node, const struct stat *st)
{
	struct group *g = st ? getgrgid(st->st_gid) : NULL;

	if (g && strcmp(g->gr_name, "root"))
		die(EX_PERM,
		    "%s: permission denied (mode %04o, group %s): add your user to group '%s' (sudo usermod -aG %s $USER, then log in again), or install a udev rule such as %s",
		    node, (unsigned)(st->st_mode & 07777), g->gr_name,
		    g->gr_name, g->gr_name, udev_rule);
	die(EX_PERM,
	    "%s: permission denied: install a udev rule such as %s (e.g. in /etc/udev/rules.d/70-rbnn.rules, then 'udevadm trigger') and add your user to group 'render'",
	    node, udev_rule);
}

/* "/dev/accel/accel0 /dev/accel/accel1" or "" */
static void list_accel(char *buf, size_t cap)
{
	DIR *d = opendir("/dev/accel");
	struct dirent *e;

	buf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "accel", 5)) {
			size_t k = strlen(buf);

			snprintf(buf + k, cap - k, "%s/dev/accel/%s", k ? " " : "",
				 e->d_name);
		}
	closedir(d);
}

static void check_device_node(const char *node)
{
	struct stat st;
	char nodes[512];

	if (stat(node, &st)) {
		int e = errno;

		if (e == EACCES || e == EPERM)
			die_perm(node, NULL);
		list_accel(nodes, sizeof(nodes));
		die(EX_NODEV, "%s: %s: no card there (%s%s)", node, strerror(e),
		    nodes[0] ? "nodes present: " :
		    "no /dev/accel nodes at all: is the rbnn driver loaded?",
		    nodes);
	}
	if (access(node, R_OK | W_OK) && (errno == EACCES || errno == EPERM))
		die_perm(node, &st);
	if (!S_ISCHR(st.st_mode))
		die(EX_NODEV, "%s is not a device node (want /dev/accel/accelN)",
		    node);
}

static bnn_backend *open_backend(const struct opts *o, bnn_backend_info *bi)
{
	bnn_backend_opts bo;
	bnn_backend *be;
	bnn_error err;
	char nodes[512];
	int rc;

	bnn_backend_opts_init(&bo);
	bo.device = o->device;
	bo.error_model = o->error_model;
	bo.cell_mode = o->cell_mode;
	bo.prog_current_ua = o->prog_current_ua;
	bo.read_ber = o->read_ber;
	bo.seed = o->seed;
	bo.age_s = o->age_s;
	bo.wear_cycles = o->wear_cycles;
	bo.temperature_c = o->temperature_c;
	bo.scrub = o->scrub;
	if (o->verify >= 0)
		bo.verify = o->verify;
	bo.tiles = o->tiles;
	bo.cpu_isa = o->cpu_isa;
	bo.threads = o->threads;
	if (o->device)
		check_device_node(o->device);
	rc = bnn_backend_open(o->backend, &bo, &be, &err);
	switch (rc) {
	case BNN_OK:
		break;
	case BNN_E_NODEV:
		list_accel(nodes, sizeof(nodes));
		if (o->backend == BNN_BACKEND_RBNN)
			die(EX_NODEV, "no RBNN card: %s (%s); --backend emu runs on the emulated card",
			    err.msg, nodes[0] ? nodes :
			    "no /dev/accel nodes: is the rbnn driver loaded?");
		die(EX_NODEV, "backend %s not available: %s",
		    bnn_backend_kind_name(o->backend), err.msg);
	case BNN_E_PERM:
		die(EX_PERM,
		    "%s: add your user to the group owning the card's node (usually render: sudo usermod -aG render $USER), or install a udev rule such as %s",
		    err.msg, udev_rule);
	case BNN_E_INVAL:
	case BNN_E_UNSUPPORTED:
		die(EX_USAGE, "backend %s: %s", bnn_backend_kind_name(o->backend),
		    err.msg);
	default:
		die(EX_RUNTIME, "backend %s: %s", bnn_backend_kind_name(o->backend),
		    err.msg);
	}
	bnn_backend_info_get(be, bi);
	if (o->error_model && bi->kind != BNN_BACKEND_EMU)
		warnx_("%s ignored: the %s backend has no error model to set",
		       o->emu_opt, bi->name);
	return be;
}

static int run_status(int rc)
{
	switch (rc) {
	case BNN_E_NODEV: return EX_NODEV;
	case BNN_E_PERM: return EX_PERM;
	default: return EX_RUNTIME;
	}
}

/* ---------------------------------------------------------------------
 * Run
 * --------------------------------------------------------------------- */

static void run_items(bnn_backend *be, const struct opts *o,
		      const struct dataset *ds, uint32_t K, float *scores,
		      int32_t *pred, struct perf *pf, struct progress *pg)
{
	size_t n = ds->n, B = o->batch, nb = (n + B - 1) / B, E = ds->elems;
	const char *unit = "items";
	double t0;
	bnn_error err;
	int rc;

	for (size_t i = 0; i < ds->nsrc; i++)
		unit = ds->srcs[i].kind == SRC_BEATS ? "beats" : unit;
	memset(pf, 0, sizeof(*pf));
	pf->batch_ms = xcalloc(nb, sizeof(double));
	pf->item_us = xcalloc(nb, sizeof(double));
	t0 = now_s();
	if (o->queue <= 1) {
		for (size_t b = 0; b < nb; b++) {
			size_t i0 = b * B, m = n - i0 < B ? n - i0 : B;
			bnn_stats st;

			rc = bnn_run(be, ds->x + i0 * E, m, scores + i0 * K,
				     pred + i0, &st, &err);
			if (rc)
				die(run_status(rc), "run failed (items %zu..%zu): %s",
				    i0, i0 + m - 1, err.msg);
			pf->batch_ms[b] = (double)st.host_ns / 1e6;
			pf->item_us[b] = (double)st.host_ns / 1e3 / (double)m;
			progress_update(pg, "running", i0 + m, n, unit);
		}
	} else {
		uint64_t *job = xcalloc(o->queue, sizeof(uint64_t));
		size_t *jb = xcalloc(o->queue, sizeof(size_t));
		size_t next = 0, done = 0, head = 0, inflight = 0;

		while (done < nb) {
			while (inflight < o->queue && next < nb) {
				size_t i0 = next * B, m = n - i0 < B ? n - i0 : B;
				size_t slot = (head + inflight) % o->queue;

				rc = bnn_submit(be, ds->x + i0 * E, m,
						scores + i0 * K, pred + i0,
						&job[slot], &err);
				if (rc)
					die(run_status(rc), "submit failed (items %zu..%zu): %s",
					    i0, i0 + m - 1, err.msg);
				jb[slot] = next++;
				inflight++;
			}
			{
				size_t b = jb[head], i0 = b * B;
				size_t m = n - i0 < B ? n - i0 : B;
				bnn_stats st;

				rc = bnn_wait(be, job[head], -1, &st, &err);
				if (rc)
					die(run_status(rc), "run failed (items %zu..%zu): %s",
					    i0, i0 + m - 1, err.msg);
				pf->batch_ms[b] = (double)st.host_ns / 1e6;
				pf->item_us[b] = (double)st.host_ns / 1e3 /
						 (double)m;
				head = (head + 1) % o->queue;
				inflight--;
				done++;
				progress_update(pg, "running", i0 + m, n, unit);
			}
		}
		free(job);
		free(jb);
	}
	pf->wall_s = now_s() - t0;
	progress_end(pg);
	pf->items = n;
	pf->batches = nb;
	mt_sort(pf->batch_ms, nb);
	mt_sort(pf->item_us, nb);
	bnn_backend_stats(be, &pf->total);
}

/* Confusion matrices over the labelled items. */
static void evaluate(struct run_ctx *c)
{
	const struct dataset *ds = c->ds;
	uint32_t K = c->mi.nclasses;

	if (mt_cm_init(&c->cm, K))
		die(EX_RUNTIME, "out of memory");
	c->src_cm = xcalloc(ds->nsrc, sizeof(*c->src_cm));
	for (size_t s = 0; s < ds->nsrc; s++)
		if (mt_cm_init(&c->src_cm[s], K))
			die(EX_RUNTIME, "out of memory");
	c->unmapped = xcalloc(ds->nlabels ? ds->nlabels : 1, sizeof(uint64_t *));
	for (size_t l = 0; l < ds->nlabels; l++)
		if (ds->lmap[l] < 0)
			c->unmapped[l] = xcalloc(K, sizeof(uint64_t));
	for (size_t i = 0; i < ds->n; i++) {
		int32_t dl = ds->dlabel[i], p = c->pred[i];

		if (p < 0 || (uint32_t)p >= K)
			die(EX_RUNTIME, "libbnn returned class %d for item %zu (model has %u)",
			    p, i, K);
		if (dl < 0) {
			c->unlabelled++;
		} else if (ds->lmap[dl] < 0) {
			c->excluded++;
			c->unmapped[dl][p]++;
		} else {
			mt_cm_add(&c->cm, (unsigned)ds->lmap[dl], (unsigned)p);
			mt_cm_add(&c->src_cm[ds->src[i]], (unsigned)ds->lmap[dl],
				  (unsigned)p);
			c->labelled++;
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct dataset ds;
	struct progress pg;
	struct perf pf;
	struct run_ctx c;
	bnn_model *m;
	bnn_backend *be;
	bnn_error err;
	struct output pred_out;
	FILE *rep;
	float *scores;
	int32_t *pred;
	int rc, status = EX_OK;
	double t;

	args_parse(argc, argv, &o);
	g_quiet = o.quiet;
	memset(&c, 0, sizeof(c));
	memset(&ds, 0, sizeof(ds));
	c.o = &o;

	m = load_model(o.model);
	bnn_model_info_get(m, &c.mi);
	c.m = m;
	be = open_backend(&o, &c.bi);
	if (o.stream) {
		rc = bnn_prepare(be, m, &err);
		if (rc)
			die(run_status(rc), "cannot prepare the model on the %s backend: %s",
			    c.bi.name, err.msg);
		status = stream_run(&o, m, &c.mi, be);
		bnn_backend_close(be);
		bnn_model_free(m);
		warnings_free();
		free(o.argv);
		return status;
	}
	if (o.predictions)
		output_open(&pred_out, o.predictions, "predictions");
	/* -p - takes stdout: the text report goes to stderr. */
	rep = o.predictions && !strcmp(o.predictions, "-") ? stderr : stdout;

	annout_check(&o, &c.mi, NULL);
	if (o.report)
		report_html_check(o.report);

	progress_init(&pg, o.progress, o.quiet);
	inputs_load(&o, m, &c.mi, &ds, &pg);
	if (!ds.n && ds.nskips)
		die(ds.skips[0].status, "no input could be read (%zu skipped; the first: %s)",
		    ds.nskips, ds.skips[0].reason);
	if (!ds.n)
		die(EX_DATA, "no items to run: %s",
		    ds.nsrc ? "no beat or window of the inputs fits the model's input" :
		    "no usable input (see the warnings above)");
	labels_map(&ds, m, o.label_map);
	c.ds = &ds;
	annout_check(&o, &c.mi, &ds);

	t = now_s();
	rc = bnn_prepare(be, m, &err);
	if (rc)
		die(run_status(rc), "cannot prepare the model on the %s backend: %s",
		    c.bi.name, err.msg);
	c.prepare_s = now_s() - t;
	memset(&c.pi, 0, sizeof(c.pi));
	c.pi.size = sizeof(c.pi);
	c.have_pi = bnn_prepare_info_get(be, &c.pi, &err) == BNN_OK;
	if (!c.have_pi)
		warnx_("cannot get what bnn_prepare decided: %s", err.msg);

	if (ds.n > ((size_t)1 << 36) / c.mi.nclasses)
		die(EX_RUNTIME, "too many items (%zu): use --limit", ds.n);
	scores = xmalloc(ds.n * c.mi.nclasses * sizeof(float));
	pred = xmalloc(ds.n * sizeof(int32_t));
	run_items(be, &o, &ds, c.mi.nclasses, scores, pred, &pf, &pg);
	/* The scrub policy of a real card scrubs between the runs. */
	if (c.have_pi && o.scrub)
		c.have_pi = bnn_prepare_info_get(be, &c.pi, &err) == BNN_OK;
	c.pf = &pf;
	c.scores = scores;
	c.pred = pred;
	evaluate(&c);

	if (!c.labelled && !o.predictions && !o.write_ann && !o.report)
		status = EX_NOLABELS;
	else if (ds.nskips)
		status = EX_SKIPPED;
	if (o.predictions) {
		predictions_write(pred_out.f, &c);
		output_commit(&pred_out);
	}
	annout_write(&c);
	if (o.report)
		report_html_write(o.report, &c);
	if (o.json)
		report_json(stdout, &c, status);
	else if (!o.quiet)
		report_text(rep, &c);
	if (fflush(stdout) || ferror(stdout))
		die(EX_RUNTIME, "writing the report failed: %s", strerror(errno));
	if (status == EX_NOLABELS)
		die(EX_NOLABELS, "%s: metrics skipped and nothing saved (--predictions FILE saves the predictions%s)",
		    ds.nlabels ? "no label of the data is a class of the model" :
		    "the data has no labels",
		    ds.nlabels ? ", --label-map maps labels to classes" :
		    ", --labels FILE gives labels");
	if (status == EX_SKIPPED)
		warnx_("%zu input%s skipped (listed above; exit status %d)",
		       ds.nskips, ds.nskips == 1 ? "" : "s", EX_SKIPPED);
	if (!c.labelled && status != EX_NOLABELS && o.predictions)
		note("no labels%s: metrics skipped; predictions in %s",
		     ds.nlabels ? " that are model classes" : "", o.predictions);
	else if (!c.labelled && status != EX_NOLABELS)
		note("no labels%s: metrics skipped; the beat classes are in the .%s annotation files",
		     ds.nlabels ? " that are model classes" : "", o.write_ann);

	mt_cm_free(&c.cm);
	for (size_t s = 0; s < ds.nsrc; s++)
		mt_cm_free(&c.src_cm[s]);
	free(c.src_cm);
	for (size_t l = 0; l < ds.nlabels; l++)
		free(c.unmapped[l]);
	free(c.unmapped);
	free(pf.batch_ms);
	free(pf.item_us);
	free(scores);
	free(pred);
	dataset_free(&ds);
	bnn_backend_close(be);
	bnn_model_free(m);
	warnings_free();
	free(o.argv);
	return status;
}
