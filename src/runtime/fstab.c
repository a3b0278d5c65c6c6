/* mounts.d lines in fstab syntax, parsed into the run plan's own mount entries (the same ones
 * -m gives), so rootfs.c performs them like any other mount. Pure text; no file is read here. */
#include "runtime/fstab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mountspec.h"
#include "util/cleanup.h"

#define FSTAB_FIELDS 6

/* fstab's octal escapes (\040 a blank, \011 a tab, \134 a backslash), decoded in place. */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static bool opt_is(const char *opt, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(opt, name, n) == 0;
}

static int append_data(char **data, const char *opt, size_t n)
{
	size_t old = *data ? strlen(*data) : 0;
	char *grown = realloc(*data, old + n + 2);
	if (!grown)
		return -1;
	if (old)
		grown[old++] = ',';
	memcpy(grown + old, opt, n);
	grown[old + n] = '\0';
	*data = grown;
	return 0;
}

static int parse_options(const char *text, const char *origin, struct plan_mount *m, struct error *err)
{
	for (const char *p = text;;) {
		const char *end = strchrnul(p, ',');
		size_t n = (size_t)(end - p);
		bool tmpfs = m->kind == PLAN_MOUNT_TMPFS;
		if (opt_is(p, n, "ro")) {
			m->readonly = true;
		} else if (opt_is(p, n, "rw")) {
			m->readonly = false;
		} else if (opt_is(p, n, "nofail")) {
			m->optional = true;
		} else if (opt_is(p, n, "x-create=dir")) {
			m->create = PLAN_CREATE_DIR;
		} else if (opt_is(p, n, "x-create=file")) {
			m->create = PLAN_CREATE_FILE;
		} else if (opt_is(p, n, "defaults") ||
		           (!tmpfs && (opt_is(p, n, "bind") || opt_is(p, n, "rbind")))) {
			/* Every bind is recursive: a plain one would show empty directories for submounts. */
		} else if (tmpfs && (strncmp(p, "mode=", 5) == 0 || strncmp(p, "size=", 5) == 0 ||
		                     strncmp(p, "nr_inodes=", 10) == 0)) {
			if (append_data(&m->data, p, n) < 0)
				return error_set(err, ENOMEM, "out of memory");
		} else {
			return error_set(
			        err, EINVAL,
			        "%s: unknown mount option '%.*s' (use ro, rw, nofail, x-create=dir|file%s)",
			        origin, (int)n, p, tmpfs ? ", mode=, size=, nr_inodes=" : "");
		}
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/* An absolute path, lexically normalised, or NULL (errno ENOMEM) / "" when not absolute. */
static char *normalized(const char *path)
{
	if (path[0] != '/')
		return strdup("");
	char *out = malloc(strlen(path) + 1);
	if (out)
		mountspec_normalize(path, out);
	return out;
}

int fstab_parse_line(const char *line, const char *origin, struct plan_mount *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	cleanup_free char *copy = strdup(line);
	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	char *fields[FSTAB_FIELDS + 1] = {0};
	size_t n = 0;
	char *save = NULL;
	for (char *f = strtok_r(copy, " \t", &save); f; f = strtok_r(NULL, " \t", &save)) {
		if (n == FSTAB_FIELDS)
			return error_set(err, EINVAL,
			                 "%s: too many fields (expected SRC DST [TYPE [OPTIONS]])", origin);
		unescape(f);
		fields[n++] = f;
	}
	if (n < 2)
		return error_set(err, EINVAL, "%s: expected SRC DST [TYPE [OPTIONS]]", origin);
	for (size_t i = 4; i < n; i++)
		if (strcmp(fields[i], "0") != 0)
			return error_set(err, EINVAL, "%s: the dump and pass fields must be 0", origin);
	const char *type = n > 2 ? fields[2] : "none";
	if (strcmp(type, "tmpfs") == 0)
		out->kind = PLAN_MOUNT_TMPFS;
	else if (strcmp(type, "none") == 0 || strcmp(type, "bind") == 0 || strcmp(type, "rbind") == 0)
		out->kind = PLAN_MOUNT_BIND;
	else
		return error_set(err, EINVAL,
		                 "%s: mount type '%s' is not supported (use none, bind or tmpfs)", origin,
		                 type);
	out->create = PLAN_CREATE_NONE;
	int rc = n > 3 ? parse_options(fields[3], origin, out, err) : 0;
	out->target = normalized(fields[1]);
	if (out->kind == PLAN_MOUNT_BIND)
		out->source = normalized(fields[0]);
	else if (!out->data)
		out->data = strdup("mode=755");
	bool nomem = !out->target || (out->kind == PLAN_MOUNT_BIND ? !out->source : !out->data);
	if (rc == 0 && nomem)
		rc = error_set(err, ENOMEM, "out of memory");
	if (rc == 0 && out->kind == PLAN_MOUNT_BIND && !out->source[0])
		rc = error_set(err, EINVAL, "%s: source '%s' must be an absolute host path", origin,
		               fields[0]);
	if (rc == 0 && !out->target[0])
		rc = error_set(err, EINVAL, "%s: destination '%s' must be an absolute path", origin,
		               fields[1]);
	if (rc == 0 && strcmp(out->target, "/") == 0)
		rc = error_set(err, EINVAL, "%s: cannot mount over the container's root", origin);
	if (rc == 0 && out->kind == PLAN_MOUNT_TMPFS && out->create == PLAN_CREATE_FILE)
		rc = error_set(err, EINVAL, "%s: a tmpfs needs a directory (x-create=dir)", origin);
	if (rc < 0)
		fstab_mount_free(out);
	return rc;
}

void fstab_mount_free(struct plan_mount *m)
{
	free(m->source);
	free(m->target);
	free(m->data);
	memset(m, 0, sizeof(*m));
}
