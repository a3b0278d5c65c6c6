/* Who the user is inside the container: the image's /etc/passwd and /etc/group merged with the
 * real user, as text. Not the gathering of host facts (identity_host.c) nor the mounting. */
#include "runtime/identity.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* One line of a colon-separated database, pointing into the input text. */
struct db_line {
	const char *text;
	size_t len;       /* without the newline */
	size_t n_fields;  /* colons + 1 */
	const char *name; /* first field */
	size_t name_len;
	bool has_id; /* third field is a decimal number that fits 32 bits */
	uint32_t id;
};

/* How one database is merged. passwd and group differ only in these. */
struct db_merge {
	size_t n_fields;       /* 7 for passwd, 4 for group */
	bool keep_image_zero;  /* root: keep the image's own id-0 line rather than adding ours */
	const char *self_name; /* the entry we add (or the one we keep, with keep_image_zero) */
	uint32_t self_id;
	const char *self_line;     /* the line to add, without newline; NULL when nothing is added */
	const char *overflow_line; /* added when no well-formed 65534 line is left */
};

static char *nomem(struct error *err)
{
	error_set(err, ENOMEM, "out of memory");
	return NULL;
}

static bool parse_id(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static void parse_line(const char *text, size_t len, struct db_line *l)
{
	memset(l, 0, sizeof(*l));
	l->text = text;
	l->len = len;
	l->n_fields = 1;
	const char *field = text;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != ':')
			continue;
		size_t flen = (size_t)(text + i - field);
		if (l->n_fields == 1) {
			l->name = field;
			l->name_len = flen;
		} else if (l->n_fields == 3) {
			l->has_id = parse_id(field, flen, &l->id);
		}
		if (i < len) {
			l->n_fields++;
			field = text + i + 1;
		}
	}
}

/* Steps *p to the next line; a last line without newline counts, "\r" stays in the line. */
static bool next_line(const char **p, struct db_line *l)
{
	if (!*p || !**p)
		return false;
	const char *nl = strchrnul(*p, '\n');
	parse_line(*p, (size_t)(nl - *p), l);
	*p = *nl ? nl + 1 : nl;
	return true;
}

static bool name_is(const struct db_line *l, const char *name)
{
	return name && strlen(name) == l->name_len && memcmp(l->name, name, l->name_len) == 0;
}

static char *merge(const char *image, const struct db_merge *m, struct error *err)
{
	struct db_line l;
	const char *kept_zero = NULL;
	cleanup_free char *kept_name = NULL;
	const char *self_name = m->self_name;

	/* With root, the image's first well-formed uid-0 line is the user: its name, home and shell
	 * are what the image's own tools expect. */
	if (m->keep_image_zero) {
		for (const char *p = image; next_line(&p, &l);) {
			if (l.n_fields == m->n_fields && l.has_id && l.id == 0) {
				kept_zero = l.text;
				kept_name = strndup(l.name, l.name_len);
				if (!kept_name)
					return nomem(err);
				self_name = kept_name;
				break;
			}
		}
	}

	char *out = NULL;
	size_t out_len = 0;
	cleanup_fclose FILE *f = open_memstream(&out, &out_len);
	if (!f)
		return nomem(err);
	bool have_overflow = false;
	for (const char *p = image; next_line(&p, &l);) {
		/* Lines naming the user or their id would shadow (or duplicate) the user's own entry:
		 * the kernel shows the user's id, so exactly one line may carry it. Every other line
		 * stays byte for byte, comments and malformed ones included: the image's tools may
		 * read them and getpwent() skips what it cannot parse. */
		if (l.text != kept_zero && (name_is(&l, self_name) || (l.has_id && l.id == m->self_id)))
			continue;
		if (l.n_fields == m->n_fields && l.has_id && l.id == IDENTITY_OVERFLOW_ID)
			have_overflow = true;
		fwrite(l.text, 1, l.len, f);
		fputc('\n', f);
	}
	if (!kept_zero && m->self_line) {
		fprintf(f, "%s\n", m->self_line);
		if (m->self_id == IDENTITY_OVERFLOW_ID)
			have_overflow = true;
	}
	if (!have_overflow)
		fprintf(f, "%s\n", m->overflow_line);
	if (fflush(f) != 0 || ferror(f)) {
		fclose(steal_pointer(&f));
		free(out);
		return nomem(err);
	}
	fclose(steal_pointer(&f));
	return out;
}

