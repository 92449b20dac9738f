// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * _ec57.c - bnn._ec57: bnn-run's classification statistics for Python.
 *
 * The statistics are bnn-run's own C (tools/bnn-run/metrics.c and ec57.c,
 * compiled into this module by setup.py), so a report made in Python
 * (bnn.metrics, bnn.dask) has bnn-run's numbers by construction: there is
 * one implementation.  Also libbnn's MIT-BIH split (bnn_aami_split_*),
 * which the package's _bnn does not bind.
 *
 * Confusion matrices come as sequences of sequences of non-negative ints
 * (rows = true class).  Undefined rates are NaN (bnn.metrics makes them
 * None, JSON null).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "bnn.h"
#include "bnn_data.h"
#include "ec57.h"
#include "metrics.h"

/* m as a k x k mt_cm (k = 0: take it from m); 0, or -1 with an exception. */
static int cm_from(PyObject *m, unsigned k, struct mt_cm *cm, const char *what)
{
	PyObject *rows = PySequence_Fast(m, "a confusion matrix (list of rows) is needed");
	Py_ssize_t n;

	memset(cm, 0, sizeof(*cm));
	if (!rows)
		return -1;
	n = PySequence_Fast_GET_SIZE(rows);
	if (n < 1 || (size_t)n > MT_MAX_CLASSES || (k && (unsigned)n != k)) {
		PyErr_Format(PyExc_ValueError, "%s: %u x %u matrix needed, %zd rows given",
			     what, k ? k : (unsigned)(n > 0 ? n : 1),
			     k ? k : (unsigned)(n > 0 ? n : 1), n);
		goto fail;
	}
	if (mt_cm_init(cm, (unsigned)n)) {
		PyErr_NoMemory();
		goto fail;
	}
	for (Py_ssize_t t = 0; t < n; t++) {
		PyObject *row = PySequence_Fast(PySequence_Fast_GET_ITEM(rows, t),
						"a row of counts is needed");

		if (!row)
			goto fail;
		if (PySequence_Fast_GET_SIZE(row) != n) {
			PyErr_Format(PyExc_ValueError, "%s: row %zd has %zd counts, not %zd",
				     what, t, PySequence_Fast_GET_SIZE(row), n);
			Py_DECREF(row);
			goto fail;
		}
		for (Py_ssize_t p = 0; p < n; p++) {
			unsigned long long v =
				PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(row, p));

			if (v == (unsigned long long)-1 && PyErr_Occurred()) {
				PyErr_Format(PyExc_ValueError,
					     "%s: counts are non-negative integers (row %zd, column %zd)",
					     what, t, p);
				Py_DECREF(row);
				goto fail;
			}
			cm->m[(size_t)t * cm->k + (size_t)p] = v;
		}
		Py_DECREF(row);
	}
	Py_DECREF(rows);
	return 0;
fail:
	mt_cm_free(cm);
	Py_DECREF(rows);
	return -1;
}

static PyObject *class_dict(const struct mt_class *c)
{
	return Py_BuildValue("{sKsKsKsKsKsKsdsdsdsdsd}", "support",
			     (unsigned long long)c->support, "predicted",
			     (unsigned long long)c->predicted, "tp",
			     (unsigned long long)c->tp, "fp", (unsigned long long)c->fp,
			     "fn", (unsigned long long)c->fn, "tn",
			     (unsigned long long)c->tn, "se", c->se, "ppv", c->ppv,
			     "sp", c->sp, "fpr", c->fpr, "f1", c->f1);
}

/* summary(cm) -> {items, correct, accuracy, macro_f1, macro_f1_classes,
 * classes: [per class one-vs-rest dict]} */
