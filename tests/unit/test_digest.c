/* Unit tests for sha256 digests (src/image/digest.c): known vectors, streaming equal to one-shot,
 * context reuse, and which digest strings are accepted. Not for blob verification in the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/digest.h"
#include "util/cleanup.h"

#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA256   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2, two blocks */
#define NIST2_TEXT   "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define NIST2_SHA256 "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
/* 1 MiB of (i * 31 + 7) & 0xff, hashed by another implementation */
#define MIB_SHA256 "sha256:06b7bbfb7824aa03382051691630eb26de85102d1b08a81e907ec0744cd8a286"
#define MIB        (1u << 20)

static void cleanup_digest_fn(struct digest_ctx **ctx)
{
	digest_free(*ctx);
}
#define cleanup_digest __attribute__((cleanup(cleanup_digest_fn)))

static void test_known_vectors_one_shot(void **state)
{
	char out[DIGEST_STRING_LEN + 1];
	digest_buffer("", 0, out);
	assert_string_equal(out, EMPTY_SHA256);
	digest_buffer("abc", 3, out);
	assert_string_equal(out, ABC_SHA256);
	digest_buffer(NIST2_TEXT, strlen(NIST2_TEXT), out);
	assert_string_equal(out, NIST2_SHA256);
	assert_int_equal(strlen(out), DIGEST_STRING_LEN);
}

static void test_known_vectors_streamed(void **state)
{
	cleanup_digest struct digest_ctx *ctx = digest_new();
	assert_non_null(ctx);
	char out[DIGEST_STRING_LEN + 1];
	digest_final(ctx, out);
	assert_string_equal(out, EMPTY_SHA256);

	digest_update(ctx, "a", 1);
	digest_update(ctx, "", 0);
	digest_update(ctx, "bc", 2);
	digest_final(ctx, out);
	assert_string_equal(out, ABC_SHA256);
}

/* Chunk sizes that straddle sha256's 64-byte blocks in every way, as network reads do. */
static void test_uneven_chunks_equal_one_shot(void **state)
{
	cleanup_free unsigned char *buf = malloc(MIB);
	assert_non_null(buf);
	for (size_t i = 0; i < MIB; i++)
		buf[i] = (unsigned char)((i * 31 + 7) & 0xff);

	char one_shot[DIGEST_STRING_LEN + 1];
	digest_buffer(buf, MIB, one_shot);
	assert_string_equal(one_shot, MIB_SHA256);

	static const size_t chunks[] = {1, 63, 64, 65, 127, 4096, 4097, 0, 65536 + 3, 7};
	cleanup_digest struct digest_ctx *ctx = digest_new();
	assert_non_null(ctx);
	size_t off = 0;
	for (size_t k = 0; off < MIB; k++) {
		size_t n = chunks[k % (sizeof(chunks) / sizeof(chunks[0]))];
		if (n > MIB - off)
			n = MIB - off;
		digest_update(ctx, buf + off, n);
		off += n;
	}
	char streamed[DIGEST_STRING_LEN + 1];
	digest_final(ctx, streamed);
	assert_string_equal(streamed, one_shot);

	/* and a different split of the same bytes gives the same again */
	digest_update(ctx, buf, MIB / 3);
	digest_update(ctx, buf + MIB / 3, MIB - MIB / 3);
	digest_final(ctx, streamed);
	assert_string_equal(streamed, MIB_SHA256);
}

static void test_final_resets_for_reuse(void **state)
{
	cleanup_digest struct digest_ctx *ctx = digest_new();
	assert_non_null(ctx);
	char out[DIGEST_STRING_LEN + 1];
	digest_update(ctx, "abc", 3);
	digest_final(ctx, out);
	assert_string_equal(out, ABC_SHA256);
	/* nothing fed since: the empty digest, not "abc" again */
	digest_final(ctx, out);
	assert_string_equal(out, EMPTY_SHA256);
	/* nothing of "xyz" leaks into the next hash */
	digest_update(ctx, "xyz", 3);
	digest_final(ctx, out);
	assert_string_equal(out, "sha256:3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282");
	digest_update(ctx, "abc", 3);
	digest_final(ctx, out);
	assert_string_equal(out, ABC_SHA256);
	digest_free(NULL); /* a no-op, as free(NULL) */
}

static void test_valid_accepts_exactly_sha256_hex(void **state)
{
	assert_true(digest_valid(EMPTY_SHA256));
	assert_true(digest_valid(ABC_SHA256));
	assert_true(digest_valid("sha256:0000000000000000000000000000000000000000000000000000000000000000"));
	assert_true(digest_valid("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
}

static void test_valid_refuses_the_rest(void **state)
{
	static const char *const bad[] = {
	        "",
	        "sha256:",
	        "sha256",
	        /* upper case hex, upper case algorithm */
	        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85A",
	        "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        /* short, long */
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        /* other algorithms */
	        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "sha384:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "md5:d41d8cd98f00b204e9800998ecf8427e",
	        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        ":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        /* path tricks: a digest becomes a file name and a URL part */
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b785/b855",
	        "sha256:../../../../../../../../../../../../../../../../../../etc/passwd",
	        "sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "sha256:..c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        /* spaces, separators, garbage */
	        " sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
	        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n",
	        "sha256::3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "sha256:\xe3\xb0"
	        "c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "\x01\x02garbage\x7f",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (digest_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(digest_valid(NULL));
}

static void test_hex_points_past_the_algorithm(void **state)
{
	const char *d = ABC_SHA256;
	assert_ptr_equal(digest_hex(d), d + 7);
	assert_string_equal(digest_hex(d),
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(digest_hex(d)), DIGEST_HEX_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_vectors_one_shot),
	        cmocka_unit_test(test_known_vectors_streamed),
	        cmocka_unit_test(test_uneven_chunks_equal_one_shot),
	        cmocka_unit_test(test_final_resets_for_reuse),
	        cmocka_unit_test(test_valid_accepts_exactly_sha256_hex),
	        cmocka_unit_test(test_valid_refuses_the_rest),
	        cmocka_unit_test(test_hex_points_past_the_algorithm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