/* Host text (gecos from LDAP, odd names) must not add fields or lines to the database. */
static char *field(const char *s, const char *fallback)
{
	char *copy = strdup(s ? s : fallback);
	for (char *c = copy; c && *c; c++) {
		if (*c == ':' || *c == '\n' || *c == '\r')
			*c = ' ';
	}
	return copy;
}

char *identity_merge_passwd(const char *image_passwd, const struct identity *id, struct error *err)
{
	cleanup_free char *name = field(id->root ? "root" : id->name, "user");
	cleanup_free char *gecos = field(id->gecos, "");
	cleanup_free char *home = field(id->root ? "/root" : id->home, "/");
	cleanup_free char *shell = field(id->shell, "/bin/sh");
	cleanup_free char *line = NULL;
	if (!name || !gecos || !home || !shell)
		return nomem(err);
	int n = id->root ? asprintf(&line, "root:x:0:0:root:%s:%s", home, shell)
	                 : asprintf(&line, "%s:x:%u:%u:%s:%s:%s", name, (unsigned)id->uid, (unsigned)id->gid,
	                            gecos, home, shell);
	if (n < 0) {
		line = NULL;
		return nomem(err);
	}
	struct db_merge m = {
	        .n_fields = 7,
	        .keep_image_zero = id->root,
	        .self_name = name,
	        .self_id = id->root ? 0 : (uint32_t)id->uid,
	        .self_line = line,
	        /* A fixed shell: an image without /usr/sbin/nologin still logs nobody in nowhere. */
	        .overflow_line = "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
	};
	return merge(image_passwd, &m, err);
}

char *identity_passwd_home(const char *passwd, uint32_t uid, struct error *err)
{
	struct db_line l;
	for (const char *p = passwd; next_line(&p, &l);) {
		if (l.n_fields != 7 || !l.has_id || l.id != uid)
			continue;
		/* The sixth field: after the fifth colon. */
		const char *home = l.text;
		for (int colons = 0; colons < 5; home++)
			colons += *home == ':';
		const char *end = memchr(home, ':', l.len - (size_t)(home - l.text));
		if (end > home) {
			char *copy = strndup(home, (size_t)(end - home));
			return copy ? copy : nomem(err);
		}
		break;
	}
	char *root = strdup("/");
	return root ? root : nomem(err);
}

char *identity_merge_group(const char *image_group, const struct identity *id, struct error *err)
{
	cleanup_free char *user = field(id->root ? "root" : id->name, "user");
	cleanup_free char *group = NULL;
	cleanup_free char *line = NULL;
	cleanup_free char *overflow = NULL;
	if (!user)
		return nomem(err);
	if (id->root)
		group = strdup("root");
	else if (id->group_name)
		group = field(id->group_name, "");
	else if (asprintf(&group, "%u", (unsigned)id->gid) < 0)
		group = NULL;
	if (!group)
		return nomem(err);
	int n = id->root ? asprintf(&line, "root:x:0:")
	                 : asprintf(&line, "%s:x:%u:%s", group, (unsigned)id->gid, user);
	/* Supplementary groups cannot be mapped and show as 65534: naming the user as a member
	 * keeps `id` and `groups` consistent with what the kernel reports. */
	int o = asprintf(&overflow, "nogroup:x:65534:%s", id->n_supplementary > 0 ? user : "");
	if (n < 0 || o < 0) {
		if (n < 0)
			line = NULL;
		if (o < 0)
			overflow = NULL;
		return nomem(err);
	}
	struct db_merge m = {
	        .n_fields = 4,
	        .keep_image_zero = id->root,
	        .self_name = group,
	        .self_id = id->root ? 0 : (uint32_t)id->gid,
	        .self_line = line,
	        .overflow_line = overflow,
	};
	return merge(image_group, &m, err);
}
