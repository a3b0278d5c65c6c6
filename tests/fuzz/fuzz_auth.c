/* Fuzz harness: arbitrary text as a WWW-Authenticate value, and through base64 both ways.
 * Checks: a parsed challenge is well-formed; decoding accepts only the one encoding of its bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/auth.h"

static void check_value(const char *v)
{
	if (!v)
		return;
	size_t n = strlen(v);
	if (n > 4096)
		abort();
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct auth_challenge c;
	struct error err;
	if (auth_parse_challenge(text, &c, &err) == 0) {
		if (c.scheme != AUTH_BASIC && c.scheme != AUTH_BEARER)
			abort();
		if (c.scheme == AUTH_BEARER && (!c.realm || (strncasecmp(c.realm, "https://", 8) != 0 &&
		                                             strncasecmp(c.realm, "http://", 7) != 0)))
			abort();
		check_value(c.realm);
		check_value(c.service);
		check_value(c.scope);
	} else if (c.realm || c.service || c.scope || c.scheme != AUTH_NONE || !err.msg[0]) {
		abort();
	}
	auth_challenge_free(&c);

	size_t len = 0;
	unsigned char *dec = base64_decode(text, &len);
	if (dec) {
		char *again = base64_encode(dec, len);
		if (!again || strcmp(again, text) != 0)
			abort();
		free(again);
		free(dec);
	}

	char *enc = base64_encode(data, size);
	if (!enc)
		abort();
	dec = base64_decode(enc, &len);
	if (!dec || len != size || memcmp(dec, data, size) != 0)
		abort();
	free(dec);
	free(enc);
	free(text);
	return 0;
}
