/* What store.c shares with store_gc.c and no other room: the store's layout, its lock files and
 * index.json as JSON. Callers outside src/image/store*.c use store.h only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "image/store.h"
#include "util/error.h"

#define STORE_INDEX_PATH "oci/index.json"
#define STORE_BLOBS_DIR  "oci/blobs/sha256"
#define STORE_LAYERS_DIR "layers/sha256"
#define STORE_TMP_DIR    "tmp"
#define STORE_INDEX_LOCK "locks/index"
#define STORE_WIDE_LOCK  "locks/store"
/* Lock and temporary names: locks/sha256-HEX and tmp/sha256-HEX.partial for a blob being
 * written, locks/layer-HEX and tmp/layer-HEX-XXXXXX for a layer being unpacked (HEX of its
 * diff_id). Anything else under tmp/ is no temporary of ours. */
#define STORE_PARTIAL_SUFFIX ".partial"

/* An exclusive flock on name under dirfd, created when missing; the fd holds it. Without wait,
 * a lock held elsewhere fails at once with EWOULDBLOCK. */
int store_lock_take(int dirfd, const char *name, bool wait, struct error *err);
/* Release; with remove, unlink the lock file first (store_lock_take copes with that). */
void store_lock_drop(int dirfd, const char *name, int fd, bool remove);

/* index.json parsed, with "manifests" an array (added when missing). */
json_t *store_index_load(const struct store *st, struct error *err);
