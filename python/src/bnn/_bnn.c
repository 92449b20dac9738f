// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * _bnn.c - the C extension of the Python package bnn: libbnn's public API
 * (bnn.h, bnn_data.h) for NumPy.  The Python layer (bnn/__init__.py) gives
 * it its documented shape; this file only converts: Python objects and
 * arrays in, libbnn structs through the library's own headers (no copy of
 * any struct), arrays and dicts out.
 *
 * Errors: a libbnn status becomes bnn.Error(message) with .code (the
 * BNN_E_* value) and .status (bnn_strerror); arguments that are not what
 * a function takes raise TypeError / ValueError before libbnn is called.
 *
 * The GIL is released around everything that can take time (loading,
 * preparing, running, reading, beat extraction and detection), never
 * around EDF calls (EDFlib is not thread-safe: the GIL serialises them).
 * A backend context is used by one thread at a time (bnn.h): each Backend
 * has a lock, taken with the GIL released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <numpy/arrayobject.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bnn.h>
#include <bnn_data.h>

static PyObject *BnnError;

/* Raise bnn.Error for status rc with err's message (or bnn_strerror). */
static PyObject *raise_bnn(int rc, const bnn_error *e)
{
	const char *msg = e && e->msg[0] ? e->msg : bnn_strerror(rc);
	PyObject *exc = PyObject_CallFunction(BnnError, "s", msg);
	PyObject *code = PyLong_FromLong(rc);
	PyObject *status = PyUnicode_FromString(bnn_strerror(rc));

	/* SetAttr does not steal: the three references are ours to drop. */
	if (exc && code && status &&
	    PyObject_SetAttrString(exc, "code", code) == 0 &&
	    PyObject_SetAttrString(exc, "status", status) == 0)
		PyErr_SetObject(BnnError, exc);
	Py_XDECREF(status);
	Py_XDECREF(code);
	Py_XDECREF(exc);
	return NULL;
}

/* A C-contiguous, aligned array of `type` and `ndim` dimensions, or NULL
 * with TypeError / ValueError.  Returns a new reference to obj itself. */
static PyArrayObject *want_array(PyObject *obj, int type, int ndim,
				 const char *what)
{
	PyArrayObject *a;

	if (!PyArray_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s: a numpy array is needed, not %s",
			     what, Py_TYPE(obj)->tp_name);
		return NULL;
	}
	a = (PyArrayObject *)obj;
	if (PyArray_TYPE(a) != type) {
		PyArray_Descr *d = PyArray_DescrFromType(type);

		PyErr_Format(PyExc_TypeError, "%s: dtype %s needed, not %R", what,
			     d ? d->typeobj->tp_name : "?", PyArray_DESCR(a));
		Py_XDECREF(d);
		return NULL;
	}
	if (PyArray_NDIM(a) != ndim) {
		PyErr_Format(PyExc_ValueError, "%s: %d dimension(s) needed, not %d",
			     what, ndim, PyArray_NDIM(a));
		return NULL;
	}
	if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a)) {
		PyErr_Format(PyExc_ValueError, "%s: a C-contiguous, aligned array is needed",
			     what);
		return NULL;
	}
	Py_INCREF(a);
	return a;
}

static PyObject *new_array(int nd, const npy_intp *dims, int type,
			   const void *src, size_t bytes)
{
	PyObject *a = PyArray_SimpleNew(nd, (npy_intp *)dims, type);

	if (a && bytes)
		memcpy(PyArray_DATA((PyArrayObject *)a), src, bytes);
	return a;
}

/* ======================================================================
 * Model
 * ====================================================================== */

typedef struct {
	PyObject_HEAD
	bnn_model *m;
} ModelObject;

static int Model_init(ModelObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "path", NULL };
	PyObject *path = NULL;
	bnn_model *m = NULL;
	bnn_error e;
	int rc;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&", kwlist,
					 PyUnicode_FSConverter, &path))
		return -1;
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_model_load(PyBytes_AS_STRING(path), &m, &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(path);
	if (rc) {
		raise_bnn(rc, &e);
		return -1;
	}
	bnn_model_free(self->m);
	self->m = m;
	return 0;
}

