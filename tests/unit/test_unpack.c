/* Unit tests for the hardened unpacker: path cleaning, normal content, hostile archives
 * (tests/fixtures/hostile) and directory copies. Each unpack goes into TARGET inside a fresh parent. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* ---- scratch space: PARENT/{target,sentinel/file} ---- */

struct scratch {
	char parent[64];
	int parent_fd;
	int root_fd; /* PARENT/target */
	struct stat sentinel_dir, sentinel_file;
};

static void scratch_new(struct scratch *s)
{
	strcpy(s->parent, "/tmp/burrow-test-unpack-XXXXXX");
	assert_non_null(mkdtemp(s->parent));
	s->parent_fd = open(s->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->parent_fd >= 0);
	assert_int_equal(mkdirat(s->parent_fd, "target", 0755), 0);
	assert_int_equal(mkdirat(s->parent_fd, "sentinel", 0755), 0);
	int fd = openat(s->parent_fd, "sentinel/file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "sentinel\n", 9), 9);
	close(fd);
	s->root_fd = openat(s->parent_fd, "target", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->root_fd >= 0);
	assert_int_equal(fstatat(s->parent_fd, "sentinel", &s->sentinel_dir, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(s->parent_fd, "sentinel/file", &s->sentinel_file, AT_SYMLINK_NOFOLLOW), 0);
}

static size_t list_dir(int dirfd, const char *name, char out[][256], size_t max)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	assert_true(fd >= 0);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			assert_true(n < max);
			snprintf(out[n++], 256, "%s", de->d_name);
		}
	closedir(d);
	return n;
}

/* Nothing appeared next to the target, and the sentinel is exactly as it was. */
static void assert_outside_untouched(struct scratch *s)
{
	char names[8][256];
	size_t n = list_dir(s->parent_fd, ".", names, 8);
	assert_int_equal(n, 2);
	assert_true((strcmp(names[0], "target") == 0 && strcmp(names[1], "sentinel") == 0) ||
	            (strcmp(names[1], "target") == 0 && strcmp(names[0], "sentinel") == 0));
	n = list_dir(s->parent_fd, "sentinel", names, 8);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "file");
	struct stat d, f;
	assert_int_equal(fstatat(s->parent_fd, "sentinel", &d, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(s->parent_fd, "sentinel/file", &f, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(d.st_mtim.tv_sec, s->sentinel_dir.st_mtim.tv_sec);
	assert_int_equal(d.st_mtim.tv_nsec, s->sentinel_dir.st_mtim.tv_nsec);
	assert_int_equal(f.st_ino, s->sentinel_file.st_ino);
	assert_int_equal(f.st_nlink, 1);
	assert_int_equal(f.st_mode, s->sentinel_file.st_mode);
	assert_int_equal(f.st_mtim.tv_nsec, s->sentinel_file.st_mtim.tv_nsec);
	struct error err = {0};
	cleanup_free char *data = fs_read_file_at(s->parent_fd, "sentinel/file", false, 64, NULL, &err);
	assert_non_null(data);
	assert_string_equal(data, "sentinel\n");
}

static void scratch_free(struct scratch *s)
{
	struct error err = {0};
	close(s->root_fd);
	close(s->parent_fd);
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, s->parent, &err), 0);
}

