/* Containers: named root filesystems under the data path (MODEL.md), made from a directory, a
 * tar file or an image in the store, listed, opened for start and removed. Not the start path
 * itself (plan.c, spawn.c).
 *
 *   DATA/containers/NAME/rootfs   the tree (plain), or an empty mount point (image)
 *   DATA/containers/NAME/layers   image only: the layers' diff_ids, bottom first, one a line
 *   DATA/containers/NAME/config.json  image only: the image config it was made from
 *   DATA/containers/NAME/image    image only: the image's name and manifest digest
 *   DATA/containers/NAME/image-file  image file only: the file's absolute path
 *   DATA/containers/NAME/upper, work  image or image file: the overlay's upper and work dirs */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct container {
	char *name;
	char *dir;    /* DATA/containers/NAME */
	char *rootfs; /* DATA/containers/NAME/rootfs */
	/* Made from an image: */
	char **diff_ids;   /* NULL for a plain tree */
	char *config_json; /* the image config */
	size_t config_len;
	char *upper, *work;
	char *image_name; /* the image's name as it was made from it; may be NULL */
	char *image_file; /* made from an image file: its absolute path; else NULL */
};

/* What container_create_image records of an image. */
struct container_image {
	const char *name, *digest;
	const char *config_json;
	size_t config_len;
	char *const *diff_ids; /* bottom first */
};

/* A name is 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool container_name_valid(const char *name);

/* Default name for a source: its basename without .tar, .tar.gz, .tgz, .tar.zst, .tar.xz,
 * .tar.bz2, .sqsh, .sqfs or a trailing "/". malloc'd; NULL when nothing valid is left. */
char *container_default_name(const char *source);

/* Make container NAME from SOURCE (a directory, copied, or a tar file). Everything is written
 * under a temporary name and renamed into place; a failure leaves nothing behind. With force,
 * an existing container of that name is replaced. */
int container_create(const char *data_path, const char *name, const char *source, bool force,
                     struct error *err);

/* Make container NAME from an image in the store: no copy, an overlay of its layer dirs at
 * every start, changes in the container's own upper dir. */
int container_create_image(const char *data_path, const char *name, const struct container_image *image,
                           bool force, struct error *err);

/* Make container NAME from an image file (absolute path): the file is its lowest layer at every
 * start (nothing unpacked), changes in the container's own upper dir. */
int container_create_image_file(const char *data_path, const char *name, const char *image_file, bool force,
                                struct error *err);

int container_open(const char *data_path, const char *name, struct container *c, struct error *err);
void container_free(struct container *c);

/* Sorted names; *names is a NULL-terminated vector (strv_free). */
int container_list(const char *data_path, char ***names, struct error *err);

/* Remove NAME; err->code == ENOENT when there is no such container. */
int container_remove(const char *data_path, const char *name, struct error *err);
