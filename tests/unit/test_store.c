/* Unit tests for the image store (src/image/store.c): layout, blobs (streaming, resume, verification,
 * concurrent writers), names in index.json, layer dirs. Each test gets a fresh store in /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/digest.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"

/* ---- fixture: TOP/cache is the store, TOP/victim a file that must never change ---- */

struct fixture {
	char top[64];
	char cache[128];
	struct store st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->top, "/tmp/burrow-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->top));
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->top);
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

/* ---- shared steps ---- */

static char *cache_file(const struct fixture *f, const char *rel, size_t *len)
{
	struct error err = {0};
	char path[PATH_MAX + 256]; /* room for cache + rel */
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	return fs_read_file_at(AT_FDCWD, path, false, 1 << 24, len, &err);
}

static bool cache_exists(const struct fixture *f, const char *rel)
{
	char path[PATH_MAX + 256]; /* room for cache + rel */
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	return lstat(path, &sb) == 0;
}

static void write_cache_file(const struct fixture *f, const char *rel, const char *text)
{
	char path[PATH_MAX + 256]; /* room for cache + rel */
	struct error err = {0};
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
}

static size_t count_entries(const struct fixture *f, const char *rel)
{
	char path[PATH_MAX + 256]; /* room for cache + rel */
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	DIR *d = opendir(path);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void blob_rel(const char *digest, char out[128])
{
	snprintf(out, 128, "oci/blobs/sha256/%s", digest_hex(digest));
}

static void put(struct fixture *f, const char *text, char digest[DIGEST_STRING_LEN + 1])
{
	struct error err = {0};
	digest_buffer(text, strlen(text), digest);
	assert_int_equal(store_put_blob(&f->st, digest, text, strlen(text), &err), 0);
}

/* Store text as a manifest blob and give its descriptor (digest in the caller's buffer). */
static struct store_descriptor manifest_of(struct fixture *f, const char *text,
                                           char digest[DIGEST_STRING_LEN + 1])
{
	put(f, text, digest);
	return (struct store_descriptor){
	        .media_type = MANIFEST_TYPE, .digest = digest, .size = (int64_t)strlen(text)};
}

static void fill_pattern(char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

static void assert_blob_bytes(struct fixture *f, const char *digest, const char *want, size_t want_len)
{
	struct error err = {0};
	size_t len = 0;
	cleanup_free char *got = store_read_blob(&f->st, digest, want_len + 1, &len, &err);
	assert_non_null(got);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
}

static int wait_child(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- layout ---- */

static void test_open_creates_layout(void **state)
{
	struct fixture *f = *state;
	static const char *const dirs[] = {"oci/blobs/sha256", "layers/sha256", "tmp", "locks"};
	for (size_t i = 0; i < 4; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", f->cache, dirs[i]);
		assert_true(fs_is_dir(path));
	}
	cleanup_free char *layout = cache_file(f, "oci/oci-layout", NULL);
	assert_non_null(layout);
	json_t *lj = json_loads(layout, 0, NULL);
	assert_non_null(lj);
	assert_string_equal(json_string_value(json_object_get(lj, "imageLayoutVersion")), "1.0.0");
	json_decref(lj);

	cleanup_free char *index = cache_file(f, "oci/index.json", NULL);
	assert_non_null(index);
	json_t *ij = json_loads(index, 0, NULL);
	assert_non_null(ij);
	assert_int_equal(json_integer_value(json_object_get(ij, "schemaVersion")), 2);
	assert_true(json_is_array(json_object_get(ij, "manifests")));
	assert_int_equal(json_array_size(json_object_get(ij, "manifests")), 0);
	json_decref(ij);

	cleanup_free char *real = realpath(f->cache, NULL);
	assert_string_equal(f->st.path, real);
	assert_true(f->st.fd >= 0);
}

static void test_reopen_keeps_names(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1];
	struct store_descriptor m = manifest_of(f, "{\"m\":1}", d);
	assert_int_equal(store_tag(&f->st, "r.example/a:1", &m, &err), 0);
	store_close(&f->st);
	store_close(&f->st); /* a second close does nothing */
	assert_null(f->st.path);
	assert_int_equal(store_open(f->cache, &f->st, &err), 0);
	struct store_image img;
	assert_int_equal(store_lookup(&f->st, "r.example/a:1", &img, &err), 0);
	assert_string_equal(img.manifest.digest, d);
	store_image_free(&img);

	/* a layout file lost (say, a crash while creating the store): recreated, names kept */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/oci/oci-layout", f->cache);
	assert_int_equal(unlink(path), 0);
	store_close(&f->st);
	assert_int_equal(store_open(f->cache, &f->st, &err), 0);
	assert_true(cache_exists(f, "oci/oci-layout"));
	assert_int_equal(store_lookup(&f->st, "r.example/a:1", &img, &err), 0);
	assert_string_equal(img.manifest.digest, d);
	store_image_free(&img);
}

static void test_open_rejects_foreign_layout(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	struct store other;
	write_cache_file(f, "oci/oci-layout", "{\"imageLayoutVersion\":\"9.0.0\"}");
	assert_int_equal(store_open(f->cache, &other, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "oci/oci-layout: not an OCI image layout of version 1.0.0"));
	assert_null(other.path);
	assert_int_equal(other.fd, -1);

	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/victim", f->top);
	write_cache_file(f, "../victim", "x");
	assert_int_equal(store_open(file, &other, &err), -1);
	assert_int_equal(err.code, ENOTDIR);
}

/* Several processes open the same fresh store at once and each names an image: no process may
 * write an empty index over names another one has stored. */
static void test_open_concurrently_when_fresh(void **state)
{
	struct fixture *f = *state;
	enum {
		N = 8
	};
	char fresh[PATH_MAX];
	snprintf(fresh, sizeof(fresh), "%s/fresh", f->top);
	pid_t pids[N];
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct error err = {0};
			struct store st;
			char name[32], text[32], d[DIGEST_STRING_LEN + 1];
			snprintf(name, sizeof(name), "local/img:%d", i);
			snprintf(text, sizeof(text), "{\"n\":%d}", i);
			digest_buffer(text, strlen(text), d);
			struct store_descriptor m = {
			        .media_type = MANIFEST_TYPE, .digest = d, .size = (int64_t)strlen(text)};
			if (store_open(fresh, &st, &err) < 0 ||
			    store_put_blob(&st, d, text, strlen(text), &err) < 0 ||
			    store_tag(&st, name, &m, &err) < 0)
				_exit(1);
			store_close(&st);
			_exit(0);
		}
	}
	for (int i = 0; i < N; i++) {
		int status = wait_child(pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	struct error err = {0};
	struct store st;
	assert_int_equal(store_open(fresh, &st, &err), 0);
	struct store_image *images;
	size_t n;
	assert_int_equal(store_list(&st, &images, &n, &err), 0);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "local/img:%d", i);
		assert_string_equal(images[i].name, name);
	}
	store_images_free(images, n);
	store_close(&st);
}

