/* sha256 digests: the strings checked before use, and streaming hashes with nettle (linked
 * already for libarchive; its sha256 uses the CPU's SHA instructions where there are some). */
#include "image/digest.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_ctx {
	struct sha256_ctx sha;
};

bool digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0)
		return false;
	const char *hex = digest + 7;
	size_t i = 0;
	for (; hex[i]; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return i == DIGEST_HEX_LEN;
}

const char *digest_hex(const char *digest)
{
	return digest + 7;
}

struct digest_ctx *digest_new(void)
{
	struct digest_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx)
		sha256_init(&ctx->sha);
	return ctx;
}

void digest_update(struct digest_ctx *ctx, const void *buf, size_t len)
{
	sha256_update(&ctx->sha, len, buf);
}

static void format_hex(const unsigned char raw[SHA256_DIGEST_SIZE], char out[DIGEST_STRING_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[7 + 2 * i] = hex[raw[i] >> 4];
		out[7 + 2 * i + 1] = hex[raw[i] & 15];
	}
	out[DIGEST_STRING_LEN] = '\0';
}

void digest_final(struct digest_ctx *ctx, char out[DIGEST_STRING_LEN + 1])
{
	unsigned char raw[SHA256_DIGEST_SIZE];
	sha256_digest(&ctx->sha, sizeof(raw), raw); /* also starts the context over */
	format_hex(raw, out);
}

void digest_free(struct digest_ctx *ctx)
{
	free(ctx);
}

void digest_buffer(const void *buf, size_t len, char out[DIGEST_STRING_LEN + 1])
{
	struct sha256_ctx sha;
	unsigned char raw[SHA256_DIGEST_SIZE];
	sha256_init(&sha);
	sha256_update(&sha, len, buf);
	sha256_digest(&sha, sizeof(raw), raw);
	format_hex(raw, out);
}
