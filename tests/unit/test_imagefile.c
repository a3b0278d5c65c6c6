/* Unit tests for imagefile.c: a small image written in the test by burrow's own writer
 * (squashfs.c over a layer dir made here), read back in place; damaged copies fail cleanly. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqfs/compressor.h>

#include "image/flatten.h"
#include "image/imagefile.h"
#include "image/squashfs.h"
#include "image/unpack.h"
#include "util/fs.h"

#define BIG_SIZE (300 * 1024 + 123) /* two whole 128 KiB blocks and a fragment tail */

struct fixture {
	char dir[64];
	int fd; /* the image file */
	struct imagefile *img;
	struct imagefile_cursor *cur;
	char *big;
};

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, data, len), 0);
	close(fd);
}

/* The image of the layer dir written by burrow's writer to path; its fd, open for reading. */
static int write_image(const char *layer, const char *path)
{
	struct error err;
	struct flat_tree tree;
	assert_int_equal(flatten_init(&tree, &err), 0);
	char *layers[] = {(char *)layer, NULL};
	assert_int_equal(flatten_layers(&tree, layers, &err), 0);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	struct squashfs_options o = {.compressor = SQFS_COMP_ZSTD, .workers = 2, .clamp_mtime = -1};
	assert_int_equal(squashfs_write(&tree, fd, &o, &err), 0);
	flatten_free(&tree);
	return fd;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_imagefile.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char layer[128], path[256];
	snprintf(layer, sizeof(layer), "%s/layer", f->dir);
	assert_int_equal(mkdir(layer, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub", layer);
	assert_int_equal(mkdir(path, 0750), 0);
	write_file(layer, "hello", "hello\n", 6);
	f->big = malloc(BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++)
		f->big[i] = (char)(i * 7 + i / 1000);
	write_file(layer, "sub/big", f->big, BIG_SIZE);
	char *zeros = calloc(1, 256 * 1024);
	write_file(layer, "sparse", zeros, 256 * 1024);
	free(zeros);
	snprintf(path, sizeof(path), "%s/hello", layer);
	assert_int_equal(setxattr(path, "user.note", "kept", 4, 0), 0);
	/* umoci's record of uid 1000, gid 100 */
	assert_int_equal(setxattr(path, "user.rootlesscontainers", "\x08\xe8\x07\x10\x64", 5, 0), 0);
	assert_int_equal(chmod(path, 0640), 0);
	snprintf(path, sizeof(path), "%s/link", layer);
	assert_int_equal(symlink("sub/big", path), 0);
	/* Links for imagefile_resolve: absolute, relative, through "..", above the root, chained, a
	 * loop, a directory. */
	snprintf(path, sizeof(path), "%s/links", layer);
	assert_int_equal(mkdir(path, 0755), 0);
	const char *links[][2] = {{"abs", "/sub/big"}, {"rel", "../sub/big"}, {"up", "../../../../hello"},
	                          {"loop", "loop"},    {"chain1", "chain2"},  {"chain2", "abs"},
	                          {"dir", "../sub"}};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/links/%s", layer, links[i][0]);
		assert_int_equal(symlink(links[i][1], path), 0);
	}

	struct error err;
	snprintf(path, sizeof(path), "%s/image.sqsh", f->dir);
	f->fd = write_image(layer, path);
	assert_int_equal(imagefile_open(f->fd, &f->img, &err), 0);
	f->cur = imagefile_cursor_new(f->img, &err);
	assert_non_null(f->cur);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct error err;
	imagefile_cursor_free(f->cur);
	imagefile_close(f->img);
	close(f->fd);
	fs_remove_tree_at(AT_FDCWD, f->dir, &err);
	free(f->big);
	free(f);
	return 0;
}

/* The node at a path of single components from the root. */
static int walk(struct fixture *f, const char *path, struct imagefile_node *out)
{
	struct imagefile_node node;
	int rc = imagefile_node_read(f->cur, imagefile_root_ref(f->img), &node);
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", path);
	char *save = NULL;
	for (char *part = strtok_r(copy, "/", &save); part && rc == 0; part = strtok_r(NULL, "/", &save)) {
		struct imagefile_node child;
		rc = imagefile_lookup(f->cur, &node, part, &child);
		imagefile_node_free(&node);
		node = child;
	}
	*out = node;
	return rc;
}

static int collect_names(void *ctx, const char *name, uint64_t ref, mode_t type)
{
	strcat(ctx, name);
	strcat(ctx, S_ISDIR(type) ? "/ " : S_ISLNK(type) ? "@ " : " ");
	return 0;
}

static int collect_xattrs(void *ctx, const char *name, const void *value, size_t size)
{
	char *seen = ctx;
	snprintf(seen + strlen(seen), 64, "%s=%.*s;", name, (int)size, (const char *)value);
	return 0;
}

static void test_root_and_listing(void **state)
{
	struct fixture *f = *state;
	struct imagefile_node root;
	assert_int_equal(walk(f, "", &root), 0);
	assert_true(S_ISDIR(root.st.st_mode));
	char names[256] = "";
	assert_int_equal(imagefile_list(f->cur, &root, collect_names, names), 0);
	assert_string_equal(names, "hello link@ links/ sparse sub/ ");
	imagefile_node_free(&root);
}

static void test_stat_owner_mode_and_xattrs(void **state)
{
	struct fixture *f = *state;
	struct imagefile_node n;
	assert_int_equal(walk(f, "hello", &n), 0);
	assert_int_equal(n.st.st_mode, S_IFREG | 0640);
	assert_int_equal(n.st.st_uid, 1000);
	assert_int_equal(n.st.st_gid, 100);
	assert_int_equal(n.st.st_size, 6);
	char seen[128] = "";
	assert_int_equal(imagefile_xattrs(f->cur, &n, collect_xattrs, seen), 0);
	assert_string_equal(seen, "user.note=kept;");
	char buf[16];
	assert_int_equal(imagefile_read(f->cur, &n, 0, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "hello\n", 6);
	assert_int_equal(imagefile_read(f->cur, &n, 6, buf, sizeof(buf)), 0);
	imagefile_node_free(&n);
	assert_int_equal(walk(f, "sub", &n), 0);
	assert_int_equal(n.st.st_mode, S_IFDIR | 0750);
	imagefile_node_free(&n);
}

static void test_blocks_fragments_and_sparse(void **state)
{
	struct fixture *f = *state;
	struct imagefile_node n;
	assert_int_equal(walk(f, "sub/big", &n), 0);
	assert_int_equal(n.st.st_size, BIG_SIZE);
	char *buf = malloc(BIG_SIZE);
	size_t done = 0;
	while (done < BIG_SIZE) {
		long got = imagefile_read(f->cur, &n, done, buf + done, 50000);
		assert_true(got > 0);
		done += (size_t)got;
	}
	assert_memory_equal(buf, f->big, BIG_SIZE);
	/* A read across the last block into the fragment tail. */
	long got = imagefile_read(f->cur, &n, 2 * 131072 - 10, buf, 20);
	assert_true(got > 0 && got <= 20);
	assert_memory_equal(buf, f->big + 2 * 131072 - 10, (size_t)got);
	imagefile_node_free(&n);
	assert_int_equal(walk(f, "sparse", &n), 0);
	assert_int_equal(n.st.st_size, 256 * 1024);
	assert_int_equal(imagefile_read(f->cur, &n, 1000, buf, 4096), 4096);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	imagefile_node_free(&n);
	free(buf);
}

static void test_two_cursors_reading_backwards_in_turn_get_the_files_bytes(void **state)
{
	struct fixture *f = *state;
	struct imagefile_node n;
	assert_int_equal(walk(f, "sub/big", &n), 0);
	struct error err;
	struct imagefile_cursor *other = imagefile_cursor_new(f->img, &err);
	assert_non_null(other);
	char *buf = calloc(1, BIG_SIZE);
	/* Pieces that straddle block boundaries, last first, each cursor taking every other one:
	 * each decoded block is shared through the cache and must give the same bytes to both. */
	size_t end = BIG_SIZE, turn = 0;
	while (end > 0) {
		size_t start = end > 4099 ? end - 4099 : 0, done = start;
		while (done < end) {
			long got =
			        imagefile_read(turn % 2 ? other : f->cur, &n, done, buf + done, end - done);
			assert_true(got > 0);
			done += (size_t)got;
		}
		end = start;
		turn++;
	}
	assert_memory_equal(buf, f->big, BIG_SIZE);
	imagefile_cursor_free(other);
	imagefile_node_free(&n);
	free(buf);
}

static void test_symlink_and_missing_names(void **state)
{
	struct fixture *f = *state;
	struct imagefile_node n;
	assert_int_equal(walk(f, "link", &n), 0);
	assert_true(S_ISLNK(n.st.st_mode));
	char *target = NULL;
	assert_int_equal(imagefile_readlink(&n, &target), 0);
	assert_string_equal(target, "sub/big");
	free(target);
	imagefile_node_free(&n);
	assert_int_equal(walk(f, "nothing", &n), -ENOENT);
	assert_int_equal(walk(f, "hello/x", &n), -ENOTDIR);
}

static void test_read_path(void **state)
{
	struct fixture *f = *state;
	struct error err;
	size_t len;
	char *text = imagefile_read_path(f->img, "/hello", 100, &len, &err);
	assert_non_null(text);
	assert_string_equal(text, "hello\n");
	free(text);
	assert_null(imagefile_read_path(f->img, "/.burrow/config.json", 100, &len, &err));
	assert_int_equal(err.code, ENOENT);
	assert_null(imagefile_read_path(f->img, "/sub/big", 100, &len, &err));
	assert_int_equal(err.code, EFBIG);
}

/* The size of the regular file at path, followed as the kernel would; or the negative errno. */
static long resolved_size(struct fixture *f, const char *path)
{
	struct imagefile_node n;
	int rc = imagefile_resolve(f->cur, path, &n);
	if (rc < 0)
		return rc;
	long size = S_ISREG(n.st.st_mode) ? (long)n.st.st_size : S_ISDIR(n.st.st_mode) ? -EISDIR : -EINVAL;
	imagefile_node_free(&n);
	return size;
}

static void test_resolve_follows_links_as_the_kernel_would_inside_the_image(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(resolved_size(f, "/sub/big"), BIG_SIZE);
	assert_int_equal(resolved_size(f, "/links/abs"), BIG_SIZE);
	assert_int_equal(resolved_size(f, "/links/rel"), BIG_SIZE);
	assert_int_equal(resolved_size(f, "/links/chain1"), BIG_SIZE);
	assert_int_equal(resolved_size(f, "/links/dir/big"), BIG_SIZE);
	assert_int_equal(resolved_size(f, "/links/dir"), -EISDIR);
	assert_int_equal(resolved_size(f, "/links/up"), 6); /* "/.." is "/" */
	assert_int_equal(resolved_size(f, "//sub/./../hello"), 6);
	assert_int_equal(resolved_size(f, "/links/loop"), -ELOOP);
	assert_int_equal(resolved_size(f, "/links/loop/x"), -ELOOP);
	assert_int_equal(resolved_size(f, "/hello/x"), -ENOTDIR);
	assert_int_equal(resolved_size(f, "/links/nothing"), -ENOENT);
}

static void test_blocks_decoded_ahead_read_back_the_same_bytes(void **state)
{
	struct fixture *f = *state;
	struct imagefile_node n;
	assert_int_equal(walk(f, "hello", &n), 0);
	assert_int_equal(imagefile_block_count(&n), 0); /* all in a fragment */
	imagefile_node_free(&n);
	assert_int_equal(walk(f, "sub/big", &n), 0);
	assert_int_equal(imagefile_block_count(&n), 2);
	assert_int_equal(imagefile_prefetch_block(f->cur, &n, 1), 1);
	assert_int_equal(imagefile_prefetch_block(f->cur, &n, 1), 0); /* there already */
	assert_int_equal(imagefile_prefetch_block(f->cur, &n, 2), -EINVAL);
	struct error err;
	struct imagefile_cursor *other = imagefile_cursor_new(f->img, &err);
	assert_non_null(other);
	char *buf = malloc(BIG_SIZE);
	assert_int_equal(imagefile_read(other, &n, 131072, buf, 131072), 131072);
	assert_memory_equal(buf, f->big + 131072, 131072);
	free(buf);
	imagefile_cursor_free(other);
	imagefile_node_free(&n);
}

/* More blocks than the cache of decoded blocks holds, read by threads in different orders while
 * another decodes ahead: every slot is taken over many times. */
#define MANY_BLOCKS 80
#define MANY_SIZE   ((size_t)MANY_BLOCKS * 131072)

struct reader {
	struct fixture *f;
	struct imagefile_node *node;
	int order; /* 0 forward, 1 backward, 2 strided, 3 decoding ahead */
	int failures;
};

static void *read_many(void *arg)
{
	struct reader *r = arg;
	struct error err;
	struct imagefile_cursor *cur = imagefile_cursor_new(r->f->img, &err);
	uint32_t page[1024];
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < MANY_BLOCKS; i++) {
			size_t b = r->order == 1   ? MANY_BLOCKS - 1 - i
			           : r->order == 2 ? (i * 7) % MANY_BLOCKS
			                           : i;
			if (r->order == 3) {
				r->failures += imagefile_prefetch_block(cur, r->node, b) < 0;
				continue;
			}
			uint64_t off = (uint64_t)b * 131072 + (i % 32) * 4096;
			if (imagefile_read(cur, r->node, off, page, sizeof(page)) != (long)sizeof(page))
				r->failures++;
			else
				r->failures += page[0] != off / 4096 || page[1023] != off / 4096;
		}
	}
	imagefile_cursor_free(cur);
	return NULL;
}

