/* sha256 digests: the strings checked before use, and streaming hashes over libcrypto's EVP. */
#include "image/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_ctx {
	EVP_MD_CTX *md;
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
	if (!ctx)
		return NULL;
	ctx->md = EVP_MD_CTX_new();
	if (!ctx->md || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx->md);
		free(ctx);
		return NULL;
	}
	return ctx;
}

void digest_update(struct digest_ctx *ctx, const void *buf, size_t len)
{
	EVP_DigestUpdate(ctx->md, buf, len);
}

static void format_hex(const unsigned char *raw, unsigned int n, char out[DIGEST_STRING_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n && i < DIGEST_HEX_LEN / 2; i++) {
		out[7 + 2 * i] = hex[raw[i] >> 4];
		out[7 + 2 * i + 1] = hex[raw[i] & 15];
	}
	out[DIGEST_STRING_LEN] = '\0';
}

void digest_final(struct digest_ctx *ctx, char out[DIGEST_STRING_LEN + 1])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(ctx->md, raw, &n);
	format_hex(raw, n, out);
	EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL);
}

void digest_free(struct digest_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

void digest_buffer(const void *buf, size_t len, char out[DIGEST_STRING_LEN + 1])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(buf, len, raw, &n, EVP_sha256(), NULL);
	format_hex(raw, n, out);
}
