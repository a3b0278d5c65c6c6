/* Unit tests for gc and fsck of the image store (src/image/store_gc.c): what an image reaches,
 * what gc removes and keeps (containers' layers, live temporaries), what fsck finds and repairs,
 * and the layers file of containers. Each test gets a fresh store in /tmp. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/digest.h"
#include "image/store.h"
#include "image/store_gc.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define INDEX_TYPE    "application/vnd.oci.image.index.v1+json"

struct fixture {
	char top[64];
	char cache[128];
	char data[128];
	struct store st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->top, "/tmp/burrow-test-gc-XXXXXX");
	assert_non_null(mkdtemp(f->top));
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->top);
	snprintf(f->data, sizeof(f->data), "%s/data", f->top);
	struct error err = {0};
	assert_int_equal(store_open(f->cache, &f->st, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	store_close(&f->st);
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, f->top, &err), 0);
	free(f);
	return 0;
}

/* ---- building images in the store ---- */

struct digest {
	char s[DIGEST_STRING_LEN + 1];
};

static struct digest put(struct fixture *f, const char *text)
{
	struct digest d;
	struct error err = {0};
	digest_buffer(text, strlen(text), d.s);
	assert_int_equal(store_put_blob(&f->st, d.s, text, strlen(text), &err), 0);
	return d;
}

static struct digest digest_of(const char *text)
{
	struct digest d;
	digest_buffer(text, strlen(text), d.s);
	return d;
}

/* A layer dir for diff_id holding one file "marker" with text. */
static void make_layer_dir(struct fixture *f, const char *diff_id, const char *text)
{
	struct layer_writer *w;
	int dir_fd;
	bool exists;
	struct error err = {0};
	assert_int_equal(store_layer_begin(&f->st, diff_id, &w, &dir_fd, &exists, &err), 0);
	if (exists)
		return;
	int fd = openat(dir_fd, "marker", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	close(dir_fd);
	assert_int_equal(store_layer_commit(w, &err), 0);
}

struct image {
	struct digest manifest, config;
	struct digest layers[4], diff_ids[4];
	size_t n;
	char *manifest_text;
	size_t config_len;
};

/* An image of layer names ("a", "b"): blob "blob-a", diff_id of "tar-a", layer dir with it. */
static struct image make_image(struct fixture *f, const char *name, const char *const *layer_names)
{
	struct image img = {0};
	char layers_json[2048] = "", diff_json[1024] = "";
	for (; layer_names[img.n]; img.n++) {
		char blob[64], tar[64];
		snprintf(blob, sizeof(blob), "blob-%s", layer_names[img.n]);
		snprintf(tar, sizeof(tar), "tar-%s", layer_names[img.n]);
		img.layers[img.n] = put(f, blob);
		img.diff_ids[img.n] = digest_of(tar);
		make_layer_dir(f, img.diff_ids[img.n].s, tar);
		size_t used = strlen(layers_json);
		snprintf(layers_json + used, sizeof(layers_json) - used,
		         "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\","
		         "\"size\":%zu}",
		         img.n ? "," : "", img.layers[img.n].s, strlen(blob));
		used = strlen(diff_json);
		snprintf(diff_json + used, sizeof(diff_json) - used, "%s\"%s\"", img.n ? "," : "",
		         img.diff_ids[img.n].s);
	}
	char config[2048];
	snprintf(config, sizeof(config),
	         "{\"architecture\":\"amd64\",\"os\":\"linux\",\"comment\":\"%s\","
	         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
	         name, diff_json);
	img.config = put(f, config);
	img.config_len = strlen(config);
	assert_true(asprintf(&img.manifest_text,
	                     "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_TYPE "\","
	                     "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	                     "\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s]}",
	                     img.config.s, strlen(config), layers_json) > 0);
	img.manifest = put(f, img.manifest_text);
	return img;
}

static void tag(struct fixture *f, const char *name, const char *media_type, const struct digest *d,
                size_t size)
{
	struct error err = {0};
	struct store_descriptor desc = {
	        .media_type = (char *)media_type, .digest = (char *)d->s, .size = (int64_t)size};
	assert_int_equal(store_tag(&f->st, name, &desc, &err), 0);
}

static void tag_image(struct fixture *f, const char *name, const struct image *img)
{
	tag(f, name, MANIFEST_TYPE, &img->manifest, strlen(img->manifest_text));
}

static void image_free(struct image *img)
{
	free(img->manifest_text);
}

static bool cache_exists(const struct fixture *f, const char *rel)
{
	char path[PATH_MAX + 256];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	return lstat(path, &sb) == 0;
}

