/* Containers: named root filesystems under the data path (MODEL.md), made from a directory or
 * a tar file, listed, opened for start and removed. Not the start path itself (plan.c, spawn.c). */
#pragma once

#include <stdbool.h>

#include "util/error.h"

struct container {
	char *name;
	char *dir;    /* DATA/containers/NAME */
	char *rootfs; /* DATA/containers/NAME/rootfs */
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

int container_open(const char *data_path, const char *name, struct container *c, struct error *err);
void container_free(struct container *c);

/* Sorted names; *names is a NULL-terminated vector (strv_free). */
int container_list(const char *data_path, char ***names, struct error *err);

/* Remove NAME; err->code == ENOENT when there is no such container. */
int container_remove(const char *data_path, const char *name, struct error *err);
