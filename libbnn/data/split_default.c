// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * split_default.c - the built-in MIT-BIH inter-patient split.
 *
 * temporary: replaced at merge by the data helper's version (same
 * signature, bnn_data.h); bnn-run needs it to read DS1 / DS2 from a plain
 * PhysioNet mitdb download, which has no SPLITS_AAMI.txt.
 */
#include <string.h>

#include "bnn_data.h"

/* de Chazal, O'Dwyer, Reilly, IEEE TBME 51(7), 2004. */
static const char *const ds1[] = {
	"101", "106", "108", "109", "112", "114", "115", "116", "118", "119",
	"122", "124", "201", "203", "205", "207", "208", "209", "215", "220",
	"223", "230",
};
static const char *const ds2[] = {
	"100", "103", "105", "111", "113", "117", "121", "123", "200", "202",
	"210", "212", "213", "214", "219", "221", "222", "228", "231", "232",
	"233", "234",
};
static const char *const paced[] = { "102", "104", "107", "217" };

static void fill(bnn_aami_split *out, int set, const char *const *v,
		 size_t n)
{
	for (size_t i = 0; i < n; i++)
		strcpy(out->rec[set][i], v[i]);
	out->nrec[set] = n;
}

int bnn_aami_split_default(bnn_aami_split *out)
{
	if (!out)
		return BNN_E_INVAL;
	memset(out, 0, sizeof(*out));
	fill(out, BNN_SET_DS1, ds1, sizeof(ds1) / sizeof(ds1[0]));
	fill(out, BNN_SET_DS2, ds2, sizeof(ds2) / sizeof(ds2[0]));
	fill(out, BNN_SET_PACED, paced, sizeof(paced) / sizeof(paced[0]));
	bnn_aami_default_map(out->map);
	out->map_from_file = 0;
	return BNN_OK;
}
