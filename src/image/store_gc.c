/* gc and fsck of the image store: walking from index.json to every blob and layer dir an image
 * reaches, then removing the rest (gc) or checking what is there (fsck). Not for writing blobs or
 * names (store.c), which this reaches through store.h and store_internal.h only. */
#include "image/store_gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define REF_NAME_KEY     "org.opencontainers.image.ref.name"
#define DOCUMENT_MAX     (8u << 20) /* manifests and configs, as pull takes them */
#define INDEX_DEPTH_MAX  4          /* index -> index -> ... -> manifest */
#define LAYERS_FILE_MAX  (1u << 20)
#define HASH_BUFFER_SIZE (1u << 20)
#define JSON_WALK_MAX    64

/* --- sets of digests: a vector, sorted and deduplicated before lookups --- */

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_seal(char **set)
{
	size_t n = strv_len(set), kept = 0;
	if (n == 0)
		return;
	qsort(set, n, sizeof(*set), compare_strings);
	for (size_t i = 0; i < n; i++) {
		if (kept > 0 && strcmp(set[kept - 1], set[i]) == 0) {
			free(set[i]);
			continue;
		}
		set[kept++] = set[i];
	}
	set[kept] = NULL;
}

static bool set_has(char *const *set, const char *digest)
{
	size_t n = strv_len(set);
	return n > 0 && bsearch(&digest, set, n, sizeof(*set), compare_strings) != NULL;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The names in dir rel of the store (sorted); missing dir: none. */
static int list_dir(const struct store *st, const char *rel, char ***names, struct error *err)
{
	*names = calloc(1, sizeof(char *));
	if (!*names)
		return error_set(err, ENOMEM, "out of memory");
	int fd = openat(st->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : error_errno(err, "read %s/%s", st->path, rel);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_errno(err, "read %s/%s", st->path, rel);
	}
	struct dirent *de;
	int rc = 0;
	errno = 0;
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strv_push(names, de->d_name) < 0)
			rc = error_set(err, ENOMEM, "out of memory");
	if (rc == 0 && errno != 0)
		rc = error_errno(err, "read %s/%s", st->path, rel);
	closedir(d);
	if (rc == 0)
		qsort(*names, strv_len(*names), sizeof(char *), compare_strings);
	return rc;
}

/* --- walking from index.json --- */

struct walk {
	struct store *st;
	char **blobs;  /* digests reached */
	char **layers; /* diff_ids reached */
	/* fsck only (NULL for gc, which fails instead of reporting): */
	struct store_fsck_report *report;
	char **corrupt; /* sealed: blobs the scan found damaged and left in place */
	const char *image;
	bool broken;
};

static int problem(struct walk *w, struct error *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int problem(struct walk *w, struct error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = NULL;
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0 || strv_push_owned(&w->report->problems, line) < 0) {
		free(n < 0 ? NULL : line);
		return error_set(err, ENOMEM, "out of memory");
	}
	w->report->unrepaired++;
	w->broken = true;
	return 0;
}

