/* Image references as users type them: Enroot's docker://[USER@][REGISTRY#]IMAGE[:TAG|@DIGEST]
 * and docker's [REGISTRY/]REPO[:TAG|@DIGEST], with Docker Hub's defaults. Parsing only: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct reference {
	char *user;       /* docker://USER@...: whose credentials to use; NULL when not given. Not part
	                   * of the image's name. */
	char *registry;   /* "host[:port]" as written, or "docker.io" by default; Docker Hub's other names
	                   * (index.docker.io, registry-1.docker.io) become "docker.io" */
	char *repository; /* "library/ubuntu", "nvidia/pytorch" */
	char *tag;        /* "latest" when neither tag nor digest is given; NULL with a digest alone */
	char *digest;     /* "sha256:<64 lowercase hex>", or NULL */
	/* Whether the text named the registry (else docker.io is the default) and the tag. */
	bool registry_given, tag_given;
};

/* Parse text into ref (all fields malloc'd; ref is overwritten, not freed first; on failure every
 * field is NULL). A first component is a registry when it holds "." or ":" or is "localhost";
 * with docker:// the Enroot form [USER@]REGISTRY#IMAGE is accepted too, where REGISTRY must
 * pass the same rule (write "host:443" for a host without a dot) so that the canonical name
 * reads back the same. After docker:// without '#', an '@' followed by "sha256:" (or another
 * digest algorithm's name and ':') starts a digest; any other first '@' ends a user name.
 * REPOSITORY path components are [a-z0-9]+ joined by ".", "_", "__" or dashes; a tag is
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; only sha256 digests are accepted; "REGISTRY/REPOSITORY"
 * after the defaults is at most 255 characters; whitespace, control and non-ASCII characters
 * and ".." are refused anywhere. Errors (EINVAL) start with the reference as typed and name the
 * part that is wrong (empty repository, upper case, bad tag, a digest that is not
 * sha256: + 64 hex, ...). */
int reference_parse(const char *text, struct reference *ref, struct error *err);
/* Frees the fields and sets them to NULL: safe to call twice, and on a failed parse. */
void reference_free(struct reference *ref);

/* The host to talk to: "registry-1.docker.io" for docker.io, else registry. */
const char *reference_api_host(const struct reference *ref);

/* The canonical name, the key of an image in the store: "REGISTRY/REPO:TAG", or
 * "REGISTRY/REPO@DIGEST" when there is no tag (malloc'd; NULL when out of memory). With both a
 * tag and a digest the tag names the image ("REGISTRY/REPO:TAG") and the digest is only what
 * gets pulled, so the pinned image stays findable by its tag. reference_parse() of the name
 * gives the same registry, repository and tag (and the digest when there is no tag), no user. */
char *reference_name(const struct reference *ref);

/* The last repository component ("ubuntu" for docker://ubuntu:22.04): the default container
 * name (malloc'd; NULL when out of memory). */
char *reference_basename(const struct reference *ref);

/* Whether plain http is allowed to host without being asked: "localhost", 127.0.0.0/8 and
 * "[::1]", each with an optional ":PORT" (1-65535). NULL is not local. */
bool reference_host_is_local(const char *host);

/* Image names in the store, as users type them to tag, images, rmi, inspect and the lookups.
 *
 * A name a user makes up (burrow tag SRC DST) that names no registry is a local name, stored as
 * "localhost/REPO:TAG" (Podman's convention): "mybox" becomes "localhost/mybox:latest", never
 * "docker.io/library/mybox:latest", so that it is not taken for, nor replaced by, a Docker Hub
 * image. A name with a registry is stored as reference_name() has it. The result is malloc'd;
 * NULL with err (EINVAL) when text does not parse or carries a user or a digest (a name needs a
 * tag). */
char *reference_local_name(const char *text, struct error *err);

/* The store names text may stand for, in the order a lookup tries them after text itself:
 * with a registry (or docker://), reference_name() only ("127.0.0.1:5000/busybox" →
 * "127.0.0.1:5000/busybox:latest"); without one, the local name first, then Docker Hub's
 * ("mybox" → "localhost/mybox:latest", "docker.io/library/mybox:latest"). names[] gets
 * malloc'd strings, *n of them (1 or 2). Text that does not parse as a reference gives 0 names
 * and returns 0: it can only be an exact name or a digest. -1 only when out of memory. */
int reference_store_names(const char *text, char *names[2], size_t *n, struct error *err);

/* Whether `burrow images PATTERN` lists the store name `name`: name is pattern itself or one of
 * its reference_store_names(), or, when pattern gives neither tag nor digest, has the same
 * registry and repository as one of them (every tag, as `docker images busybox` does). */
bool reference_name_matches(const char *pattern, const char *name);

/* A registry as burrow login and logout take it: "host[:port]", or a URL of it
 * ("https://index.docker.io/v1/", as docker keeps Docker Hub's): scheme and path are dropped
 * and Docker Hub's names become "docker.io". malloc'd; NULL with err (EINVAL) when text names
 * no registry host. */
char *reference_registry_host(const char *text, struct error *err);
