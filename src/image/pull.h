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

/* Where one layer stands, for a progress display. */
enum pull_layer_state {
	PULL_LAYER_WAITING,  /* reported for every layer before any is fetched */
	PULL_LAYER_FETCHING, /* bytes arriving */
	PULL_LAYER_DONE,     /* fetched, verified and unpacked */
	PULL_LAYER_CACHED    /* already unpacked, or unpacked from a blob already stored */
};

struct pull_layer_progress {
	size_t index, n_layers; /* index from 0, bottom layer first, of the manifest's n_layers */
	const char *digest;     /* the layer blob's */
	uint64_t done;          /* bytes received so far; meaningless once DONE or CACHED */
	int64_t total;          /* the blob's size, as the manifest gives it */
	enum pull_layer_state state;
};

struct pull_options {
	const struct platform *platform; /* NULL: this host's */
	int max_connections;             /* 0: BURROW_MAX_CONNECTIONS, else 8 */
	/* Called with a short line per event (a layer fetched, found in the cache); may be NULL. */
	void (*progress)(void *ctx, const char *line);
	/* Called as a layer's bytes arrive (every chunk) and when it is done, from the download
	 * threads, several at once: it must be thread-safe and quick, and throttle any drawing
	 * itself. May be NULL. */
	void (*layer_progress)(void *ctx, const struct pull_layer_progress *p);
	void *progress_ctx; /* for both */
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