static int reach(char ***set, const char *digest, struct error *err)
{
	return strv_push(set, digest) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

/* A document our parsers refuse (another tool's artifact, say): every digest in it is kept, so
 * gc stays on the safe side of what it cannot read. */
static int reach_any_digest(struct walk *w, json_t *node, int depth, struct error *err)
{
	if (depth > JSON_WALK_MAX)
		return 0;
	if (json_is_object(node)) {
		const char *key;
		json_t *value;
		json_object_foreach(node, key, value)
		{
			if (strcmp(key, "digest") == 0 && digest_valid(json_string_value(value)) &&
			    reach(&w->blobs, json_string_value(value), err) < 0)
				return -1;
			if (reach_any_digest(w, value, depth + 1, err) < 0)
				return -1;
		}
	} else if (json_is_array(node)) {
		for (size_t i = 0; i < json_array_size(node); i++)
			if (reach_any_digest(w, json_array_get(node, i), depth + 1, err) < 0)
				return -1;
	}
	return 0;
}

/* Read a manifest or config the walk needs. NULL with *missing set when it is not stored (or is
 * corrupt, for fsck, which has reported that): the walk goes on. NULL without: fail. */
static char *read_document(struct walk *w, const char *what, const char *digest, size_t *len, bool *missing,
                           struct error *err)
{
	*missing = false;
	struct error read_err = {0};
	char *text = set_has(w->corrupt, digest)
	                     ? NULL
	                     : store_read_blob(w->st, digest, DOCUMENT_MAX, len, &read_err);
	if (text)
		return text;
	bool corrupt = set_has(w->corrupt, digest) || read_err.code == EBADMSG;
	if (read_err.code == ENOENT || (corrupt && w->report)) {
		*missing = true;
		if (w->report && problem(w, err, "image %s: %s %s is %s", w->image, what, digest,
		                         corrupt ? "corrupt" : "missing") < 0)
			*missing = false;
		return NULL;
	}
	if (corrupt)
		error_set(err, EBADMSG,
		          "image %s: %s %s is corrupt; run 'burrow fsck --repair', then pull the image again",
		          w->image, what, digest);
	else
		*err = read_err;
	return NULL;
}

static int walk_config(struct walk *w, const struct manifest *m, struct error *err)
{
	if (reach(&w->blobs, m->config.digest, err) < 0)
		return -1;
	for (size_t i = 0; i < m->n_layers; i++) {
		const char *digest = m->layers[i].digest;
		if (reach(&w->blobs, digest, err) < 0)
			return -1;
		if (!w->report)
			continue;
		bool missing = !store_has_blob(w->st, digest);
		if ((missing || set_has(w->corrupt, digest)) &&
		    problem(w, err, "image %s: layer %s is %s", w->image, digest,
		            missing ? "missing" : "corrupt") < 0)
			return -1;
	}
	size_t len = 0;
	bool missing;
	cleanup_free char *text = read_document(w, "config", m->config.digest, &len, &missing, err);
	if (!text)
		return missing ? 0 : -1;
	struct image_config config = {0};
	struct error parse_err = {0};
	if (image_config_parse(text, len, &config, &parse_err) < 0) {
		if (w->report)
			return problem(w, err, "image %s: config %s: %s", w->image, m->config.digest,
			               parse_err.msg);
		return error_set(err, EINVAL, "image %s: config %s: %s; run 'burrow fsck'", w->image,
		                 m->config.digest, parse_err.msg);
	}
	int rc = 0;
	if (w->report && config.n_diff_ids != m->n_layers)
		rc = problem(w, err, "image %s: the manifest has %zu layers but the config %zu diff_ids",
		             w->image, m->n_layers, config.n_diff_ids);
	for (size_t i = 0; rc == 0 && i < config.n_diff_ids; i++) {
		rc = reach(&w->layers, config.diff_ids[i], err);
		if (rc == 0 && w->report && !store_has_layer(w->st, config.diff_ids[i]))
			rc = problem(w, err, "image %s: the layer dir of %s is missing", w->image,
			             config.diff_ids[i]);
	}
	image_config_free(&config);
	return rc;
}

static int walk_document(struct walk *w, const char *digest, int depth, struct error *err)
{
	if (reach(&w->blobs, digest, err) < 0)
		return -1;
	size_t len = 0;
	bool missing;
	cleanup_free char *text = read_document(w, "manifest", digest, &len, &missing, err);
	if (!text)
		return missing ? 0 : -1;
	struct manifest m = {0};
	struct error parse_err = {0};
	if (manifest_parse(text, len, NULL, &m, &parse_err) < 0) {
		json_t *doc = json_loadb(text, len, 0, NULL);
		if (!doc) {
			if (w->report)
				return problem(w, err, "image %s: manifest %s is not JSON", w->image, digest);
			return error_set(err, EINVAL, "image %s: manifest %s is not JSON; run 'burrow fsck'",
			                 w->image, digest);
		}
		int rc = reach_any_digest(w, doc, 0, err);
		json_decref(doc);
		return rc;
	}
	int rc = 0;
	if (m.kind == MANIFEST_IMAGE)
		rc = walk_config(w, &m, err);
	/* An index's other platforms are not pulled: only the stored ones count. */
	for (size_t i = 0; rc == 0 && m.kind == MANIFEST_INDEX && i < m.n_manifests; i++)
		if (depth < INDEX_DEPTH_MAX && store_has_blob(w->st, m.manifests[i].digest))
			rc = walk_document(w, m.manifests[i].digest, depth + 1, err);
	manifest_free(&m);
	return rc;
}

/* Walk every entry of index.json. For fsck, an index.json that does not load is a problem, and
 * the walk stops there. */
static int walk_index(struct walk *w, struct error *err)
{
	struct error load_err = {0};
	json_t *root = store_index_load(w->st, &load_err);
	if (!root) {
		if (!w->report) {
			*err = load_err;
			return -1;
		}
		return problem(w, err, "%s", load_err.msg);
	}
	json_t *list = json_object_get(root, "manifests");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		json_t *entry = json_array_get(list, i);
		const char *digest = json_string_value(json_object_get(entry, "digest"));
		const char *name = json_string_value(
		        json_object_get(json_object_get(entry, "annotations"), REF_NAME_KEY));
		if (!digest_valid(digest)) {
			if (w->report)
				rc = problem(w, err, "%s/%s: entry %zu has no valid digest", w->st->path,
				             STORE_INDEX_PATH, i + 1);
			continue;
		}
		w->image = name ? name : digest;
		w->broken = false;
		rc = walk_document(w, digest, 0, err);
		if (rc == 0 && w->report && w->broken && strv_push(&w->report->broken, w->image) < 0)
			rc = error_set(err, ENOMEM, "out of memory");
	}
	json_decref(root);
	return rc;
}

