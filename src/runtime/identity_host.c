/* The calling user as the host knows them: passwd entry, primary and supplementary groups.
 * Not the merge into the image's files (identity.c). */
#include "runtime/identity.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* getpwuid_r/getgrgid_r buffers grow until the entry fits (large LDAP groups list many members). */
static int lookup_user(uid_t uid, struct passwd *pw, char **buf)
{
	size_t size = 1024;
	struct passwd *found = NULL;
	for (;;) {
		char *nb = realloc(*buf, size);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		int rc = getpwuid_r(uid, pw, *buf, size, &found);
		if (rc == ERANGE && size < (1u << 24)) {
			size *= 2;
			continue;
		}
		return found ? 0 : -ENOENT;
	}
}

/* The group's name, or its number as text when the host has no entry (sssd without enumeration). */
static char *group_name(gid_t gid)
{
	size_t size = 1024;
	cleanup_free char *buf = NULL;
	struct group gr, *found = NULL;
	for (;;) {
		char *nb = realloc(buf, size);
		if (!nb)
			return NULL;
		buf = nb;
		int rc = getgrgid_r(gid, &gr, buf, size, &found);
		if (rc == ERANGE && size < (1u << 24)) {
			size *= 2;
			continue;
		}
		break;
	}
	if (found)
		return strdup(gr.gr_name);
	char *name = NULL;
	return asprintf(&name, "%u", (unsigned)gid) < 0 ? NULL : name;
}

static int fill_supplementary(struct identity *id)
{
	int n = getgroups(0, NULL);
	if (n <= 0)
		return 0;
	cleanup_free gid_t *gids = calloc((size_t)n, sizeof(gid_t));
	if (!gids)
		return -1;
	n = getgroups(n, gids);
	if (n < 0)
		return 0;
	id->supplementary = calloc((size_t)n, sizeof(*id->supplementary));
	if (!id->supplementary)
		return -1;
	for (int i = 0; i < n; i++) {
		bool seen = gids[i] == id->gid;
		for (size_t j = 0; !seen && j < id->n_supplementary; j++)
			seen = id->supplementary[j].gid == gids[i];
		if (seen)
			continue;
		struct identity_group *g = &id->supplementary[id->n_supplementary];
		g->gid = gids[i];
		g->name = group_name(gids[i]);
		if (!g->name)
			return -1;
		id->n_supplementary++;
	}
	return 0;
}

int identity_from_host(struct identity *id, bool root, struct error *err)
{
	memset(id, 0, sizeof(*id));
	id->uid = getuid();
	id->gid = getgid();
	id->root = root;
	cleanup_free char *buf = NULL;
	struct passwd pw;
	int rc = lookup_user(id->uid, &pw, &buf);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc == 0) {
		id->name = strdup(pw.pw_name);
		id->gecos = strdup(pw.pw_gecos ? pw.pw_gecos : "");
		id->home = strdup(pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/");
		id->shell = strdup(pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh");
	} else {
		/* Sites with LDAP or sssd may not resolve compute-node users: carry on with what the
		 * environment says rather than refuse to start. */
		const char *user = getenv("USER");
		const char *home = getenv("HOME");
		id->name = strdup(user && *user ? user : "user");
		id->gecos = strdup("");
		id->home = strdup(home && *home == '/' ? home : "/");
		id->shell = strdup("/bin/sh");
	}
	id->group_name = group_name(id->gid);
	if (!id->name || !id->gecos || !id->home || !id->shell || !id->group_name ||
	    fill_supplementary(id) < 0)
		goto nomem;
	return 0;
nomem:
	identity_free(id);
	return error_set(err, ENOMEM, "reading the user's identity: out of memory");
}

void identity_free(struct identity *id)
{
	free(id->name);
	free(id->gecos);
	free(id->home);
	free(id->shell);
	free(id->group_name);
	for (size_t i = 0; i < id->n_supplementary; i++)
		free(id->supplementary[i].name);
	free(id->supplementary);
	memset(id, 0, sizeof(*id));
}
