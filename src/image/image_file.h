/* Image files (MODEL.md): layer dirs merged and written as one squashfs file with the image
 * config inside, under a temporary name renamed into place. Not the merge (flatten.c) nor the
 * squashfs format (squashfs.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Where the image config travels inside the file, for a start from it. */
#define IMAGE_FILE_CONFIG_PATH "/.burrow/config.json"

/* Write layer_dirs (host paths, top first) merged as overlayfs shows them, over image_file (an
 * image file read in place, when not NULL: a container made from one), plus config_json
 * (when not NULL) at IMAGE_FILE_CONFIG_PATH, to output with compressor (an SQFS_COMPRESSOR id).
 * SOURCE_DATE_EPOCH, when set, clamps file times and sets the filesystem's. Nothing is left at
 * output on failure; without force an existing output fails with err->code EEXIST. */
int image_file_write(char *const *layer_dirs, const char *image_file, const char *config_json,
                     size_t config_len, const char *output, int compressor, bool force, struct error *err);
