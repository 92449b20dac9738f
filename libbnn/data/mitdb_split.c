// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * mitdb_split.c - libbnn data: the MIT-BIH inter-patient split of de
 * Chazal et al. 2004 built in, for when no SPLITS_AAMI.txt is at hand.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <stdio.h>
#include <string.h>

static const char *const split_records[BNN_SET_COUNT] = {
	[BNN_SET_DS1] = "101 106 108 109 112 114 115 116 118 119 122 124 "
			"201 203 205 207 208 209 215 220 223 230",
	[BNN_SET_DS2] = "100 103 105 111 113 117 121 123 200 202 210 212 "
			"213 214 219 221 222 228 231 232 233 234",
	[BNN_SET_PACED] = "102 104 107 217",
};

int bnn_aami_split_default(bnn_aami_split *out)
{
	if (!out)
		return BNN_E_INVAL;
	memset(out, 0, sizeof *out);
	for (int s = 0; s < BNN_SET_COUNT; s++)
		for (const char *p = split_records[s]; *p;) {
			size_t n = strcspn(p, " ");
			snprintf(out->rec[s][out->nrec[s]++], BNN_RECNAME_MAX,
				 "%.*s", (int)n, p);
			p += n;
			p += *p == ' ';
		}
	bnn_aami_default_map(out->map);
	out->map_from_file = 0;
	return BNN_OK;
}