/* ---- blobs ---- */

static void test_put_read_has_open_blob(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	const char *text = "{\"schemaVersion\":2}";
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(text, strlen(text), d);
	assert_false(store_has_blob(&f->st, d));
	assert_int_equal(store_open_blob(&f->st, d, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "not in the store"));
	assert_null(store_read_blob(&f->st, d, 100, NULL, &err));
	assert_int_equal(err.code, ENOENT);

	assert_int_equal(store_put_blob(&f->st, d, text, strlen(text), &err), 0);
	assert_true(store_has_blob(&f->st, d));
	assert_int_equal(store_put_blob(&f->st, d, text, strlen(text), &err), 0); /* again: a no-op */
	assert_blob_bytes(f, d, text, strlen(text));

	int fd = store_open_blob(&f->st, d, &err);
	assert_true(fd >= 0);
	char buf[64] = {0};
	assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)strlen(text));
	assert_string_equal(buf, text);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0444);
	close(fd);

	/* larger than max */
	assert_null(store_read_blob(&f->st, d, 4, NULL, &err));
	assert_int_equal(err.code, EFBIG);
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_int_equal(count_entries(f, "locks"), 1); /* only the index lock stays */
	assert_true(cache_exists(f, "locks/index"));
}

static void test_read_blob_detects_corruption(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1], rel[128], path[PATH_MAX];
	put(f, "original", d);
	blob_rel(d, rel);
	snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
	assert_int_equal(chmod(path, 0644), 0);
	write_cache_file(f, rel, "tampered");
	assert_null(store_read_blob(&f->st, d, 100, NULL, &err));
	assert_int_equal(err.code, EBADMSG);
	assert_non_null(strstr(err.msg, "stored content has digest sha256:"));
	assert_non_null(strstr(err.msg, "pull again"));
}

static void test_streaming_write_in_chunks(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	enum {
		LEN = 100000,
		CHUNK = 7
	};
	char *data = malloc(LEN);
	assert_non_null(data);
	fill_pattern(data, LEN, 1);
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(data, LEN, d);

	for (int known = 0; known < 2; known++) {
		struct blob_writer *w = NULL;
		bool exists = true;
		assert_int_equal(store_blob_begin(&f->st, d, known ? LEN : -1, &w, &exists, &err), 0);
		assert_false(exists);
		assert_non_null(w);
		assert_int_equal(blob_writer_offset(w), 0);
		char lock[PATH_MAX];
		snprintf(lock, sizeof(lock), "locks/sha256-%s", digest_hex(d));
		assert_true(cache_exists(f, lock)); /* held until commit */
		for (size_t off = 0; off < LEN; off += CHUNK) {
			size_t n = LEN - off < CHUNK ? LEN - off : CHUNK;
			assert_int_equal(blob_writer_write(w, data + off, n, &err), 0);
			assert_int_equal(blob_writer_offset(w), off + n);
		}
		char partial[PATH_MAX];
		snprintf(partial, sizeof(partial), "tmp/sha256-%s.partial", digest_hex(d));
		assert_true(cache_exists(f, partial));
		assert_int_equal(store_blob_commit(w, &err), 0);
		assert_false(cache_exists(f, partial));
		assert_false(cache_exists(f, lock));
		assert_blob_bytes(f, d, data, LEN);
		assert_int_equal(count_entries(f, "tmp"), 0);
		assert_int_equal(count_entries(f, "locks"), 1);

		if (known) {
			/* stored: begin reports it and gives no writer */
			assert_int_equal(store_blob_begin(&f->st, d, LEN, &w, &exists, &err), 0);
			assert_true(exists);
			assert_null(w);
		} else {
			char rel[128], path[PATH_MAX];
			blob_rel(d, rel);
			snprintf(path, sizeof(path), "%s/%s", f->cache, rel);
			assert_int_equal(unlink(path), 0); /* write it again, this time with its size */
		}
	}
	free(data);
}

static void test_digest_mismatch_refused(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char claimed[DIGEST_STRING_LEN + 1], actual[DIGEST_STRING_LEN + 1];
	digest_buffer("what the manifest said", 22, claimed);
	digest_buffer("what arrived", 12, actual);
	assert_int_equal(store_put_blob(&f->st, claimed, "what arrived", 12, &err), -1);
	assert_int_equal(err.code, EBADMSG);
	char want[512];
	snprintf(want, sizeof(want), "blob %s: content has digest %s, expected %s; nothing was stored",
	         claimed, actual, claimed);
	assert_string_equal(err.msg, want);
	assert_false(store_has_blob(&f->st, claimed));
	assert_false(store_has_blob(&f->st, actual));
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_int_equal(count_entries(f, "oci/blobs/sha256"), 0);
	assert_int_equal(count_entries(f, "locks"), 1);
}

static void test_short_blob_refused(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer("0123456789", 10, d);
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, 10, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, "01234", 5, &err), 0);
	assert_int_equal(store_blob_commit(w, &err), -1);
	assert_int_equal(err.code, EBADMSG);
	char want[200];
	snprintf(want, sizeof(want), "blob %s: got 5 bytes, the manifest said 10", d);
	assert_string_equal(err.msg, want);
	assert_false(store_has_blob(&f->st, d));
	assert_int_equal(count_entries(f, "tmp"), 0);
}

