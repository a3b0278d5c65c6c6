/* For fuzz harnesses of parsers that give container paths: the one check that a path came out
 * absolute and lexically normal (mountspec_normalize leaves it unchanged). */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "runtime/mountspec.h"

static inline void fuzz_check_normal_path(const char *p)
{
	if (!p || p[0] != '/')
		abort();
	char *again = malloc(strlen(p) + 1);
	if (!again)
		abort();
	mountspec_normalize(p, again);
	if (strcmp(again, p) != 0 || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
		abort();
	free(again);
}
