// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * paths.c - bnn-run: where an installed bnn-run finds what was installed
 * with it.  The build defines BNN_RUN_DATADIR (bnn-run.mk: the data
 * directory of the install, $(PREFIX)/share/rbnn) for the shipped binary;
 * without it (the test builds) nothing here changes a path.
 *
 *   BNN_RUN_DATADIR/models/   the shipped .bnn models: -m NAME finds
 *                             NAME or NAME.bnn there when NAME has no '/'
 *                             and is not a file of the current folder
 *   BNN_RUN_DATADIR/data/     the default data root (its mitdb/ is --data's)
 *                             when RBNN_DATA is unset and bnn-run is not
 *                             the one of a checkout's build/
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bnn-run.h"
#include "util.h"

const char *installed_data_root(void)
{
#ifdef BNN_RUN_DATADIR
	return BNN_RUN_DATADIR "/data";
#else
	return NULL;
#endif
}

const char *resolve_model(const char *name)
{
#ifdef BNN_RUN_DATADIR
	static const char *const ext[] = { "", ".bnn" };
	size_t i, n;
	char *p;

	if (strchr(name, '/') || access(name, F_OK) == 0)
		return name;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		n = strlen(BNN_RUN_DATADIR "/models/") + strlen(name) +
		    strlen(ext[i]) + 1;
		p = xmalloc(n);
		snprintf(p, n, "%s/models/%s%s", BNN_RUN_DATADIR, name, ext[i]);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
#endif
	return name;
}