static PyObject *summary(PyObject *mod, PyObject *arg)
{
	struct mt_cm cm;
	PyObject *classes, *out = NULL;
	unsigned used = 0;
	double f1;

	(void)mod;
	if (cm_from(arg, 0, &cm, "confusion"))
		return NULL;
	classes = PyList_New(cm.k);
	if (!classes)
		goto done;
	for (unsigned k = 0; k < cm.k; k++) {
		struct mt_class mc;
		PyObject *d;

		mt_cm_class(&cm, k, &mc);
		d = class_dict(&mc);
		if (!d)
			goto done;
		PyList_SET_ITEM(classes, k, d);
	}
	f1 = mt_cm_macro_f1(&cm, &used);
	out = Py_BuildValue("{sKsKsdsdsIsO}", "items",
			    (unsigned long long)mt_cm_total(&cm), "correct",
			    (unsigned long long)mt_cm_correct(&cm), "accuracy",
			    mt_cm_accuracy(&cm), "macro_f1", f1, "macro_f1_classes", used,
			    "classes", classes);
done:
	Py_XDECREF(classes);
	mt_cm_free(&cm);
	return out;
}

static PyObject *ec57_class_dict(const struct ec57_class *x)
{
	if (!x->present)
		Py_RETURN_NONE;
	return Py_BuildValue("{sKsKsKsKsKsKsdsdsdsdsdsIsdsIsdsI}", "support",
			     (unsigned long long)x->support, "predicted",
			     (unsigned long long)x->predicted, "tp",
			     (unsigned long long)x->tp, "fp", (unsigned long long)x->fp,
			     "fn", (unsigned long long)x->fn, "tn",
			     (unsigned long long)x->tn, "se", x->se, "ppv", x->ppv,
			     "fpr", x->fpr, "sp", x->sp, "rec_se", x->rec_se,
			     "rec_se_n", x->rec_se_n, "rec_ppv", x->rec_ppv,
			     "rec_ppv_n", x->rec_ppv_n, "rec_fpr", x->rec_fpr,
			     "rec_fpr_n", x->rec_fpr_n);
}

/* ec57(cm, records, map) -> dict (ec57_compute): records a list of
 * per-record matrices (same k), map the model class of N S V F Q (-1:
 * none).  classes: five dicts or None; s_top: index into records, -1. */
static PyObject *ec57(PyObject *mod, PyObject *args)
{
	PyObject *m, *recs, *map, *seq = NULL, *classes = NULL, *out = NULL;
	struct mt_cm all, *rec = NULL;
	int cmap[EC57_NCLASSES];
	Py_ssize_t nrec = 0, r;
	struct ec57 e;

	(void)mod;
	if (!PyArg_ParseTuple(args, "OOO", &m, &recs, &map))
		return NULL;
	if (cm_from(m, 0, &all, "confusion"))
		return NULL;
	seq = PySequence_Fast(map, "map: five class indices (N S V F Q) are needed");
	if (!seq)
		goto done;
	if (PySequence_Fast_GET_SIZE(seq) != EC57_NCLASSES) {
		PyErr_SetString(PyExc_ValueError, "map: five class indices (N S V F Q) are needed");
		goto done;
	}
	for (int c = 0; c < EC57_NCLASSES; c++) {
		long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, c));

		if (v == -1 && PyErr_Occurred())
			goto done;
		if (v < -1 || v >= (long)all.k) {
			PyErr_Format(PyExc_ValueError, "map: class %ld of %s is not one of the %u classes",
				     v, ec57_class_name(c), all.k);
			goto done;
		}
		cmap[c] = (int)v;
	}
	Py_CLEAR(seq);
	seq = PySequence_Fast(recs, "records: a list of per-record matrices is needed");
	if (!seq)
		goto done;
	nrec = PySequence_Fast_GET_SIZE(seq);
	rec = calloc(nrec ? (size_t)nrec : 1, sizeof(*rec));
	if (!rec) {
		PyErr_NoMemory();
		goto done;
	}
	for (r = 0; r < nrec; r++)
		if (cm_from(PySequence_Fast_GET_ITEM(seq, r), all.k, &rec[r], "record matrix"))
			goto done;
	if (ec57_compute(&all, rec, (size_t)nrec, cmap, &e)) {
		PyErr_SetString(PyExc_ValueError, "ec57: bad arguments");
		goto done;
	}
	classes = PyList_New(EC57_NCLASSES);
	if (!classes)
		goto done;
	for (int c = 0; c < EC57_NCLASSES; c++) {
		PyObject *d = ec57_class_dict(&e.c[c]);

		if (!d)
			goto done;
		PyList_SET_ITEM(classes, c, d);
	}
	out = Py_BuildValue("{sKsOsOsdsdslsKsd}", "beats", (unsigned long long)e.n,
			    "f_as_v_rule", e.f_as_v_rule ? Py_True : Py_False,
			    "classes", classes, "kappa", e.kappa, "jk", e.jk, "s_top",
			    e.s_top, "s_top_beats", (unsigned long long)e.s_top_beats,
			    "s_se_without", e.s_se_without);