static void test_size_overrun_refused(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer("0123456789", 10, d);
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, 10, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, "012345", 6, &err), 0);
	assert_int_equal(blob_writer_write(w, "6789X", 5, &err), -1);
	assert_int_equal(err.code, EFBIG);
	char want[200];
	snprintf(want, sizeof(want),
	         "blob %s: more bytes than the manifest said (10); the registry sent a different blob", d);
	assert_string_equal(err.msg, want);
	assert_int_equal(blob_writer_offset(w), 6);
	/* a single huge write cannot wrap the check */
	assert_int_equal(blob_writer_write(w, "", SIZE_MAX, &err), -1);
	assert_int_equal(err.code, EFBIG);
	store_blob_abort(w, false);
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_false(store_has_blob(&f->st, d));

	assert_int_equal(store_blob_begin(&f->st, d, -2, &w, &exists, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_null(w);
}

static void snapshot_line(char **out, const char *fpath, const struct stat *sb)
{
	size_t old = *out ? strlen(*out) : 0;
	char line[PATH_MAX + 64];
	int n = snprintf(line, sizeof(line), "%s %o %lld %lld\n", fpath, (unsigned)sb->st_mode,
	                 (long long)sb->st_size, (long long)sb->st_mtim.tv_nsec);
	*out = realloc(*out, old + (size_t)n + 1);
	assert_non_null(*out);
	memcpy(*out + old, line, (size_t)n + 1);
}

static char *snapshot_text;
static int snapshot_visit(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	snapshot_line(&snapshot_text, fpath, sb);
	return 0;
}

/* Every path below dir with its mode, size and mtime. */
static char *snapshot(const char *dir)
{
	snapshot_text = NULL;
	assert_int_equal(nftw(dir, snapshot_visit, 16, FTW_PHYS), 0);
	return snapshot_text;
}

static void test_invalid_digests_touch_nothing(void **state)
{
	struct fixture *f = *state;
	char victim[PATH_MAX];
	snprintf(victim, sizeof(victim), "%s/victim", f->top);
	write_cache_file(f, "../victim", "precious");
	char upper[80], short_hex[80], long_hex[80], sha512[80], slash[80];
	snprintf(upper, sizeof(upper), "sha256:%064d", 0);
	memset(upper + 7, 'A', 64);
	snprintf(short_hex, sizeof(short_hex), "sha256:%063d", 0);
	snprintf(long_hex, sizeof(long_hex), "sha256:%065d", 0);
	snprintf(sha512, sizeof(sha512), "sha512:%064d", 0);
	snprintf(slash, sizeof(slash), "sha256:%063d/", 0);
	const char *bad[] = {"sha256:../../../../victim",
	                     "sha256:../../../victim",
	                     upper,
	                     short_hex,
	                     long_hex,
	                     sha512,
	                     slash,
	                     "",
	                     "sha256:",
	                     "../victim",
	                     NULL};
	cleanup_free char *before = snapshot(f->top);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct error err = {0};
		struct blob_writer *w = (struct blob_writer *)&err;
		struct layer_writer *lw = (struct layer_writer *)&err;
		bool exists = true;
		int dir_fd = 42;
		assert_false(store_has_blob(&f->st, bad[i]));
		assert_false(store_has_layer(&f->st, bad[i]));

		assert_int_equal(store_open_blob(&f->st, bad[i], &err), -1);
		assert_int_equal(err.code, EINVAL);
		assert_non_null(strstr(err.msg, "blob: invalid digest"));
		error_clear(&err);
		assert_null(store_read_blob(&f->st, bad[i], 100, NULL, &err));
		assert_int_equal(err.code, EINVAL);
		error_clear(&err);
		assert_int_equal(store_blob_begin(&f->st, bad[i], 8, &w, &exists, &err), -1);
		assert_int_equal(err.code, EINVAL);
		assert_null(w);
		assert_false(exists);
		error_clear(&err);
		assert_int_equal(store_put_blob(&f->st, bad[i], "precious", 8, &err), -1);
		assert_int_equal(err.code, EINVAL);
		error_clear(&err);
		assert_null(store_layer_path(&f->st, bad[i], &err));
		assert_int_equal(err.code, EINVAL);
		assert_non_null(strstr(err.msg, "layer: invalid digest"));
		error_clear(&err);
		assert_int_equal(store_layer_begin(&f->st, bad[i], &lw, &dir_fd, &exists, &err), -1);
		assert_int_equal(err.code, EINVAL);
		assert_null(lw);
		assert_int_equal(dir_fd, -1);
		error_clear(&err);
		struct store_descriptor m = {
		        .media_type = MANIFEST_TYPE, .digest = (char *)bad[i], .size = 8};
		assert_int_equal(store_tag(&f->st, "local/x:1", &m, &err), -1);
		assert_int_equal(err.code, EINVAL);
		assert_non_null(strstr(err.msg, "manifest: invalid digest"));
	}
	cleanup_free char *after = snapshot(f->top);
	assert_string_equal(before, after);
	cleanup_free char *content = cache_file(f, "../victim", NULL);
	assert_string_equal(content, "precious");
}

static void test_resume_after_abort_keep(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	enum {
		LEN = 50000
	};
	char data[LEN];
	fill_pattern(data, LEN, 2);
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(data, LEN, d);
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, LEN, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, data, 20000, &err), 0);
	store_blob_abort(w, true);
	assert_int_equal(count_entries(f, "tmp"), 1);
	assert_int_equal(count_entries(f, "locks"), 1);

	assert_int_equal(store_blob_begin(&f->st, d, LEN, &w, &exists, &err), 0);
	assert_false(exists);
	assert_int_equal(blob_writer_offset(w), 20000);
	assert_int_equal(blob_writer_write(w, data + 20000, LEN - 20000, &err), 0);
	assert_int_equal(store_blob_commit(w, &err), 0);
	assert_blob_bytes(f, d, data, LEN);

	/* abort without keep removes the partial */
	char d2[DIGEST_STRING_LEN + 1];
	digest_buffer(data, 100, d2);
	assert_int_equal(store_blob_begin(&f->st, d2, 100, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, data, 50, &err), 0);
	store_blob_abort(w, false);
	assert_int_equal(count_entries(f, "tmp"), 0);
	store_blob_abort(NULL, true);
}

