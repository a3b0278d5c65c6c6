/* User mount specifications, -m/--mount SRC[:DST[:OPTS]], parsed into absolute normalised paths.
 * Pure text: whether the source exists and the mount itself are for plan.c and rootfs.c. */
#include "runtime/mountspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

void mountspec_normalize(const char *in, char *out)
{
	bool absolute = in[0] == '/';
	size_t base = absolute ? 1 : 0; /* never strip below this */
	size_t len = base;
	if (absolute)
		out[0] = '/';
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			/* ".." above "/" is "/", as the kernel resolves it. */
			while (len > base && out[len - 1] != '/')
				len--;
			if (len > base)
				len--;
		} else {
			if (len > base)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = end;
	}
	/* A relative path that cancels out entirely is ".", which still fits: it had a component. */
	if (len == 0 && in[0])
		out[len++] = '.';
	out[len] = '\0';
}

/* src as an absolute normalised path: relative ones are taken from cwd. */
static char *absolute_path(const char *src, size_t n, const char *cwd)
{
	cleanup_free char *joined = NULL;
	if (src[0] == '/') {
		joined = strndup(src, n);
	} else {
		size_t clen = strlen(cwd);
		joined = malloc(clen + 1 + n + 1);
		if (joined) {
			memcpy(joined, cwd, clen);
			joined[clen] = '/';
			memcpy(joined + clen + 1, src, n);
			joined[clen + 1 + n] = '\0';
		}
	}
	if (!joined)
		return NULL;
	char *out = malloc(strlen(joined) + 1);
	if (out)
		mountspec_normalize(joined, out);
	return out;
}

static int parse_options(const char *spec, const char *opts, bool *readonly, struct error *err)
{
	for (const char *p = opts;;) {
		const char *end = strchrnul(p, ',');
		size_t n = (size_t)(end - p);
		if (n == 2 && strncmp(p, "ro", 2) == 0)
			*readonly = true;
		else if (n == 2 && strncmp(p, "rw", 2) == 0)
			*readonly = false;
		else
			return error_set(err, EINVAL, "--mount '%s': unknown option '%.*s' (use ro or rw)",
			                 spec, (int)n, p);
		if (!*end)
			return 0;
		p = end + 1;
	}
}

int mountspec_parse(const char *spec, const char *cwd, struct mount_spec *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	const char *c1 = strchr(spec, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 && strchr(c2 + 1, ':'))
		return error_set(err, EINVAL, "--mount '%s': too many ':' (expected SRC[:DST[:ro|rw]])",
		                 spec);
	size_t src_len = c1 ? (size_t)(c1 - spec) : strlen(spec);
	if (src_len == 0)
		return error_set(err, EINVAL, "--mount '%s': empty source path (expected SRC[:DST[:ro|rw]])",
		                 spec);
	if (spec[0] != '/' && (!cwd || cwd[0] != '/'))
		return error_set(err, EINVAL, "--mount '%s': source must be an absolute path", spec);

	/* An empty DST ("SRC::ro") means the same path inside, like a missing one. */
	const char *dst = c1 ? c1 + 1 : NULL;
	size_t dst_len = dst ? (c2 ? (size_t)(c2 - dst) : strlen(dst)) : 0;
	if (dst_len > 0 && dst[0] != '/')
		return error_set(err, EINVAL, "--mount '%s': destination '%.*s' must be an absolute path",
		                 spec, (int)dst_len, dst);
	bool readonly = false;
	if (c2 && parse_options(spec, c2 + 1, &readonly, err) < 0)
		return -1;

	cleanup_free char *source = absolute_path(spec, src_len, cwd);
	cleanup_free char *target = dst_len > 0 ? absolute_path(dst, dst_len, NULL) : NULL;
	if (!source || (dst_len > 0 && !target))
		return error_set(err, ENOMEM, "out of memory");
	if (!target && !(target = strdup(source)))
		return error_set(err, ENOMEM, "out of memory");
	/* Hiding the whole image under a host directory is never what the user meant. */
	if (strcmp(target, "/") == 0)
		return error_set(
		        err, EINVAL,
		        "--mount '%s': cannot mount over the container's root (choose another destination)",
		        spec);
	out->source = steal_pointer(&source);
	out->target = steal_pointer(&target);
	out->readonly = readonly;
	return 0;
}

