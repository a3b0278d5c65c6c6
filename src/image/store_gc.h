/* Keeping the image store tidy and whole: gc removes what no image reaches, fsck checks every
 * blob against its name and every image's references. Not for writing images (store.h, pull.h).
 *
 * What an image reaches: its index.json entry's manifest; an index's manifests that are stored;
 * an image manifest's config and layer blobs; the layer dirs of the config's diff_ids. Every
 * entry of index.json counts, with a name or without (entries other tools wrote). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/store.h"
#include "util/error.h"

enum store_item_kind {
	STORE_ITEM_BLOB,      /* oci/blobs/sha256/HEX */
	STORE_ITEM_LAYER,     /* layers/sha256/HEX */
	STORE_ITEM_TEMPORARY, /* under tmp/ (a partial blob, a layer being unpacked) or oci/, or
	                       * an image file's interrupted unpack */
	STORE_ITEM_UNPACKED   /* CACHE/imagefiles/KEY: an image file unpacked (imagefile_unpack.h) */
};

struct store_gc_item {
	enum store_item_kind kind;
	char *name;     /* "sha256:HEX" for blobs and layer dirs, the path in the store otherwise */
	uint64_t bytes; /* apparent size: the file's, or the sum of a tree's files */
};

struct store_gc_options {
	bool dry_run; /* find and measure, remove nothing */
	bool wait;    /* wait for pulls holding the store; else fail with EWOULDBLOCK */
	/* diff_ids whose layer dirs stay though no image names them (containers' overlays use them:
	 * store_gc_container_layers); NULL-terminated, may be NULL. */
	char *const *keep_layers;
};

struct store_gc_result {
	struct store_gc_item *items; /* what was removed (or would be, dry run), in that order */
	size_t n_items;
	size_t blobs, layers, temporaries, unpacked;
	uint64_t bytes;
};

/* Remove every blob and layer dir no image reaches and no keep_layers lists, and temporaries no
 * live process holds. Holds the store-wide lock exclusive (pulls wait, and gc waits for them)
 * and index.json's lock throughout. Refuses to run (EBADMSG) when an image's manifest or config
 * is corrupt, since what it reaches is then unknown: fsck --repair first. */
int store_gc(struct store *st, const struct store_gc_options *opts, struct store_gc_result *res,
             struct error *err);
void store_gc_result_free(struct store_gc_result *res);
/* Append an item to res and count it. */
int store_gc_add_item(struct store_gc_result *res, enum store_item_kind kind, const char *name,
                      uint64_t bytes, struct error *err);
/* Apparent size of file or tree rel under dir_fd (which is dir_path): what can be measured,
 * unreadable corners count as nothing. */
uint64_t store_gc_item_size(int dir_fd, const char *dir_path, const char *rel);

/* The diff_ids containers under data_path use: DATA/containers/NAME/layers, one diff_id a line,
 * of every container directory (temporaries of one being made included). NULL-terminated
 * (strv_free); empty when there are none. A layers file with a line that is no diff_id is an
 * error: gc must not guess what a container uses. */
int store_gc_container_layers(const char *data_path, char ***diff_ids, struct error *err);

/* One layers file's text: diff_ids appended to *diff_ids; blank lines and surrounding blanks
 * are ignored. On a line that is no diff_id, fails with EINVAL naming the line (prefix it with
 * the file). */
int store_gc_parse_layers(const char *text, char ***diff_ids, struct error *err);

struct store_fsck_options {
	bool repair; /* remove corrupt blobs (then report the images that need pulling again) */
	bool wait;   /* as for gc: only repair takes the store-wide lock exclusive */
};

struct store_fsck_report {
	size_t blobs_checked;
	char **problems;     /* one line each, NULL-terminated (may be NULL when there are none) */
	char **repairs;      /* what repair did, one line each */
	char **broken;       /* images (names, or manifest digests of unnamed entries) to pull again */
	size_t unrepaired;   /* problems still there afterwards */
	size_t corrupt_left; /* corrupt blobs left in place (no repair): a pull would not replace them */
};

/* Rehash every blob against its name, parse index.json, and check that every image's blobs
 * and layer dirs are present. Returns 0 when the check ran (report says what it found), -1
 * when it could not run. */
int store_fsck(struct store *st, const struct store_fsck_options *opts, struct store_fsck_report *report,
               struct error *err);
void store_fsck_report_free(struct store_fsck_report *report);
