/* Fuzz harness: arbitrary text as docker's config.json, for a host taken from the first bytes.
 * Checks: results are one of found, none or helper; a helper name never holds anything but [a-z0-9_.-]. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/auth.h"

static bool helper_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_' || name[i] == '.' || name[i] == '-'))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* First byte: the host's length; hosts Docker Hub goes by are picked often. */
	static const char *const hosts[] = {"docker.io", "registry-1.docker.io", "localhost:5000", "nvcr.io"};
	size_t host_len = data[0] & 0x3f;
	if (host_len > size - 1)
		host_len = size - 1;
	char *host = (data[0] & 0x40) ? strdup(hosts[(data[0] >> 7) * 2 + (host_len & 1)])
	                              : strndup((const char *)data + 1, host_len);
	size_t rest = (data[0] & 0x40) ? size - 1 : size - 1 - host_len;
	const uint8_t *body = data + size - rest;
	char *text = malloc(rest + 1);
	if (!host || !text)
		abort();
	memcpy(text, body, rest);
	text[rest] = '\0';

	struct credentials c;
	struct error err;
	char *helper = NULL;
	int rc = credentials_from_docker_config(text, host, &c, &helper, &err);
	if (rc == 1) {
		if (!c.user || !c.secret || helper)
			abort();
	} else if (rc == 0) {
		if (c.user || c.secret || (helper && !helper_name_ok(helper)))
			abort();
	} else if (rc != -1 || c.user || helper || !err.msg[0]) {
		abort();
	}
	credentials_free(&c);
	free(helper);

	/* Without a place for a helper's name, the same answer where credentials were found. */
	int rc2 = credentials_from_docker_config(text, host, &c, NULL, &err);
	if (rc2 != rc)
		abort();
	credentials_free(&c);
	free(text);
	free(host);
	return 0;
}