static void Model_dealloc(ModelObject *self)
{
	bnn_model_free(self->m);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static int model_ok(ModelObject *self)
{
	if (!self->m) {
		PyErr_SetString(PyExc_ValueError, "model not loaded");
		return 0;
	}
	return 1;
}

static PyObject *Model_info(ModelObject *self, PyObject *unused)
{
	bnn_model_info mi;
	int rc;

	(void)unused;
	if (!model_ok(self))
		return NULL;
	rc = bnn_model_info_get(self->m, &mi);
	if (rc)
		return raise_bnn(rc, NULL);
	return Py_BuildValue(
		"{s:s,s:I,s:I,s:I,s:K,s:K,s:K,s:K,s:K,s:K,s:I,s:I,s:d,s:i,s:d,s:d,s:I,s:I,s:s}",
		"name", mi.name ? mi.name : "", "nclasses", mi.nclasses,
		"nlayers", mi.nlayers, "binary_layers", mi.binary_layers,
		"card_weight_bits", (unsigned long long)mi.card_weight_bits,
		"card_threshold_bits", (unsigned long long)mi.card_threshold_bits,
		"card_bits", (unsigned long long)mi.card_bits,
		"host_bits", (unsigned long long)mi.host_bits,
		"binary_macs", (unsigned long long)mi.binary_macs,
		"float_macs", (unsigned long long)mi.float_macs,
		"channels", mi.input.channels, "length", mi.input.length,
		"sample_rate_hz", mi.input.sample_rate_hz, "norm", mi.input.norm,
		"norm_offset", (double)mi.input.norm_offset,
		"norm_scale", (double)mi.input.norm_scale,
		"beat_pre", mi.input.beat_pre, "beat_post", mi.input.beat_post,
		"lead", mi.input.lead);
}

static PyObject *Model_layer(ModelObject *self, PyObject *arg)
{
	bnn_layer_info li;
	unsigned long i;
	int rc;

	if (!model_ok(self))
		return NULL;
	i = PyLong_AsUnsignedLong(arg);
	if (PyErr_Occurred())
		return NULL;
	rc = bnn_model_layer_info(self->m, (uint32_t)i, &li);
	if (rc || i > UINT32_MAX) {
		PyErr_Format(PyExc_IndexError, "layer %lu out of range", i);
		return NULL;
	}
	return Py_BuildValue(
		"{s:s,s:i,s:i,s:i,s:I,s:(II),s:(II),s:I,s:I,s:I,s:I,s:O,s:O,s:K,s:K,s:K}",
		"kind", bnn_layer_kind_name(li.kind), "kind_id", li.kind,
		"in_values", li.in_values, "out_values", li.out_values,
		"in_bits", li.in_bits, "in_shape", li.in_channels, li.in_length,
		"out_shape", li.out_channels, li.out_length,
		"kernel", li.kernel, "stride", li.stride, "pad", li.pad,
		"fan_in", li.fan_in, "binary", li.binary ? Py_True : Py_False,
		"scores", li.scores ? Py_True : Py_False,
		"card_bits", (unsigned long long)li.card_bits,
		"host_bits", (unsigned long long)li.host_bits,
		"macs", (unsigned long long)li.macs);
}

static PyObject *Model_class_name(ModelObject *self, PyObject *arg)
{
	unsigned long i;
	const char *s;

	if (!model_ok(self))
		return NULL;
	i = PyLong_AsUnsignedLong(arg);
	if (PyErr_Occurred())
		return NULL;
	s = i <= UINT32_MAX ? bnn_model_class_name(self->m, (uint32_t)i) : NULL;
	if (!s) {
		PyErr_Format(PyExc_IndexError, "class %lu out of range", i);
		return NULL;
	}
	return PyUnicode_FromString(s);
}

static PyObject *Model_lead(ModelObject *self, PyObject *arg)
{
	unsigned long i;
	const char *s;

	if (!model_ok(self))
		return NULL;
	i = PyLong_AsUnsignedLong(arg);
	if (PyErr_Occurred())
		return NULL;
	s = i <= UINT32_MAX ? bnn_model_lead(self->m, (uint32_t)i) : NULL;
	if (!s) {
		PyErr_Format(PyExc_IndexError, "channel %lu out of range", i);
		return NULL;
	}
	return PyUnicode_FromString(s);
}

static PyObject *Model_class_offset(ModelObject *self, PyObject *arg)
{
	unsigned long i;

	if (!model_ok(self))
		return NULL;
	i = PyLong_AsUnsignedLong(arg);
	if (PyErr_Occurred())
		return NULL;
	if (!bnn_model_class_name(self->m, i <= UINT32_MAX ? (uint32_t)i :
				  UINT32_MAX)) {
		PyErr_Format(PyExc_IndexError, "class %lu out of range", i);
		return NULL;
	}
	return PyLong_FromLong((long)bnn_model_class_offset(self->m,
							    (uint32_t)i));
}

static PyObject *Model_signal(ModelObject *self, PyObject *unused)
{
	bnn_signal_desc sd;
	int rc;

	(void)unused;
	if (!model_ok(self))
		return NULL;
	memset(&sd, 0, sizeof(sd));
	sd.size = sizeof(sd);
	rc = bnn_model_signal_get(self->m, &sd);
	if (rc)
		return raise_bnn(rc, NULL);
	return Py_BuildValue("{s:i,s:d,s:i,s:I,s:I,s:I,s:I}",
			     "baseline", sd.baseline,
			     "lowpass_hz", (double)sd.lowpass_hz,
			     "amp_norm", sd.amp_norm, "nfeatures", sd.nfeatures,
			     "aux_bits", sd.aux_bits,
			     "item_floats", sd.item_floats,
			     "ref_beats", sd.ref_beats);
}

static PyObject *Model_feature(ModelObject *self, PyObject *arg)
{
	const float *thr;
	uint32_t nthr;
	unsigned long i;
	npy_intp dim;
	int kind, rc;
	PyObject *a;

	if (!model_ok(self))
		return NULL;
	i = PyLong_AsUnsignedLong(arg);
	if (PyErr_Occurred())
		return NULL;
	rc = i <= UINT32_MAX ?
	     bnn_model_feature_get(self->m, (uint32_t)i, &kind, &nthr, &thr) :
	     BNN_E_INVAL;
	if (rc) {
		PyErr_Format(PyExc_IndexError, "feature %lu out of range", i);
		return NULL;
	}
	dim = nthr;
	a = new_array(1, &dim, NPY_FLOAT32, thr, nthr * sizeof(float));
	if (!a)
		return NULL;
	return Py_BuildValue("(isN)", kind, bnn_feature_name(kind), a);
}

static PyObject *Model_save(ModelObject *self, PyObject *args)
{
	PyObject *path;
	bnn_error e;
	int rc;

	if (!model_ok(self) ||
	    !PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_model_save(self->m, PyBytes_AS_STRING(path), &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(path);
	if (rc)
		return raise_bnn(rc, &e);
	Py_RETURN_NONE;
}

static PyMethodDef Model_methods[] = {
	{ "info", (PyCFunction)Model_info, METH_NOARGS, "bnn_model_info_get" },
	{ "layer", (PyCFunction)Model_layer, METH_O, "bnn_model_layer_info" },
	{ "class_name", (PyCFunction)Model_class_name, METH_O,
	  "bnn_model_class_name" },
	{ "lead", (PyCFunction)Model_lead, METH_O, "bnn_model_lead" },
	{ "class_offset", (PyCFunction)Model_class_offset, METH_O,
	  "bnn_model_class_offset" },
	{ "signal", (PyCFunction)Model_signal, METH_NOARGS,
	  "bnn_model_signal_get" },
	{ "feature", (PyCFunction)Model_feature, METH_O,
	  "bnn_model_feature_get: (kind, name, thresholds)" },
	{ "save", (PyCFunction)Model_save, METH_VARARGS, "bnn_model_save" },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject ModelType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "bnn._bnn.Model",
	.tp_basicsize = sizeof(ModelObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A loaded .bnn model (bnn_model_load).",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Model_init,
	.tp_dealloc = (destructor)Model_dealloc,
	.tp_methods = Model_methods,
};

/* ======================================================================
 * Backend
 * ====================================================================== */

typedef struct {
	PyObject_HEAD
	bnn_backend *be;
	PyThread_type_lock lock;
	uint32_t item_floats, nclasses;	/* of the prepared model, 0 = none */
} BackendObject;

static int Backend_init(BackendObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "kind", "device", "error_model", "cell_mode",
				  "verify", "prog_current_ua", "read_ber",
				  "seed", "age_s", "tiles", "cpu_isa",
				  "threads", "wear_cycles", NULL };
	bnn_backend_opts o;
	bnn_backend *be = NULL;
	const char *device = NULL;
	int kind, error_model, verify, cell_mode, tiles, cpu_isa, threads;
	long long seed, wear;
	bnn_error e;
	int rc;

	bnn_backend_opts_init(&o);
	error_model = o.error_model;
	verify = o.verify;
	cell_mode = o.cell_mode;
	tiles = (int)o.tiles;
	cpu_isa = o.cpu_isa;
	threads = (int)o.threads;
	seed = (long long)o.seed;
	wear = (long long)o.wear_cycles;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "i|$zpipddLdiiiL", kwlist,
					 &kind, &device, &error_model,
					 &cell_mode, &verify,
					 &o.prog_current_ua, &o.read_ber,
					 &seed, &o.age_s, &tiles, &cpu_isa,
					 &threads, &wear))
		return -1;
	/* threads -1: BNN_THREADS_AUTO (the Python layer's "auto") */
	if (seed < 0 || tiles < 0 || threads < -1 || wear < 0) {
		PyErr_SetString(PyExc_ValueError,
				"seed, tiles, threads and wear_cycles must be >= 0");
		return -1;
	}
	o.device = device;
	o.error_model = error_model;
	o.verify = verify;
	o.cell_mode = cell_mode;
	o.tiles = (uint32_t)tiles;
	o.cpu_isa = cpu_isa;
	o.threads = threads < 0 ? BNN_THREADS_AUTO : (uint32_t)threads;
	o.seed = (uint64_t)seed;
	o.wear_cycles = (uint64_t)wear;
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_backend_open(kind, &o, &be, &e);
	Py_END_ALLOW_THREADS
	if (rc) {
		raise_bnn(rc, &e);
		return -1;
	}
	if (!self->lock)
		self->lock = PyThread_allocate_lock();
	if (!self->lock) {
		bnn_backend_close(be);
		PyErr_NoMemory();
		return -1;
	}
	bnn_backend_close(self->be);
	self->be = be;
	self->item_floats = self->nclasses = 0;
	return 0;
}

static void Backend_close_locked(BackendObject *self)
{
	bnn_backend *be;

	Py_BEGIN_ALLOW_THREADS
	PyThread_acquire_lock(self->lock, WAIT_LOCK);
	be = self->be;
	self->be = NULL;
	self->item_floats = self->nclasses = 0;
	bnn_backend_close(be);
	PyThread_release_lock(self->lock);
	Py_END_ALLOW_THREADS
}

static void Backend_dealloc(BackendObject *self)
{
	if (self->lock) {
		Backend_close_locked(self);
		PyThread_free_lock(self->lock);
	}
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Backend_close(BackendObject *self, PyObject *unused)
{
	(void)unused;
	if (self->lock)
		Backend_close_locked(self);
	Py_RETURN_NONE;
}

/* Takes the lock with the GIL released; 0 with the lock held and an
 * open context, -1 with ValueError (lock not held). */
static int backend_lock(BackendObject *self)
{
	if (!self->lock) {
		PyErr_SetString(PyExc_ValueError, "backend not open");
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	PyThread_acquire_lock(self->lock, WAIT_LOCK);
	Py_END_ALLOW_THREADS
	if (!self->be) {
		PyThread_release_lock(self->lock);
		PyErr_SetString(PyExc_ValueError, "backend closed");
		return -1;
	}
	return 0;
}

static PyObject *Backend_prepare(BackendObject *self, PyObject *arg)
{
	ModelObject *mo;
	bnn_model_info mi;
	bnn_signal_desc sd;
	bnn_error e;
	int rc;

	if (!PyObject_TypeCheck(arg, &ModelType)) {
		PyErr_SetString(PyExc_TypeError, "prepare: a bnn._bnn.Model is needed");
		return NULL;
	}
	mo = (ModelObject *)arg;
	if (!model_ok(mo))
		return NULL;
	memset(&sd, 0, sizeof(sd));
	sd.size = sizeof(sd);
	if (bnn_model_info_get(mo->m, &mi) || bnn_model_signal_get(mo->m, &sd))
		return raise_bnn(BNN_E_INVAL, NULL);
	if (backend_lock(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_prepare(self->be, mo->m, &e);
	Py_END_ALLOW_THREADS
	if (rc) {
		self->item_floats = self->nclasses = 0;
	} else {
		self->item_floats = sd.item_floats;
		self->nclasses = mi.nclasses;
	}
	PyThread_release_lock(self->lock);
	if (rc)
		return raise_bnn(rc, &e);
	Py_RETURN_NONE;
}

static PyObject *stats_dict(const bnn_stats *st)
{
	return Py_BuildValue("{s:K,s:K,s:K,s:d,s:K}",
			     "items", (unsigned long long)st->items,
			     "host_ns", (unsigned long long)st->host_ns,
			     "device_ns", (unsigned long long)st->device_ns,
			     "device_energy_pj", st->device_energy_pj,
			     "device_cmds", (unsigned long long)st->device_cmds);
}

/* run(items): items float32 (n, item_floats) C-contiguous -> (pred int32
 * (n,), scores float32 (n, nclasses), stats dict). */
static PyObject *Backend_run(BackendObject *self, PyObject *arg)
{
	PyArrayObject *in;
	PyObject *pred = NULL, *scores = NULL;
	npy_intp dims[2];
	bnn_stats st;
	bnn_error e;
	size_t n;
	int rc;

	in = want_array(arg, NPY_FLOAT32, 2, "items");
	if (!in)
		return NULL;
	if (backend_lock(self))
		goto fail;
	if (!self->item_floats) {
		PyThread_release_lock(self->lock);
		raise_bnn(BNN_E_STATE, NULL);
		goto fail;
	}
	if (PyArray_DIM(in, 1) != (npy_intp)self->item_floats) {
		PyThread_release_lock(self->lock);
		PyErr_Format(PyExc_ValueError,
			     "items: %u floats per item needed, not %zd",
			     self->item_floats, (Py_ssize_t)PyArray_DIM(in, 1));
		goto fail;
	}
	n = (size_t)PyArray_DIM(in, 0);
	dims[0] = (npy_intp)n;
	dims[1] = self->nclasses;
	pred = PyArray_SimpleNew(1, dims, NPY_INT32);
	scores = PyArray_SimpleNew(2, dims, NPY_FLOAT32);
	if (!pred || !scores) {
		PyThread_release_lock(self->lock);
		goto fail;
	}
	memset(&st, 0, sizeof(st));
	rc = BNN_OK;
	if (n) {
		const float *x = PyArray_DATA(in);
		float *sc = PyArray_DATA((PyArrayObject *)scores);
		int32_t *pr = PyArray_DATA((PyArrayObject *)pred);

		Py_BEGIN_ALLOW_THREADS
		rc = bnn_run(self->be, x, n, sc, pr, &st, &e);
		Py_END_ALLOW_THREADS
	}
	PyThread_release_lock(self->lock);
	if (rc) {
		raise_bnn(rc, &e);
		goto fail;
	}
	Py_DECREF(in);
	return Py_BuildValue("(NNN)", pred, scores, stats_dict(&st));
fail:
	Py_XDECREF(pred);
	Py_XDECREF(scores);
	Py_DECREF(in);
	return NULL;
}

static PyObject *Backend_info(BackendObject *self, PyObject *unused)
{
	bnn_backend_info bi;
	int rc;

	(void)unused;
	if (backend_lock(self))
		return NULL;
	rc = bnn_backend_info_get(self->be, &bi);
	PyThread_release_lock(self->lock);
	if (rc)
		return raise_bnn(rc, NULL);
	return Py_BuildValue("{s:i,s:s,s:s,s:s,s:I}", "kind", bi.kind,
			     "name", bi.name ? bi.name : "?",
			     "detail", bi.detail ? bi.detail : "",
			     "cpu_isa", bnn_cpu_isa_name(bi.cpu_isa),
			     "cards", bi.cards);
}

static PyObject *Backend_prepare_info(BackendObject *self, PyObject *unused)
{
	bnn_prepare_info pi;
	bnn_error e;
	int rc;

	(void)unused;
	if (backend_lock(self))
		return NULL;
	memset(&pi, 0, sizeof(pi));
	pi.size = sizeof(pi);
	rc = bnn_prepare_info_get(self->be, &pi, &e);
	PyThread_release_lock(self->lock);
	if (rc)
		return raise_bnn(rc, &e);
	return Py_BuildValue(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:d,s:s,s:K,s:K}",
		"cards", pi.cards, "card_stages", pi.card_stages,
		"card_layers", pi.card_layers, "host_layers", pi.host_layers,
		"host_binary_layers", pi.host_binary_layers,
		"tiles_used", pi.tiles_used, "tiles_total", pi.tiles_total,
		"card_bits", (unsigned long long)pi.card_bits,
		"host_bits", (unsigned long long)pi.host_bits,
		"prog_rows", (unsigned long long)pi.prog_rows,
		"prog_cmds", (unsigned long long)pi.prog_cmds,
		"prog_pulses", (unsigned long long)pi.prog_pulses,
		"prog_unverified", (unsigned long long)pi.prog_unverified,
		"prog_time_ns", (unsigned long long)pi.prog_time_ns,
		"prog_energy_pj", pi.prog_energy_pj, "note", pi.note,
		"scrubs", (unsigned long long)pi.scrubs,
		"scrub_rows_rewritten",
		(unsigned long long)pi.scrub_rows_rewritten);
}

static PyObject *Backend_stats(BackendObject *self, PyObject *unused)
{
	bnn_stats st;
	int rc;

	(void)unused;
	if (backend_lock(self))
		return NULL;
	rc = bnn_backend_stats(self->be, &st);
	PyThread_release_lock(self->lock);
	if (rc)
		return raise_bnn(rc, NULL);
	return stats_dict(&st);
}

static PyMethodDef Backend_methods[] = {
	{ "prepare", (PyCFunction)Backend_prepare, METH_O, "bnn_prepare" },
	{ "run", (PyCFunction)Backend_run, METH_O,
	  "bnn_run: items float32 (n, item_floats) -> (pred, scores, stats)" },
	{ "info", (PyCFunction)Backend_info, METH_NOARGS,
	  "bnn_backend_info_get" },
	{ "prepare_info", (PyCFunction)Backend_prepare_info, METH_NOARGS,
	  "bnn_prepare_info_get" },
	{ "stats", (PyCFunction)Backend_stats, METH_NOARGS,
	  "bnn_backend_stats" },
	{ "close", (PyCFunction)Backend_close, METH_NOARGS,
	  "bnn_backend_close" },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject BackendType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "bnn._bnn.Backend",
	.tp_basicsize = sizeof(BackendObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A backend context (bnn_backend_open).",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Backend_init,
	.tp_dealloc = (destructor)Backend_dealloc,
	.tp_methods = Backend_methods,
};

/* ======================================================================
 * WFDB records and annotations
 * ====================================================================== */

typedef struct {
	PyObject_HEAD
	bnn_wfdb_record rec;
	int loaded;
} RecordObject;

static void Record_dealloc(RecordObject *self)
{
	bnn_wfdb_record_free(&self->rec);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *warnings_list(const bnn_wfdb_warnings *w)
{
	PyObject *l = PyList_New(0);

	for (int i = 0; l && i < w->n; i++) {
		PyObject *s = PyUnicode_DecodeUTF8(w->msg[i], strlen(w->msg[i]),
						   "replace");

		if (!s || PyList_Append(l, s) < 0) {
			Py_XDECREF(s);
			Py_DECREF(l);
			return NULL;
		}
		Py_DECREF(s);
	}
	return l;
}

static PyObject *Record_header(RecordObject *self, PyObject *unused)
{
	const bnn_wfdb_header *h = &self->rec.hdr;
	PyObject *sigs, *d;

	(void)unused;
	sigs = PyList_New(h->nsig);
	if (!sigs)
		return NULL;
	for (int s = 0; s < h->nsig; s++) {
		const bnn_wfdb_signal *g = &h->sig[s];
		PyObject *sd = Py_BuildValue(
			"{s:s,s:s,s:s,s:i,s:i,s:d,s:i,s:i,s:i,s:i,s:i}",
			"desc", g->desc, "units", g->units, "file", g->file,
			"format", g->format, "spf", g->spf, "gain", g->gain,
			"baseline", g->baseline, "adc_zero", g->adc_zero,
			"adc_res", g->adc_res, "invalid", g->invalid,
			"uncalibrated", g->uncalibrated);

		if (!sd) {
			Py_DECREF(sigs);
			return NULL;
		}
		PyList_SET_ITEM(sigs, s, sd);
	}
	d = Py_BuildValue("{s:s,s:d,s:L,s:N,s:N}", "name", h->name,
			  "fs", h->fs, "nsamples", (long long)self->rec.nsamples,
			  "signals", sigs,
			  "warnings", warnings_list(&self->rec.warn));
	return d;
}

static int record_sig(RecordObject *self, PyObject *arg, int *sig)
{
	long s = PyLong_AsLong(arg);

	if (s == -1 && PyErr_Occurred())
		return -1;
	if (s < 0 || s >= self->rec.hdr.nsig) {
		PyErr_Format(PyExc_IndexError, "record %s has %d signals, no signal %ld",
			     self->rec.hdr.name, self->rec.hdr.nsig, s);
		return -1;
	}
	*sig = (int)s;
	return 0;
}

static PyObject *Record_adc(RecordObject *self, PyObject *arg)
{
	npy_intp n;
	int sig;

	if (record_sig(self, arg, &sig))
		return NULL;
	n = (npy_intp)bnn_wfdb_signal_len(&self->rec, sig);
	return new_array(1, &n, NPY_INT32, bnn_wfdb_samples(&self->rec, sig),
			 (size_t)n * sizeof(int32_t));
}

/* Physical values (bnn_wfdb_to_phys), NaN for the signal's invalid value. */
static PyObject *Record_physical(RecordObject *self, PyObject *arg)
{
	const bnn_wfdb_signal *g;
	const int32_t *v;
	PyObject *a;
	npy_intp n;
	double *y;
	int sig;

	if (record_sig(self, arg, &sig))
		return NULL;
	g = &self->rec.hdr.sig[sig];
	n = (npy_intp)bnn_wfdb_signal_len(&self->rec, sig);
	v = bnn_wfdb_samples(&self->rec, sig);
	a = PyArray_SimpleNew(1, &n, NPY_FLOAT64);
	if (!a)
		return NULL;
	y = PyArray_DATA((PyArrayObject *)a);
	for (npy_intp i = 0; i < n; i++)
		y[i] = bnn_wfdb_is_invalid(g, v[i]) ? NAN :
		       bnn_wfdb_to_phys(g, v[i]);
	return a;
}

/* find_leads([names]) -> [signal indices] (bnn_wfdb_find_leads); with one
 * name, also whether the generic-ECG fallback chose it. */
static PyObject *Record_find_leads(RecordObject *self, PyObject *arg)
{
	PyObject *seq, *out = NULL;
	const char **names = NULL;
	int *sig = NULL, fallback = 0, rc;
	Py_ssize_t n;
	bnn_error e;

	seq = PySequence_Fast(arg, "find_leads: a list of lead names is needed");
	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	names = calloc(n ? (size_t)n : 1, sizeof(*names));
	sig = calloc(n ? (size_t)n : 1, sizeof(*sig));
	if (!names || !sig) {
		PyErr_NoMemory();
		goto out;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		names[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
		if (!names[i])
			goto out;
	}
	rc = bnn_wfdb_find_leads(&self->rec.hdr, names, (size_t)n, sig,
				 &fallback, &e);
	if (rc) {
		raise_bnn(rc, &e);
		goto out;
	}
	out = PyList_New(n);
	for (Py_ssize_t i = 0; out && i < n; i++)
		PyList_SET_ITEM(out, i, PyLong_FromLong(sig[i]));
	if (out)
		out = Py_BuildValue("(NO)", out, fallback ? Py_True : Py_False);
out:
	free(names);
	free(sig);
	Py_DECREF(seq);
	return out;
}

static PyMethodDef Record_methods[] = {
	{ "header", (PyCFunction)Record_header, METH_NOARGS,
	  "the header: name, fs, nsamples, signals, warnings" },
	{ "adc", (PyCFunction)Record_adc, METH_O, "signal s in ADC units (int32)" },
	{ "physical", (PyCFunction)Record_physical, METH_O,
	  "signal s in physical units (float64, NaN in gaps)" },
	{ "find_leads", (PyCFunction)Record_find_leads, METH_O,
	  "bnn_wfdb_find_leads: ([signals], fallback)" },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject RecordType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "bnn._bnn.Record",
	.tp_basicsize = sizeof(RecordObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A WFDB record (bnn_wfdb_read_record).",
	.tp_dealloc = (destructor)Record_dealloc,
	.tp_methods = Record_methods,
};

static PyObject *read_record(PyObject *mod, PyObject *args)
{
	PyObject *dir, *name;
	unsigned int flags = 0;
	RecordObject *r;
	bnn_error e;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "O&O&|I", PyUnicode_FSConverter, &dir,
			      PyUnicode_FSConverter, &name, &flags))
		return NULL;
	r = PyObject_New(RecordObject, &RecordType);
	if (!r) {
		Py_DECREF(dir);
		Py_DECREF(name);
		return NULL;
	}
	memset(&r->rec, 0, sizeof(r->rec));
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_wfdb_read_record(PyBytes_AS_STRING(dir), PyBytes_AS_STRING(name),
				  flags, &r->rec, &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(dir);
	Py_DECREF(name);
	if (rc) {
		Py_DECREF(r);
		return raise_bnn(rc, &e);
	}
	return (PyObject *)r;
}

typedef struct {
	PyObject_HEAD
	bnn_wfdb_annlist a;
} AnnObject;

static void Ann_dealloc(AnnObject *self)
{
	bnn_wfdb_annlist_free(&self->a);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Ann_arrays(AnnObject *self, PyObject *unused)
{
	npy_intp n = (npy_intp)self->a.n;
	PyObject *t, *c, *sub, *ch, *num, *aux;

	(void)unused;
	t = PyArray_SimpleNew(1, &n, NPY_INT64);
	c = PyArray_SimpleNew(1, &n, NPY_INT32);
	sub = PyArray_SimpleNew(1, &n, NPY_INT32);
	ch = PyArray_SimpleNew(1, &n, NPY_INT32);
	num = PyArray_SimpleNew(1, &n, NPY_INT32);
	aux = PyList_New(n);
	if (!t || !c || !sub || !ch || !num || !aux)
		goto fail;
	for (npy_intp i = 0; i < n; i++) {
		const bnn_wfdb_ann *a = &self->a.ann[i];
		PyObject *s;

		((int64_t *)PyArray_DATA((PyArrayObject *)t))[i] = a->sample;
		((int32_t *)PyArray_DATA((PyArrayObject *)c))[i] = a->code;
		((int32_t *)PyArray_DATA((PyArrayObject *)sub))[i] = a->subtype;
		((int32_t *)PyArray_DATA((PyArrayObject *)ch))[i] = a->chan;
		((int32_t *)PyArray_DATA((PyArrayObject *)num))[i] = a->num;
		if (a->aux) {
			s = PyUnicode_DecodeUTF8(a->aux, (Py_ssize_t)a->aux_len,
						 "replace");
			if (!s)
				goto fail;
		} else {
			s = Py_None;
			Py_INCREF(s);
		}
		PyList_SET_ITEM(aux, i, s);
	}
	return Py_BuildValue("{s:N,s:N,s:N,s:N,s:N,s:N,s:N}", "sample", t,
			     "code", c, "subtype", sub, "chan", ch, "num", num,
			     "aux", aux, "warnings", warnings_list(&self->a.warn));
fail:
	Py_XDECREF(t);
	Py_XDECREF(c);
	Py_XDECREF(sub);
	Py_XDECREF(ch);
	Py_XDECREF(num);
	Py_XDECREF(aux);
	return NULL;
}

static PyMethodDef Ann_methods[] = {
	{ "arrays", (PyCFunction)Ann_arrays, METH_NOARGS,
	  "sample, code, subtype, chan, num, aux, warnings" },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject AnnType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "bnn._bnn.Annotations",
	.tp_basicsize = sizeof(AnnObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "WFDB annotations (bnn_wfdb_read_annotations).",
	.tp_dealloc = (destructor)Ann_dealloc,
	.tp_methods = Ann_methods,
};

static PyObject *read_annotations(PyObject *mod, PyObject *args)
{
	PyObject *dir, *name;
	const char *annotator;
	AnnObject *a;
	bnn_error e;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "O&O&s", PyUnicode_FSConverter, &dir,
			      PyUnicode_FSConverter, &name, &annotator))
		return NULL;
	a = PyObject_New(AnnObject, &AnnType);
	if (!a) {
		Py_DECREF(dir);
		Py_DECREF(name);
		return NULL;
	}
	memset(&a->a, 0, sizeof(a->a));
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_wfdb_read_annotations(PyBytes_AS_STRING(dir),
				       PyBytes_AS_STRING(name), annotator,
				       &a->a, &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(dir);
	Py_DECREF(name);
	if (rc) {
		Py_DECREF(a);
		return raise_bnn(rc, &e);
	}
	return (PyObject *)a;
}

/* ======================================================================
 * Beats
 * ====================================================================== */

/* bnn_beats -> dict of arrays (copies); frees b. */
static PyObject *beats_dict(bnn_beats *b)
{
	npy_intp d3[3] = { (npy_intp)b->n, (npy_intp)b->len,
			   (npy_intp)(b->channels ? b->channels : 1) };
	npy_intp d1 = (npy_intp)b->n, d2[2] = { (npy_intp)b->n, BNN_FEAT_COUNT };
	PyObject *x, *cls, *code, *t, *rh, *cnt, *drop, *r = NULL;

	x = new_array(3, d3, NPY_FLOAT32, b->x,
		      (size_t)d3[0] * d3[1] * d3[2] * sizeof(float));
	cls = new_array(1, &d1, NPY_UINT8, b->cls, b->n);
	code = new_array(1, &d1, NPY_UINT8, b->code, b->n);
	t = new_array(1, &d1, NPY_INT64, b->sample, b->n * sizeof(int64_t));
	rh = new_array(2, d2, NPY_FLOAT32, b->rhythm,
		       b->n * BNN_FEAT_COUNT * sizeof(float));
	cnt = PyList_New(BNN_AAMI_NCLASS);
	drop = PyList_New(BNN_AAMI_NCLASS);
	if (x && cls && code && t && rh && cnt && drop) {
		for (int c = 0; c < BNN_AAMI_NCLASS; c++) {
			PyList_SET_ITEM(cnt, c, PyLong_FromSize_t(b->count[c]));
			PyList_SET_ITEM(drop, c, PyLong_FromSize_t(b->dropped[c]));
		}
		r = Py_BuildValue("{s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:d}", "x", x,
				  "cls", cls, "code", code, "sample", t,
				  "rhythm", rh, "count", cnt, "dropped", drop,
				  "fs", b->fs);
		x = cls = code = t = rh = cnt = drop = NULL;
	}
	Py_XDECREF(x);
	Py_XDECREF(cls);
	Py_XDECREF(code);
	Py_XDECREF(t);
	Py_XDECREF(rh);
	Py_XDECREF(cnt);
	Py_XDECREF(drop);
	bnn_beats_free(b);
	return r;
}

/* Window and preprocessing keywords shared by extract and detect. */
#define BEAT_KW "fs", "pre", "post", "norm", "resample", "baseline", \
		"lowpass_hz", "amp_norm", "ref_beats"

static int norm_resample_ok(int norm, int resample)
{
	if (norm < BNN_NORM_NONE || norm > BNN_NORM_MV ||
	    resample < BNN_RESAMPLE_SINC || resample > BNN_RESAMPLE_LINEAR) {
		PyErr_SetString(PyExc_ValueError, "unknown norm or resample method");
		return 0;
	}
	return 1;
}

/* extract_beats(record, annotations, signals, *, fs, pre, post, norm,
 * resample, baseline, lowpass_hz, amp_norm, ref_beats) */
static PyObject *extract_beats(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "record", "annotations", "signals", BEAT_KW,
				  NULL };
	RecordObject *rec;
	AnnObject *ann;
	PyObject *sigs, *seq;
	bnn_beat_opts o;
	int norm, resample, *sig = NULL, rc;
	Py_ssize_t n;
	bnn_beats b;
	bnn_error e;

	(void)mod;
	bnn_beat_opts_default(&o);
	norm = o.norm;
	resample = o.resample;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!O|$diiiiidii", kwlist,
					 &RecordType, &rec, &AnnType, &ann,
					 &sigs, &o.fs, &o.pre, &o.post, &norm,
					 &resample, &o.baseline, &o.lowpass_hz,
					 &o.amp_norm, &o.ref_beats))
		return NULL;
	if (!norm_resample_ok(norm, resample))
		return NULL;
	o.norm = (bnn_norm)norm;
	o.resample = (bnn_resample_method)resample;
	seq = PySequence_Fast(sigs, "signals: a list of signal indices is needed");
	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	sig = calloc(n ? (size_t)n : 1, sizeof(int));
	if (!sig) {
		Py_DECREF(seq);
		return PyErr_NoMemory();
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));

		if (v == -1 && PyErr_Occurred()) {
			free(sig);
			Py_DECREF(seq);
			return NULL;
		}
		sig[i] = v < INT32_MIN || v > INT32_MAX ? -1 : (int)v;
	}
	Py_DECREF(seq);
	o.lead = NULL;
	o.signals = sig;
	o.nleads = (size_t)n;
	memset(&b, 0, sizeof(b));
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_beats_extract(&rec->rec, &ann->a, &o, &b, &e);
	Py_END_ALLOW_THREADS
	free(sig);
	if (rc)
		return raise_bnn(rc, &e);
	return beats_dict(&b);
}

/* detect_beats(x float32 1-D, fs_in, *, fs, pre, ...) (bnn_beats_detect) */
static PyObject *detect_beats(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "x", "fs_in", BEAT_KW, NULL };
	bnn_beat_stream_opts so;
	PyArrayObject *x;
	PyObject *xo;
	double fs_in;
	int norm, resample, rc;
	bnn_beats b;
	bnn_error e;

	(void)mod;
	bnn_beat_stream_opts_default(&so, 0);
	norm = so.beat.norm;
	resample = so.beat.resample;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "Od|$diiiiidii", kwlist, &xo,
					 &fs_in, &so.beat.fs, &so.beat.pre,
					 &so.beat.post, &norm, &resample,
					 &so.beat.baseline, &so.beat.lowpass_hz,
					 &so.beat.amp_norm, &so.beat.ref_beats))
		return NULL;
	if (!norm_resample_ok(norm, resample))
		return NULL;
	so.fs_in = fs_in;
	so.beat.norm = (bnn_norm)norm;
	so.beat.resample = (bnn_resample_method)resample;
	x = want_array(xo, NPY_FLOAT32, 1, "x");
	if (!x)
		return NULL;
	memset(&b, 0, sizeof(b));
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_beats_detect(PyArray_DATA(x), (size_t)PyArray_DIM(x, 0), &so,
			      &b, &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(x);
	if (rc)
		return raise_bnn(rc, &e);
	return beats_dict(&b);
}

static PyObject *qrs_detect(PyObject *mod, PyObject *args)
{
	PyArrayObject *x;
	PyObject *xo, *out;
	int64_t *beats = NULL;
	size_t nb = 0;
	npy_intp d;
	double fs;
	bnn_error e;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "Od", &xo, &fs))
		return NULL;
	x = want_array(xo, NPY_FLOAT32, 1, "x");
	if (!x)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = bnn_qrs_detect(PyArray_DATA(x), (size_t)PyArray_DIM(x, 0), fs, NULL,
			    &beats, &nb, &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(x);
	if (rc)
		return raise_bnn(rc, &e);
	d = (npy_intp)nb;
	out = new_array(1, &d, NPY_INT64, beats, nb * sizeof(int64_t));
	free(beats);
	return out;
}

