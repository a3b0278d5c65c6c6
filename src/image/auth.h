/* Registry authentication: the WWW-Authenticate challenge a registry answers with, and the
 * credentials a user has for a registry (files as Enroot, Docker and Podman keep them, and
 * docker credential helpers). The HTTP exchanges themselves are in registry.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum auth_scheme {
	AUTH_NONE,
	AUTH_BASIC,
	AUTH_BEARER
};

struct auth_challenge {
	enum auth_scheme scheme;
	char *realm;   /* Bearer: the token endpoint URL (must be http(s)) */
	char *service; /* Bearer: may be NULL */
	char *scope;   /* Bearer: may be NULL */
};

/* Parse one WWW-Authenticate header value (RFC 7235: scheme, then comma-separated
 * key="quoted value" or key=token parameters, backslash escapes inside quotes). Unknown schemes
 * are errors; unknown parameters are ignored. The scheme and parameter names are
 * case-insensitive; a value over 4096 bytes is refused; a Bearer challenge needs an http(s)
 * realm. When the header lists several challenges, only the first is used. On error *c is
 * left empty. */
int auth_parse_challenge(const char *header, struct auth_challenge *c, struct error *err);
void auth_challenge_free(struct auth_challenge *c);

struct credentials {
	char *user;
	char *secret; /* password or token */
};
void credentials_free(struct credentials *c);

/* From netrc text (Enroot's ~/.config/burrow/.credentials): the entry "machine HOST login USER
 * password SECRET" for host, tokens on one or several lines, "default" entries honoured last,
 * "#" comments. Host matches exactly (with its ":port"); the first matching machine wins.
 * Values may be double-quoted; "account" is ignored, "macdef" skipped to the next blank line.
 * The whole text is checked. Returns 1 found, 0 none, -1 malformed (err names line, column). */
int credentials_from_netrc(const char *text, const char *host, struct credentials *c, struct error *err);

/* From docker's config.json text: auths[host].auth (base64 "user:secret") or .username/.password;
 * keys may be bare hosts or URLs ("https://index.docker.io/v1/" stands for docker.io and
 * registry-1.docker.io). When a credHelpers[host] or credsStore names a helper instead, *helper
 * gets its name (malloc'd) and 0 is returned. Returns 1 found, 0 none, -1 malformed.
 * An "identitytoken" (an OAuth refresh token) gives user "<token>" and the token as secret,
 * docker's convention: it goes to the token server as grant_type=refresh_token, not as Basic.
 * Order: credHelpers[host], then credentials in auths[host], then credsStore (docker asks
 * credsStore even when auths holds credentials). Helper names are [a-z0-9_.-]+. */
int credentials_from_docker_config(const char *text, const char *host, struct credentials *c, char **helper,
                                   struct error *err);

/* Ask docker-credential-NAME (on PATH) for host: writes host on its stdin, reads
 * {"Username":..., "Secret":...} from stdout. Returns 1 found, 0 the helper knows none, -1.
 * NAME must match [a-z0-9_.-]+. Output is capped at 64 KiB; there is no timeout (helpers may
 * prompt, as pass does through gpg). */
int credentials_from_helper(const char *name, const char *host, struct credentials *c, struct error *err);

/* The user's credentials for host, looked up in order: BURROW's credentials file
 * ($XDG_CONFIG_HOME/burrow/.credentials, else ~/.config/burrow/.credentials), REGISTRY_AUTH_FILE,
 * ~/.docker/config.json ($DOCKER_CONFIG/config.json when set; and its helpers). user, when not
 * NULL, must match the entry's login. Missing files are skipped. For Docker Hub, burrow's file
 * is also searched under docker.io, registry-1.docker.io, index.docker.io and auth.docker.io,
 * and helpers are asked for "https://index.docker.io/v1/".
 * Returns 1 found, 0 none (anonymous), -1 on a malformed file or failing helper (named in err). */
int credentials_lookup(const char *host, const char *user, struct credentials *c, struct error *err);

/* burrow login / logout: add, replace or remove host's entry in burrow's credentials file,
 * written atomically with mode 0600; other entries are kept. Every machine entry for host is
 * replaced by one (where the first was) or removed; other lines, comments included, stay as
 * they were. A file that does not parse is refused and left alone.
 * save returns 0 or -1; forget returns 1 removed, 0 there was none, -1. */
int credentials_save(const char *host, const char *user, const char *secret, struct error *err);
int credentials_forget(const char *host, struct error *err);
/* The path of burrow's credentials file, existing or not (malloc'd), for messages. */
char *credentials_file(struct error *err);

/* Base64 (standard alphabet, padding) for Basic auth and docker's "auth" field; malloc'd. */
char *base64_encode(const void *buf, size_t len);
/* NULL on invalid input (anything but the one canonical encoding: no whitespace, padding only at
 * the end, unused bits zero). The result has a NUL after its *len bytes; len may be NULL. */
void *base64_decode(const char *text, size_t *len);