static void walk_free(struct walk *w)
{
	strv_free(w->blobs);
	strv_free(w->layers);
	w->blobs = w->layers = NULL;
}

/* --- gc --- */

/* nftw has no context argument: the running sum of tree_size lives here. */
static _Thread_local uint64_t tree_bytes;

static int add_size(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)path, (void)type, (void)ftw;
	if (!S_ISDIR(sb->st_mode))
		tree_bytes += (uint64_t)sb->st_size;
	return 0;
}

uint64_t store_gc_item_size(int dir_fd, const char *dir_path, const char *rel)
{
	struct stat sb;
	if (fstatat(dir_fd, rel, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return (uint64_t)sb.st_size;
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir_path, rel) >= (int)sizeof(path))
		return 0;
	tree_bytes = 0;
	(void)nftw(path, add_size, 16, FTW_PHYS | FTW_MOUNT);
	return tree_bytes;
}

static uint64_t item_size(const struct store *st, const char *rel)
{
	return store_gc_item_size(st->fd, st->path, rel);
}

int store_gc_add_item(struct store_gc_result *res, enum store_item_kind kind, const char *name,
                      uint64_t bytes, struct error *err)
{
	struct store_gc_item *grown = realloc(res->items, (res->n_items + 1) * sizeof(*grown));
	if (!grown)
		return error_set(err, ENOMEM, "out of memory");
	res->items = grown;
	res->items[res->n_items] = (struct store_gc_item){.kind = kind, .name = strdup(name), .bytes = bytes};
	if (!res->items[res->n_items].name)
		return error_set(err, ENOMEM, "out of memory");
	res->n_items++;
	res->bytes += bytes;
	if (kind == STORE_ITEM_BLOB)
		res->blobs++;
	else if (kind == STORE_ITEM_LAYER)
		res->layers++;
	else if (kind == STORE_ITEM_UNPACKED)
		res->unpacked++;
	else
		res->temporaries++;
	return 0;
}

