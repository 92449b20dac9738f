// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * edf.c - libbnn data: EDF, EDF+ and BDF(+) files through Debian's EDFlib
 * (libedf-dev).  EDFlib parses and checks the files; this file turns its
 * results into libbnn's conventions (bnn_error codes and messages, plain
 * structs, float samples in the units a model wants) and explains the
 * failures EDFlib reports only as a number.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <edflib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define EDF_TICKS_PER_S 1e7	/* EDFlib times are in 100 ns units */
#define EDF_CHUNK 65536		/* samples per EDFlib read call */

/* Copy s without the spaces around it into dst (cap bytes). */
static void copy_trimmed(char *dst, size_t cap, const char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* An ASCII header field of `len` bytes as an integer (spaces around). */
static int field_i64(const unsigned char *p, size_t len, int64_t *v)
{
	size_t a = 0, b = len;

	while (a < b && p[a] == ' ')
		a++;
	while (b > a && p[b - 1] == ' ')
		b--;
	return a == b ? BNN_E_PARSE : bnn_parse_i64((const char *)p + a, b - a,
						    v);
}

/*
 * EDFlib says only "format errors": tell a truncated file (shorter than
 * its header's record count needs) from a bad header.  Reads the fixed
 * header fields EDFlib has already checked, for the message only.
 */
static int explain_format_error(const char *path, FILE *fp, int bdf,
				long long size, int code, bnn_error *err)
{
	unsigned char h[256], spr[8];
	int64_t hbytes, nrec, ns, total = 0;

	if (fseek(fp, 0, SEEK_SET) || fread(h, 1, 256, fp) != 256)
		return bnn__err(err, BNN_E_TRUNCATED,
				"%s: truncated EDF header (%lld bytes)", path,
				size);
	if (field_i64(h + 184, 8, &hbytes) || field_i64(h + 236, 8, &nrec) ||
	    field_i64(h + 252, 4, &ns) || ns < 1 || ns > EDFLIB_MAXSIGNALS ||
	    hbytes != 256 * (ns + 1))
		goto corrupt;
	if (size < hbytes)
		return bnn__err(err, BNN_E_TRUNCATED,
				"%s: truncated EDF header (%lld of %lld bytes)",
				path, size, (long long)hbytes);
	for (int64_t i = 0; i < ns; i++) {
		int64_t k;

		if (fseek(fp, (long)(256 + ns * 216 + i * 8), SEEK_SET) ||
		    fread(spr, 1, 8, fp) != 8 || field_i64(spr, 8, &k) ||
		    k < 1 || k > (1 << 24))
			goto corrupt;
		total += k;
	}
	if (nrec > 0 && nrec < ((int64_t)1 << 40) &&
	    size < hbytes + nrec * total * (bdf ? 3 : 2))
		return bnn__err(err, BNN_E_TRUNCATED,
				"%s: truncated: the header announces %lld data records (%lld bytes), the file has %lld bytes",
				path, (long long)nrec,
				(long long)(hbytes + nrec * total * (bdf ? 3 : 2)),
				size);
corrupt:
	if (code == EDFLIB_FILE_READ_ERROR)
		return bnn__err(err, BNN_E_IO, "%s: EDFlib: read error", path);
	return bnn__err(err, BNN_E_CORRUPT,
			"%s: EDFlib finds format errors in this %s file (a header field out of range or the wrong size for its records)",
			path, bdf ? "BDF" : "EDF");
}

/* Before EDFlib: is it an EDF or BDF file at all? Then EDFlib's error. */
static int open_error(const char *path, int code, bnn_error *err)
{
	unsigned char m[8];
	FILE *fp;
	struct stat st;
	int bdf, rc;

	switch (code) {
	case EDFLIB_MALLOC_ERROR:
		return bnn__err(err, BNN_E_NOMEM, "%s: out of memory in EDFlib",
				path);
	case EDFLIB_MAXFILES_REACHED:
		return bnn__err(err, BNN_E_BUSY,
				"%s: EDFlib has too many files open", path);
	case EDFLIB_FILE_ALREADY_OPENED:
		return bnn__err(err, BNN_E_BUSY, "%s: already open in EDFlib",
				path);
	case EDFLIB_FILE_IS_DISCONTINUOUS:
		return bnn__err(err, BNN_E_UNSUPPORTED,
				"%s: EDF+D/BDF+D (discontinuous: gaps between data records) is not supported; only continuous EDF, EDF+C, BDF and BDF+C are (convert it, e.g. with EDFbrowser, to EDF+C)",
				path);
	case EDFLIB_NUMBER_OF_SIGNALS_INVALID:
		return bnn__err(err, BNN_E_RANGE,
				"%s: more signals than EDFlib's %d", path,
				EDFLIB_MAXSIGNALS);
	case EDFLIB_ARCH_ERROR:
		return bnn__err(err, BNN_E_UNSUPPORTED,
				"%s: EDFlib does not run on this architecture",
				path);
	default:
		break;
	}
	fp = fopen(path, "rb");
	if (!fp)
		return bnn__err(err, BNN_E_IO, "%s: cannot open: %s", path,
				strerror(errno));
	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return bnn__err(err, BNN_E_IO, "%s: not a regular file", path);
	}
	if (fread(m, 1, 8, fp) != 8 ||
	    (memcmp(m, "0       ", 8) && memcmp(m, "\xff" "BIOSEMI", 8))) {
		fclose(fp);
		return bnn__err(err, BNN_E_PARSE,
				"%s: not an EDF or BDF file (it does not start with EDF's version \"0\" or BDF's 0xFF \"BIOSEMI\")",
				path);
	}
	bdf = m[0] == 0xff;
	if (code == EDFLIB_FILE_CONTAINS_FORMAT_ERRORS ||
	    code == EDFLIB_FILETYPE_ERROR || code == EDFLIB_FILE_READ_ERROR)
		rc = explain_format_error(path, fp, bdf, (long long)st.st_size,
					  code, err);
	else
		rc = bnn__err(err, BNN_E_IO, "%s: EDFlib cannot read it (error %d)",
			      path, code);
	fclose(fp);
	return rc;
}

