/* A merged image tree (flatten.h) written as a squashfs image file with libsquashfs's low-level
 * pieces: data blocks compressed by worker threads, then inodes, directories and tables. Not the
 * merging of layers, nor where the file goes (cli/import.c). */
#pragma once

#include <stdint.h>

#include "image/flatten.h"
#include "util/error.h"

struct squashfs_options {
	int compressor;      /* an SQFS_COMPRESSOR id (squashfs_compressor_parse) */
	unsigned workers;    /* compression threads, at least 1 */
	uint32_t mtime;      /* of the filesystem (super block) */
	int64_t clamp_mtime; /* >= 0: no file time later than this (SOURCE_DATE_EPOCH) */
};

/* "zstd", "gzip", "lz4" or "xz" to its SQFS_COMPRESSOR id; -1 with err otherwise. */
int squashfs_compressor_parse(const char *name, int *id, struct error *err);

/* Write t to fd (an empty file open for reading and writing). The output is the same bytes
 * for the same tree and options, whatever the number of workers. */
int squashfs_write(struct flat_tree *t, int fd, const struct squashfs_options *o, struct error *err);
