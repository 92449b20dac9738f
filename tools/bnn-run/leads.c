// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * leads.c - bnn-run: which signals of a record (or channels of an EDF
 * file) feed the model's input channels.
 *
 * A model names the lead of each channel (bnn_model_lead; a one-lead
 * model in its input description).  Channel k takes the record's signal
 * of that lead (libbnn's lookup: description, then the lead's aliases;
 * for a one-lead model also a generically named ECG signal, with a
 * note).  --lead NAME replaces a one-lead model's lead.  --lead-map
 * LEAD=ALT is the only way a channel is fed from another lead: where a
 * record has no LEAD, its ALT is taken, and a warning says so for that
 * record.  Anything else a record lacks is an error that names what the
 * record has.  A multi-channel model that names no leads takes the first
 * signals in order, as before leads were named.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inputs.h"

/* Does the model name the lead of every channel? */
static int named(const struct rd *r)
{
	if (r->C == 1)
		return r->o->lead || r->mi->input.lead[0];
	for (uint32_t k = 0; k < r->C; k++)
		if (!bnn_model_lead(r->m, k)[0])
			return 0;
	return 1;
}

/* The lead channel k is looked for under. */
static const char *lead_of(const struct rd *r, uint32_t k)
{
	return r->C == 1 && r->o->lead ? r->o->lead : bnn_model_lead(r->m, k);
}

/* "MLII, V1" */
static void model_leads(const struct rd *r, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (uint32_t k = 0; k < r->C; k++) {
		size_t n = strlen(buf);

		snprintf(buf + n, cap - n, "%s%s", k ? ", " : "",
			 bnn_model_lead(r->m, k));
	}
}

void leads_check(struct rd *r)
{
	const struct opts *o = r->o;
	char list[512];

	model_leads(r, list, sizeof(list));
	if (o->lead && r->C > 1 && named(r))
		die(EX_USAGE,
		    "--lead %s: the model takes %u leads (%s), each by name; --lead-map LEAD=ALT feeds one from another of a record's signals",
		    o->lead, r->C, list);
	for (int i = 0; i < o->nlead_map; i++) {
		const struct lead_alt *e = &o->lead_map[i];
		uint32_t k;

		for (k = 0; k < r->C; k++)
			if (!strcasecmp(e->lead, lead_of(r, k)))
				break;
		if (!named(r) || k == r->C)
			die(EX_USAGE,
			    "--lead-map %s=%s: the model has no lead %s (%s%s)",
			    e->lead, e->alt, e->lead,
			    named(r) ? "its leads: " : "it names none",
			    named(r) ? list : "");
		for (uint32_t j = 0; j < r->C; j++)
			if (!strcasecmp(e->alt, lead_of(r, j)))
				die(EX_USAGE,
				    "--lead-map %s=%s: %s is the model's own lead of channel %u",
				    e->lead, e->alt, e->alt, j);
	}
}

/* One name, strictly (no generic fallback): is it in the record? */
static int wfdb_has(const bnn_wfdb_header *h, const char *name)
{
	int s;

	return bnn_wfdb_find_leads(h, &name, 1, &s, NULL, NULL) == BNN_OK;
}

/* The --lead-map alternatives of `lead`, "V5, V2", or "" */
static void alts_of(const struct opts *o, const char *lead, char *buf,
		    size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < o->nlead_map; i++)
		if (!strcasecmp(o->lead_map[i].lead, lead)) {
			size_t n = strlen(buf);

			snprintf(buf + n, cap - n, "%s%s", n ? ", " : "",
				 o->lead_map[i].alt);
		}
}