done:
	if (rec)
		for (Py_ssize_t i = 0; i < nrec; i++)
			mt_cm_free(&rec[i]);
	free(rec);
	mt_cm_free(&all);
	Py_XDECREF(seq);
	Py_XDECREF(classes);
	return out;
}

/* split(path or None) -> {"DS1": [...], "DS2": [...], "paced": [...]}
 * (bnn_aami_split_read, or the built-in split for None); a libbnn error
 * comes back as (code, message) for bnn.metrics to raise as bnn.Error. */
static PyObject *split(PyObject *mod, PyObject *arg)
{
	static const char *const names[BNN_SET_COUNT] = { "DS1", "DS2", "paced" };
	bnn_aami_split *sp;
	PyObject *bytes = NULL, *out = NULL;
	bnn_error e;
	int rc;

	(void)mod;
	memset(&e, 0, sizeof(e));
	if (arg != Py_None && !PyUnicode_FSConverter(arg, &bytes))
		return NULL;
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		Py_XDECREF(bytes);
		return PyErr_NoMemory();
	}
	Py_BEGIN_ALLOW_THREADS
	rc = bytes ? bnn_aami_split_read(PyBytes_AS_STRING(bytes), sp, &e)
		   : bnn_aami_split_default(sp);
	Py_END_ALLOW_THREADS
	if (rc) {
		out = Py_BuildValue("(is)", rc, e.msg[0] ? e.msg : bnn_strerror(rc));
		goto done;
	}
	out = PyDict_New();
	if (!out)
		goto done;
	for (int s = 0; s < BNN_SET_COUNT; s++) {
		PyObject *l = PyList_New((Py_ssize_t)sp->nrec[s]);

		if (!l || PyDict_SetItemString(out, names[s], l) < 0) {
			Py_XDECREF(l);
			Py_CLEAR(out);
			goto done;
		}
		Py_DECREF(l);
		for (size_t i = 0; i < sp->nrec[s]; i++) {
			PyObject *n = PyUnicode_DecodeFSDefault(sp->rec[s][i]);

			if (!n) {
				Py_CLEAR(out);
				goto done;
			}
			PyList_SET_ITEM(l, (Py_ssize_t)i, n);
		}
	}
done:
	free(sp);
	Py_XDECREF(bytes);
	return out;
}

static PyMethodDef methods[] = {
	{ "summary", summary, METH_O, "accuracy, macro F1, per-class counts (metrics.c)" },
	{ "ec57", ec57, METH_VARARGS, "AAMI EC57 statistics (ec57.c)" },
	{ "split", split, METH_O, "bnn_aami_split_read / bnn_aami_split_default" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef moduledef = {
	PyModuleDef_HEAD_INIT,
	.m_name = "bnn._ec57",
	.m_doc = "bnn-run's statistics (metrics.c, ec57.c); use bnn.metrics.",
	.m_size = -1,
	.m_methods = methods,
};

PyMODINIT_FUNC PyInit__ec57(void);

PyMODINIT_FUNC PyInit__ec57(void)
{
	return PyModule_Create(&moduledef);
}