static int copy_annotations(bnn_edf_file *f, long long n, bnn_error *err)
{
	struct edf_annotation_struct a;
	size_t pool = 0, used = 0, k = 0;

	if (n <= 0)
		return BNN_OK;
	if ((unsigned long long)n > BNN_MAX_VALUES)
		return bnn__err(err, BNN_E_RANGE, "%lld annotations: too many",
				n);
	/* Two passes: sizes, then copies (the texts are short). */
	for (long long i = 0; i < n; i++) {
		if (edf_get_annotation(f->handle, (int)i, &a))
			return bnn__err(err, BNN_E_IO,
					"EDFlib cannot give annotation %lld", i);
		pool += strlen(a.annotation) + 1;
	}
	f->ann = bnn__calloc((size_t)n, sizeof(*f->ann));
	f->pool = bnn__malloc(pool);
	if (!f->ann || !f->pool)
		return bnn__err(err, BNN_E_NOMEM, "out of memory (annotations)");
	for (long long i = 0; i < n; i++) {
		char *t = f->pool + used;

		edf_get_annotation(f->handle, (int)i, &a);
		copy_trimmed(t, pool - used, a.annotation);
		if (!*t)
			continue;	/* nothing to label with */
		used += strlen(t) + 1;
		f->ann[k].onset = (double)a.onset / EDF_TICKS_PER_S;
		f->ann[k].duration = a.duration_l < 0 ? -1.0 :
				     (double)a.duration_l / EDF_TICKS_PER_S;
		f->ann[k].text = t;
		k++;
	}
	f->nann = k;
	return BNN_OK;
}

