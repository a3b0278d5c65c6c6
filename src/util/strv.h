/* NULL-terminated string vectors (argv, envp): the one helper for growing and freeing them.
 * Not a general container library. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

size_t strv_len(char *const *v);
/* Append a copy of s; returns 0, or -1 with errno = ENOMEM. *v may be NULL. */
int strv_push(char ***v, const char *s);
/* Append s itself (ownership moves into the vector). */
int strv_push_owned(char ***v, char *s);
/* Append a copy of each of items (may be NULL); returns 0, or -1 with errno = ENOMEM. */
int strv_extend(char ***v, char *const *items);
char **strv_copy(char *const *v);
void strv_free(char **v);
static inline void cleanup_strv_fn(char ***v)
{
	strv_free(*v);
}
#define cleanup_strv __attribute__((cleanup(cleanup_strv_fn)))

/* For "KEY=VALUE" vectors: index of the entry for key (length keylen), or -1. */
long strv_env_find(char *const *v, const char *key, size_t keylen);
/* Set KEY=VALUE, replacing an existing entry for KEY; entry is "KEY=VALUE". */
int strv_env_set(char ***v, const char *entry);
