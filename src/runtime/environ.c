/* The environment a containerised program starts with, merged in a documented order
 * (docs/start-environment.md). Pure: the caller hands in the host's environment. */
#include "runtime/environ.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strv.h"

/* Terminal, locale, display and proxy settings describe the user's session, not the image. */
const char *const environ_host_names[] = {
        "TERM",       "COLORTERM",   "LANG",     "LANGUAGE",   "TZ",          "DISPLAY",  "XAUTHORITY",
        "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", NULL,
};

/* Locale categories, and what Slurm and the MPI launchers hand each task to wire it up. */
const char *const environ_host_prefixes[] = {"LC_", "SLURM_", "PMI_", "PMIX_", "OMPI_", NULL};

/* Our own settings (data paths, test hooks) must never change the program's behaviour. */
#define ENVIRON_PRIVATE_PREFIX "BURROW_"

static bool host_passes(const char *entry, size_t keylen)
{
	if (strncmp(entry, ENVIRON_PRIVATE_PREFIX, strlen(ENVIRON_PRIVATE_PREFIX)) == 0)
		return false;
	for (size_t i = 0; environ_host_names[i]; i++) {
		if (strlen(environ_host_names[i]) == keylen &&
		    strncmp(entry, environ_host_names[i], keylen) == 0)
			return true;
	}
	for (size_t i = 0; environ_host_prefixes[i]; i++) {
		size_t n = strlen(environ_host_prefixes[i]);
		if (keylen > n && strncmp(entry, environ_host_prefixes[i], n) == 0)
			return true;
	}
	return false;
}

static int set_pair(char ***env, const char *key, const char *value)
{
	cleanup_free char *entry = NULL;
	size_t klen = strlen(key), vlen = strlen(value);
	entry = malloc(klen + vlen + 2);
	if (!entry)
		return -1;
	memcpy(entry, key, klen);
	entry[klen] = '=';
	memcpy(entry + klen + 1, value, vlen + 1);
	return strv_env_set(env, entry);
}

/* Docker accepts almost any key; only what cannot be a variable at all is refused. */
static bool user_key_valid(const char *entry, size_t keylen)
{
	if (keylen == 0)
		return false;
	for (size_t i = 0; i < keylen; i++) {
		if (strchr(" \t\n\r\v\f", entry[i]))
			return false;
	}
	return true;
}

bool environ_entry_valid(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return user_key_valid(entry, eq ? (size_t)(eq - entry) : strlen(entry));
}

static int add_user_entry(char ***env, char *const *host_env, const char *entry, struct error *err)
{
	const char *eq = strchr(entry, '=');
	size_t keylen = eq ? (size_t)(eq - entry) : strlen(entry);
	if (!user_key_valid(entry, keylen))
		return error_set(err, EINVAL, "invalid --env '%s': expected KEY=VALUE or KEY", entry);
	if (eq)
		return strv_env_set(env, entry) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
	/* "-e KEY" copies the host's value, as docker does; an unset KEY is simply not set. */
	long i = strv_env_find(host_env, entry, keylen);
	if (i < 0)
		return 0;
	return strv_env_set(env, host_env[i]) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

int environ_override(char ***env, char *const *host_env, char *const *user_env, struct error *err)
{
	for (size_t i = 0; user_env && user_env[i]; i++) {
		if (add_user_entry(env, host_env, user_env[i], err) < 0)
			return -1;
	}
	return 0;
}

char **environ_build(char *const *image_env, char *const *host_env, const struct environ_identity *ident,
                     char *const *user_env, struct error *err)
{
	cleanup_strv char **env = calloc(1, sizeof(char *));
	if (!env)
		goto nomem;
	for (size_t i = 0; image_env && image_env[i]; i++) {
		const char *eq = strchr(image_env[i], '=');
		/* An image entry without a key or "=" cannot be expressed in envp; skip it. */
		if (!eq || eq == image_env[i])
			continue;
		if (strv_env_set(&env, image_env[i]) < 0)
			goto nomem;
	}
	if (strv_env_find(env, "PATH", 4) < 0 && strv_env_set(&env, "PATH=" ENVIRON_DEFAULT_PATH) < 0)
		goto nomem;
	for (size_t i = 0; host_env && host_env[i]; i++) {
		const char *eq = strchr(host_env[i], '=');
		if (eq && host_passes(host_env[i], (size_t)(eq - host_env[i])) &&
		    strv_env_set(&env, host_env[i]) < 0)
			goto nomem;
	}
	if (ident && ident->home && set_pair(&env, "HOME", ident->home) < 0)
		goto nomem;
	if (ident && ident->user &&
	    (set_pair(&env, "USER", ident->user) < 0 || set_pair(&env, "LOGNAME", ident->user) < 0))
		goto nomem;
	/* An explicit -e is the user's choice, BURROW_* included; only passthrough filters. */
	if (environ_override(&env, host_env, user_env, err) < 0)
		return NULL;
	return steal_pointer(&env);
nomem:
	error_set(err, ENOMEM, "building the environment: out of memory");
	return NULL;
}

char **environ_parse_file(const char *text, struct error *err)
{
	cleanup_strv char **out = calloc(1, sizeof(char *));
	if (!out)
		goto nomem;
	size_t line_no = 0;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n');
		const char *next = *end ? end + 1 : end;
		line_no++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		size_t n = (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && p[0] != '#') {
			const char *eq = memchr(p, '=', n);
			if (eq == p)
				return error_set(err, EINVAL, "line %zu: empty variable name", line_no), NULL;
			char *entry = strndup(p, n);
			if (!entry)
				goto nomem;
			/* A name alone takes the host's value: trailing blanks are no part of it. */
			if (!eq)
				for (size_t k = strlen(entry);
				     k > 0 && (entry[k - 1] == ' ' || entry[k - 1] == '\t'); k--)
					entry[k - 1] = '\0';
			if (strv_push_owned(&out, entry) < 0)
				goto nomem;
		}
		p = next;
	}
	return steal_pointer(&out);
nomem:
	error_set(err, ENOMEM, "out of memory");
	return NULL;
}