int bnn_edf_open(const char *path, bnn_edf_file *out, bnn_error *err)
{
	struct edf_hdr_struct *h;
	int rc;

	if (!out)
		return bnn__err(err, BNN_E_INVAL, "edf_open: NULL argument");
	memset(out, 0, sizeof(*out));
	if (!path)
		return bnn__err(err, BNN_E_INVAL, "edf_open: NULL argument");
	/* The header struct holds 640 signal slots: ~200 KiB, not on the
	 * stack. */
	h = bnn__calloc(1, sizeof(*h));
	if (!h)
		return bnn__err(err, BNN_E_NOMEM, "%s: out of memory", path);
	if (edfopen_file_readonly(path, h, EDFLIB_READ_ALL_ANNOTATIONS) < 0) {
		rc = h->filetype == EDFLIB_NO_SUCH_FILE_OR_DIRECTORY ?
		     bnn__err(err, BNN_E_IO, "%s: cannot open: %s", path,
			      errno ? strerror(errno) : "no such file") :
		     open_error(path, h->filetype, err);
		free(h);
		return rc;
	}
	out->handle = h->handle;
	out->is_open = 1;
	out->type = h->filetype;
	out->nsig = h->edfsignals;
	out->nrecords = h->datarecords_in_file;
	out->record_s = (double)h->datarecord_duration / EDF_TICKS_PER_S;
	out->duration_s = (double)h->file_duration / EDF_TICKS_PER_S;
	if (out->nsig < 1) {
		rc = bnn__err(err, BNN_E_RANGE,
			      "%s: no data signal (annotations only)", path);
		goto fail;
	}
	if (!(out->record_s > 0)) {
		rc = bnn__err(err, BNN_E_RANGE,
			      "%s: data records of duration 0: no sampling rate",
			      path);
		goto fail;
	}
	out->sig = bnn__calloc((size_t)out->nsig, sizeof(*out->sig));
	if (!out->sig) {
		rc = bnn__err(err, BNN_E_NOMEM, "%s: out of memory", path);
		goto fail;
	}
	for (int i = 0; i < out->nsig; i++) {
		const struct edf_param_struct *p = &h->signalparam[i];
		bnn_edf_signal *s = &out->sig[i];

		copy_trimmed(s->label, sizeof(s->label), p->label);
		copy_trimmed(s->units, sizeof(s->units), p->physdimension);
		s->samples_per_record = p->smp_in_datarecord;
		s->fs = p->smp_in_datarecord / out->record_s;
		s->nsamples = p->smp_in_file;
		s->phys_min = p->phys_min;
		s->phys_max = p->phys_max;
		s->dig_min = p->dig_min;
		s->dig_max = p->dig_max;
		s->resolution = p->dig_max != p->dig_min ?
				(p->phys_max - p->phys_min) /
				((double)p->dig_max - p->dig_min) : 0;
	}
	rc = copy_annotations(out, h->annotations_in_file, err);
	if (rc) {
		bnn__err_prefix(err, path);
		goto fail;
	}
	free(h);
	return BNN_OK;
fail:
	free(h);
	bnn_edf_close(out);
	return rc;
}

void bnn_edf_close(bnn_edf_file *f)
{
	if (!f)
		return;
	if (f->is_open)
		edfclose_file(f->handle);
	free(f->sig);
	free(f->ann);
	free(f->pool);
	memset(f, 0, sizeof(*f));
}

/* Case-insensitive equality of s with the trimmed `want` (wlen bytes). */
static int same_label(const char *s, const char *want, size_t wlen)
{
	return strlen(s) == wlen && !strncasecmp(s, want, wlen);
}

int bnn_edf_find_signal(const bnn_edf_file *f, const char *label)
{
	size_t len;

	if (!f || !label || (!f->sig && f->nsig))
		return BNN_E_INVAL;
	while (*label == ' ')
		label++;
	len = strlen(label);
	while (len && label[len - 1] == ' ')
		len--;
	if (!len)
		return BNN_E_NOTFOUND;
	for (int i = 0; i < f->nsig; i++)
		if (same_label(f->sig[i].label, label, len))
			return i;
	for (int i = 0; i < f->nsig; i++) {
		const char *sp = strchr(f->sig[i].label, ' ');

		if (sp) {
			while (*sp == ' ')
				sp++;
			if (same_label(sp, label, len))
				return i;
		}
	}
	return BNN_E_NOTFOUND;
}

static const char *label_of(const void *f, int i)
{
	return ((const bnn_edf_file *)f)->sig[i].label;
}