void mountspec_free(struct mount_spec *m)
{
	free(m->source);
	free(m->target);
	m->source = m->target = NULL;
}

static bool key_is(const char *key, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(key, name, n) == 0;
}

int mountspec_parse_docker(const char *text, const char *cwd, struct mount_spec *out, bool *tmpfs,
                           struct error *err)
{
	memset(out, 0, sizeof(*out));
	*tmpfs = false;
	cleanup_free char *source = NULL, *target = NULL;
	bool have_type = false, readonly = false;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, ',');
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t klen = (size_t)((eq ? eq : end) - p);
		const char *val = eq ? eq + 1 : NULL;
		size_t vlen = eq ? (size_t)(end - val) : 0;
		if (key_is(p, klen, "type") && val) {
			if (vlen == 5 && strncmp(val, "tmpfs", 5) == 0)
				*tmpfs = true;
			else if (!(vlen == 4 && strncmp(val, "bind", 4) == 0))
				return error_set(
				        err, EINVAL,
				        "--mount '%s': type '%.*s' is not supported (use type=bind or "
				        "type=tmpfs)",
				        text, (int)vlen, val);
			have_type = true;
		} else if ((key_is(p, klen, "source") || key_is(p, klen, "src")) && val && vlen > 0) {
			free(source);
			if (!(source = strndup(val, vlen)))
				return error_set(err, ENOMEM, "out of memory");
		} else if ((key_is(p, klen, "destination") || key_is(p, klen, "dst") ||
		            key_is(p, klen, "target")) &&
		           val && vlen > 0) {
			free(target);
			if (!(target = strndup(val, vlen)))
				return error_set(err, ENOMEM, "out of memory");
		} else if (key_is(p, klen, "readonly") || key_is(p, klen, "ro")) {
			if (!val || (vlen == 4 && strncmp(val, "true", 4) == 0) ||
			    (vlen == 1 && val[0] == '1'))
				readonly = true;
			else if ((vlen == 5 && strncmp(val, "false", 5) == 0) || (vlen == 1 && val[0] == '0'))
				readonly = false;
			else
				return error_set(err, EINVAL, "--mount '%s': readonly takes true or false",
				                 text);
		} else {
			return error_set(
			        err, EINVAL,
			        "--mount '%s': '%.*s' is not supported (use type, source, destination, "
			        "readonly)",
			        text, (int)(end - p), p);
		}
		p = *end ? end + 1 : end;
	}
	if (!have_type)
		return error_set(err, EINVAL, "--mount '%s': missing type=bind or type=tmpfs", text);
	if (!target || target[0] != '/')
		return error_set(err, EINVAL, "--mount '%s': needs an absolute destination=PATH", text);
	if (*tmpfs && source)
		return error_set(err, EINVAL, "--mount '%s': a tmpfs takes no source", text);
	if (!*tmpfs && !source)
		return error_set(err, EINVAL, "--mount '%s': a bind needs source=PATH", text);
	if (source && source[0] != '/' && (!cwd || cwd[0] != '/'))
		return error_set(err, EINVAL, "--mount '%s': source must be an absolute path", text);
	cleanup_free char *abs_target = absolute_path(target, strlen(target), NULL);
	cleanup_free char *abs_source = source ? absolute_path(source, strlen(source), cwd) : NULL;
	if (!abs_target || (source && !abs_source))
		return error_set(err, ENOMEM, "out of memory");
	if (strcmp(abs_target, "/") == 0)
		return error_set(
		        err, EINVAL,
		        "--mount '%s': cannot mount over the container's root (choose another destination)",
		        text);
	out->source = steal_pointer(&abs_source);
	out->target = steal_pointer(&abs_target);
	out->readonly = readonly;
	return 0;
}