/* Take the lock of an item without waiting: -1 with EWOULDBLOCK when a live process holds it. */
static int try_lock(struct store *st, const char *lock_name, struct error *err)
{
	return store_lock_take(st->fd, lock_name, false, err);
}

static int remove_blob(struct store *st, const char *hex, struct error *err)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), STORE_BLOBS_DIR "/%s", hex);
	if (unlinkat(st->fd, rel, 0) < 0 && errno != ENOENT)
		return error_errno(err, "remove %s/%s", st->path, rel);
	return 0;
}

/* A layer dir leaves layers/ in one rename, so no half-removed dir is ever visible there; what
 * a killed gc leaves under tmp/ is a stale temporary the next gc (or unpack) removes. */
static int remove_layer_dir(struct store *st, const char *hex, struct error *err)
{
	char rel[PATH_MAX], doomed[PATH_MAX];
	snprintf(rel, sizeof(rel), STORE_LAYERS_DIR "/%s", hex);
	snprintf(doomed, sizeof(doomed), STORE_TMP_DIR "/layer-%s-gc%ld", hex, (long)getpid());
	if (fs_remove_tree_at(st->fd, doomed, err) < 0)
		return -1;
	if (renameat(st->fd, rel, st->fd, doomed) < 0)
		return errno == ENOENT ? 0 : error_errno(err, "remove %s/%s", st->path, rel);
	if (fs_remove_tree_at(st->fd, doomed, err) < 0) {
		error_prefix(err, "remove %s/%s", st->path, doomed);
		return -1;
	}
	return 0;
}

/* What gc walks: blobs by digest, layer dirs by diff_id; each entry is "HEX" in dir, guarded by
 * the lock file lock_prefix + HEX while a writer holds it. */
struct gc_kind {
	const char *dir, *lock_prefix;
	enum store_item_kind item;
	int (*remove)(struct store *st, const char *hex, struct error *err);
};

static const struct gc_kind gc_blob_kind = {STORE_BLOBS_DIR, "locks/sha256-", STORE_ITEM_BLOB, remove_blob};
static const struct gc_kind gc_layer_kind = {STORE_LAYERS_DIR, "locks/layer-", STORE_ITEM_LAYER,
                                             remove_layer_dir};

/* Remove every entry of kind not in reached, skipping those a writer holds locked. */
static int gc_unreached(struct store *st, const struct gc_kind *kind, char *const *reached, bool dry_run,
                        struct store_gc_result *res, struct error *err)
{
	cleanup_strv char **names = NULL;
	if (list_dir(st, kind->dir, &names, err) < 0)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		char digest[DIGEST_STRING_LEN + 1], rel[PATH_MAX], lock_name[PATH_MAX];
		if (!is_hex64(names[i], strlen(names[i])))
			continue; /* not one of ours: left alone */
		snprintf(digest, sizeof(digest), "sha256:%s", names[i]);
		if (set_has(reached, digest))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", kind->dir, names[i]);
		snprintf(lock_name, sizeof(lock_name), "%s%s", kind->lock_prefix, names[i]);
		int lock = try_lock(st, lock_name, err);
		if (lock < 0 && err->code == EWOULDBLOCK)
			continue;
		if (lock < 0)
			return -1;
		uint64_t bytes = item_size(st, rel);
		int rc = dry_run ? 0 : kind->remove(st, names[i], err);
		store_lock_drop(st->fd, lock_name, lock, !dry_run);
		if (rc < 0 || store_gc_add_item(res, kind->item, digest, bytes, err) < 0)
			return -1;
	}
	return 0;
}

/* The lock that guards temporary tmp/NAME (store_internal.h), or false for a name that is no
 * temporary of ours. */