static PyObject *beat_match(PyObject *mod, PyObject *args)
{
	PyObject *ro, *dobj, *out;
	PyArrayObject *ref, *det;
	bnn_match_result mr;
	double fs, win;
	bnn_error e;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "OOdd", &ro, &dobj, &fs, &win))
		return NULL;
	ref = want_array(ro, NPY_INT64, 1, "ref");
	if (!ref)
		return NULL;
	det = want_array(dobj, NPY_INT64, 1, "det");
	if (!det) {
		Py_DECREF(ref);
		return NULL;
	}
	memset(&mr, 0, sizeof(mr));
	rc = bnn_beat_match(PyArray_DATA(ref), (size_t)PyArray_DIM(ref, 0),
			    PyArray_DATA(det), (size_t)PyArray_DIM(det, 0), fs,
			    win, &mr, &e);
	Py_DECREF(ref);
	Py_DECREF(det);
	if (rc)
		return raise_bnn(rc, &e);
	out = Py_BuildValue("{s:n,s:n,s:n,s:d,s:d,s:d}", "tp", (Py_ssize_t)mr.tp,
			    "fp", (Py_ssize_t)mr.fp, "fn", (Py_ssize_t)mr.fn,
			    "se", mr.se, "ppv", mr.ppv,
			    "mean_abs_err_s", mr.mean_abs_err_s);
	bnn_match_result_free(&mr);
	return out;
}