struct replayed {
	char buf[60000];
	size_t len;
	int stop_after; /* calls before the sink stops; 0: never */
};

static int replay_sink(void *ctx, const void *buf, size_t len)
{
	struct replayed *r = ctx;
	if (r->stop_after > 0 && --r->stop_after == 0)
		return -1;
	assert_true(r->len + len <= sizeof(r->buf));
	memcpy(r->buf + r->len, buf, len);
	r->len += len;
	return 0;
}

static void test_replay_gives_the_partial_bytes_and_keeps_the_offset(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	enum {
		LEN = 50000
	};
	char data[LEN];
	fill_pattern(data, LEN, 5);
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(data, LEN, d);
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, LEN, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, data, 30000, &err), 0);
	store_blob_abort(w, true);

	assert_int_equal(store_blob_begin(&f->st, d, LEN, &w, &exists, &err), 0);
	static struct replayed r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(blob_writer_replay(w, replay_sink, &r, &err), 0);
	assert_int_equal(r.len, 30000);
	assert_memory_equal(r.buf, data, 30000);
	/* Replaying reads, it does not move: the download goes on where the partial ends. */
	assert_int_equal(blob_writer_offset(w), 30000);
	assert_int_equal(blob_writer_write(w, data + 30000, LEN - 30000, &err), 0);
	assert_int_equal(store_blob_commit(w, &err), 0);
	assert_blob_bytes(f, d, data, LEN);
}

static void test_replay_stops_when_the_sink_does(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	static char data[3 << 20];
	fill_pattern(data, sizeof(data), 6);
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(data, sizeof(data), d);
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, (int64_t)sizeof(data), &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, data, sizeof(data) - 1, &err), 0);
	store_blob_abort(w, true);
	assert_int_equal(store_blob_begin(&f->st, d, (int64_t)sizeof(data), &w, &exists, &err), 0);
	struct replayed *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->stop_after = 1;
	assert_int_equal(blob_writer_replay(w, replay_sink, r, &err), -1);
	assert_int_equal(r->len, 0);
	free(r);
	store_blob_abort(w, false);
}

static void test_resume_after_sigkill(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	enum {
		LEN = 300000,
		HALF = 123457
	};
	char *data = malloc(LEN);
	assert_non_null(data);
	fill_pattern(data, LEN, 3);
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(data, LEN, d);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct blob_writer *w;
		bool exists;
		if (store_blob_begin(&f->st, d, LEN, &w, &exists, &err) < 0 ||
		    blob_writer_write(w, data, HALF, &err) < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status = wait_child(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_false(store_has_blob(&f->st, d));

	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, LEN, &w, &exists, &err), 0);
	assert_false(exists);
	assert_int_equal(blob_writer_offset(w), HALF);
	assert_int_equal(blob_writer_write(w, data + HALF, LEN - HALF, &err), 0);
	assert_int_equal(store_blob_commit(w, &err), 0);
	assert_blob_bytes(f, d, data, LEN);
	assert_int_equal(count_entries(f, "tmp"), 0);
	free(data);
}

static void test_partial_longer_than_size_restarts(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1], partial[PATH_MAX];
	digest_buffer("short", 5, d);
	snprintf(partial, sizeof(partial), "tmp/sha256-%s.partial", digest_hex(d));
	write_cache_file(f, partial, "far too long to be a prefix");
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, 5, &w, &exists, &err), 0);
	assert_int_equal(blob_writer_offset(w), 0);
	assert_int_equal(blob_writer_write(w, "short", 5, &err), 0);
	assert_int_equal(store_blob_commit(w, &err), 0);
	assert_blob_bytes(f, d, "short", 5);
}

/* A server that ignored the Range request sends everything again: the writer starts over. */
static void test_truncate_restarts(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	const char *text = "the whole blob";
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(text, strlen(text), d);
	struct blob_writer *w;
	bool exists;
	assert_int_equal(store_blob_begin(&f->st, d, (int64_t)strlen(text), &w, &exists, &err), 0);
	assert_int_equal(blob_writer_write(w, "garbage", 7, &err), 0);
	store_blob_abort(w, true);
	assert_int_equal(store_blob_begin(&f->st, d, (int64_t)strlen(text), &w, &exists, &err), 0);
	assert_int_equal(blob_writer_offset(w), 7);
	assert_int_equal(blob_writer_truncate(w, &err), 0);
	assert_int_equal(blob_writer_offset(w), 0);
	assert_int_equal(blob_writer_write(w, text, strlen(text), &err), 0);
	assert_int_equal(store_blob_commit(w, &err), 0);
	assert_blob_bytes(f, d, text, strlen(text));
}

/* Two processes write the same blob at once: one writes, the other waits and finds it stored. */
static void test_concurrent_writers_store_one_copy(void **state)
{
	struct fixture *f = *state;
	enum {
		LEN = 200000,
		CHUNK = 10000
	};
	char *data = malloc(LEN);
	assert_non_null(data);
	fill_pattern(data, LEN, 4);
	char d[DIGEST_STRING_LEN + 1];
	digest_buffer(data, LEN, d);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct error err = {0};
			struct blob_writer *w;
			bool exists;
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) != 0) /* wait for the start: the parent closes the pipe */
				_exit(1);
			if (store_blob_begin(&f->st, d, LEN, &w, &exists, &err) < 0)
				_exit(1);
			if (exists)
				_exit(2);
			for (size_t off = 0; off < LEN; off += CHUNK) {
				if (blob_writer_write(w, data + off, CHUNK, &err) < 0)
					_exit(1);
				usleep(2000); /* slow, so the other one arrives while we write */
			}
			_exit(store_blob_commit(w, &err) < 0 ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);
	int wrote = 0, found = 0;
	for (int i = 0; i < 2; i++) {
		int status = wait_child(pids[i]);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 0)
			wrote++;
		else if (WEXITSTATUS(status) == 2)
			found++;
	}
	assert_int_equal(wrote, 1);
	assert_int_equal(found, 1);
	assert_blob_bytes(f, d, data, LEN);
	assert_int_equal(count_entries(f, "oci/blobs/sha256"), 1);
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_int_equal(count_entries(f, "locks"), 1);
	free(data);
}

