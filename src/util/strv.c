/* NULL-terminated string vectors (argv, envp): the one helper for growing and freeing them.
 * Not a general container library. */
#include "util/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_push_owned(char ***v, char *s)
{
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	size_t n = strv_len(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		errno = ENOMEM;
		return -1;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_push(char ***v, const char *s)
{
	return strv_push_owned(v, strdup(s));
}

int strv_extend(char ***v, char *const *items)
{
	for (size_t i = 0; items && items[i]; i++)
		if (strv_push(v, items[i]) < 0)
			return -1;
	return 0;
}

char **strv_copy(char *const *v)
{
	char **out = calloc(1, sizeof(char *));
	if (!out)
		return NULL;
	for (size_t i = 0; v && v[i]; i++) {
		if (strv_push(&out, v[i]) < 0) {
			strv_free(out);
			return NULL;
		}
	}
	return out;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

long strv_env_find(char *const *v, const char *key, size_t keylen)
{
	for (size_t i = 0; v && v[i]; i++) {
		if (strncmp(v[i], key, keylen) == 0 && v[i][keylen] == '=')
			return (long)i;
	}
	return -1;
}

int strv_env_set(char ***v, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t keylen = eq ? (size_t)(eq - entry) : strlen(entry);
	long i = strv_env_find(*v, entry, keylen);
	if (i < 0)
		return strv_push(v, entry);
	char *copy = strdup(entry);
	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	free((*v)[i]);
	(*v)[i] = copy;
	return 0;
}