/* ======================================================================
 * EDF (EDFlib is not thread-safe: the GIL stays held)
 * ====================================================================== */

typedef struct {
	PyObject_HEAD
	bnn_edf_file f;
} EdfObject;

static void Edf_dealloc(EdfObject *self)
{
	bnn_edf_close(&self->f);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Edf_init(EdfObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "path", NULL };
	PyObject *path;
	bnn_error e;
	int rc;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&", kwlist,
					 PyUnicode_FSConverter, &path))
		return -1;
	bnn_edf_close(&self->f);
	rc = bnn_edf_open(PyBytes_AS_STRING(path), &self->f, &e);
	Py_DECREF(path);
	if (rc) {
		raise_bnn(rc, &e);
		return -1;
	}
	return 0;
}

static int edf_open_ok(EdfObject *self)
{
	if (!self->f.is_open) {
		PyErr_SetString(PyExc_ValueError, "EDF file closed");
		return 0;
	}
	return 1;
}

static PyObject *Edf_info(EdfObject *self, PyObject *unused)
{
	PyObject *sigs, *anns;

	(void)unused;
	if (!edf_open_ok(self))
		return NULL;
	sigs = PyList_New(self->f.nsig);
	anns = PyList_New((Py_ssize_t)self->f.nann);
	if (!sigs || !anns)
		goto fail;
	for (int i = 0; i < self->f.nsig; i++) {
		const bnn_edf_signal *s = &self->f.sig[i];
		PyObject *d = Py_BuildValue("{s:s,s:s,s:d,s:L,s:i,s:d,s:d,s:i,s:i}",
					    "label", s->label, "units", s->units,
					    "fs", s->fs,
					    "nsamples", (long long)s->nsamples,
					    "samples_per_record",
					    s->samples_per_record,
					    "phys_min", s->phys_min,
					    "phys_max", s->phys_max,
					    "dig_min", (int)s->dig_min,
					    "dig_max", (int)s->dig_max);

		if (!d)
			goto fail;
		PyList_SET_ITEM(sigs, i, d);
	}
	for (size_t i = 0; i < self->f.nann; i++) {
		const bnn_edf_annotation *a = &self->f.ann[i];
		PyObject *t = Py_BuildValue("(ddN)", a->onset, a->duration,
					    PyUnicode_DecodeUTF8(a->text,
								 strlen(a->text),
								 "replace"));

		if (!t)
			goto fail;
		PyList_SET_ITEM(anns, (Py_ssize_t)i, t);
	}
	return Py_BuildValue("{s:i,s:d,s:L,s:d,s:N,s:N}", "type", self->f.type,
			     "record_s", self->f.record_s,
			     "nrecords", (long long)self->f.nrecords,
			     "duration_s", self->f.duration_s, "signals", sigs,
			     "annotations", anns);
fail:
	Py_XDECREF(sigs);
	Py_XDECREF(anns);
	return NULL;
}