static void write_cache_file(const struct fixture *f, const char *rel, const char *text)
{
	char path[PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	(void)chmod(path, 0644);
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static bool has_layer(struct fixture *f, const struct digest *d)
{
	return store_has_layer(&f->st, d->s);
}

static bool has_blob(struct fixture *f, const struct digest *d)
{
	return store_has_blob(&f->st, d->s);
}

static int run_gc(struct fixture *f, bool dry_run, char *const *keep, struct store_gc_result *res)
{
	struct error err = {0};
	struct store_gc_options opts = {.dry_run = dry_run, .wait = true, .keep_layers = keep};
	return store_gc(&f->st, &opts, res, &err);
}

static const char *const AB[] = {"a", "b", NULL};
static const char *const BC[] = {"b", "c", NULL};

/* ---- gc ---- */

static void test_gc_keeps_what_images_reach(void **state)
{
	struct fixture *f = *state;
	struct image img = make_image(f, "one", AB);
	tag_image(f, "r.example/one:1", &img);
	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, NULL, &res), 0);
	assert_int_equal(res.n_items, 0);
	assert_int_equal(res.bytes, 0);
	store_gc_result_free(&res);
	assert_true(has_blob(f, &img.manifest) && has_blob(f, &img.config));
	for (size_t i = 0; i < img.n; i++)
		assert_true(has_blob(f, &img.layers[i]) && has_layer(f, &img.diff_ids[i]));
	image_free(&img);
}

static void test_gc_removes_an_untagged_image_but_not_shared_layers(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	struct image one = make_image(f, "one", AB);
	struct image two = make_image(f, "two", BC);
	tag_image(f, "r.example/one:1", &one);
	tag_image(f, "r.example/two:1", &two);
	assert_int_equal(store_untag(&f->st, "r.example/one:1", &err), 0);
	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, NULL, &res), 0);
	/* manifest, config and layer a's blob; layer a's dir */
	assert_int_equal(res.blobs, 3);
	assert_int_equal(res.layers, 1);
	assert_int_equal(res.temporaries, 0);
	assert_int_equal(res.bytes,
	                 strlen(one.manifest_text) + one.config_len + strlen("blob-a") + strlen("tar-a"));
	store_gc_result_free(&res);
	assert_false(has_blob(f, &one.manifest));
	assert_false(has_blob(f, &one.config));
	assert_false(has_blob(f, &one.layers[0]));
	assert_false(has_layer(f, &one.diff_ids[0]));
	assert_true(has_blob(f, &one.layers[1]) && has_layer(f, &one.diff_ids[1])); /* b is two's too */
	assert_true(has_blob(f, &two.manifest) && has_blob(f, &two.config));
	image_free(&one);
	image_free(&two);
}

static void test_gc_counts_bytes_of_each_item(void **state)
{
	struct fixture *f = *state;
	struct digest loose = put(f, "twelve bytes");
	struct digest diff = digest_of("tar-x");
	make_layer_dir(f, diff.s, "seven b");
	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, NULL, &res), 0);
	assert_int_equal(res.n_items, 2);
	assert_int_equal(res.items[0].kind, STORE_ITEM_BLOB);
	assert_string_equal(res.items[0].name, loose.s);
	assert_int_equal(res.items[0].bytes, 12);
	assert_int_equal(res.items[1].kind, STORE_ITEM_LAYER);
	assert_string_equal(res.items[1].name, diff.s);
	assert_int_equal(res.items[1].bytes, 7);
	assert_int_equal(res.bytes, 19);
	store_gc_result_free(&res);
	assert_false(has_blob(f, &loose));
	assert_false(has_layer(f, &diff));
}

static void test_gc_dry_run_removes_nothing(void **state)
{
	struct fixture *f = *state;
	struct digest loose = put(f, "loose");
	struct digest diff = digest_of("tar-x");
	make_layer_dir(f, diff.s, "x");
	struct store_gc_result res;
	assert_int_equal(run_gc(f, true, NULL, &res), 0);
	assert_int_equal(res.blobs, 1);
	assert_int_equal(res.layers, 1);
	store_gc_result_free(&res);
	assert_true(has_blob(f, &loose));
	assert_true(has_layer(f, &diff));
}

static void test_gc_keeps_layers_containers_use(void **state)
{
	struct fixture *f = *state;
	struct digest used = digest_of("tar-used"), unused = digest_of("tar-unused");
	make_layer_dir(f, used.s, "u");
	make_layer_dir(f, unused.s, "n");
	char *keep[] = {used.s, NULL};
	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, keep, &res), 0);
	assert_int_equal(res.layers, 1);
	store_gc_result_free(&res);
	assert_true(has_layer(f, &used));
	assert_false(has_layer(f, &unused));
}