/* ---- images ---- */

static void test_tag_lookup_list_untag(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d1[DIGEST_STRING_LEN + 1], d2[DIGEST_STRING_LEN + 1];
	struct store_descriptor m1 = manifest_of(f, "{\"manifest\":1}", d1);
	struct store_descriptor m2 = manifest_of(f, "{\"manifest\":2}", d2);
	assert_int_equal(store_tag(&f->st, "registry.example/b/x:1", &m1, &err), 0);
	assert_int_equal(store_tag(&f->st, "127.0.0.1:5000/library/busybox:latest", &m2, &err), 0);

	struct store_image *images;
	size_t n;
	assert_int_equal(store_list(&f->st, &images, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(images[0].name, "127.0.0.1:5000/library/busybox:latest");
	assert_string_equal(images[0].manifest.digest, d2);
	assert_string_equal(images[0].manifest.media_type, MANIFEST_TYPE);
	assert_int_equal(images[0].manifest.size, 14);
	assert_string_equal(images[1].name, "registry.example/b/x:1");
	assert_string_equal(images[1].manifest.digest, d1);
	store_images_free(images, n);

	struct store_image img;
	assert_int_equal(store_lookup(&f->st, "registry.example/b/x:1", &img, &err), 0);
	assert_string_equal(img.name, "registry.example/b/x:1");
	assert_string_equal(img.manifest.digest, d1);
	store_image_free(&img);
	assert_int_equal(store_lookup(&f->st, d2, &img, &err), 0);
	assert_string_equal(img.name, "127.0.0.1:5000/library/busybox:latest");
	store_image_free(&img);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "%.12s", digest_hex(d1));
	assert_int_equal(store_lookup(&f->st, prefix, &img, &err), 0);
	assert_string_equal(img.manifest.digest, d1);
	store_image_free(&img);
	snprintf(prefix, sizeof(prefix), "sha256:%.13s", digest_hex(d1));
	assert_int_equal(store_lookup(&f->st, prefix, &img, &err), 0);
	assert_string_equal(img.manifest.digest, d1);
	store_image_free(&img);
	snprintf(prefix, sizeof(prefix), "%.11s", digest_hex(d1)); /* too short */
	assert_int_equal(store_lookup(&f->st, prefix, &img, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_null(img.name);

	/* replacing a tag */
	assert_int_equal(store_tag(&f->st, "registry.example/b/x:1", &m2, &err), 0);
	assert_int_equal(store_list(&f->st, &images, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(images[1].name, "registry.example/b/x:1");
	assert_string_equal(images[1].manifest.digest, d2);
	store_images_free(images, n);
	/* two names of one manifest: a digest finds the first by name */
	assert_int_equal(store_lookup(&f->st, d2, &img, &err), 0);
	assert_string_equal(img.name, "127.0.0.1:5000/library/busybox:latest");
	store_image_free(&img);

	assert_int_equal(store_untag(&f->st, "registry.example/b/x:1", &err), 0);
	assert_int_equal(store_lookup(&f->st, "registry.example/b/x:1", &img, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "image registry.example/b/x:1: not in the store");
	assert_int_equal(store_untag(&f->st, "registry.example/b/x:1", &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "image registry.example/b/x:1: not in the store");
	assert_int_equal(store_lookup(&f->st, d1, &img, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(store_list(&f->st, &images, &n, &err), 0);
	assert_int_equal(n, 1);
	store_images_free(images, n);
}

static void test_tag_rejects_bad_input(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1], absent[DIGEST_STRING_LEN + 1];
	struct store_descriptor m = manifest_of(f, "{}", d);
	const char *bad_names[] = {"", "has space:1", "new\nline", "tab\t", "quote\"", "uml\xc3\xa4ut"};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(store_tag(&f->st, bad_names[i], &m, &err), -1);
		assert_int_equal(err.code, EINVAL);
	}
	assert_string_equal(err.msg,
	                    "image name \"uml\": byte 4 (0xc3) is not allowed; use letters, digits and "
	                    "-._:@+/ only");
	assert_int_equal(store_tag(&f->st, "new\nline", &m, &err), -1);
	assert_string_equal(err.msg,
	                    "image name \"new\": byte 4 (0x0a) is not allowed; use letters, digits and "
	                    "-._:@+/ only");
	assert_int_equal(store_tag(&f->st, NULL, &m, &err), -1);
	assert_string_equal(err.msg, "image name is empty");
	char long_name[1100];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(store_tag(&f->st, long_name, &m, &err), -1);
	assert_int_equal(err.code, ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "...\": longer than 1024 bytes"));

	digest_buffer("not stored", 10, absent);
	struct store_descriptor missing = {.media_type = MANIFEST_TYPE, .digest = absent, .size = 10};
	assert_int_equal(store_tag(&f->st, "local/a:1", &missing, &err), -1);
	assert_int_equal(err.code, ENOENT);
	char want[256];
	snprintf(want, sizeof(want), "tag local/a:1: manifest %s is not in the store; store it first",
	         absent);
	assert_string_equal(err.msg, want);

	struct store_descriptor no_type = {.media_type = NULL, .digest = d, .size = 2};
	assert_int_equal(store_tag(&f->st, "local/a:1", &no_type, &err), -1);
	assert_int_equal(err.code, EINVAL);
	struct store_descriptor neg = {.media_type = MANIFEST_TYPE, .digest = d, .size = -1};
	assert_int_equal(store_tag(&f->st, "local/a:1", &neg, &err), -1);
	assert_int_equal(err.code, EINVAL);

	assert_int_equal(store_untag(&f->st, "", &err), -1);
	assert_int_equal(err.code, EINVAL);
	struct store_image img;
	assert_int_equal(store_lookup(&f->st, "", &img, &err), -1);
	assert_int_equal(err.code, EINVAL);

	/* nothing was written */
	struct store_image *images;
	size_t n;
	assert_int_equal(store_list(&f->st, &images, &n, &err), 0);
	assert_int_equal(n, 0);
	store_images_free(images, n);
}

static void test_lookup_ambiguous_prefix(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	/* Entries another tool wrote (and shared prefixes no real hash would give us). */
	char a[DIGEST_STRING_LEN + 1], b[DIGEST_STRING_LEN + 1], c[DIGEST_STRING_LEN + 1];
	snprintf(a, sizeof(a), "sha256:abcdef012345%052d", 1);
	snprintf(b, sizeof(b), "sha256:abcdef012345%052d", 2);
	snprintf(c, sizeof(c), "sha256:abcdef012399%052d", 3);
	char index[2048];
	snprintf(index, sizeof(index),
	         "{\"schemaVersion\":2,\"manifests\":["
	         "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":1,\"annotations\":{\"%s\":\"one\"}},"
	         "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2,\"annotations\":{\"%s\":\"two\"}},"
	         "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":3,\"annotations\":{\"%s\":\"three\"}}]}",
	         MANIFEST_TYPE, a, "org.opencontainers.image.ref.name", MANIFEST_TYPE, b,
	         "org.opencontainers.image.ref.name", MANIFEST_TYPE, c, "org.opencontainers.image.ref.name");
	write_cache_file(f, "oci/index.json", index);

	struct store_image img;
	assert_int_equal(store_lookup(&f->st, "abcdef012345", &img, &err), -1);
	assert_int_equal(err.code, ENOTUNIQ);
	char want[512];
	snprintf(want, sizeof(want),
	         "image abcdef012345: ambiguous, matches %s (one), %s (two); give more digits", a, b);
	assert_string_equal(err.msg, want);
	assert_int_equal(store_lookup(&f->st, "sha256:abcdef01234", &img, &err), -1); /* 11 digits */
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(store_lookup(&f->st, "abcdef0123", &img, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(store_lookup(&f->st, "abcdef0123450", &img, &err), -1);
	assert_int_equal(err.code, ENOTUNIQ);
	assert_int_equal(store_lookup(&f->st, "abcdef012399", &img, &err), 0);
	assert_string_equal(img.name, "three");
	assert_int_equal(img.manifest.size, 3);
	store_image_free(&img);
	assert_int_equal(store_lookup(&f->st, "ABCDEF012399", &img, &err), -1); /* hex is lower case */
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(store_lookup(&f->st, "ffffffffffff", &img, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "image ffffffffffff: not in the store");
}

static void test_index_keeps_unknown_fields(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char d[DIGEST_STRING_LEN + 1], other[DIGEST_STRING_LEN + 1];
	struct store_descriptor m = manifest_of(f, "{\"m\":3}", d);
	snprintf(other, sizeof(other), "sha256:%064d", 7);
	char index[2048];
	snprintf(index, sizeof(index),
	         "{\"schemaVersion\":2,\"x-extra\":{\"keep\":true},\"annotations\":{\"a\":\"b\"},"
	         "\"manifests\":["
	         "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":9,\"platform\":{\"os\":\"linux\"}},"
	         "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":9,\"annotations\":"
	         "{\"org.opencontainers.image.ref.name\":\"old\",\"x\":\"y\"}}]}",
	         MANIFEST_TYPE, other, MANIFEST_TYPE, other);
	write_cache_file(f, "oci/index.json", index);

	struct store_image *images;
	size_t n;
	assert_int_equal(store_list(&f->st, &images, &n, &err), 0);
	assert_int_equal(n, 1); /* the entry without a name is no image of ours */
	assert_string_equal(images[0].name, "old");
	store_images_free(images, n);

	assert_int_equal(store_tag(&f->st, "local/new:1", &m, &err), 0);
	cleanup_free char *text = cache_file(f, "oci/index.json", NULL);
	json_t *root = json_loads(text, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "schemaVersion")), 2);
	assert_true(json_is_true(json_object_get(json_object_get(root, "x-extra"), "keep")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "annotations"), "a")),
	                    "b");
	json_t *list = json_object_get(root, "manifests");
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(json_array_get(list, 0), "platform"), "os")),
	                    "linux");
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(json_array_get(list, 1), "annotations"), "x")),
	                    "y");
	json_t *added = json_array_get(list, 2);
	assert_string_equal(json_string_value(json_object_get(added, "mediaType")), MANIFEST_TYPE);
	assert_string_equal(json_string_value(json_object_get(added, "digest")), d);
	assert_int_equal(json_integer_value(json_object_get(added, "size")), 7);
	assert_string_equal(json_string_value(json_object_get(json_object_get(added, "annotations"),
	                                                      "org.opencontainers.image.ref.name")),
	                    "local/new:1");
	json_decref(root);

	assert_int_equal(store_untag(&f->st, "old", &err), 0);
	cleanup_free char *text2 = cache_file(f, "oci/index.json", NULL);
	root = json_loads(text2, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "manifests")), 2);
	assert_true(json_is_true(json_object_get(json_object_get(root, "x-extra"), "keep")));
	json_decref(root);
}