static PyObject *Edf_read_signal(EdfObject *self, PyObject *args)
{
	int sig, units, rc;
	float *x = NULL;
	size_t n = 0;
	npy_intp d;
	bnn_error e;
	PyObject *a;

	if (!edf_open_ok(self) || !PyArg_ParseTuple(args, "ii", &sig, &units))
		return NULL;
	rc = bnn_edf_read_signal(&self->f, sig, units, &x, &n, &e);
	if (rc)
		return raise_bnn(rc, &e);
	d = (npy_intp)n;
	a = new_array(1, &d, NPY_FLOAT32, x, n * sizeof(float));
	free(x);
	return a;
}

static PyObject *Edf_find_lead(EdfObject *self, PyObject *args)
{
	const char *want;
	int fallback = 0, i;

	if (!edf_open_ok(self) || !PyArg_ParseTuple(args, "s", &want))
		return NULL;
	i = bnn_edf_find_lead(&self->f, want, &fallback);
	if (i < 0) {
		bnn_error e;

		snprintf(e.msg, sizeof(e.msg), "no signal records lead '%s'", want);
		return raise_bnn(i, &e);
	}
	return Py_BuildValue("(iO)", i, fallback ? Py_True : Py_False);
}

static PyObject *Edf_find_signal(EdfObject *self, PyObject *args)
{
	const char *label;
	int i;

	if (!edf_open_ok(self) || !PyArg_ParseTuple(args, "s", &label))
		return NULL;
	i = bnn_edf_find_signal(&self->f, label);
	if (i < 0) {
		bnn_error e;

		snprintf(e.msg, sizeof(e.msg), "no signal labelled '%s'", label);
		return raise_bnn(i, &e);
	}
	return PyLong_FromLong(i);
}