int rd_wfdb_signals(struct rd *r, const struct job *j,
		    const bnn_wfdb_header *h, int *sig)
{
	const struct opts *o = r->o;
	const char **use;
	bnn_error err;
	int fb = 0, rc;
	char alts[256];

	if (!named(r)) {
		if (r->C == 1) {
			/* A windowed model that names no lead is an EEG
			 * model here: an ECG lead is no input for it. */
			if (!r->beat && h->nsig > 0 &&
			    bnn_is_ecg_lead(h->sig[0].desc)) {
				rd_fail(r, EX_MISMATCH,
					"record %s: its first signal '%s' is an ECG lead, but the model classifies windows and names no lead (an EEG model): --lead NAME classifies a signal anyway",
					j->name, h->sig[0].desc);
				return -1;
			}
			if (rd_once(r, RD_ONCE_NO_LEAD, 0))
				note("the model names no lead: using each record's first signal (--lead NAME picks one)");
			sig[0] = 0;
			return 0;
		}
		if (h->nsig < (int)r->C) {
			char have[512] = "";

			for (int i = 0; i < h->nsig; i++) {
				size_t n = strlen(have);

				snprintf(have + n, sizeof(have) - n, "%s%s",
					 i ? ", " : "", h->sig[i].desc[0] ?
					 h->sig[i].desc : "(unnamed)");
			}
			rd_fail(r, EX_MISMATCH,
				"record %s has %d signal%s (%s), the model needs %u channels",
				j->name, h->nsig, h->nsig == 1 ? "" : "s", have,
				r->C);
			return -1;
		}
		if (o->lead)
			warnx_("--lead ignored: the model takes %u channels (signals 0..%u)",
			       r->C, r->C - 1);
		for (uint32_t k = 0; k < r->C; k++)
			sig[k] = (int)k;
		return 0;
	}
	use = xcalloc(r->C, sizeof(*use));
	for (uint32_t k = 0; k < r->C; k++) {
		use[k] = lead_of(r, k);
		if (wfdb_has(h, use[k]))
			continue;
		for (int i = 0; i < o->nlead_map; i++)
			if (!strcasecmp(o->lead_map[i].lead, use[k]) &&
			    wfdb_has(h, o->lead_map[i].alt)) {
				use[k] = o->lead_map[i].alt;
				break;
			}
	}
	/* A one-lead model may take a generic "ECG" signal (noted). */
	rc = bnn_wfdb_find_leads(h, use, r->C, sig, r->C == 1 ? &fb : NULL,
				 &err);
	if (rc == BNN_E_NOTFOUND) {
		/* the first lead not found (find_leads stops there) */
		uint32_t k = 0;

		while (k + 1 < r->C && wfdb_has(h, use[k]))
			k++;
		alts_of(o, lead_of(r, k), alts, sizeof(alts));
		if (alts[0])
			rd_fail(r, EX_MISMATCH,
				"%s, nor its --lead-map alternative%s %s",
				err.msg, strchr(alts, ',') ? "s" : "", alts);
		else if (o->lead)
			rd_fail(r, EX_MISMATCH, "%s", err.msg);
		else if (r->C == 1)
			rd_fail(r, EX_MISMATCH,
				"%s, the lead the model was trained on; --lead NAME picks another",
				err.msg);
		else
			rd_fail(r, EX_MISMATCH,
				"%s, a lead the model was trained on; --lead-map %s=NAME feeds it from another of the record's signals",
				err.msg, lead_of(r, k));
		free(use);
		return -1;
	}
	if (rc) {	/* two of the model's leads on one signal */
		rd_fail(r, EX_MISMATCH, "%s", err.msg);
		free(use);
		return -1;
	}
	if (fb)
		note("record %s has no lead %s: using its generic ECG signal '%s' (signal %d)",
		     j->name, use[0], h->sig[sig[0]].desc, sig[0]);
	for (uint32_t k = 0; k < r->C; k++)
		if (use[k] != lead_of(r, k))
			warnx_("record %s: the model's lead %s is fed from the record's %s (--lead-map %s=%s), not from the lead it was trained on",
			       j->name, lead_of(r, k), h->sig[sig[k]].desc,
			       lead_of(r, k), use[k]);
	free(use);
	return 0;
}

int rd_edf_signals(struct rd *r, const char *path, const bnn_edf_file *f,
		   const char *chans, int *sig)
{
	const struct opts *o = r->o;
	char alts[256];

	for (uint32_t k = 0; k < r->C; k++) {
		const char *want = lead_of(r, k), *use = want;
		int fb = 0;

		/* By label, then as a lead with its aliases ("MLII" finds
		 * "ECG II"); without either, a one-lead model may take a
		 * generic "ECG" channel (noted below). */
		sig[k] = bnn_edf_find_lead(f, want, &fb);
		for (int i = 0; i < o->nlead_map && (sig[k] < 0 || fb); i++)
			if (!strcasecmp(o->lead_map[i].lead, want)) {
				int afb, s = bnn_edf_find_lead(f, o->lead_map[i].alt,
							       &afb);

				if (s >= 0 && !afb) {
					use = o->lead_map[i].alt;
					sig[k] = s;
					fb = 0;
				}
			}
		if (fb && r->C > 1)
			sig[k] = BNN_E_NOTFOUND;
		if (fb && sig[k] >= 0)
			note("%s has no channel %s: using its generic ECG channel '%s' (signal %d; --channel NAME picks another)",
			     path, want, f->sig[sig[k]].label, sig[k]);
		if (sig[k] < 0) {
			alts_of(o, want, alts, sizeof(alts));
			rd_fail(r, EX_MISMATCH,
				"%s has no channel '%s' (its channels: %s)%s%s%s",
				path, want, chans,
				alts[0] ? ", nor its --lead-map alternatives " : "",
				alts,
				alts[0] || o->lead ? "" : r->C == 1 ?
				"; that is the model's lead: --channel NAME picks another" :
				"; that is one of the model's leads: --lead-map LEAD=ALT feeds it from another channel");
			return -1;
		}
		for (uint32_t i = 0; i < k; i++)
			if (sig[i] == sig[k]) {
				rd_fail(r, EX_MISMATCH,
					"%s: the model's leads %s and %s both name its channel %s",
					path, lead_of(r, i), want,
					f->sig[sig[k]].label);
				return -1;
			}
		if (use != want)
			warnx_("%s: the model's lead %s is fed from the file's %s (--lead-map %s=%s), not from the lead it was trained on",
			       path, want, f->sig[sig[k]].label, want, use);
	}
	return 0;
}

int rd_leads_named(const struct rd *r)
{
	return named(r);
}