static void test_index_broken_is_reported(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	struct store_image img;
	struct store_image *images;
	size_t n;
	char d[DIGEST_STRING_LEN + 1];
	struct store_descriptor m = manifest_of(f, "{}", d);

	write_cache_file(f, "oci/index.json", "{\"manifests\": [");
	assert_int_equal(store_lookup(&f->st, "x", &img, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "/oci/index.json: line 1: "));
	assert_non_null(strstr(err.msg, "fix or remove the file"));
	assert_int_equal(store_tag(&f->st, "local/a:1", &m, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_true(strncmp(err.msg, "tag local/a:1: ", 15) == 0);

	write_cache_file(f, "oci/index.json", "{\"manifests\": {}}");
	assert_int_equal(store_list(&f->st, &images, &n, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "not an OCI image index"));
	assert_null(images);
	write_cache_file(f, "oci/index.json", "[]");
	assert_int_equal(store_untag(&f->st, "x", &err), -1);
	assert_int_equal(err.code, EINVAL);

	/* a missing list is an empty one */
	write_cache_file(f, "oci/index.json", "{\"schemaVersion\":2}");
	assert_int_equal(store_list(&f->st, &images, &n, &err), 0);
	assert_int_equal(n, 0);
	store_images_free(images, n);
	assert_int_equal(store_tag(&f->st, "local/a:1", &m, &err), 0);

	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/oci/index.json", f->cache);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_lookup(&f->st, "local/a:1", &img, &err), -1);
	assert_int_equal(err.code, ENOENT);
}

/* Run a command, returning its exit status and (when out is set) its standard output. */
static int run_command(const char *cmd, char *out, size_t out_size)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = 0;
	if (out) {
		n = fread(out, 1, out_size - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];
		while (fread(sink, 1, sizeof(sink), p) > 0) {
		}
	}
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The store is an OCI image layout other tools read: skopeo finds images by their full names
 * (oci:CACHE/oci:NAME), umoci lists them. Skipped where the tools are not installed. */
static void test_skopeo_and_umoci_read_the_store(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	if (run_command("command -v skopeo >/dev/null && command -v umoci >/dev/null", NULL, 0) != 0)
		skip();
	/* An empty tar (two zero blocks) as the layer. */
	static char layer[1024];
	char layer_digest[DIGEST_STRING_LEN + 1], config_digest[DIGEST_STRING_LEN + 1];
	char manifest_digest[DIGEST_STRING_LEN + 1], config[512], manifest[1024];
	digest_buffer(layer, sizeof(layer), layer_digest);
	assert_int_equal(store_put_blob(&f->st, layer_digest, layer, sizeof(layer), &err), 0);
	snprintf(config, sizeof(config),
	         "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]},"
	         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
	         layer_digest);
	put(f, config, config_digest);
	snprintf(
	        manifest, sizeof(manifest),
	        "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
	        "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{"
	        "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":1024}]}",
	        MANIFEST_TYPE, config_digest, strlen(config), layer_digest);
	struct store_descriptor m = manifest_of(f, manifest, manifest_digest);
	char digest_name[128];
	snprintf(digest_name, sizeof(digest_name), "docker.io/library/alpine@%s", manifest_digest);
	const char *names[] = {"127.0.0.1:5000/library/busybox:latest", digest_name, "local/plain"};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(store_tag(&f->st, names[i], &m, &err), 0);

	char cmd[1024], out[8192];
	for (size_t i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "skopeo inspect --raw 'oci:%s/oci:%s' 2>&1", f->st.path, names[i]);
		assert_int_equal(run_command(cmd, out, sizeof(out)), 0);
		assert_string_equal(out, manifest);
	}
	snprintf(cmd, sizeof(cmd), "skopeo inspect --format '{{.Digest}} {{.Env}}' 'oci:%s/oci:%s' 2>&1",
	         f->st.path, names[0]);
	assert_int_equal(run_command(cmd, out, sizeof(out)), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s [A=1]\n", manifest_digest);
	assert_string_equal(out, want);
	snprintf(cmd, sizeof(cmd), "skopeo inspect --raw 'oci:%s/oci:docker.io/library/none:1' 2>/dev/null",
	         f->st.path);
	assert_int_not_equal(run_command(cmd, out, sizeof(out)), 0);

	snprintf(cmd, sizeof(cmd), "umoci ls --layout '%s/oci' 2>&1 | sort", f->st.path);
	assert_int_equal(run_command(cmd, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s\n%s\n%s\n", names[0], names[1], names[2]);
	assert_string_equal(out, want);
}

/* ---- layer dirs ---- */

static void layer_id(const char *seed, char out[DIGEST_STRING_LEN + 1])
{
	digest_buffer(seed, strlen(seed), out);
}

/* Without cmocka asserts: children use it too. */
static int try_add_file(int dir_fd, const char *name, const char *text)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return rc;
}

static void add_file(int dir_fd, const char *name, const char *text)
{
	assert_int_equal(try_add_file(dir_fd, name, text), 0);
}

static void test_layer_begin_commit(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char id[DIGEST_STRING_LEN + 1];
	layer_id("layer one", id);
	assert_false(store_has_layer(&f->st, id));
	assert_null(store_layer_path(&f->st, id, &err));
	assert_int_equal(err.code, ENOENT);
	char want[256];
	snprintf(want, sizeof(want), "layer %s: not in the store", id);
	assert_string_equal(err.msg, want);

	struct layer_writer *w = NULL;
	int dir_fd = -1;
	bool exists = true;
	assert_int_equal(store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err), 0);
	assert_false(exists);
	assert_non_null(w);
	assert_true(dir_fd >= 0);
	int flags = fcntl(dir_fd, F_GETFL);
	assert_int_equal(flags & O_PATH,
	                 0); /* a real directory fd: the unpacker reads and writes through it */
	assert_true(fcntl(dir_fd, F_GETFD) & FD_CLOEXEC);
	struct stat sb;
	assert_int_equal(fstat(dir_fd, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(count_entries(f, "tmp"), 1);
	char lock[PATH_MAX];
	snprintf(lock, sizeof(lock), "locks/layer-%s", digest_hex(id));
	assert_true(cache_exists(f, lock));
	add_file(dir_fd, "hello", "world");
	assert_int_equal(mkdirat(dir_fd, "ro", 0555), 0);
	assert_int_equal(store_layer_commit(w, &err), 0);
	close(dir_fd);

	assert_true(store_has_layer(&f->st, id));
	cleanup_free char *path = store_layer_path(&f->st, id, &err);
	assert_non_null(path);
	char expect[PATH_MAX];
	snprintf(expect, sizeof(expect), "%s/layers/sha256/%s", f->st.path, digest_hex(id));
	assert_string_equal(path, expect);
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "layers/sha256/%s/hello", digest_hex(id));
	cleanup_free char *text = cache_file(f, rel, NULL);
	assert_string_equal(text, "world");
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_false(cache_exists(f, lock));

	/* already there: no writer, no directory */
	w = (struct layer_writer *)&err;
	dir_fd = 42;
	assert_int_equal(store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err), 0);
	assert_true(exists);
	assert_null(w);
	assert_int_equal(dir_fd, -1);
}