static PyObject *Edf_close(EdfObject *self, PyObject *unused)
{
	(void)unused;
	bnn_edf_close(&self->f);
	Py_RETURN_NONE;
}

static PyMethodDef Edf_methods[] = {
	{ "info", (PyCFunction)Edf_info, METH_NOARGS,
	  "type, record_s, nrecords, duration_s, signals, annotations" },
	{ "read_signal", (PyCFunction)Edf_read_signal, METH_VARARGS,
	  "bnn_edf_read_signal(sig, units) -> float32" },
	{ "find_lead", (PyCFunction)Edf_find_lead, METH_VARARGS,
	  "bnn_edf_find_lead -> (index, fallback)" },
	{ "find_signal", (PyCFunction)Edf_find_signal, METH_VARARGS,
	  "bnn_edf_find_signal -> index" },
	{ "close", (PyCFunction)Edf_close, METH_NOARGS, "bnn_edf_close" },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject EdfType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "bnn._bnn.EdfFile",
	.tp_basicsize = sizeof(EdfObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "An EDF / EDF+ / BDF file (bnn_edf_open).",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Edf_init,
	.tp_dealloc = (destructor)Edf_dealloc,
	.tp_methods = Edf_methods,
};

/* ======================================================================
 * Names and the module
 * ====================================================================== */

static PyObject *version(PyObject *mod, PyObject *unused)
{
	(void)mod;
	(void)unused;
	return PyUnicode_FromString(bnn_version());
}

static PyObject *backend_kind(PyObject *mod, PyObject *arg)
{
	const char *s = PyUnicode_AsUTF8(arg);
	int k;

	(void)mod;
	if (!s)
		return NULL;
	k = bnn_backend_kind_from_name(s);
	if (k < 0) {
		PyErr_Format(PyExc_ValueError,
			     "unknown backend '%s' (auto, cpu, emu, rbnn)", s);
		return NULL;
	}
	return PyLong_FromLong(k);
}

#define NAME_FN(pyname, cfn)						\
	static PyObject *pyname(PyObject *mod, PyObject *arg)		\
	{								\
		long v = PyLong_AsLong(arg);				\
		const char *s;						\
		(void)mod;						\
		if (v == -1 && PyErr_Occurred())			\
			return NULL;					\
		s = v < INT32_MIN || v > INT32_MAX ? NULL : cfn((int)v);	\
		if (!s)							\
			Py_RETURN_NONE;					\
		return PyUnicode_FromString(s);				\
	}
NAME_FN(strerror_, bnn_strerror)
NAME_FN(feature_name, bnn_feature_name)
NAME_FN(aami_name, bnn_aami_name)
NAME_FN(ann_symbol, bnn_wfdb_ann_symbol)
NAME_FN(cpu_isa_name, bnn_cpu_isa_name)

static PyObject *ann_code(PyObject *mod, PyObject *arg)
{
	const char *s = PyUnicode_AsUTF8(arg);
	int c;

	(void)mod;
	if (!s)
		return NULL;
	c = bnn_wfdb_ann_code(s);
	if (c < 0) {
		PyErr_Format(PyExc_ValueError, "unknown annotation mnemonic '%s'", s);
		return NULL;
	}
	return PyLong_FromLong(c);
}

static PyMethodDef module_methods[] = {
	{ "version", version, METH_NOARGS, "bnn_version" },
	{ "backend_kind", backend_kind, METH_O, "bnn_backend_kind_from_name" },
	{ "strerror", strerror_, METH_O, "bnn_strerror" },
	{ "feature_name", feature_name, METH_O, "bnn_feature_name" },
	{ "aami_name", aami_name, METH_O, "bnn_aami_name" },
	{ "ann_symbol", ann_symbol, METH_O, "bnn_wfdb_ann_symbol" },
	{ "ann_code", ann_code, METH_O, "bnn_wfdb_ann_code" },
	{ "cpu_isa_name", cpu_isa_name, METH_O, "bnn_cpu_isa_name" },
	{ "read_record", read_record, METH_VARARGS, "bnn_wfdb_read_record" },
	{ "read_annotations", read_annotations, METH_VARARGS,
	  "bnn_wfdb_read_annotations" },
	{ "extract_beats", (PyCFunction)(void (*)(void))extract_beats,
	  METH_VARARGS | METH_KEYWORDS, "bnn_beats_extract" },
	{ "detect_beats", (PyCFunction)(void (*)(void))detect_beats,
	  METH_VARARGS | METH_KEYWORDS, "bnn_beats_detect" },
	{ "qrs_detect", qrs_detect, METH_VARARGS, "bnn_qrs_detect" },
	{ "beat_match", beat_match, METH_VARARGS, "bnn_beat_match" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef moduledef = {
	PyModuleDef_HEAD_INIT,
	.m_name = "bnn._bnn",
	.m_doc = "libbnn's public API for NumPy (use the package bnn).",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__bnn(void);

PyMODINIT_FUNC PyInit__bnn(void)
{
	PyTypeObject *types[] = { &ModelType, &BackendType, &RecordType,
				  &AnnType, &EdfType };
	PyObject *m;

	import_array();
	m = PyModule_Create(&moduledef);
	if (!m)
		return NULL;
	BnnError = PyErr_NewExceptionWithDoc(
		"bnn.Error",
		"A libbnn error: str() is libbnn's message, .code the BNN_E_* status, .status its name.",
		NULL, NULL);
	if (!BnnError || PyModule_AddObject(m, "Error", BnnError) < 0)
		goto fail;
	Py_INCREF(BnnError);
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
		const char *dot = strrchr(types[i]->tp_name, '.');

		if (PyType_Ready(types[i]) < 0)
			goto fail;
		Py_INCREF(types[i]);
		if (PyModule_AddObject(m, dot + 1, (PyObject *)types[i]) < 0)
			goto fail;
	}
#define C(name) PyModule_AddIntConstant(m, #name, name)
	if (C(BNN_BACKEND_AUTO) || C(BNN_BACKEND_CPU) || C(BNN_BACKEND_EMU) ||
	    C(BNN_BACKEND_RBNN) || C(BNN_NORM_NONE) || C(BNN_NORM_ZSCORE) ||
	    C(BNN_NORM_MV) || C(BNN_RESAMPLE_SINC) || C(BNN_RESAMPLE_LINEAR) ||
	    C(BNN_EDF_PHYSICAL) || C(BNN_EDF_DIGITAL) || C(BNN_EDF_MV) ||
	    C(BNN_EDF_UV) || C(BNN_WFDB_NO_VERIFY) || C(BNN_WFDB_STRICT) ||
	    C(BNN_INPUT_NORM_NONE) || C(BNN_INPUT_NORM_ZSCORE) ||
	    C(BNN_INPUT_NORM_AFFINE) || C(BNN_FEAT_COUNT) ||
	    C(BNN_AAMI_NCLASS) || C(BNN_CELL_2T2R) || C(BNN_CELL_1T1R) ||
	    C(BNN_ISA_AUTO) || C(BNN_ISA_PORTABLE) || C(BNN_ISA_AVX2) ||
	    C(BNN_ISA_AVX512))
		goto fail;
#undef C
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
