/* WWW-Authenticate challenges (RFC 7235) as registries send them, and base64 (RFC 4648).
 * Not where credentials come from (credentials.c) nor the HTTP exchanges (registry.c). */
#include <stddef.h> /* auth.h uses size_t without including it */

#include "image/auth.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"

/* A parameter value longer than this is refused: realms, services and scopes are short, and a
 * hostile registry must not make us carry megabytes into the next request. */
#define AUTH_VALUE_MAX 4096

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* RFC 7230 tchar. */
static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_ctl(char ch)
{
	unsigned char u = (unsigned char)ch;
	return (u < 0x20 && ch != '\t') || u == 0x7f;
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* RFC 7235 token68 ("Basic dGVzdA=="): taken and ignored when it is all a challenge carries. */
static const char *match_token68(const char *p)
{
	const char *q = p;
	while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
	       (*q != '\0' && strchr("-._~+/", *q)))
		q++;
	if (q == p)
		return NULL;
	while (*q == '=')
		q++;
	q = skip_space(q);
	return *q == '\0' || *q == ',' ? q : NULL;
}

/* A quoted-string after its opening quote; *out gets the unescaped value. */
static const char *parse_quoted(const char *p, char **out, struct error *err)
{
	cleanup_free char *buf = malloc(AUTH_VALUE_MAX + 1);
	if (!buf) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	size_t n = 0;
	for (;;) {
		char ch = *p++;
		if (ch == '\0') {
			error_set(err, EINVAL, "unterminated quoted value");
			return NULL;
		}
		if (ch == '"')
			break;
		if (ch == '\\') {
			ch = *p++;
			if (ch == '\0') {
				error_set(err, EINVAL, "unterminated quoted value");
				return NULL;
			}
		}
		if (is_ctl(ch)) {
			error_set(err, EINVAL, "control character in a quoted value");
			return NULL;
		}
		if (n == AUTH_VALUE_MAX) {
			error_set(err, E2BIG, "value longer than %d bytes", AUTH_VALUE_MAX);
			return NULL;
		}
		buf[n++] = ch;
	}
	buf[n] = '\0';
	*out = steal_pointer(&buf);
	return p;
}

/* An unquoted value. RFC 7235 wants a token, but some servers send a bare URL as the realm, so
 * anything up to the next space or comma is taken. */
static const char *parse_bare(const char *p, char **out, struct error *err)
{
	const char *start = p;
	while (*p && !is_space(*p) && *p != ',') {
		if (*p == '"' || *p == '\\' || is_ctl(*p)) {
			error_set(err, EINVAL, "unexpected character in an unquoted value (quote it)");
			return NULL;
		}
		p++;
	}
	size_t n = (size_t)(p - start);
	if (n == 0) {
		error_set(err, EINVAL, "missing value after '='");
		return NULL;
	}
	if (n > AUTH_VALUE_MAX) {
		error_set(err, E2BIG, "value longer than %d bytes", AUTH_VALUE_MAX);
		return NULL;
	}
	*out = strndup(start, n);
	if (!*out) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	return p;
}

static bool realm_is_http(const char *realm)
{
	size_t skip = strncasecmp(realm, "https://", 8) == 0  ? 8
	              : strncasecmp(realm, "http://", 7) == 0 ? 7
	                                                      : 0;
	return skip && realm[skip] != '\0' && realm[skip] != '/';
}

