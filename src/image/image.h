/* An image in the store, opened for use: found by the names a user types, its manifest and
 * config read and verified, its layer dirs located. Not pulling (pull.c) nor naming (store.c). */
#pragma once

#include <stddef.h>

#include "image/manifest.h"
#include "image/store.h"
#include "util/error.h"

struct image {
	char *name;        /* the store name it was found under */
	char *digest;      /* of its manifest */
	char *config_json; /* the config blob as stored, NUL-terminated */
	size_t config_len;
	struct image_config config;
	char **layer_dirs; /* host paths of its layer dirs, top layer first (NULL-terminated) */
	char **command;    /* Entrypoint + Cmd (NULL-terminated, may be empty) */
};

/* Find an image by what a user typed: an exact store name or manifest digest, else the names
 * reference_store_names() gives (so "127.0.0.1:5000/busybox" finds ":latest" and "mybox" finds
 * "localhost/mybox:latest" or Docker Hub's). err->code ENOENT when none matches. */
int image_find(const struct store *st, const char *text, struct store_image *out, struct error *err);

/* Find and open an image; every layer dir must be in the cache (ENOENT naming the layer and
 * telling to pull again otherwise). */
int image_open(const struct store *st, const char *text, struct image *img, struct error *err);
void image_free(struct image *img);

/* The default command of a config: Entrypoint then Cmd (NULL-terminated, may be empty;
 * NULL only when out of memory). */
char **image_config_command(const struct image_config *config);

/* Layer dirs for diff_ids (bottom first, as a config lists them), returned top first. */
char **image_layer_dirs(const struct store *st, char *const *diff_ids, struct error *err);
