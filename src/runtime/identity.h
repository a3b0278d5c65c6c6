/* Who the user is inside the container: /etc/passwd and /etc/group text merged from the
 * image's files and the real user. Pure text in, text out; gathering host facts lives in identity_host.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* The id the kernel shows for host ids outside the user namespace's map. */
#define IDENTITY_OVERFLOW_ID 65534

struct identity_group {
	char *name;
	gid_t gid; /* host gid */
};

struct identity {
	char *name; /* host user name */
	uid_t uid;  /* host uid */
	gid_t gid;  /* host primary gid */
	char *gecos;
	char *home;                           /* host home directory (bound at the same path inside) */
	char *shell;                          /* login shell to name inside: one that exists in the image */
	char *group_name;                     /* name of the primary group */
	struct identity_group *supplementary; /* other host groups (shown as nogroup inside) */
	size_t n_supplementary;
	bool root; /* --root: the user is uid 0 inside */
};

/* The image's passwd (may be NULL or empty) with the user's line: entries clashing with the
 * user's name or uid are replaced; a 65534 "nobody" line is added when missing.
 * With root: the image's uid-0 line is kept (or "root:x:0:0:root:/root:SHELL" added).
 * Returns malloc'd text ending in a newline, or NULL (ENOMEM) with err. */
char *identity_merge_passwd(const char *image_passwd, const struct identity *id, struct error *err);

/* The image's group (may be NULL) with the user's primary group (gid 0 "root" with root) and
 * a 65534 "nogroup" line when missing (where unmappable supplementary groups show). */
char *identity_merge_group(const char *image_group, const struct identity *id, struct error *err);

/* The home directory of uid's first well-formed line in passwd text (may be NULL), or "/" when
 * there is none or it is empty, as runc's HOME. Returns malloc'd text, or NULL (ENOMEM). */
char *identity_passwd_home(const char *passwd, uint32_t uid, struct error *err);

/* Fill id from the host databases for the calling user (shell left as the host's). */
int identity_from_host(struct identity *id, bool root, struct error *err);
void identity_free(struct identity *id);