static void test_gc_follows_an_index_to_its_stored_manifests(void **state)
{
	struct fixture *f = *state;
	struct image img = make_image(f, "amd64", AB);
	struct digest absent = digest_of("the arm64 manifest, never pulled");
	char index[1024];
	snprintf(index, sizeof(index),
	         "{\"schemaVersion\":2,\"mediaType\":\"" INDEX_TYPE "\",\"manifests\":["
	         "{\"mediaType\":\"" MANIFEST_TYPE "\",\"digest\":\"%s\",\"size\":%zu,"
	         "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	         "{\"mediaType\":\"" MANIFEST_TYPE "\",\"digest\":\"%s\",\"size\":10,"
	         "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}",
	         img.manifest.s, strlen(img.manifest_text), absent.s);
	struct digest idx = put(f, index);
	tag(f, "r.example/multi:1", INDEX_TYPE, &idx, strlen(index));
	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, NULL, &res), 0);
	assert_int_equal(res.n_items, 0);
	store_gc_result_free(&res);
	assert_true(has_blob(f, &img.config) && has_layer(f, &img.diff_ids[1]));
	image_free(&img);
}

static void test_gc_keeps_every_digest_of_a_manifest_it_cannot_parse(void **state)
{
	struct fixture *f = *state;
	struct digest artifact = put(f, "an artifact's payload");
	char text[512];
	snprintf(text, sizeof(text),
	         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.artifact\","
	         "\"blobs\":[{\"digest\":\"%s\",\"size\":21}]}",
	         artifact.s);
	struct digest manifest = put(f, text);
	tag(f, "r.example/artifact:1", "application/vnd.example.artifact", &manifest, strlen(text));
	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, NULL, &res), 0);
	assert_int_equal(res.n_items, 0);
	store_gc_result_free(&res);
	assert_true(has_blob(f, &artifact));
}

static void test_gc_refuses_when_a_manifest_is_corrupt(void **state)
{
	struct fixture *f = *state;
	struct image img = make_image(f, "one", AB);
	tag_image(f, "r.example/one:1", &img);
	struct digest loose = put(f, "loose");
	char rel[128];
	snprintf(rel, sizeof(rel), "oci/blobs/sha256/%s", digest_hex(img.manifest.s));
	write_cache_file(f, rel, "{\"schemaVersion\":2}");
	struct error err = {0};
	struct store_gc_options opts = {.wait = true};
	struct store_gc_result res;
	assert_int_equal(store_gc(&f->st, &opts, &res, &err), -1);
	assert_int_equal(err.code, EBADMSG);
	assert_non_null(strstr(err.msg, "r.example/one:1"));
	assert_non_null(strstr(err.msg, "burrow fsck --repair"));
	assert_true(has_blob(f, &loose));
	assert_true(has_layer(f, &img.diff_ids[0]));
	image_free(&img);
}

static void test_gc_removes_stale_temporaries_and_keeps_live_ones(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	struct digest live = digest_of("a blob being fetched"), dead = digest_of("a blob a killed pull left");
	/* live: a writer holds its lock; dead: a partial whose writer is gone. */
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, dead.s, 100, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, "0123456789", 10, &err), 0);
	store_blob_abort(w, true);
	assert_int_equal(store_blob_begin(&f->st, live.s, 100, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, "01234", 5, &err), 0);
	char stale_layer[128];
	snprintf(stale_layer, sizeof(stale_layer), "tmp/layer-%s-AbCdEf", digest_hex(digest_of("tar-z").s));
	char path[PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/%s", f->cache, stale_layer);
	assert_int_equal(mkdir(path, 0755), 0);
	write_cache_file(f, "oci/index.json.tmp-Xy12Zq", "{");
	write_cache_file(f, "tmp/not-ours", "kept");

	struct store_gc_result res;
	assert_int_equal(run_gc(f, false, NULL, &res), 0);
	assert_int_equal(res.temporaries, 3);
	assert_int_equal(res.blobs + res.layers, 0);
	assert_int_equal(res.bytes, 10 + 0 + 1);
	store_gc_result_free(&res);
	char rel[128];
	snprintf(rel, sizeof(rel), "tmp/sha256-%s.partial", digest_hex(dead.s));
	assert_false(cache_exists(f, rel));
	snprintf(rel, sizeof(rel), "tmp/sha256-%s.partial", digest_hex(live.s));
	assert_true(cache_exists(f, rel));
	assert_false(cache_exists(f, stale_layer));
	assert_false(cache_exists(f, "oci/index.json.tmp-Xy12Zq"));
	assert_true(cache_exists(f, "tmp/not-ours"));
	/* The live writer goes on undisturbed. */
	assert_int_equal(blob_writer_write(w, "56789", 5, &err), 0);
	assert_int_equal(blob_writer_offset(w), 10);
	store_blob_abort(w, false);
}

