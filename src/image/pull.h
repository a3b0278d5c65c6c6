/* Pulling an image into the store: manifest (chosen from an index for a platform), config,
 * and every layer fetched, verified and unpacked in one streaming pass, several at once.
 * Layers already unpacked are neither fetched nor unpacked again. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/error.h"

struct pull_options {
	const struct platform *platform; /* NULL: this host's */
	int max_connections;             /* 0: BURROW_MAX_CONNECTIONS, else 8 */
	/* Called with a short line per event (a layer fetched, found in the cache); may be NULL. */
	void (*progress)(void *ctx, const char *line);
	void *progress_ctx;
};

struct pull_result {
	char *name;               /* the name the image got in the store */
	char digest[80];          /* of its manifest */
	size_t layers_fetched;    /* fetched and unpacked now */
	size_t layers_cached;     /* already there */
	uint64_t devices_skipped; /* device nodes in the layers, which cannot be made unprivileged */
};

int pull_image(struct store *st, const struct reference *ref, const struct pull_options *opts,
               struct pull_result *result, struct error *err);
void pull_result_free(struct pull_result *result);