static void assert_file(int root_fd, const char *path, const char *content, mode_t mode)
{
	struct stat st;
	assert_int_equal(fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	struct error err = {0};
	size_t len;
	cleanup_free char *data = fs_read_file_at(root_fd, path, false, 1 << 20, &len, &err);
	assert_non_null(data);
	assert_int_equal(len, strlen(content));
	assert_string_equal(data, content);
}

static void assert_symlink(int root_fd, const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(root_fd, path, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static void assert_absent(int dirfd, const char *path)
{
	struct stat st;
	assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
}

static size_t count_entries(int dirfd, const char *name)
{
	char names[32][256];
	return list_dir(dirfd, name, names, 32);
}

/* ---- fixtures ---- */

static const char *fixture(const char *name)
{
	static char buf[PATH_MAX];
	const char *dir = getenv("BURROW_TEST_FIXTURES");
#ifdef BURROW_FIXTURES_DIR
	if (!dir)
		dir = BURROW_FIXTURES_DIR;
#endif
	if (dir) {
		assert_true(snprintf(buf, sizeof(buf), "%s/hostile/%s", dir, name) < (int)sizeof(buf));
		return buf;
	}
	/* Relative to this source file: absolute, or relative to the build directory the
	 * tests run in. */
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s", __FILE__);
	char *slash = strrchr(src, '/');
	assert_non_null(slash);
	*slash = '\0';
	assert_true(snprintf(buf, sizeof(buf), "%s/../fixtures/hostile/%s", src, name) < (int)sizeof(buf));
	return buf;
}

static struct unpack_limits test_limits(void)
{
	struct unpack_limits lim = {.max_entries = 1000, .max_bytes = 1 << 20, .max_path = 4096};
	return lim;
}

static int unpack_fixture(struct scratch *s, const char *name, struct unpack_stats *stats, struct error *err)
{
	struct unpack_limits lim = test_limits();
	const char *path = fixture(name);
	assert_true(fs_is_file(path));
	return unpack_tar_file(path, s->root_fd, &lim, stats, err);
}

/* ---- unpack_clean_path ---- */

static void test_clean_path_valid(void **state)
{
	(void)state;
	static const char *cases[][2] = {
	        {"etc/passwd", "etc/passwd"},
	        {"/etc/passwd", "etc/passwd"},
	        {"./etc/passwd", "etc/passwd"},
	        {"//a//b//", "a/b"},
	        {"a/./b/.", "a/b"},
	        {"./", "."},
	        {"/", "."},
	        {".", "."},
	        {"././/./", "."},
	        {"a..b/..c/c..", "a..b/..c/c.."},
	        {"...", "..."},
	        {".hidden/.x", ".hidden/.x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		assert_int_equal(unpack_clean_path(cases[i][0], out, 4096), 0);
		assert_string_equal(out, cases[i][1]);
	}
}

static void test_clean_path_invalid(void **state)
{
	(void)state;
	char out[64];
	static const char *climbing[] = {"..", "../x", "a/../b", "a/..", "/../etc", "./..", "a/b/../../.."};
	for (size_t i = 0; i < sizeof(climbing) / sizeof(climbing[0]); i++) {
		errno = 0;
		assert_int_equal(unpack_clean_path(climbing[i], out, 4096), -1);
		assert_int_equal(errno, EPERM);
	}
	errno = 0;
	assert_int_equal(unpack_clean_path("", out, 4096), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(unpack_clean_path("abcdef", out, 5), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	/* the limit applies to the cleaned result, not to redundant input */
	assert_int_equal(unpack_clean_path("./././abcde", out, 5), 0);
	assert_string_equal(out, "abcde");
}

/* ---- limits ---- */

static void test_limits_default(void **state)
{
	(void)state;
	struct unpack_limits lim;
	unsetenv("BURROW_UNPACK_MAX_ENTRIES");
	unsetenv("BURROW_UNPACK_MAX_BYTES");
	unpack_limits_default(&lim);
	assert_int_equal(lim.max_entries, 10000000ULL);
	assert_int_equal(lim.max_bytes, 1ULL << 40);
	assert_int_equal(lim.max_path, 4096);
	setenv("BURROW_UNPACK_MAX_ENTRIES", "42", 1);
	setenv("BURROW_UNPACK_MAX_BYTES", "1048576", 1);
	unpack_limits_default(&lim);
	assert_int_equal(lim.max_entries, 42);
	assert_int_equal(lim.max_bytes, 1048576);
	setenv("BURROW_UNPACK_MAX_ENTRIES", "12x", 1);
	setenv("BURROW_UNPACK_MAX_BYTES", "-5", 1);
	unpack_limits_default(&lim);
	assert_int_equal(lim.max_entries, 10000000ULL);
	assert_int_equal(lim.max_bytes, 1ULL << 40);
	unsetenv("BURROW_UNPACK_MAX_ENTRIES");
	unsetenv("BURROW_UNPACK_MAX_BYTES");
}

/* ---- unpack_is_tar ---- */

static void write_host_file(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_is_tar(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	static char zeros[10240];
	write_host_file(s.parent_fd, "empty.tar", zeros, sizeof(zeros));
	write_host_file(s.parent_fd, "text", "hello, this is not a tar\n", 25);
	write_host_file(s.parent_fd, "zero-length", "", 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/empty.tar", s.parent);
	assert_true(unpack_is_tar(path));
	snprintf(path, sizeof(path), "%s/text", s.parent);
	assert_false(unpack_is_tar(path));
	snprintf(path, sizeof(path), "%s/zero-length", s.parent);
	assert_false(unpack_is_tar(path));
	snprintf(path, sizeof(path), "%s/missing", s.parent);
	assert_false(unpack_is_tar(path));
	assert_false(unpack_is_tar(s.parent));
	assert_true(unpack_is_tar(fixture("bomb.tar.gz.gz")));
	assert_true(unpack_is_tar(fixture("absolute.tar")));
	close(s.root_fd);
	close(s.parent_fd);
	struct error err = {0};
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, s.parent, &err), 0);
}

/* ---- normal content, archives built in memory ---- */

struct builder {
	struct archive *a;
	char *buf;
	size_t cap, used;
};

static void builder_new(struct builder *b)
{
	b->cap = 16 << 20;
	b->buf = malloc(b->cap);
	assert_non_null(b->buf);
	b->a = archive_write_new();
	assert_int_equal(archive_write_set_format_pax_restricted(b->a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(b->a, b->buf, b->cap, &b->used), ARCHIVE_OK);
}

static void add(struct builder *b, const char *name, mode_t type, mode_t perm, const char *data,
                const char *link, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, mtime, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link)
		archive_entry_set_hardlink(e, link);
	size_t len = data ? strlen(data) : 0;
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(b->a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(b->a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

/* A sparse file: `size` bytes, all hole but `data` at `offset`. */
static void add_sparse(struct builder *b, const char *name, int64_t size, int64_t offset, const char *data)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_sparse_add_entry(e, offset, (la_int64_t)strlen(data));
	archive_entry_sparse_add_entry(e, offset + (int64_t)strlen(data), 0);
	assert_int_equal(archive_write_header(b->a, e), ARCHIVE_OK);
	/* the writer takes the whole file and drops what falls in holes */
	char *whole = calloc(1, (size_t)size);
	assert_non_null(whole);
	memcpy(whole + offset, data, strlen(data));
	assert_int_equal(archive_write_data(b->a, whole, (size_t)size), (la_ssize_t)size);
	free(whole);
	archive_entry_free(e);
}

static int unpack_built(struct builder *b, int root_fd, const struct unpack_limits *lim,
                        struct unpack_stats *stats, struct error *err)
{
	assert_int_equal(archive_write_close(b->a), ARCHIVE_OK);
	archive_write_free(b->a);
	struct archive *in = archive_read_new();
	archive_read_support_format_tar(in);
	assert_int_equal(archive_read_open_memory(in, b->buf, b->used), ARCHIVE_OK);
	int rc = unpack_archive(in, root_fd, lim, stats, err);
	archive_read_free(in);
	free(b->buf);
	return rc;
}

static void assert_mtime(int dirfd, const char *path, time_t mtime)
{
	struct stat st;
	assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mtim.tv_sec, mtime);
}

static void assert_mode(int dirfd, const char *path, mode_t type, mode_t perm)
{
	struct stat st;
	assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_mode & 07777, perm);
}

static void test_normal_content(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct builder b;
	builder_new(&b);
	add(&b, "./", AE_IFDIR, 0755, NULL, NULL, 500);
	add(&b, "d", AE_IFDIR, 0750, NULL, NULL, 1000);
	add(&b, "d/f", AE_IFREG, 0640, "hello\n", NULL, 2000);
	add(&b, "d/l", AE_IFLNK, 0777, NULL, "/nonexistent/target", 3000);
	add(&b, "d/abs", AE_IFLNK, 0777, NULL, "/etc/passwd", 3000);
	add(&b, "d/h", AE_IFREG, 0640, NULL, "d/f", 2000);
	add(&b, "p", AE_IFIFO, 0620, NULL, NULL, 4000);
	add(&b, "implicit/parent/file", AE_IFREG, 0600, "deep\n", NULL, 5000);
	add(&b, "empty", AE_IFREG, 0444, NULL, NULL, 6000);
	add_sparse(&b, "sparse", 8 << 20, 4 << 20, "middle");
	uint64_t sparse_bytes = 6;
	struct unpack_limits lim = test_limits();
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_built(&b, s.root_fd, &lim, &stats, &err), 0);

	assert_mode(s.root_fd, "d", S_IFDIR, 0750);
	assert_mtime(s.root_fd, "d", 1000); /* kept although entries were written into it later */
	assert_file(s.root_fd, "d/f", "hello\n", 0640);
	assert_mtime(s.root_fd, "d/f", 2000);
	assert_symlink(s.root_fd, "d/l", "/nonexistent/target");
	assert_symlink(s.root_fd, "d/abs", "/etc/passwd");
	assert_mtime(s.root_fd, "d/l", 3000);
	struct stat f, h;
	assert_int_equal(fstatat(s.root_fd, "d/f", &f, 0), 0);
	assert_int_equal(fstatat(s.root_fd, "d/h", &h, 0), 0);
	assert_int_equal(f.st_ino, h.st_ino);
	assert_int_equal(f.st_nlink, 2);
	assert_mode(s.root_fd, "p", S_IFIFO, 0620);
	assert_mtime(s.root_fd, "p", 4000);
	assert_file(s.root_fd, "implicit/parent/file", "deep\n", 0600);
	assert_mode(s.root_fd, "implicit", S_IFDIR, 0755 & ~umask(022));
	assert_file(s.root_fd, "empty", "", 0444);

	struct stat sp;
	assert_int_equal(fstatat(s.root_fd, "sparse", &sp, 0), 0);
	assert_int_equal(sp.st_size, 8 << 20);
	assert_true(sp.st_blocks * 512 < (1 << 20)); /* holes stayed holes */
	int fd = openat(s.root_fd, "sparse", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char buf[8] = {0};
	assert_int_equal(pread(fd, buf, 6, 4 << 20), 6);
	assert_memory_equal(buf, "middle", 6);
	assert_int_equal(pread(fd, buf, 4, 100), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	close(fd);

	/* the root keeps its owner bits whatever "./" says */
	struct stat root;
	assert_int_equal(fstat(s.root_fd, &root), 0);
	assert_int_equal(root.st_mode & 07777, 0755);
	assert_int_equal(root.st_mtim.tv_sec, 500);

	assert_int_equal(stats.entries, 10);
	assert_int_equal(stats.bytes, 6 + 5 + sparse_bytes);
	assert_int_equal(stats.devices_skipped, 0);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_overwrite(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct builder b;
	builder_new(&b);
	add(&b, "o", AE_IFREG, 0644, "one\n", NULL, 1);
	add(&b, "o", AE_IFREG, 0600, "two\n", NULL, 2);
	add(&b, "lnk", AE_IFLNK, 0777, NULL, "o", 1);
	add(&b, "lnk", AE_IFREG, 0644, "not a link\n", NULL, 1);
	add(&b, "was-dir", AE_IFDIR, 0755, NULL, NULL, 1);
	add(&b, "was-dir", AE_IFREG, 0644, "file now\n", NULL, 1);
	add(&b, "was-file", AE_IFREG, 0644, "x", NULL, 1);
	add(&b, "was-file", AE_IFDIR, 0711, NULL, NULL, 1);
	add(&b, "again", AE_IFDIR, 0755, NULL, NULL, 1);
	add(&b, "again/kept", AE_IFREG, 0644, "kept\n", NULL, 1);
	add(&b, "again", AE_IFDIR, 0700, NULL, NULL, 7);
	add(&b, "self", AE_IFREG, 0644, "self\n", NULL, 1);
	add(&b, "self", AE_IFREG, 0644, NULL, "self", 1);
	struct unpack_limits lim = test_limits();
	struct error err = {0};
	assert_int_equal(unpack_built(&b, s.root_fd, &lim, NULL, &err), 0);
	assert_file(s.root_fd, "o", "two\n", 0600);
	assert_file(s.root_fd, "lnk", "not a link\n", 0644);
	assert_file(s.root_fd, "was-dir", "file now\n", 0644);
	assert_mode(s.root_fd, "was-file", S_IFDIR, 0711);
	assert_mode(s.root_fd, "again", S_IFDIR, 0700);
	assert_mtime(s.root_fd, "again", 7);
	assert_file(s.root_fd, "again/kept", "kept\n", 0644);
	assert_file(s.root_fd, "self", "self\n", 0644);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_nonempty_dir_in_the_way(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct builder b;
	builder_new(&b);
	add(&b, "d/x", AE_IFREG, 0644, "x", NULL, 1);
	add(&b, "d", AE_IFREG, 0644, "y", NULL, 1);
	struct unpack_limits lim = test_limits();
	struct error err = {0};
	assert_int_equal(unpack_built(&b, s.root_fd, &lim, NULL, &err), -1);
	assert_string_equal(err.msg, "entry d: replace directory: Directory not empty");
	scratch_free(&s);
}

static void build_readonly(struct builder *b)
{
	builder_new(b);
	add(b, "ro", AE_IFDIR, 0555, NULL, NULL, 100);
	add(b, "ro/inner", AE_IFREG, 0444, "inner\n", NULL, 100);
	add(b, "ro/sub", AE_IFDIR, 0500, NULL, NULL, 100);
	add(b, "ro/sub/deep", AE_IFREG, 0400, "deep\n", NULL, 100);
	add(b, "locked", AE_IFDIR, 0000, NULL, NULL, 100);
	add(b, "locked/f", AE_IFREG, 0644, "f\n", NULL, 100);
	add(b, "locked", AE_IFDIR, 0000, NULL, NULL, 100); /* listed twice */
}

static void assert_readonly_result(int root_fd)
{
	assert_mode(root_fd, "ro", S_IFDIR, 0555);
	assert_mode(root_fd, "ro/sub", S_IFDIR, 0500);
	assert_mode(root_fd, "locked", S_IFDIR, 0000);
	assert_mtime(root_fd, "ro", 100);
	assert_file(root_fd, "ro/inner", "inner\n", 0444);
	assert_file(root_fd, "ro/sub/deep", "deep\n", 0400);
}

static void test_readonly_dir(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct builder b;
	build_readonly(&b);
	struct unpack_limits lim = test_limits();
	struct error err = {0};
	assert_int_equal(unpack_built(&b, s.root_fd, &lim, NULL, &err), 0);
	assert_readonly_result(s.root_fd);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

/* As root every permission check passes; the same archive must also unpack as an ordinary user. */
static void test_readonly_dir_unprivileged(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* test_readonly_dir already ran unprivileged */
	struct scratch s;
	scratch_new(&s);
	assert_int_equal(fchown(s.root_fd, 65534, 65534), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		struct builder b;
		build_readonly(&b);
		struct unpack_limits lim = test_limits();
		struct error err = {0};
		if (unpack_built(&b, s.root_fd, &lim, NULL, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			_exit(1);
		}
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_readonly_result(s.root_fd);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_limits_enforced_in_memory(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct builder b;
	builder_new(&b);
	add(&b, "a", AE_IFREG, 0644, "0123456789", NULL, 1);
	add(&b, "b", AE_IFREG, 0644, "0123456789", NULL, 1);
	struct unpack_limits lim = {.max_entries = 10, .max_bytes = 15, .max_path = 4096};
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_built(&b, s.root_fd, &lim, &stats, &err), -1);
	assert_string_equal(err.msg,
	                    "entry b: exceeds BURROW_UNPACK_MAX_BYTES=15; raise it if the image is genuine");
	assert_int_equal(stats.entries, 2);
	assert_int_equal(stats.bytes, 10);
	scratch_free(&s);
}

/* ---- hostile fixtures ---- */

static void test_hostile_dotdot(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "dotdot.tar", NULL, &err), -1);
	assert_int_equal(err.code, EPERM);
	assert_non_null(strstr(err.msg, "dotdot.tar: entry ../sentinel/escaped: escapes the root"));
	assert_file(s.root_fd, "ok.txt", "ok\n", 0644); /* written before the bad entry; the caller deletes */
	assert_absent(s.root_fd, "sentinel");
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_absolute(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "absolute.tar", NULL, &err), 0);
	assert_file(s.root_fd, "abs/file", "abs\n", 0644);
	assert_int_equal(count_entries(s.root_fd, "."), 1);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_symlink_abs(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct stat before;
	bool existed = lstat("/tmp/outside", &before) == 0;
	struct error err = {0};
	int rc = unpack_fixture(&s, "symlink_abs.tar", NULL, &err);
	/* The link resolves to root/tmp/outside, which does not exist: refused, never the host's. */
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "entry evil/x: "));
	assert_symlink(s.root_fd, "evil", "/tmp/outside");
	assert_absent(s.root_fd, "tmp");
	struct stat after;
	if (!existed)
		assert_int_equal(lstat("/tmp/outside", &after), -1);
	else
		assert_int_equal(lstat("/tmp/outside/x", &after), -1);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_symlink_abs_existing(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	/* With root/tmp/outside present, the file lands there. */
	struct error err = {0};
	int fd = fs_mkdir_p_in_root(s.root_fd, "tmp/outside", 0755, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unpack_fixture(&s, "symlink_abs.tar", NULL, &err), 0);
	assert_file(s.root_fd, "tmp/outside/x", "escaped\n", 0644);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_symlink_up(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "symlink_up.tar", NULL, &err), 0);
	/* "../../.." from the root is the root itself */
	assert_symlink(s.root_fd, "up", "../../..");
	assert_file(s.root_fd, "x", "up\n", 0644);
	assert_int_equal(count_entries(s.root_fd, "."), 2);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_symlink_sibling(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	/* "../sentinel" resolves to root/sentinel, which does not exist: refused. */
	assert_int_equal(unpack_fixture(&s, "symlink_sibling.tar", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "entry side/escaped: "));
	assert_absent(s.root_fd, "sentinel");
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_symlink_file(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "symlink_file.tar", NULL, &err), 0);
	/* the regular file replaced the link instead of writing through it */
	assert_file(s.root_fd, "f", "replaced\n", 0644);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_hardlink_dotdot(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct stat host_before, host_after;
	assert_int_equal(stat("/etc/passwd", &host_before), 0);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "hardlink_dotdot.tar", NULL, &err), -1);
	assert_int_equal(err.code, EPERM);
	assert_non_null(strstr(err.msg, "entry pw: hard link target escapes the root"));
	assert_absent(s.root_fd, "pw");
	assert_int_equal(stat("/etc/passwd", &host_after), 0);
	assert_int_equal(host_after.st_nlink, host_before.st_nlink);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_hardlink_abs(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct stat host_before, host_after;
	assert_int_equal(stat("/etc/passwd", &host_before), 0);
	struct error err = {0};
	/* root/etc/passwd does not exist: refused */
	assert_int_equal(unpack_fixture(&s, "hardlink_abs.tar", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "entry pw: "));
	assert_absent(s.root_fd, "pw");
	/* with the root's own etc/passwd, the link is to that file */
	int fd = fs_mkdir_p_in_root(s.root_fd, "etc", 0755, &err);
	assert_true(fd >= 0);
	close(fd);
	write_host_file(s.root_fd, "etc/passwd", "root's own\n", 11);
	assert_int_equal(unpack_fixture(&s, "hardlink_abs.tar", NULL, &err), 0);
	struct stat own, pw;
	assert_int_equal(fstatat(s.root_fd, "etc/passwd", &own, 0), 0);
	assert_int_equal(fstatat(s.root_fd, "pw", &pw, 0), 0);
	assert_int_equal(own.st_ino, pw.st_ino);
	assert_true(pw.st_ino != host_before.st_ino || pw.st_dev != host_before.st_dev);
	assert_int_equal(stat("/etc/passwd", &host_after), 0);
	assert_int_equal(host_after.st_nlink, host_before.st_nlink);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_symlink_parent(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "symlink_parent.tar", NULL, &err), 0);
	assert_symlink(s.root_fd, "lib", "/usr/lib");
	assert_file(s.root_fd, "usr/lib/x", "x\n", 0644);
	assert_int_equal(count_entries(s.root_fd, "."), 2);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_device(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "device.tar", &stats, &err), 0);
	assert_int_equal(stats.devices_skipped, 2);
	assert_int_equal(stats.entries, 4);
	assert_int_equal(count_entries(s.root_fd, "dev"), 0);
	assert_file(s.root_fd, "after", "after\n", 0644);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_setuid(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "setuid.tar", NULL, &err), 0);
	assert_file(s.root_fd, "suid", "#!/bin/sh\n", 06755);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_bomb(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "bomb.tar.gz.gz", &stats, &err), -1);
	assert_int_equal(err.code, EFBIG);
	assert_non_null(strstr(err.msg,
	                       "bomb.tar.gz.gz: entry zeros: exceeds BURROW_UNPACK_MAX_BYTES=1048576; "
	                       "raise it if the image is genuine"));
	assert_true(stats.bytes <= 1 << 20);
	struct stat st;
	assert_int_equal(fstatat(s.root_fd, "zeros", &st, 0), 0);
	assert_true(st.st_size <= 1 << 20);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_flood(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct unpack_limits lim = test_limits();
	lim.max_entries = 100;
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_tar_file(fixture("flood.tar"), s.root_fd, &lim, &stats, &err), -1);
	assert_int_equal(err.code, EFBIG);
	assert_non_null(strstr(err.msg,
	                       "flood.tar: more than 100 entries: exceeds BURROW_UNPACK_MAX_ENTRIES=100; "
	                       "raise it if the image is genuine"));
	assert_int_equal(stats.entries, 100);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hostile_longpath(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	struct error err = {0};
	assert_int_equal(unpack_fixture(&s, "longpath.tar", NULL, &err), -1);
	assert_int_equal(err.code, ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "...: longer than 4096 bytes"));
	assert_true(strlen(err.msg) < 400); /* the name is cut in the message */
	assert_int_equal(count_entries(s.root_fd, "."), 0);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_not_a_tar(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	write_host_file(s.parent_fd, "text", "hello\n", 6);
	char path[128];
	snprintf(path, sizeof(path), "%s/text", s.parent);
	struct unpack_limits lim = test_limits();
	struct error err = {0};
	assert_int_equal(unpack_tar_file(path, s.root_fd, &lim, NULL, &err), -1);
	char want[256];
	assert_true(snprintf(want, sizeof(want), "unpack %s: open: Unrecognized archive format", path) < 256);
	assert_string_equal(err.msg, want);
	unlinkat(s.parent_fd, "text", 0);
	scratch_free(&s);
}

/* ---- unpack_copy_tree ---- */

struct snap {
	char name[64];
	struct stat st;
};

static size_t snapshot(int dirfd, const char **names, struct snap *out)
{
	size_t n = 0;
	for (; names[n]; n++) {
		snprintf(out[n].name, sizeof(out[n].name), "%s", names[n]);
		assert_int_equal(fstatat(dirfd, names[n], &out[n].st, AT_SYMLINK_NOFOLLOW), 0);
	}
	return n;
}

static void test_copy_tree(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	/* the source lives next to the sentinel, inside the parent */
	assert_int_equal(mkdirat(s.parent_fd, "src", 0750), 0);
	int src = openat(s.parent_fd, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(src >= 0);
	write_host_file(src, "a", "alpha\n", 6);
	assert_int_equal(fchmodat(src, "a", 0640, 0), 0);
	assert_int_equal(linkat(src, "a", src, "b", 0), 0);
	assert_int_equal(symlinkat("nowhere", src, "dangling"), 0);
	assert_int_equal(symlinkat("/etc", src, "etc"), 0);
	assert_int_equal(mkdirat(src, "sub", 0710), 0);
	write_host_file(src, "sub/c", "gamma\n", 6);
	assert_int_equal(mkfifoat(src, "sub/fifo", 0600), 0);
	struct timespec t[2] = {{1111, 0}, {2222, 0}};
	assert_int_equal(utimensat(src, "a", t, 0), 0);
	assert_int_equal(utimensat(src, "sub", t, 0), 0);
	const char *names[] = {".", "a", "b", "dangling", "etc", "sub", "sub/c", "sub/fifo", NULL};
	struct snap before[9], after[9];
	size_t n = snapshot(src, names, before);

	char path[128];
	snprintf(path, sizeof(path), "%s/src", s.parent);
	struct unpack_limits lim = test_limits();
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_copy_tree(path, s.root_fd, &lim, &stats, &err), 0);
	assert_int_equal(stats.entries, 8);
	assert_int_equal(stats.bytes, 12);

	assert_file(s.root_fd, "a", "alpha\n", 0640);
	assert_file(s.root_fd, "b", "alpha\n", 0640);
	struct stat a, b;
	assert_int_equal(fstatat(s.root_fd, "a", &a, 0), 0);
	assert_int_equal(fstatat(s.root_fd, "b", &b, 0), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 2);
	assert_int_equal(a.st_mtim.tv_sec, 2222);
	assert_symlink(s.root_fd, "dangling", "nowhere");
	assert_symlink(s.root_fd, "etc", "/etc");
	assert_mode(s.root_fd, "sub", S_IFDIR, 0710);
	assert_mtime(s.root_fd, "sub", 2222);
	assert_file(s.root_fd, "sub/c", "gamma\n", 0644 & ~umask(022));
	assert_mode(s.root_fd, "sub/fifo", S_IFIFO, 0600);
	struct stat root;
	assert_int_equal(fstat(s.root_fd, &root), 0);
	assert_int_equal(root.st_mode & 07777, 0750);

	/* the source is unchanged, atimes included */
	assert_int_equal(snapshot(src, names, after), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(after[i].st.st_ino, before[i].st.st_ino);
		assert_int_equal(after[i].st.st_mode, before[i].st.st_mode);
		assert_int_equal(after[i].st.st_nlink, before[i].st.st_nlink);
		assert_int_equal(after[i].st.st_size, before[i].st.st_size);
		assert_int_equal(after[i].st.st_mtim.tv_sec, before[i].st.st_mtim.tv_sec);
		assert_int_equal(after[i].st.st_mtim.tv_nsec, before[i].st.st_mtim.tv_nsec);
	}

	/* a trailing slash on the source names the same tree */
	struct error err2 = {0};
	int second = openat(s.parent_fd, "second", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(second, -1);
	assert_int_equal(mkdirat(s.parent_fd, "second", 0755), 0);
	second = openat(s.parent_fd, "second", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(second >= 0);
	strcat(path, "/");
	assert_int_equal(unpack_copy_tree(path, second, &lim, NULL, &err2), 0);
	assert_file(second, "sub/c", "gamma\n", 0644 & ~umask(022));
	assert_symlink(second, "dangling", "nowhere");
	close(second);
	close(src);
	struct error rm = {0};
	assert_int_equal(fs_remove_tree_at(s.parent_fd, "src", &rm), 0);
	assert_int_equal(fs_remove_tree_at(s.parent_fd, "second", &rm), 0);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_copy_tree_missing(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s);
	char path[128];
	snprintf(path, sizeof(path), "%s/missing", s.parent);
	struct unpack_limits lim = test_limits();
	struct error err = {0};
	assert_int_equal(unpack_copy_tree(path, s.root_fd, &lim, NULL, &err), -1);
	char want[160];
	snprintf(want, sizeof(want), "copy %s: ", path);
	assert_memory_equal(err.msg, want, strlen(want));
	scratch_free(&s);
}

int main(void)
{
	umask(022);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_clean_path_valid),
	        cmocka_unit_test(test_clean_path_invalid),
	        cmocka_unit_test(test_limits_default),
	        cmocka_unit_test(test_is_tar),
	        cmocka_unit_test(test_normal_content),
	        cmocka_unit_test(test_overwrite),
	        cmocka_unit_test(test_nonempty_dir_in_the_way),
	        cmocka_unit_test(test_readonly_dir),
	        cmocka_unit_test(test_readonly_dir_unprivileged),
	        cmocka_unit_test(test_limits_enforced_in_memory),
	        cmocka_unit_test(test_hostile_dotdot),
	        cmocka_unit_test(test_hostile_absolute),
	        cmocka_unit_test(test_hostile_symlink_abs),
	        cmocka_unit_test(test_hostile_symlink_abs_existing),
	        cmocka_unit_test(test_hostile_symlink_up),
	        cmocka_unit_test(test_hostile_symlink_sibling),
	        cmocka_unit_test(test_hostile_symlink_file),
	        cmocka_unit_test(test_hostile_hardlink_dotdot),
	        cmocka_unit_test(test_hostile_hardlink_abs),
	        cmocka_unit_test(test_hostile_symlink_parent),
	        cmocka_unit_test(test_hostile_device),
	        cmocka_unit_test(test_hostile_setuid),
	        cmocka_unit_test(test_hostile_bomb),
	        cmocka_unit_test(test_hostile_flood),
	        cmocka_unit_test(test_hostile_longpath),
	        cmocka_unit_test(test_not_a_tar),
	        cmocka_unit_test(test_copy_tree),
	        cmocka_unit_test(test_copy_tree_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