static void test_gc_does_not_wait_for_a_pull_unless_asked(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	int pull = store_lock(&f->st, false, true, &err);
	assert_true(pull >= 0);
	struct store_gc_options opts = {.wait = false};
	struct store_gc_result res;
	assert_int_equal(store_gc(&f->st, &opts, &res, &err), -1);
	assert_int_equal(err.code, EWOULDBLOCK);
	/* Pulls share the lock with each other. */
	int other = store_lock(&f->st, false, false, &err);
	assert_true(other >= 0);
	store_unlock(other);
	store_unlock(pull);
	assert_int_equal(store_gc(&f->st, &opts, &res, &err), 0);
	store_gc_result_free(&res);
}

/* ---- layers files of containers ---- */

static void test_parse_layers_reads_diff_ids(void **state)
{
	(void)state;
	struct digest a = digest_of("a"), b = digest_of("b");
	char text[512];
	snprintf(text, sizeof(text), "%s\r\n\n  %s  \n", a.s, b.s);
	cleanup_strv char **ids = NULL;
	struct error err = {0};
	assert_int_equal(store_gc_parse_layers(text, &ids, &err), 0);
	assert_int_equal(strv_len(ids), 2);
	assert_string_equal(ids[0], a.s);
	assert_string_equal(ids[1], b.s);
	assert_int_equal(store_gc_parse_layers("", &ids, &err), 0);
	assert_int_equal(strv_len(ids), 2);
}

static void test_parse_layers_refuses_a_line_that_is_no_diff_id(void **state)
{
	(void)state;
	struct digest a = digest_of("a");
	char text[512];
	snprintf(text, sizeof(text), "%s\nsha256:abc\n", a.s);
	cleanup_strv char **ids = NULL;
	struct error err = {0};
	assert_int_equal(store_gc_parse_layers(text, &ids, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "line 2"));
	snprintf(text, sizeof(text), "%s%s\n", a.s, "0");
	assert_int_equal(store_gc_parse_layers(text, &ids, &err), -1);
	assert_non_null(strstr(err.msg, "line 1"));
}

static void write_file(const char *dir, const char *name, const char *text)
{
	struct error err = {0};
	assert_int_equal(fs_mkdir_p(dir, 0755, &err), 0);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
}

static void test_container_layers_of_every_container(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	cleanup_strv char **ids = NULL;
	assert_int_equal(store_gc_container_layers(f->data, &ids, &err), 0); /* no containers dir */
	assert_int_equal(strv_len(ids), 0);
	strv_free(ids);
	ids = NULL;
	struct digest a = digest_of("a"), b = digest_of("b");
	char dir[PATH_MAX], text[256];
	snprintf(dir, sizeof(dir), "%s/containers/one", f->data);
	snprintf(text, sizeof(text), "%s\n", a.s);
	write_file(dir, "layers", text);
	snprintf(dir, sizeof(dir), "%s/containers/.tmp-being-made", f->data);
	snprintf(text, sizeof(text), "%s\n", b.s);
	write_file(dir, "layers", text);
	snprintf(dir, sizeof(dir), "%s/containers/from-a-tar/rootfs", f->data);
	write_file(dir, "file", "no layers file");
	snprintf(dir, sizeof(dir), "%s/containers", f->data);
	write_file(dir, ".lock", "");
	assert_int_equal(store_gc_container_layers(f->data, &ids, &err), 0);
	assert_int_equal(strv_len(ids), 2);
	assert_true((strcmp(ids[0], a.s) == 0 && strcmp(ids[1], b.s) == 0) ||
	            (strcmp(ids[0], b.s) == 0 && strcmp(ids[1], a.s) == 0));
	snprintf(dir, sizeof(dir), "%s/containers/bad", f->data);
	write_file(dir, "layers", "not a digest\n");
	strv_free(ids);
	ids = NULL;
	assert_int_equal(store_gc_container_layers(f->data, &ids, &err), -1);
	assert_non_null(strstr(err.msg, "containers/bad/layers: line 1"));
}

/* ---- fsck ---- */

static int run_fsck(struct fixture *f, bool repair, struct store_fsck_report *r)
{
	struct error err = {0};
	struct store_fsck_options opts = {.repair = repair, .wait = true};
	return store_fsck(&f->st, &opts, r, &err);
}