static bool temporary_lock(const char *name, char lock_name[PATH_MAX])
{
	size_t len = strlen(name), suffix = strlen(STORE_PARTIAL_SUFFIX);
	if (strncmp(name, "sha256-", 7) == 0 && len == 7 + DIGEST_HEX_LEN + suffix &&
	    strcmp(name + len - suffix, STORE_PARTIAL_SUFFIX) == 0 && is_hex64(name + 7, DIGEST_HEX_LEN)) {
		snprintf(lock_name, PATH_MAX, "locks/sha256-%.*s", DIGEST_HEX_LEN, name + 7);
		return true;
	}
	if (strncmp(name, "layer-", 6) == 0 && len > 6 + DIGEST_HEX_LEN + 1 &&
	    is_hex64(name + 6, DIGEST_HEX_LEN) && name[6 + DIGEST_HEX_LEN] == '-') {
		snprintf(lock_name, PATH_MAX, "locks/layer-%.*s", DIGEST_HEX_LEN, name + 6);
		return true;
	}
	return false;
}

static int gc_temporaries(struct store *st, bool dry_run, struct store_gc_result *res, struct error *err)
{
	cleanup_strv char **names = NULL;
	if (list_dir(st, STORE_TMP_DIR, &names, err) < 0)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		char rel[PATH_MAX], lock_name[PATH_MAX];
		if (!temporary_lock(names[i], lock_name))
			continue;
		int lock = try_lock(st, lock_name, err);
		if (lock < 0 && err->code == EWOULDBLOCK)
			continue; /* a live writer's */
		if (lock < 0)
			return -1;
		snprintf(rel, sizeof(rel), STORE_TMP_DIR "/%s", names[i]);
		uint64_t bytes = item_size(st, rel);
		int rc = dry_run ? 0 : fs_remove_tree_at(st->fd, rel, err);
		store_lock_drop(st->fd, lock_name, lock, !dry_run);
		if (rc < 0 || store_gc_add_item(res, STORE_ITEM_TEMPORARY, rel, bytes, err) < 0)
			return -1;
	}
	/* index.json and oci-layout are replaced through NAME.tmp-XXXXXX under the index lock,
	 * which gc holds: any left are a killed writer's. */
	cleanup_strv char **oci = NULL;
	if (list_dir(st, "oci", &oci, err) < 0)
		return -1;
	for (size_t i = 0; oci[i]; i++) {
		if (strncmp(oci[i], "index.json.tmp-", 15) != 0 &&
		    strncmp(oci[i], "oci-layout.tmp-", 15) != 0)
			continue;
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "oci/%s", oci[i]);
		uint64_t bytes = item_size(st, rel);
		if (!dry_run && unlinkat(st->fd, rel, 0) < 0 && errno != ENOENT)
			return error_errno(err, "remove %s/%s", st->path, rel);
		if (store_gc_add_item(res, STORE_ITEM_TEMPORARY, rel, bytes, err) < 0)
			return -1;
	}
	return 0;
}

/* Lock files of blobs and layers nobody holds are empty leftovers (a killed process's). */
static void gc_lock_files(struct store *st)
{
	cleanup_strv char **names = NULL;
	struct error ignored = {0};
	if (list_dir(st, "locks", &names, &ignored) < 0)
		return;
	for (size_t i = 0; names[i]; i++) {
		if (strncmp(names[i], "sha256-", 7) != 0 && strncmp(names[i], "layer-", 6) != 0)
			continue;
		char lock_name[PATH_MAX];
		snprintf(lock_name, sizeof(lock_name), "locks/%s", names[i]);
		int lock = try_lock(st, lock_name, &ignored);
		store_lock_drop(st->fd, lock_name, lock, true);
	}
}

