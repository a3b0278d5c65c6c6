/* Unit tests for WWW-Authenticate challenge parsing and base64 (src/image/auth.c).
 * Not for credential files and helpers (test_credentials.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/auth.h"
#include "util/cleanup.h"

static void test_bearer_docker_hub(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(
	        auth_parse_challenge(
	                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	                "scope=\"repository:library/ubuntu:pull\"",
	                &c, &err),
	        0);
	assert_int_equal(c.scheme, AUTH_BEARER);
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/ubuntu:pull");
	auth_challenge_free(&c);
	assert_null(c.realm);
	assert_null(c.service);
	assert_null(c.scope);
	auth_challenge_free(&c); /* twice is harmless */
	auth_challenge_free(NULL);
}

static void test_basic_realm(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(auth_parse_challenge("Basic realm=\"Registry Realm\"", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	assert_string_equal(c.realm, "Registry Realm");
	assert_null(c.service);
	assert_null(c.scope);
	auth_challenge_free(&c);

	assert_int_equal(auth_parse_challenge("Basic", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	assert_null(c.realm);
	auth_challenge_free(&c);
}

static void test_scheme_case_insensitive(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(auth_parse_challenge("bEaReR REALM=\"https://r/t\",Service=s", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BEARER);
	assert_string_equal(c.realm, "https://r/t");
	assert_string_equal(c.service, "s");
	auth_challenge_free(&c);
	assert_int_equal(auth_parse_challenge("BASIC realm=x", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	auth_challenge_free(&c);
	assert_int_equal(auth_parse_challenge("Bearer realm=\"HTTP://r/t\"", &c, &err), 0);
	assert_string_equal(c.realm, "HTTP://r/t");
	auth_challenge_free(&c);
}

static void test_whitespace_tolerated(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(auth_parse_challenge(
	                         "  Bearer \t realm = \"https://a/t\" ,  service =reg ,,scope\t=\t\"x y\"  ",
	                         &c, &err),
	                 0);
	assert_string_equal(c.realm, "https://a/t");
	assert_string_equal(c.service, "reg");
	assert_string_equal(c.scope, "x y");
	auth_challenge_free(&c);
}

static void test_quoted_escapes_and_bare_values(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(
	        auth_parse_challenge("Bearer realm=\"https://a/t?q=\\\"1\\\\\",service=\"a,b\",scope=\"\"",
	                             &c, &err),
	        0);
	assert_string_equal(c.realm, "https://a/t?q=\"1\\");
	assert_string_equal(c.service, "a,b");
	assert_string_equal(c.scope, "");
	auth_challenge_free(&c);

	/* Unquoted: tokens as RFC 7235 has them, and bare URLs as some servers send them. */
	assert_int_equal(
	        auth_parse_challenge("Bearer realm=https://a:8443/token?x=1,service=registry.docker.io", &c,
	                             &err),
	        0);
	assert_string_equal(c.realm, "https://a:8443/token?x=1");
	assert_string_equal(c.service, "registry.docker.io");
	auth_challenge_free(&c);
}

static void test_unknown_parameters_ignored(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(
	        auth_parse_challenge("Bearer realm=\"https://x/t\",error=\"insufficient_scope\",foo=bar,"
	                             "scope=\"repository:a:pull,push\"",
	                             &c, &err),
	        0);
	assert_string_equal(c.realm, "https://x/t");
	assert_null(c.service);
	assert_string_equal(c.scope, "repository:a:pull,push");
	auth_challenge_free(&c);
}

static void test_only_first_challenge_used(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(auth_parse_challenge("Bearer realm=\"https://a/t\",service=\"s\", Basic realm=\"b\"",
	                                      &c, &err),
	                 0);
	assert_int_equal(c.scheme, AUTH_BEARER);
	assert_string_equal(c.realm, "https://a/t");
	assert_string_equal(c.service, "s");
	auth_challenge_free(&c);

	assert_int_equal(
	        auth_parse_challenge("Basic realm=\"r\", Bearer realm=\"https://a/t\",service=x", &c, &err),
	        0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	assert_string_equal(c.realm, "r");
	assert_null(c.service);
	auth_challenge_free(&c);

	assert_int_equal(auth_parse_challenge("Basic, Bearer realm=\"https://a/t\"", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	assert_null(c.realm);
	auth_challenge_free(&c);

	/* The second challenge is not even looked at: its scheme may be unknown. */
	assert_int_equal(auth_parse_challenge("Basic realm=\"r\", Negotiate", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	auth_challenge_free(&c);
}

static void test_token68_ignored(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(auth_parse_challenge("Basic dGVzdA==", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
	assert_null(c.realm);
	auth_challenge_free(&c);
}

/* Each bad header fails with a message naming what is wrong and leaves nothing allocated. */
static void expect_error(const char *header, const char *needle)
{
	struct auth_challenge c;
	struct error err = {0};
	assert_int_equal(auth_parse_challenge(header, &c, &err), -1);
	assert_int_equal(c.scheme, AUTH_NONE);
	assert_null(c.realm);
	assert_null(c.service);
	assert_null(c.scope);
	if (!strstr(err.msg, needle))
		fail_msg("'%s': got '%s', wanted '%s'", header ? header : "(null)", err.msg, needle);
}

static void test_errors(void **state)
{
	expect_error(NULL, "missing");
	expect_error("", "no authentication scheme");
	expect_error("   ", "no authentication scheme");
	expect_error("Digest realm=\"x\"", "unsupported scheme 'Digest'");
	expect_error("Bearer", "without a realm");
	expect_error("Bearer service=\"x\"", "without a realm");
	expect_error("Bearer realm=\"ftp://x/t\"", "not an http(s) URL");
	expect_error("Bearer realm=\"https://\"", "not an http(s) URL");
	expect_error("Bearer realm=\"https:///x\"", "not an http(s) URL");
	expect_error("Bearer realm=\"/token\"", "not an http(s) URL");
	expect_error("Bearer realm=\"https://a/t", "unterminated quoted value");
	expect_error("Bearer realm=\"https://a/t\\", "unterminated quoted value");
	expect_error("Bearer realm=\"https://a/t\" service=\"x\"", "expected ','");
	expect_error("Bearer realm=\"https://a/t\",realm=\"https://b/t\"", "realm given twice");
	expect_error("Bearer realm=\"https://a/\tt\x01\"", "control character");
	expect_error("Bearer realm=", "without a realm");           /* token68 again */
	expect_error("Bearer realm=,service=x", "without a realm"); /* "realm=" alone reads as token68 */
	expect_error("Bearer realm=\"https://a/t\",service=", "missing value");
	expect_error("Bearer realm=\"https://a/t\",service=a\"b",
	             "unexpected character in an unquoted value");
	expect_error("Bearer realm=\"https://a/t\",\"x\"=1", "unexpected byte 0x22 at offset 27");
	expect_error("Bearer@ realm=x", "unexpected character after the scheme");
	expect_error("Bearer realm=\"https://a/t\",\nservice=x", "unexpected byte 0x0a");
}

static void test_value_length_limit(void **state)
{
	struct auth_challenge c;
	struct error err = {0};
	char *header = malloc(8192 + 64);
	assert_non_null(header);

	/* 4096 bytes is the most a value may hold, quoted or not. */
	strcpy(header, "Bearer realm=\"https://a/t\",scope=\"");
	size_t n = strlen(header);
	memset(header + n, 'x', 4096);
	strcpy(header + n + 4096, "\"");
	assert_int_equal(auth_parse_challenge(header, &c, &err), 0);
	assert_int_equal(strlen(c.scope), 4096);
	auth_challenge_free(&c);

	memset(header + n, 'x', 4097);
	strcpy(header + n + 4097, "\"");
	expect_error(header, "longer than 4096 bytes");

	strcpy(header, "Bearer realm=\"https://a/t\",scope=");
	n = strlen(header);
	memset(header + n, 'y', 4096);
	header[n + 4096] = '\0';
	assert_int_equal(auth_parse_challenge(header, &c, &err), 0);
	assert_int_equal(strlen(c.scope), 4096);
	auth_challenge_free(&c);
	memset(header + n, 'y', 4097);
	header[n + 4097] = '\0';
	expect_error(header, "parameter scope: value longer than 4096 bytes");
	free(header);
}

static const struct {
	const char *plain, *encoded;
} rfc4648[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
};

static void test_base64_rfc4648_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		cleanup_free char *enc = base64_encode(rfc4648[i].plain, strlen(rfc4648[i].plain));
		assert_non_null(enc);
		assert_string_equal(enc, rfc4648[i].encoded);
		size_t len = 99;
		cleanup_free char *dec = base64_decode(rfc4648[i].encoded, &len);
		assert_non_null(dec);
		assert_int_equal(len, strlen(rfc4648[i].plain));
		assert_memory_equal(dec, rfc4648[i].plain, len);
		assert_int_equal(dec[len], '\0');
	}
}

static void test_base64_binary_round_trip(void **state)
{
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	for (size_t n = 0; n <= sizeof(all); n += 1 + n / 7) {
		cleanup_free char *enc = base64_encode(all, n);
		assert_non_null(enc);
		assert_int_equal(strlen(enc), (n + 2) / 3 * 4);
		size_t len = 0;
		cleanup_free unsigned char *dec = base64_decode(enc, &len);
		assert_non_null(dec);
		assert_int_equal(len, n);
		assert_memory_equal(dec, all, n);
	}
	/* Every character of the alphabet decodes to its own value. */
	static const unsigned char bytes[] = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30,
	                                      0xd3, 0x8f, 0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96,
	                                      0x9b, 0x71, 0xd7, 0x9f, 0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7,
	                                      0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf, 0xc3, 0x1c, 0xb3, 0xd3,
	                                      0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
	size_t len = 0;
	cleanup_free unsigned char *dec =
	        base64_decode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", &len);
	assert_non_null(dec);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(dec, bytes, len);
}

static void test_base64_decode_refuses(void **state)
{
	static const char *const bad[] = {
	        "Zg",       /* not a multiple of 4 */
	        "Zg=",      /* likewise */
	        "Z===",     /* three padding characters */
	        "====",     /* all padding */
	        "Zg==Zg==", /* padding before the end */
	        "=Zg=",     /* padding first */
	        "Zm=v",     /* padding inside a group */
	        "Zm9v!A==", /* not in the alphabet */
	        "Zm 9v",    /* whitespace */
	        "Zm9v\n",   /* newline */
	        "-_-_",     /* the URL-safe alphabet */
	        "Zh==",     /* bits left over by padding must be zero */
	        "Zm9=",     /* likewise */
	        "Zm9vY\xc3\xa9==",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = 77;
		void *dec = base64_decode(bad[i], &len);
		if (dec) {
			free(dec);
			fail_msg("'%s' decoded", bad[i]);
		}
		assert_int_equal(len, 77); /* untouched on failure */
	}
	/* len may be NULL. */
	cleanup_free char *dec = base64_decode("Zm9vYmFy", NULL);
	assert_string_equal(dec, "foobar");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bearer_docker_hub),
	        cmocka_unit_test(test_basic_realm),
	        cmocka_unit_test(test_scheme_case_insensitive),
	        cmocka_unit_test(test_whitespace_tolerated),
	        cmocka_unit_test(test_quoted_escapes_and_bare_values),
	        cmocka_unit_test(test_unknown_parameters_ignored),
	        cmocka_unit_test(test_only_first_challenge_used),
	        cmocka_unit_test(test_token68_ignored),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_value_length_limit),
	        cmocka_unit_test(test_base64_rfc4648_vectors),
	        cmocka_unit_test(test_base64_binary_round_trip),
	        cmocka_unit_test(test_base64_decode_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
