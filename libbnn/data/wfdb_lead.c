// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * wfdb_lead.c - libbnn data: find an ECG lead among a record's signals by
 * its name, as PhysioNet databases spell it ("MLII", "ML II", "ML2",
 * "II", "lead II", "ECG lead 2"...), with a documented fallback to a
 * generically named ECG signal ("ECG", "ECG1") for records that do not
 * say which lead they hold; and the signals of all the leads a multi-lead
 * model names, with the error that names the leads a record has.
 */
#define BNN_DATA_INTERNAL
#include "wfdb_internal.h"

#include <stdio.h>
#include <string.h>

#define KEY_MAX 32

enum { NAME_OTHER, NAME_LEAD, NAME_GENERIC };

static int sep(char c)
{
	return c == ' ' || c == '\t' || c == '-' || c == '_' || c == '.';
}

static char up(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Upper-case words of s, at most `max`; returns the count (0 if a word
 * is too long). */
static int words(const char *s, char w[][KEY_MAX], int max)
{
	int n = 0;
	while (*s) {
		while (*s && sep(*s))
			s++;
		if (!*s)
			break;
		size_t k = 0;
		while (*s && !sep(*s)) {
			if (k + 1 >= KEY_MAX)
				return 0;
			w[n][k++] = up(*s++);
		}
		w[n][k] = '\0';
		if (++n == max)
			break;
	}
	return n;
}

static int is_index(const char *s)
{
	static const char *const idx[] = { "1", "2", "3", "4", "5", "6", "7",
					   "8", "9", "I", "II", "III", "IV",
					   "V", "VI" };
	if (!*s)
		return 1;
	for (size_t i = 0; i < sizeof idx / sizeof *idx; i++)
		if (!strcmp(s, idx[i]))
			return 1;
	return 0;
}

/*
 * Reduce a signal name to a canonical lead key ("II", "AVF", "V5"...).
 * Returns NAME_LEAD with the key, NAME_GENERIC for names that only say
 * "ECG" (with an optional channel number), NAME_OTHER otherwise (the key
 * then is the name without separators, upper case).
 */
static int lead_key(const char *name, char key[KEY_MAX])
{
	char w[8][KEY_MAX];
	int n = words(name, w, 8), lead_word = 0, i = 0;
	key[0] = '\0';
	if (n == 0)
		return NAME_OTHER;
	/* "ECG1", "ECG 2", "ECG I": a channel of unknown lead. */
	if (!strncmp(w[0], "ECG", 3) && (n == 1 || (n == 2 && !w[0][3])) &&
	    is_index(n == 1 ? w[0] + 3 : w[1])) {
		strcpy(key, "ECG");
		return NAME_GENERIC;
	}
	if (!strcmp(w[i], "ECG") && i + 1 < n)
		i++;
	if (!strcmp(w[i], "LEAD") && i + 1 < n) {
		i++;
		lead_word = 1;
	}
	size_t k = 0;
	for (int j = i; j < n; j++) {
		size_t l = strlen(w[j]);
		if (k + l >= KEY_MAX)
			return NAME_OTHER;
		memcpy(key + k, w[j], l + 1);
		k += l;
	}
	const char *p = key;
	int ml = 0;
	if (!strncmp(p, "ML", 2) && p[2]) {
		p += 2;
		ml = 1;
	}
	/* Limb leads, arabic numbers only after "ML" / "lead". */
	static const char *const roman[] = { "I", "II", "III" };
	for (int j = 0; j < 3; j++) {
		char arabic[2] = { (char)('1' + j), '\0' };
		if (!strcmp(p, roman[j]) || ((ml || lead_word) && !strcmp(p, arabic))) {
			strcpy(key, roman[j]);
			return NAME_LEAD;
		}
	}
	if (ml) {
		/* Modified chest leads "MV1".. are not folded. */
		return NAME_OTHER;
	}
	if (!strcmp(p, "AVR") || !strcmp(p, "AVL") || !strcmp(p, "AVF"))
		return NAME_LEAD;
	if (p[0] == 'V' && p[1] >= '1' && p[1] <= '9' && !p[2])
		return NAME_LEAD;
	if (!strncmp(p, "MCL", 3) && p[3] >= '1' && p[3] <= '6' && !p[4])
		return NAME_LEAD;
	return NAME_OTHER;
}

int bnn_is_ecg_lead(const char *name)
{
	char key[KEY_MAX];

	return name && lead_key(name, key) != NAME_OTHER;
}

int bnn__find_lead_by_name(int n, const char *(*name)(const void *, int),
			   const void *ctx, const char *want, int *fallback)
{
	char wk[KEY_MAX], sk[KEY_MAX];
	int wkind = lead_key(want, wk), i;

	if (fallback)
		*fallback = 0;
	if (wkind == NAME_LEAD || wkind == NAME_OTHER)
		for (i = 0; i < n; i++)
			if (lead_key(name(ctx, i), sk) == wkind && wk[0] &&
			    !strcmp(sk, wk))
				return i;
	if (wkind != NAME_LEAD)
		return BNN_E_NOTFOUND;
	for (i = 0; i < n; i++)
		if (lead_key(name(ctx, i), sk) == NAME_GENERIC) {
			if (fallback)
				*fallback = 1;
			return i;
		}
	return BNN_E_NOTFOUND;
}

static const char *desc_of(const void *h, int i)
{
	return ((const bnn_wfdb_header *)h)->sig[i].desc;
}

int bnn_wfdb_find_lead(const bnn_wfdb_header *h, const char *want,
		       int *fallback)
{
	if (fallback)
		*fallback = 0;
	if (!h || !want || (h->nsig && !h->sig))
		return BNN_E_INVAL;
	int i = bnn_wfdb_find_signal(h, want);
	if (i >= 0)
		return i;
	return bnn__find_lead_by_name(h->nsig, desc_of, h, want, fallback);
}

/* "MLII, V5" (descriptions, "(unnamed)" for empty ones) for messages. */
static void signal_list(const bnn_wfdb_header *h, char *buf, size_t cap)
{
	size_t k = 0;

	buf[0] = '\0';
	for (int i = 0; i < h->nsig && k + 1 < cap; i++) {
		int w = snprintf(buf + k, cap - k, "%s%.40s", i ? ", " : "",
				 h->sig[i].desc[0] ? h->sig[i].desc : "(unnamed)");

		if (w < 0)
			break;
		k += (size_t)w;
	}
	if (k + 1 >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
}

int bnn_wfdb_find_leads(const bnn_wfdb_header *h, const char *const *names,
			size_t n, int *sig, int *fallback, bnn_error *err)
{
	char have[256];

	if (fallback)
		*fallback = 0;
	if (!h || !names || !sig || (h->nsig && !h->sig))
		return bnn__err(err, BNN_E_INVAL, "find_leads: NULL argument");
	if (n < 1 || n > BNN_WFDB_MAX_SIGNALS)
		return bnn__err(err, BNN_E_INVAL,
				"find_leads: %zu leads (1..%d)", n,
				BNN_WFDB_MAX_SIGNALS);
	for (size_t k = 0; k < n; k++) {
		int fb = 0;

		if (!names[k] || !names[k][0])
			return bnn__err(err, BNN_E_INVAL,
					"find_leads: lead %zu has no name", k);
		sig[k] = bnn_wfdb_find_lead(h, names[k], &fb);
		/* A generically named signal ("ECG1") does not say which
		 * lead it records: only one lead, and only for a caller that
		 * says so to its user, may take it. */
		if (sig[k] >= 0 && fb && (n > 1 || !fallback))
			sig[k] = BNN_E_NOTFOUND;
		if (sig[k] < 0) {
			signal_list(h, have, sizeof(have));
			return bnn__err(err, BNN_E_NOTFOUND,
					"record %s has no lead '%.31s' (signals: %s)",
					h->name, names[k], have);
		}
		if (fb && fallback)
			*fallback = 1;
		for (size_t j = 0; j < k; j++)
			if (sig[j] == sig[k])
				return bnn__err(err, BNN_E_INVAL,
						"record %s: leads '%.31s' and '%.31s' both name its signal %d (%.40s)",
						h->name, names[j], names[k],
						sig[k], h->sig[sig[k]].desc);
	}
	return BNN_OK;
}