static void test_more_blocks_than_the_cache_holds_read_right_from_many_threads(void **state)
{
	struct fixture *f = *state;
	char layer[128], path[256];
	snprintf(layer, sizeof(layer), "%s/many", f->dir);
	assert_int_equal(mkdir(layer, 0755), 0);
	/* Each 4 KiB page holds its own number: compresses well, and no two blocks are the same. */
	uint32_t *data = malloc(MANY_SIZE);
	for (size_t i = 0; i < MANY_SIZE / 4; i++)
		data[i] = (uint32_t)(i / 1024);
	write_file(layer, "file", data, MANY_SIZE);
	free(data);
	struct error err;
	snprintf(path, sizeof(path), "%s/many.sqsh", f->dir);
	int fd = write_image(layer, path);
	struct imagefile *img;
	assert_int_equal(imagefile_open(fd, &img, &err), 0);
	assert_true(imagefile_cache_bytes(img) < MANY_SIZE);
	struct fixture many = {.img = img};
	many.cur = imagefile_cursor_new(img, &err);
	struct imagefile_node node;
	assert_int_equal(imagefile_resolve(many.cur, "/file", &node), 0);
	assert_int_equal(imagefile_block_count(&node), MANY_BLOCKS);
	struct reader readers[4];
	pthread_t threads[4];
	for (int i = 0; i < 4; i++) {
		readers[i] = (struct reader){.f = &many, .node = &node, .order = i};
		assert_int_equal(pthread_create(&threads[i], NULL, read_many, &readers[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(readers[i].failures, 0);
	}
	imagefile_node_free(&node);
	imagefile_cursor_free(many.cur);
	imagefile_close(img);
	close(fd);
}

/* A copy of the image cut to len bytes, opened; the result of imagefile_open. */
static int open_cut(struct fixture *f, off_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/cut.sqsh", f->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	char buf[4096];
	for (off_t off = 0; off < len; off += (off_t)sizeof(buf)) {
		size_t n = (size_t)(len - off < (off_t)sizeof(buf) ? len - off : (off_t)sizeof(buf));
		assert_int_equal(pread(f->fd, buf, n, off), (ssize_t)n);
		assert_int_equal(fs_write_all(fd, buf, n), 0);
	}
	struct imagefile *img = NULL;
	struct error err;
	int rc = imagefile_open(fd, &img, &err);
	if (rc == 0)
		imagefile_close(img);
	else
		assert_non_null(strstr(err.msg, "squashfs"));
	close(fd);
	return rc;
}

static void test_truncated_or_foreign_files_are_refused(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(open_cut(f, st.st_size), 0);
	uint64_t bytes_used; /* the super block's, at byte 40, little-endian */
	assert_int_equal(pread(f->fd, &bytes_used, sizeof(bytes_used), 40), (ssize_t)sizeof(bytes_used));
	assert_int_equal(open_cut(f, (off_t)le64toh(bytes_used)), 0);
	assert_int_equal(open_cut(f, (off_t)le64toh(bytes_used) - 1), -1);
	assert_int_equal(open_cut(f, 50), -1);
	assert_int_equal(open_cut(f, 0), -1);
}

static struct flat_node *child(const struct flat_node *dir, const char *name)
{
	for (size_t i = 0; i < dir->nchildren; i++)
		if (strcmp(dir->children[i]->name, name) == 0)
			return dir->children[i];
	return NULL;
}

/* flatten_imagefile: the image below a layer dir, the layer's names winning, the image's read
 * through the cursor with their owners, modes and data. */
static void test_flatten_below_a_layer(void **state)
{
	struct fixture *f = *state;
	char upper[128], path[256];
	snprintf(upper, sizeof(upper), "%s/upper", f->dir);
	assert_int_equal(mkdir(upper, 0755), 0);
	write_file(upper, "hello", "changed\n", 8);
	write_file(upper, "new", "new\n", 4);
	snprintf(path, sizeof(path), "%s/sub", upper);
	assert_int_equal(mkdir(path, 0750), 0);
	write_file(upper, "sub/more", "more\n", 5);

	struct error err;
	struct flat_tree tree;
	assert_int_equal(flatten_init(&tree, &err), 0);
	char *layers[] = {upper, NULL};
	assert_int_equal(flatten_layers(&tree, layers, &err), 0);
	assert_int_equal(flatten_imagefile(&tree, f->img, &err), 0);
	const struct flat_node *hello = child(tree.root, "hello"), *sub = child(tree.root, "sub");
	assert_non_null(hello);
	assert_non_null(sub);
	assert_false(flatten_from_image(&tree, hello));
	assert_int_equal(hello->size, 8);
	assert_non_null(child(tree.root, "new"));
	assert_non_null(child(sub, "more"));
	const struct flat_node *big = child(sub, "big"), *link = child(tree.root, "link");
	assert_non_null(big);
	assert_true(flatten_from_image(&tree, big));
	assert_int_equal(big->size, BIG_SIZE);
	assert_non_null(link);
	assert_string_equal(link->link_target, "sub/big");
	char *data = malloc(BIG_SIZE);
	uint64_t at = 0;
	for (long n; at < BIG_SIZE && (n = flatten_image_read(&tree, big, at, data + at, BIG_SIZE - at)) > 0;)
		at += (uint64_t)n;
	assert_int_equal(at, BIG_SIZE);
	assert_memory_equal(data, f->big, BIG_SIZE);
	free(data);
	flatten_free(&tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_root_and_listing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stat_owner_mode_and_xattrs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blocks_fragments_and_sparse, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_two_cursors_reading_backwards_in_turn_get_the_files_bytes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_symlink_and_missing_names, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_path, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_resolve_follows_links_as_the_kernel_would_inside_the_image, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blocks_decoded_ahead_read_back_the_same_bytes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_more_blocks_than_the_cache_holds_read_right_from_many_threads, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_truncated_or_foreign_files_are_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_flatten_below_a_layer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