int bnn_edf_find_lead(const bnn_edf_file *f, const char *want, int *fallback)
{
	int i;

	if (fallback)
		*fallback = 0;
	if (!f || !want || (!f->sig && f->nsig))
		return BNN_E_INVAL;
	i = bnn_edf_find_signal(f, want);
	if (i >= 0)
		return i;
	return bnn__find_lead_by_name(f->nsig, label_of, f, want, fallback);
}

double bnn_edf_mv_per_unit(const char *u)
{
	if (!u)
		return 0;
	if (!strcmp(u, "uV") || !strcmp(u, "\xc2\xb5V") || !strcmp(u, "\xb5V") ||
	    !strcmp(u, "UV"))
		return 1e-3;
	if (!strcmp(u, "mV"))
		return 1;
	if (!strcmp(u, "V"))
		return 1e3;
	if (!strcmp(u, "nV"))
		return 1e-6;
	return 0;
}

int bnn_edf_read_signal(bnn_edf_file *f, int sig, int units, float **x,
			size_t *n, bnn_error *err)
{
	const bnn_edf_signal *s;
	double scale = 1, *dbuf = NULL;
	int *ibuf = NULL;
	float *v;
	size_t total, got = 0;

	if (x)
		*x = NULL;
	if (n)
		*n = 0;
	if (!f || !x || !n || units < BNN_EDF_PHYSICAL || units > BNN_EDF_UV)
		return bnn__err(err, BNN_E_INVAL, "edf_read_signal: bad argument");
	if (!f->is_open || !f->sig)
		return bnn__err(err, BNN_E_STATE, "edf_read_signal: file not open");
	if (sig < 0 || sig >= f->nsig)
		return bnn__err(err, BNN_E_RANGE,
				"signal %d out of range (the file has %d)", sig,
				f->nsig);
	s = &f->sig[sig];
	if (units == BNN_EDF_MV || units == BNN_EDF_UV) {
		double mv = bnn_edf_mv_per_unit(s->units);

		if (!mv)
			return bnn__err(err, BNN_E_UNSUPPORTED,
					"signal %s: physical dimension '%s' is not a voltage (uV, mV, V): cannot give %s",
					s->label, s->units,
					units == BNN_EDF_MV ? "millivolts" :
					"microvolts");
		scale = units == BNN_EDF_MV ? mv : mv * 1e3;
	}
	if (s->nsamples <= 0)
		return bnn__err(err, BNN_E_RANGE, "signal %s has no samples",
				s->label);
	if ((uint64_t)s->nsamples > BNN_MAX_VALUES)
		return bnn__err(err, BNN_E_RANGE,
				"signal %s: %lld samples, more than the %zu allowed",
				s->label, (long long)s->nsamples, BNN_MAX_VALUES);
	total = (size_t)s->nsamples;
	v = bnn__malloc(total * sizeof(float));
	if (units == BNN_EDF_DIGITAL)
		ibuf = bnn__malloc(EDF_CHUNK * sizeof(int));
	else
		dbuf = bnn__malloc(EDF_CHUNK * sizeof(double));
	if (!v || (!ibuf && !dbuf)) {
		free(v);
		free(ibuf);
		free(dbuf);
		return bnn__err(err, BNN_E_NOMEM, "signal %s: out of memory",
				s->label);
	}
	edfrewind(f->handle, sig);
	while (got < total) {
		int want = total - got < EDF_CHUNK ? (int)(total - got) : EDF_CHUNK;
		int k = ibuf ? edfread_digital_samples(f->handle, sig, want, ibuf) :
			edfread_physical_samples(f->handle, sig, want, dbuf);

		if (k <= 0) {
			free(v);
			free(ibuf);
			free(dbuf);
			return bnn__err(err, k < 0 ? BNN_E_IO : BNN_E_TRUNCATED,
					"signal %s: %s after %zu of %zu samples",
					s->label, k < 0 ? "EDFlib read error" :
					"the file ends", got, total);
		}
		for (int i = 0; i < k; i++)
			v[got + (size_t)i] = ibuf ? (float)ibuf[i] :
					     (float)(dbuf[i] * scale);
		got += (size_t)k;
	}
	free(ibuf);
	free(dbuf);
	*x = v;
	*n = total;
	return BNN_OK;
}