int store_gc(struct store *st, const struct store_gc_options *opts, struct store_gc_result *res,
             struct error *err)
{
	memset(res, 0, sizeof(*res));
	int store_lock_fd = store_lock(st, true, opts->wait, err);
	if (store_lock_fd < 0)
		return -1;
	int index_lock = store_lock_take(st->fd, STORE_INDEX_LOCK, true, err);
	if (index_lock < 0) {
		store_unlock(store_lock_fd);
		return -1;
	}
	struct walk w = {.st = st};
	int rc = walk_index(&w, err);
	for (size_t i = 0; rc == 0 && opts->keep_layers && opts->keep_layers[i]; i++)
		rc = reach(&w.layers, opts->keep_layers[i], err);
	if (rc == 0) {
		set_seal(w.blobs);
		set_seal(w.layers);
		rc = gc_unreached(st, &gc_blob_kind, w.blobs, opts->dry_run, res, err);
	}
	if (rc == 0)
		rc = gc_unreached(st, &gc_layer_kind, w.layers, opts->dry_run, res, err);
	if (rc == 0)
		rc = gc_temporaries(st, opts->dry_run, res, err);
	if (rc == 0 && !opts->dry_run)
		gc_lock_files(st);
	walk_free(&w);
	store_lock_drop(st->fd, STORE_INDEX_LOCK, index_lock, false);
	store_unlock(store_lock_fd);
	return rc;
}

void store_gc_result_free(struct store_gc_result *res)
{
	for (size_t i = 0; i < res->n_items; i++)
		free(res->items[i].name);
	free(res->items);
	memset(res, 0, sizeof(*res));
}

/* --- layers in use by containers --- */

int store_gc_parse_layers(const char *text, char ***diff_ids, struct error *err)
{
	size_t line_no = 0;
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		line_no++;
		const char *start = line;
		while (len > 0 && (*start == ' ' || *start == '\t' || *start == '\r')) {
			start++;
			len--;
		}
		while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' || start[len - 1] == '\r'))
			len--;
		if (len > 0) {
			char digest[DIGEST_STRING_LEN + 2];
			if (len > DIGEST_STRING_LEN)
				return error_set(err, EINVAL, "line %zu is not a diff_id (sha256:HEX)",
				                 line_no);
			memcpy(digest, start, len);
			digest[len] = '\0';
			if (!digest_valid(digest))
				return error_set(err, EINVAL, "line %zu is not a diff_id (sha256:HEX)",
				                 line_no);
			if (strv_push(diff_ids, digest) < 0)
				return error_set(err, ENOMEM, "out of memory");
		}
		line = end ? end + 1 : NULL;
	}
	return 0;
}