static void test_layer_abort_removes_dir(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char id[DIGEST_STRING_LEN + 1];
	layer_id("layer two", id);
	struct layer_writer *w;
	int dir_fd;
	bool exists;
	assert_int_equal(store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err), 0);
	assert_int_equal(mkdirat(dir_fd, "sub", 0755), 0);
	int sub = openat(dir_fd, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sub >= 0);
	add_file(sub, "f", "x");
	assert_int_equal(fchmod(sub, 0500), 0); /* read-only dirs do not stop the removal */
	close(sub);
	store_layer_abort(w);
	close(dir_fd);
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_int_equal(count_entries(f, "locks"), 1);
	assert_false(store_has_layer(&f->st, id));
	store_layer_abort(NULL);
}

/* A copy stored meanwhile by someone who ignored the lock wins; ours goes. */
static void test_layer_commit_keeps_copy_that_appeared(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char id[DIGEST_STRING_LEN + 1];
	layer_id("layer five", id);
	struct layer_writer *w;
	int dir_fd;
	bool exists;
	assert_int_equal(store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err), 0);
	add_file(dir_fd, "ours", "1");
	char theirs[PATH_MAX];
	snprintf(theirs, sizeof(theirs), "%s/layers/sha256/%s", f->cache, digest_hex(id));
	assert_int_equal(mkdir(theirs, 0755), 0);
	int theirs_fd = open(theirs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(theirs_fd >= 0);
	add_file(theirs_fd, "theirs", "2");
	close(theirs_fd);
	assert_int_equal(store_layer_commit(w, &err), 0);
	close(dir_fd);
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "layers/sha256/%s/theirs", digest_hex(id));
	assert_true(cache_exists(f, rel));
	snprintf(rel, sizeof(rel), "layers/sha256/%s/ours", digest_hex(id));
	assert_false(cache_exists(f, rel));
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_int_equal(count_entries(f, "locks"), 1);
}

