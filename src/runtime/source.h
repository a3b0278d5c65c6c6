/* What `start` and `create` name, resolved as MODEL.md says: an image file, else a container by
 * name, else an image in the store, else a registry reference pulled first. Gives the start
 * source a plan is built from, and owns everything it points at. Not the plan (plan.c) nor the
 * pull itself (pull.c). */
#pragma once

#include <stdbool.h>

#include "image/image.h"
#include "runtime/container.h"
#include "runtime/plan.h"
#include "util/error.h"

struct source_paths {
	const char *data, *cache, *runtime;
	/* Pull ref into the store (the caller says so and shows progress); NULL: never pull. */
	int (*pull)(void *ctx, const char *ref, struct error *err);
	void *pull_ctx;
};

struct start_target {
	struct start_source src;
	bool is_container;
	/* owned: */
	struct container container;
	struct image image;
	struct image_config container_config;
	char **layer_dirs, **command;
	char *mount_point;
	char *image_file;  /* an image file's absolute path */
	char *notice;      /* one line for the user about how the start goes (an image file unpacked) */
	int store_lock_fd; /* held while an image runs without a container, so gc leaves its layers */
	int tree_lock_fd;  /* held while an unpacked image file is in use, so gc leaves its tree */
};

/* MODEL.md rule 1: arg names an existing regular file and contains '/' or ends in .sqsh or .sqfs.
 * A file named with a '/' only counts when it starts as squashfs does (so ./rootfs.tar stays a
 * tar for create). */
bool source_is_image_file(const char *arg);

/* Resolve arg for a start: an image file, else an existing container of that name, else an image (found or
 * pulled). Fails with one line listing what was tried when nothing matches. */
int source_open_start(const char *arg, const struct source_paths *paths, struct start_target *t,
                      struct error *err);
/* Resolve arg for a run: an image only (found or pulled), never a container. */
int source_open_run(const char *arg, const struct source_paths *paths, struct start_target *t,
                    struct error *err);
void start_target_free(struct start_target *t);

/* The fallback where FUSE is unusable (why says so, for the notice): t's image file unpacked
 * once into the cache and used as its only layer instead of a FUSE mount. */
int source_unpack_image_file(struct start_target *t, const struct source_paths *paths, const char *why,
                             struct error *err);

/* Make container name from the image arg names (found in the store, else pulled), holding the
 * store's shared lock from the lookup until the container records its layers, which gc keeps
 * from then on. */
int source_create_container(const char *arg, const char *name, const struct source_paths *paths, bool force,
                            struct error *err);

/* Make container name from image file path: its lower is the file, read in place at each start. */
int source_create_file_container(const char *path, const char *name, const struct source_paths *paths,
                                 bool force, struct error *err);

/* Resolve arg to an image for create (found in the store, else pulled). */
int source_open_image(const char *arg, const struct source_paths *paths, struct store *st, struct image *img,
                      struct error *err);
