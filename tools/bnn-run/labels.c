// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * labels.c - bnn-run: map data labels (AAMI classes, Bonn set letters,
 * numbers from CSV / labels files) to the model's classes.
 *
 * Rules, first match wins (case-insensitive), for each data label L:
 *   1. a class named L or one of its aliases (AAMI: S = SVEB, V = VEB;
 *      Bonn: Z O N F S = A B C D E, the sets' names in Andrzejak 2001);
 *   2. a class whose name lists L in parentheses: "healthy (Z+O)";
 *   3. a class whose first word is L or an alias: "N (normal)", "V/VEB";
 *   4. Bonn, two classes, one named seizure / ictal: S there, the other
 *      sets to the other class; any label "seizure" or "ictal" (an EDF+
 *      annotation) goes to that class too;
 *   5. L is an integer k with 0 <= k < classes: class k.
 * --label-map SRC=DST,... overrides (DST a class name or index, or "-").
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bnn-run.h"

static size_t aliases(const char *label, int kind, const char **a)
{
	static const char *const bonn[][2] = {
		{ "Z", "A" }, { "O", "B" }, { "N", "C" }, { "F", "D" },
		{ "S", "E" },
	};
	size_t n = 0;

	a[n++] = label;
	if (kind == LABEL_AAMI) {
		if (!strcmp(label, "S"))
			a[n++] = "SVEB";
		else if (!strcmp(label, "V"))
			a[n++] = "VEB";
	} else if (kind == LABEL_BONN) {
		for (size_t i = 0; i < 5; i++)
			if (!strcmp(label, bonn[i][0]))
				a[n++] = bonn[i][1];
	}
	return n;
}

static int any_equal(const char *s, size_t len, const char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(a[i]) == len && !strncasecmp(s, a[i], len))
			return 1;
	return 0;
}

/* Rule 2: "(Z+O)" lists. */
static int in_parens(const char *name, const char **a, size_t n)
{
	const char *o = strchr(name, '('), *c;

	if (!o || !(c = strchr(o, ')')))
		return 0;
	for (const char *p = o + 1; p < c;) {
		size_t k = strcspn(p, "+,/ )");

		if (k && p + k <= c && any_equal(p, k, a, n))
			return 1;
		p += k ? k : 1;
	}
	return 0;
}

/* Rule 3: the first word. */
static int first_word(const char *name, const char **a, size_t n)
{
	size_t k = strcspn(name, " (/:-_,");

	return k && k < strlen(name) && any_equal(name, k, a, n);
}

static int is_seizure(const char *s)
{
	return !strcasecmp(s, "seizure") || !strcasecmp(s, "ictal") ||
	       !strncasecmp(s, "seizure ", 8) || !strncasecmp(s, "ictal ", 6);
}

static int32_t auto_map(const char *label, int kind, const bnn_model *m,
			uint32_t K, int indices)
{
	const char *a[3];
	size_t na = aliases(label, kind, a);
	int64_t k;

	for (uint32_t c = 0; c < K; c++)
		if (any_equal(bnn_model_class_name(m, c),
			      strlen(bnn_model_class_name(m, c)), a, na))
			return (int32_t)c;
	for (uint32_t c = 0; c < K; c++)
		if (in_parens(bnn_model_class_name(m, c), a, na))
			return (int32_t)c;
	for (uint32_t c = 0; c < K; c++)
		if (first_word(bnn_model_class_name(m, c), a, na))
			return (int32_t)c;
	if (kind == LABEL_BONN && K == 2) {
		int s0 = is_seizure(bnn_model_class_name(m, 0));
		int s1 = is_seizure(bnn_model_class_name(m, 1));

		if (s0 != s1)
			return !strcmp(label, "S") ? (s0 ? 0 : 1) : (s0 ? 1 : 0);
	}
	if (K == 2 && is_seizure(label)) {
		int s0 = is_seizure(bnn_model_class_name(m, 0));
		int s1 = is_seizure(bnn_model_class_name(m, 1));

		if (s0 != s1)
			return s0 ? 0 : 1;
	}
	if (indices && !bnn_parse_i64(label, strlen(label), &k) && k >= 0 && k < K)
		return (int32_t)k;
	return -1;
}

static int32_t class_of(const bnn_model *m, uint32_t K, const char *s)
{
	int64_t k;

	if (!strcmp(s, "-"))
		return -1;
	for (uint32_t c = 0; c < K; c++)
		if (!strcmp(bnn_model_class_name(m, c), s))
			return (int32_t)c;
	for (uint32_t c = 0; c < K; c++)
		if (!strcasecmp(bnn_model_class_name(m, c), s))
			return (int32_t)c;
	if (!bnn_parse_i64(s, strlen(s), &k) && k >= 0 && k < K)
		return (int32_t)k;
	return -2;
}

static void class_list(const bnn_model *m, uint32_t K, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (uint32_t c = 0; c < K; c++) {
		size_t k = strlen(buf);

		snprintf(buf + k, cap - k, "%s%u %s", c ? ", " : "", c,
			 bnn_model_class_name(m, c));
	}
}

int32_t label_names_class(const bnn_model *m, const char *label, int kind)
{
	bnn_model_info mi;

	if (!m)
		return -1;
	bnn_model_info_get(m, &mi);
	return auto_map(label, kind, m, mi.nclasses, 0);
}

void labels_map(struct dataset *ds, const bnn_model *m, const char *spec)
{
	bnn_model_info mi;
	uint32_t K;

	bnn_model_info_get(m, &mi);
	K = mi.nclasses;
	ds->lmap = xcalloc(ds->nlabels ? ds->nlabels : 1, sizeof(int32_t));
	for (size_t i = 0; i < ds->nlabels; i++)
		ds->lmap[i] = auto_map(ds->labels[i], ds->label_kind[i], m, K, 1);
	if (spec) {
		char *copy = xstrdup(spec), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(t, '=');
			int32_t cls;
			size_t i;

			if (!eq || eq == t || !eq[1])
				die(EX_USAGE,
				    "--label-map wants LABEL=CLASS pairs separated by commas, got '%s' (see " PROG " --help)",
				    t);
			*eq = '\0';
			cls = class_of(m, K, eq + 1);
			if (cls == -2) {
				char list[1024];

				class_list(m, K, list, sizeof(list));
				die(EX_USAGE,
				    "--label-map %s=%s: the model has no class '%s' (its classes: %s)",
				    t, eq + 1, eq + 1, list);
			}
			for (i = 0; i < ds->nlabels; i++)
				if (!strcmp(ds->labels[i], t))
					break;
			if (i == ds->nlabels) {
				warnx_("--label-map %s=%s: no item has the label '%s'",
				       t, eq + 1, t);
				continue;
			}
			ds->lmap[i] = cls;
		}
		free(copy);
	}
}

int labels_aami_of_class(const bnn_model *m, uint32_t k)
{
	bnn_model_info mi;
	int found = -1;

	bnn_model_info_get(m, &mi);
	for (int a = 0; a < BNN_AAMI_NCLASS; a++) {
		if (auto_map(bnn_aami_name(a), LABEL_AAMI, m, mi.nclasses, 0) !=
		    (int32_t)k)
			continue;
		if (found >= 0)
			return -1;	/* "abnormal (S+V)": no one class */
		found = a;
	}
	return found;
}
