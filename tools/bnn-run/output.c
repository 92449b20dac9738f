// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * output.c - bnn-run: output files written under a temporary name and
 * renamed at the end, symlinks followed, special files streamed to.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

/* The file that PATH finally names: follow symlinks (also dangling ones:
 * the file they name gets created). */
static char *resolve(const char *path, const char *what)
{
	char *cur = xstrdup(path);

	for (int hops = 0; hops < 40; hops++) {
		char link[PATH_MAX];
		struct stat st;
		ssize_t k;
		char *next, *slash;

		if (lstat(cur, &st) || !S_ISLNK(st.st_mode))
			return cur;
		k = readlink(cur, link, sizeof(link) - 1);
		if (k < 0)
			die(EX_RUNTIME, "%s %s: %s", what, path, strerror(errno));
		link[k] = '\0';
		slash = strrchr(cur, '/');
		if (link[0] == '/' || !slash)
			next = xstrdup(link);
		else
			next = xasprintf("%.*s/%s", (int)(slash - cur), cur, link);
		free(cur);
		cur = next;
	}
	die(EX_RUNTIME, "%s %s: too many levels of symbolic links", what, path);
}

void output_open(struct output *o, const char *path, const char *what)
{
	struct stat st;
	mode_t mask;
	int fd;

	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!strcmp(path, "-")) {
		o->f = stdout;
		o->to_stdout = 1;
		return;
	}
	/* /dev/stdout, /dev/fd/N...: what they name is already open, replacing
	 * it would be a surprise; like a pipe, written in place. */
	if ((!stat(path, &st) && !S_ISREG(st.st_mode)) ||
	    !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6)) {
		if (S_ISDIR(st.st_mode))
			die(EX_RUNTIME, "cannot write %s to %s: it is a folder",
			    what, path);
		if (S_ISBLK(st.st_mode))
			die(EX_RUNTIME, "cannot write %s to %s: refusing to write to a block device",
			    what, path);
		/* A pipe or a device: stream to it, nothing to rename. */
		fd = open(path, O_WRONLY | O_NOCTTY |
			  (S_ISREG(st.st_mode) ? O_TRUNC : 0));
		o->f = fd < 0 ? NULL : fdopen(fd, "w");
		if (!o->f)
			die(EX_RUNTIME, "cannot write %s to %s: %s", what, path,
			    strerror(errno));
		return;
	}
	o->target = resolve(path, what);
	o->tmp = xasprintf("%s.tmp-XXXXXX", o->target);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		int e = errno;

		die(EX_RUNTIME, "cannot write %s to %s: %s", what, path,
		    strerror(e));
	}
	tmp_track(o->tmp);
	/* mkstemp makes 0600: give what a plain fopen (or the file being
	 * replaced) would have. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, !stat(o->target, &st) ? st.st_mode & 07777 :
		   0666 & ~mask))
		die(EX_RUNTIME, "cannot write %s to %s: %s", what, path,
		    strerror(errno));
	o->f = fdopen(fd, "w");
	if (!o->f)
		die(EX_RUNTIME, "cannot write %s to %s: %s", what, path,
		    strerror(errno));
}

void output_commit(struct output *o)
{
	int bad = ferror(o->f);

	if (o->to_stdout) {
		if (fflush(o->f) || bad)
			die(EX_RUNTIME, "writing to stdout failed: %s",
			    strerror(errno));
		return;
	}
	if (fclose(o->f) || bad)
		die(EX_RUNTIME, "writing %s failed: %s", o->path, strerror(errno));
	o->f = NULL;
	if (o->tmp && rename(o->tmp, o->target))
		die(EX_RUNTIME, "cannot rename %s to %s: %s", o->tmp, o->target,
		    strerror(errno));
	tmp_track(NULL);
	free(o->tmp);
	free(o->target);
	o->tmp = o->target = NULL;
}