/* A second process unpacking the same layer waits for the first, then finds it done. */
static void test_layer_concurrent_begin_waits(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char id[DIGEST_STRING_LEN + 1];
	layer_id("layer three", id);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct layer_writer *w;
		int dir_fd;
		bool exists;
		if (store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err) < 0 || exists ||
		    write(p[1], "x", 1) != 1)
			_exit(1);
		usleep(300000);
		if (try_add_file(dir_fd, "from-child", "1") < 0)
			_exit(1);
		_exit(store_layer_commit(w, &err) < 0 ? 1 : 0);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	double start = now_seconds();
	struct layer_writer *w;
	int dir_fd;
	bool exists = false;
	assert_int_equal(store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err), 0);
	assert_true(now_seconds() - start > 0.1);
	assert_true(exists);
	assert_null(w);
	assert_int_equal(dir_fd, -1);
	int status = wait_child(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "layers/sha256/%s/from-child", digest_hex(id));
	assert_true(cache_exists(f, rel));
}

/* Temporaries of a dead unpacker are removed by the next begin of that layer, and only those. */
static void test_stale_layer_temporaries_removed(void **state)
{
	struct fixture *f = *state;
	struct error err = {0};
	char id[DIGEST_STRING_LEN + 1], other[DIGEST_STRING_LEN + 1];
	layer_id("layer four", id);
	layer_id("another layer", other);

	/* one left by a process killed while unpacking */
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct layer_writer *w;
		int dir_fd;
		bool exists;
		if (store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err) < 0)
			_exit(1);
		if (try_add_file(dir_fd, "half", "written") < 0 || mkdirat(dir_fd, "locked", 0755) < 0 ||
		    fchmodat(dir_fd, "locked", 0500, 0) < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	wait_child(pid);
	/* one from an earlier crash, made by hand, and another layer's, which must stay */
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/tmp/layer-%s-abc123", f->cache, digest_hex(id));
	assert_int_equal(mkdir(rel, 0700), 0);
	snprintf(rel, sizeof(rel), "%s/tmp/layer-%s-zzz999", f->cache, digest_hex(other));
	assert_int_equal(mkdir(rel, 0700), 0);
	char partial[PATH_MAX];
	snprintf(partial, sizeof(partial), "tmp/sha256-%s.partial", digest_hex(other));
	write_cache_file(f, partial, "a blob being fetched");
	assert_int_equal(count_entries(f, "tmp"), 4);

	struct layer_writer *w;
	int dir_fd;
	bool exists;
	assert_int_equal(store_layer_begin(&f->st, id, &w, &dir_fd, &exists, &err), 0);
	assert_false(exists);
	assert_int_equal(count_entries(f, "tmp"), 3); /* ours, the other layer's and the partial blob */
	assert_true(cache_exists(f, partial));
	snprintf(rel, sizeof(rel), "tmp/layer-%s-zzz999", digest_hex(other));
	assert_true(cache_exists(f, rel));
	DIR *d = fdopendir(dup(dir_fd));
	assert_non_null(d);
	int entries = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		entries++;
	closedir(d);
	assert_int_equal(entries, 2); /* "." and "..": a fresh, empty directory */
	assert_int_equal(store_layer_commit(w, &err), 0);
	close(dir_fd);
	assert_true(store_has_layer(&f->st, id));
	assert_int_equal(count_entries(f, "tmp"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_open_creates_layout, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reopen_keeps_names, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_open_rejects_foreign_layout, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_open_concurrently_when_fresh, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_put_read_has_open_blob, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_blob_detects_corruption, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_streaming_write_in_chunks, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_digest_mismatch_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_short_blob_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_size_overrun_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invalid_digests_touch_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resume_after_abort_keep, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_replay_gives_the_partial_bytes_and_keeps_the_offset,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_replay_stops_when_the_sink_does, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resume_after_sigkill, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_partial_longer_than_size_restarts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_truncate_restarts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_concurrent_writers_store_one_copy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tag_lookup_list_untag, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tag_rejects_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lookup_ambiguous_prefix, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_index_keeps_unknown_fields, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_index_broken_is_reported, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_skopeo_and_umoci_read_the_store, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_begin_commit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_abort_removes_dir, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_commit_keeps_copy_that_appeared, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_concurrent_begin_waits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stale_layer_temporaries_removed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
