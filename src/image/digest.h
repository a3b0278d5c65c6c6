/* sha256 digests: validating the "sha256:<64 hex>" strings that come from outside before they
 * are used in any path or URL, and hashing streams as they pass (nettle). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define DIGEST_HEX_LEN    64
#define DIGEST_STRING_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

/* True only for "sha256:" followed by exactly 64 lowercase hex digits. */
bool digest_valid(const char *digest);

/* The hex part of a valid digest (pointer into digest). */
const char *digest_hex(const char *digest);

struct digest_ctx;

struct digest_ctx *digest_new(void); /* NULL on ENOMEM */
void digest_update(struct digest_ctx *ctx, const void *buf, size_t len);
/* Writes "sha256:<hex>" (DIGEST_STRING_LEN + 1 bytes) and resets ctx for reuse. */
void digest_final(struct digest_ctx *ctx, char out[DIGEST_STRING_LEN + 1]);
void digest_free(struct digest_ctx *ctx);

/* Digest of a buffer, for manifests and configs held in memory. */
void digest_buffer(const void *buf, size_t len, char out[DIGEST_STRING_LEN + 1]);