static void test_fsck_passes_a_whole_store(void **state)
{
	struct fixture *f = *state;
	struct image img = make_image(f, "one", AB);
	tag_image(f, "r.example/one:1", &img);
	struct store_fsck_report r;
	assert_int_equal(run_fsck(f, false, &r), 0);
	assert_int_equal(r.blobs_checked, 4);
	assert_int_equal(strv_len(r.problems), 0);
	assert_int_equal(r.unrepaired, 0);
	store_fsck_report_free(&r);
	image_free(&img);
}

static void test_fsck_finds_a_corrupt_blob_and_repair_removes_it(void **state)
{
	struct fixture *f = *state;
	struct image img = make_image(f, "one", AB);
	tag_image(f, "r.example/one:1", &img);
	char rel[128];
	snprintf(rel, sizeof(rel), "oci/blobs/sha256/%s", digest_hex(img.layers[0].s));
	write_cache_file(f, rel, "blob-A");
	struct store_fsck_report r;
	assert_int_equal(run_fsck(f, false, &r), 0);
	assert_int_equal(strv_len(r.problems), 2);
	assert_non_null(strstr(r.problems[0], "is corrupt"));
	assert_non_null(strstr(r.problems[0], img.layers[0].s));
	assert_non_null(strstr(r.problems[1], "image r.example/one:1"));
	assert_int_equal(r.unrepaired, 2);
	assert_int_equal(strv_len(r.broken), 1);
	assert_string_equal(r.broken[0], "r.example/one:1");
	assert_int_equal(strv_len(r.repairs), 0);
	store_fsck_report_free(&r);
	assert_true(has_blob(f, &img.layers[0]));

	assert_int_equal(run_fsck(f, true, &r), 0);
	assert_int_equal(strv_len(r.repairs), 1);
	assert_non_null(strstr(r.repairs[0], img.layers[0].s));
	assert_int_equal(strv_len(r.broken), 1);
	assert_int_equal(r.unrepaired, 1); /* the image lacks the layer now: a pull brings it back */
	store_fsck_report_free(&r);
	assert_false(has_blob(f, &img.layers[0]));

	put(f, "blob-a");
	assert_int_equal(run_fsck(f, false, &r), 0);
	assert_int_equal(strv_len(r.problems), 0);
	store_fsck_report_free(&r);
	image_free(&img);
}

static void test_fsck_finds_a_missing_layer_dir(void **state)
{
	struct fixture *f = *state;
	struct image img = make_image(f, "one", AB);
	tag_image(f, "r.example/one:1", &img);
	struct error err = {0};
	char rel[128];
	snprintf(rel, sizeof(rel), "layers/sha256/%s", digest_hex(img.diff_ids[1].s));
	assert_int_equal(fs_remove_tree_at(f->st.fd, rel, &err), 0);
	struct store_fsck_report r;
	assert_int_equal(run_fsck(f, false, &r), 0);
	assert_int_equal(strv_len(r.problems), 1);
	assert_non_null(strstr(r.problems[0], "layer dir"));
	assert_non_null(strstr(r.problems[0], img.diff_ids[1].s));
	assert_int_equal(strv_len(r.broken), 1);
	store_fsck_report_free(&r);
	image_free(&img);
}

static void test_fsck_reports_an_index_json_that_does_not_parse(void **state)
{
	struct fixture *f = *state;
	write_cache_file(f, "oci/index.json", "{\"manifests\": [");
	struct store_fsck_report r;
	assert_int_equal(run_fsck(f, false, &r), 0);
	assert_int_equal(strv_len(r.problems), 1);
	assert_non_null(strstr(r.problems[0], "index.json"));
	assert_int_equal(r.unrepaired, 1);
	store_fsck_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_gc_keeps_what_images_reach, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_removes_an_untagged_image_but_not_shared_layers,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_counts_bytes_of_each_item, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_dry_run_removes_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_keeps_layers_containers_use, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_follows_an_index_to_its_stored_manifests, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_gc_keeps_every_digest_of_a_manifest_it_cannot_parse,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_refuses_when_a_manifest_is_corrupt, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_removes_stale_temporaries_and_keeps_live_ones, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_gc_does_not_wait_for_a_pull_unless_asked, setup,
	                                        teardown),
	        cmocka_unit_test(test_parse_layers_reads_diff_ids),
	        cmocka_unit_test(test_parse_layers_refuses_a_line_that_is_no_diff_id),
	        cmocka_unit_test_setup_teardown(test_container_layers_of_every_container, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fsck_passes_a_whole_store, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fsck_finds_a_corrupt_blob_and_repair_removes_it, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_fsck_finds_a_missing_layer_dir, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fsck_reports_an_index_json_that_does_not_parse, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