int store_gc_container_layers(const char *data_path, char ***diff_ids, struct error *err)
{
	*diff_ids = calloc(1, sizeof(char *));
	if (!*diff_ids)
		return error_set(err, ENOMEM, "out of memory");
	cleanup_free char *dir = NULL;
	if (asprintf(&dir, "%s/containers", data_path) < 0) {
		dir = NULL;
		return error_set(err, ENOMEM, "out of memory");
	}
	cleanup_close int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == ENOENT ? 0 : error_errno(err, "read containers in %s", dir);
	int scan_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = scan_fd < 0 ? NULL : fdopendir(scan_fd);
	if (!d) {
		if (scan_fd >= 0)
			close(scan_fd);
		return error_errno(err, "read containers in %s", dir);
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char rel[NAME_MAX + 16];
		snprintf(rel, sizeof(rel), "%s/layers", de->d_name);
		struct error read_err = {0};
		cleanup_free char *text =
		        fs_read_file_at(dir_fd, rel, false, LAYERS_FILE_MAX, NULL, &read_err);
		if (!text) {
			/* No file (a container from a directory or tar), or no directory at all. */
			if (read_err.code == ENOENT || read_err.code == ENOTDIR)
				continue;
			*err = read_err;
			error_prefix(err, "container %s/%s", dir, de->d_name);
			rc = -1;
		} else if (store_gc_parse_layers(text, diff_ids, err) < 0) {
			error_prefix(err, "%s/%s", dir, rel);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/* --- fsck --- */

static int add_line(char ***lines, struct error *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int add_line(char ***lines, struct error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = NULL;
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0 || strv_push_owned(lines, line) < 0) {
		free(n < 0 ? NULL : line);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* sha256 of a stored file, streamed. */
static int hash_file(const struct store *st, const char *rel, char out[DIGEST_STRING_LEN + 1],
                     struct error *err)
{
	cleanup_close int fd = openat(st->fd, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "read %s/%s", st->path, rel);
	cleanup_free char *buf = malloc(HASH_BUFFER_SIZE);
	struct digest_ctx *ctx = digest_new();
	if (!buf || !ctx) {
		digest_free(ctx);
		return error_set(err, ENOMEM, "out of memory");
	}
	ssize_t n;
	while ((n = read(fd, buf, HASH_BUFFER_SIZE)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			digest_free(ctx);
			return error_errno(err, "read %s/%s", st->path, rel);
		}
		digest_update(ctx, buf, (size_t)n);
	}
	digest_final(ctx, out);
	digest_free(ctx);
	return 0;
}

/* Rehash every blob; record (and with repair remove) those whose content is not their name. */
static int fsck_blobs(struct store *st, bool repair, struct walk *w, struct error *err)
{
	struct store_fsck_report *r = w->report;
	cleanup_strv char **names = NULL;
	if (list_dir(st, STORE_BLOBS_DIR, &names, err) < 0)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		char rel[PATH_MAX], digest[DIGEST_STRING_LEN + 1], actual[DIGEST_STRING_LEN + 1];
		snprintf(rel, sizeof(rel), STORE_BLOBS_DIR "/%s", names[i]);
		struct stat sb;
		if (!is_hex64(names[i], strlen(names[i])) ||
		    fstatat(st->fd, rel, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode)) {
			if (add_line(&r->problems, err,
			             "%s/%s: not a blob (a regular file named by its sha256); move it away",
			             st->path, rel) < 0)
				return -1;
			r->unrepaired++;
			continue;
		}
		snprintf(digest, sizeof(digest), "sha256:%s", names[i]);
		if (hash_file(st, rel, actual, err) < 0)
			return -1;
		r->blobs_checked++;
		if (strcmp(actual, digest) == 0)
			continue;
		if (add_line(&r->problems, err, "blob %s is corrupt: its content has digest %s", digest,
		             actual) < 0)
			return -1;
		if (!repair) {
			r->unrepaired++;
			r->corrupt_left++;
			if (reach(&w->corrupt, digest, err) < 0)
				return -1;
			continue;
		}
		char lock_name[PATH_MAX];
		snprintf(lock_name, sizeof(lock_name), "locks/sha256-%s", names[i]);
		int lock = store_lock_take(st->fd, lock_name, true, err);
		if (lock < 0)
			return -1;
		int rc = unlinkat(st->fd, rel, 0) < 0 && errno != ENOENT
		                 ? error_errno(err, "remove %s/%s", st->path, rel)
		                 : 0;
		store_lock_drop(st->fd, lock_name, lock, true);
		if (rc < 0 || add_line(&r->repairs, err, "removed corrupt blob %s", digest) < 0)
			return -1;
	}
	set_seal(w->corrupt);
	return 0;
}

int store_fsck(struct store *st, const struct store_fsck_options *opts, struct store_fsck_report *report,
               struct error *err)
{
	memset(report, 0, sizeof(*report));
	/* Checking only: shared, so gc cannot remove things mid-check while pulls go on. */
	int store_lock_fd = store_lock(st, opts->repair, opts->wait, err);
	if (store_lock_fd < 0)
		return -1;
	struct walk w = {.st = st, .report = report};
	int rc = fsck_blobs(st, opts->repair, &w, err);
	if (rc == 0)
		rc = walk_index(&w, err);
	walk_free(&w);
	strv_free(w.corrupt);
	store_unlock(store_lock_fd);
	if (rc < 0)
		store_fsck_report_free(report);
	return rc;
}

void store_fsck_report_free(struct store_fsck_report *report)
{
	strv_free(report->problems);
	strv_free(report->repairs);
	strv_free(report->broken);
	memset(report, 0, sizeof(*report));
}