static int parse_params(const char *header, const char *p, struct auth_challenge *c, struct error *err)
{
	bool first = true;
	for (;;) {
		p = skip_space(p);
		while (*p == ',')
			p = skip_space(p + 1);
		if (*p == '\0')
			return 0;
		if (first && match_token68(p))
			return 0;
		first = false;
		const char *name = p;
		while (is_tchar(*p))
			p++;
		size_t name_len = (size_t)(p - name);
		if (name_len == 0)
			return error_set(
			        err, EINVAL,
			        "unexpected byte 0x%02x at offset %zu where a parameter name belongs",
			        (unsigned char)*p, (size_t)(p - header));
		p = skip_space(p);
		/* A name without '=' starts the next challenge of a list: only the first is used. */
		if (*p != '=')
			return 0;
		p = skip_space(p + 1);
		cleanup_free char *value = NULL;
		p = *p == '"' ? parse_quoted(p + 1, &value, err) : parse_bare(p, &value, err);
		if (!p) {
			error_prefix(err, "parameter %.*s", (int)(name_len > 64 ? 64 : name_len), name);
			return -1;
		}
		char **slot = NULL;
		if (name_len == 5 && strncasecmp(name, "realm", 5) == 0)
			slot = &c->realm;
		else if (name_len == 7 && strncasecmp(name, "service", 7) == 0)
			slot = &c->service;
		else if (name_len == 5 && strncasecmp(name, "scope", 5) == 0)
			slot = &c->scope;
		if (slot && *slot)
			return error_set(err, EINVAL, "parameter %.*s given twice", (int)name_len, name);
		if (slot)
			*slot = steal_pointer(&value);
		p = skip_space(p);
		if (*p != '\0' && *p != ',')
			return error_set(err, EINVAL, "expected ',' after parameter %.*s",
			                 (int)(name_len > 64 ? 64 : name_len), name);
	}
}

int auth_parse_challenge(const char *header, struct auth_challenge *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	if (!header)
		return error_set(err, EINVAL, "WWW-Authenticate: missing");
	const char *p = skip_space(header);
	while (*p == ',')
		p = skip_space(p + 1);
	const char *scheme = p;
	while (is_tchar(*p))
		p++;
	size_t scheme_len = (size_t)(p - scheme);
	if (scheme_len == 0)
		return error_set(err, EINVAL, "WWW-Authenticate: no authentication scheme");
	if (*p != '\0' && *p != ',' && !is_space(*p))
		return error_set(err, EINVAL, "WWW-Authenticate: unexpected character after the scheme");
	if (scheme_len == 5 && strncasecmp(scheme, "Basic", 5) == 0)
		c->scheme = AUTH_BASIC;
	else if (scheme_len == 6 && strncasecmp(scheme, "Bearer", 6) == 0)
		c->scheme = AUTH_BEARER;
	else
		return error_set(err, ENOTSUP,
		                 "WWW-Authenticate: unsupported scheme '%.*s' (only Basic and Bearer)",
		                 (int)(scheme_len > 32 ? 32 : scheme_len), scheme);
	/* "Basic, Bearer ...": a comma right after the scheme ends this challenge. */
	if (*skip_space(p) != ',' && parse_params(header, p, c, err) < 0) {
		auth_challenge_free(c);
		error_prefix(err, "WWW-Authenticate");
		return -1;
	}
	if (c->scheme == AUTH_BEARER && (!c->realm || !realm_is_http(c->realm))) {
		int rc = error_set(err, EINVAL, "WWW-Authenticate: Bearer challenge %s",
		                   c->realm ? "with a realm that is not an http(s) URL" : "without a realm");
		auth_challenge_free(c);
		return rc;
	}
	return 0;
}

void auth_challenge_free(struct auth_challenge *c)
{
	if (!c)
		return;
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *buf, size_t len)
{
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	const unsigned char *in = buf;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	char *o = out;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Strict: the length is a multiple of 4, '=' only as the last one or two characters, and the
 * bits that padding leaves over are zero, so every accepted text is the one encoding of its
 * bytes. The result carries a NUL after its len bytes so that text can be used as a string. */
void *base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	if (n % 4 != 0)
		return NULL;
	size_t pad = 0;
	if (n > 0 && text[n - 1] == '=')
		pad = n > 1 && text[n - 2] == '=' ? 2 : 1;
	unsigned char *out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		int v[4];
		for (int k = 0; k < 4; k++) {
			bool is_pad = last && (size_t)k >= 4 - pad;
			v[k] = is_pad ? 0 : b64_value(text[i + (size_t)k]);
			if (v[k] < 0) {
				free(out);
				return NULL;
			}
		}
		uint32_t bits =
		        (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if (last && ((pad == 1 && (bits & 0xff)) || (pad == 2 && (bits & 0xffff)))) {
			free(out);
			return NULL;
		}
		out[o++] = (unsigned char)(bits >> 16);
		if (!last || pad < 2)
			out[o++] = (unsigned char)(bits >> 8);
		if (!last || pad < 1)
			out[o++] = (unsigned char)bits;
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}
