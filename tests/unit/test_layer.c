/* Unit tests for OCI layer unpacking (src/image/layer.c): whiteouts, opaque directories, owner
 * records, the fixtures in tests/fixtures/layers, and the result as an overlayfs lower dir. */
#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

#define MAX_LAYERS 6
/* A name the wh_symlink_abs fixture aims at in the host's /tmp. */
#define HOST_PROBE "/tmp/burrow-layer-whiteout-probe"

/* ---- trees as sorted lines: "d 0755 etc", "f 0644 etc/keep", "c 0000 etc/passwd 0:0",
 * "l both/link -> file", "p 0600 fifo" ---- */

static int line_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* detailed: inode, links, size and mtime too, to tell a tree that was touched. */
static void walk(int dirfd, const char *prefix, bool detailed, char ***lines)
{
	int fd = openat(dirfd, prefix[0] ? prefix : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char path[PATH_MAX];
		assert_true(snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) <
		            (int)sizeof(path));
		struct stat st;
		assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
		char line[2 * PATH_MAX + 512];
		unsigned perm = st.st_mode & 07777;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd, path, target, sizeof(target) - 1);
			assert_true(n >= 0);
			target[n] = '\0';
			snprintf(line, sizeof(line), "l %s -> %s", path, target);
		} else if (S_ISCHR(st.st_mode)) {
			snprintf(line, sizeof(line), "c %04o %s %u:%u", perm, path, major(st.st_rdev),
			         minor(st.st_rdev));
		} else {
			char kind = S_ISDIR(st.st_mode)    ? 'd'
			            : S_ISREG(st.st_mode)  ? 'f'
			            : S_ISFIFO(st.st_mode) ? 'p'
			                                   : '?';
			snprintf(line, sizeof(line), "%c %04o %s", kind, perm, path);
		}
		if (detailed) {
			size_t used = strlen(line);
			snprintf(line + used, sizeof(line) - used,
			         " ino=%ju nlink=%ju size=%jd mtime=%jd.%09ld", (uintmax_t)st.st_ino,
			         (uintmax_t)st.st_nlink, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
			         st.st_mtim.tv_nsec);
		}
		assert_int_equal(strv_push(lines, line), 0);
		if (S_ISDIR(st.st_mode))
			walk(dirfd, path, detailed, lines);
	}
	closedir(d);
}

static char **tree(int dirfd, bool detailed)
{
	char **lines = NULL;
	assert_int_equal(strv_push(&lines, "."), 0); /* never empty, so never NULL */
	walk(dirfd, "", detailed, &lines);
	qsort(lines, strv_len(lines), sizeof(*lines), line_order);
	return lines;
}

/* The tree below dirfd is exactly want (any order). */
static void assert_tree(int dirfd, const char *const *want)
{
	cleanup_strv char **got = tree(dirfd, false);
	cleanup_strv char **sorted = NULL;
	assert_int_equal(strv_push(&sorted, "."), 0);
	for (size_t i = 0; want[i]; i++)
		assert_int_equal(strv_push(&sorted, want[i]), 0);
	qsort(sorted, strv_len(sorted), sizeof(*sorted), line_order);
	for (size_t i = 0; got[i] || sorted[i]; i++) {
		if (!got[i] || !sorted[i] || strcmp(got[i], sorted[i]) != 0) {
			for (size_t j = 0; got[j]; j++)
				fprintf(stderr, "# got:  %s\n", got[j]);
			for (size_t j = 0; sorted[j]; j++)
				fprintf(stderr, "# want: %s\n", sorted[j]);
		}
		assert_non_null(got[i]);
		assert_non_null(sorted[i]);
		assert_string_equal(got[i], sorted[i]);
	}
}

static void assert_content(int dirfd, const char *path, const char *content)
{
	struct error err = {0};
	size_t len;
	cleanup_free char *data = fs_read_file_at(dirfd, path, false, 1 << 20, &len, &err);
	assert_non_null(data);
	assert_int_equal(len, strlen(content));
	assert_string_equal(data, content);
}

/* The xattr name on path (not followed) holds exactly want (len bytes); want NULL: absent. */
static void assert_xattr(int dirfd, const char *path, const char *name, const void *want, size_t len)
{
	int fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	/* getxattr follows the magic link to the very inode fd holds, a symlink included */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	unsigned char got[64];
	ssize_t n = getxattr(proc, name, got, sizeof(got));
	int e = errno;
	close(fd);
	if (!want) {
		assert_int_equal(n, -1);
		assert_int_equal(e, ENODATA);
		return;
	}
	if (n < 0)
		fprintf(stderr, "# %s of %s: %s\n", name, path, strerror(e));
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(got, want, len);
}

static void assert_opaque(int dirfd, const char *path, bool opaque)
{
	assert_xattr(dirfd, path, "user.overlay.opaque", opaque ? "y" : NULL, 1);
}

static void assert_owned_by(int dirfd, const char *path, uid_t uid)
{
	struct stat st;
	assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, uid);
}

/* ---- scratch space: PARENT/{l0..lN, mnt, sentinel/{file, sub/inner, link}} ---- */

struct scratch {
	char parent[64];
	int parent_fd;
	size_t nlayers;
	int layer[MAX_LAYERS]; /* PARENT/l0 ... */
	char **before;         /* everything in PARENT outside the layers, in detail */
};

static bool is_layer(const struct scratch *s, const char *name)
{
	for (size_t i = 0; i < s->nlayers; i++) {
		char own[32];
		snprintf(own, sizeof(own), "l%zu", i);
		if (strcmp(name, own) == 0)
			return true;
	}
	return false;
}

/* Everything in PARENT but the layers' contents, in detail; the layer dirs by name only. */
static char **outside_layers(struct scratch *s)
{
	char **lines = NULL;
	struct stat st;
	assert_int_equal(fstat(s->parent_fd, &st), 0);
	char line[512];
	snprintf(line, sizeof(line), "parent %o mtime=%jd.%09ld", st.st_mode, (intmax_t)st.st_mtim.tv_sec,
	         st.st_mtim.tv_nsec);
	assert_int_equal(strv_push(&lines, line), 0);
	int fd = openat(s->parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (is_layer(s, de->d_name)) {
			snprintf(line, sizeof(line), "layer %s", de->d_name);
			assert_int_equal(strv_push(&lines, line), 0);
			continue;
		}
		assert_int_equal(fstatat(s->parent_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
		snprintf(line, sizeof(line), "%s %o ino=%ju mtime=%jd.%09ld", de->d_name, st.st_mode,
		         (uintmax_t)st.st_ino, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		assert_int_equal(strv_push(&lines, line), 0);
		if (S_ISDIR(st.st_mode))
			walk(s->parent_fd, de->d_name, true, &lines);
	}
	closedir(d);
	qsort(lines, strv_len(lines), sizeof(*lines), line_order);
	return lines;
}

static void scratch_new(struct scratch *s, size_t nlayers)
{
	assert_true(nlayers <= MAX_LAYERS);
	strcpy(s->parent, "/tmp/burrow-test-layer-XXXXXX");
	assert_non_null(mkdtemp(s->parent));
	/* mkdtemp's 0700 is kept: the unprivileged test reaches the layers through fds only. */
	s->parent_fd = open(s->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->parent_fd >= 0);
	assert_int_equal(mkdirat(s->parent_fd, "sentinel", 0755), 0);
	assert_int_equal(mkdirat(s->parent_fd, "sentinel/sub", 0755), 0);
	int fd = openat(s->parent_fd, "sentinel/file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "sentinel\n", 9), 9);
	close(fd);
	fd = openat(s->parent_fd, "sentinel/sub/inner", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlinkat("file", s->parent_fd, "sentinel/link"), 0);
	/* where the overlay test mounts its tmpfs, in a mount namespace of its own */
	assert_int_equal(mkdirat(s->parent_fd, "mnt", 0755), 0);
	s->nlayers = nlayers;
	for (size_t i = 0; i < nlayers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "l%zu", i);
		assert_int_equal(mkdirat(s->parent_fd, name, 0755), 0);
		assert_int_equal(fchmodat(s->parent_fd, name, 0755, 0), 0);
		s->layer[i] = openat(s->parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(s->layer[i] >= 0);
	}
	s->before = outside_layers(s);
}

/* Nothing outside the layer dirs changed: same names, inodes, sizes, times; no xattr on the
 * parent or the sentinel. */
static void assert_outside_untouched(struct scratch *s)
{
	cleanup_strv char **after = outside_layers(s);
	for (size_t i = 0; s->before[i] || after[i]; i++) {
		assert_non_null(s->before[i]);
		assert_non_null(after[i]);
		assert_string_equal(after[i], s->before[i]);
	}
	assert_opaque(s->parent_fd, ".", false);
	assert_opaque(s->parent_fd, "sentinel", false);
	assert_content(s->parent_fd, "sentinel/file", "sentinel\n");
}

static void scratch_free(struct scratch *s)
{
	for (size_t i = 0; i < s->nlayers; i++)
		close(s->layer[i]);
	close(s->parent_fd);
	strv_free(s->before);
	struct error err = {0};
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, s->parent, &err), 0);
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
	assert_non_null(dir);
	assert_true(snprintf(buf, sizeof(buf), "%s/layers/%s", dir, name) < (int)sizeof(buf));
	return buf;
}

static struct unpack_limits test_limits(void)
{
	struct unpack_limits lim = {.max_entries = 1000, .max_bytes = 1 << 20, .max_path = 4096};
	return lim;
}

static int open_fixture(const char *name)
{
	int fd = open(fixture(name), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "# %s: %s\n", fixture(name), strerror(errno));
	assert_true(fd >= 0);
	return fd;
}

static int unpack_fixture(int layer_fd, const char *name, struct unpack_stats *stats, struct error *err)
{
	struct unpack_limits lim = test_limits();
	cleanup_close int fd = open_fixture(name);
	return unpack_layer_fd(fd, layer_fd, &lim, stats, err);
}

/* Streams the fixture through a pipe, as a download would arrive. */
static int unpack_fixture_piped(int layer_fd, const char *name, struct unpack_stats *stats, struct error *err)
{
	cleanup_close int src = open_fixture(name);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		char buf[4096];
		ssize_t n;
		while ((n = read(src, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(n < 0);
	}
	close(p[1]);
	struct unpack_limits lim = test_limits();
	int rc = unpack_layer_fd(p[0], layer_fd, &lim, stats, err);
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid); /* may have died of SIGPIPE after a refusal */
	return rc;
}

static void unpack_ok(int layer_fd, const char *name, struct unpack_stats *stats)
{
	struct error err = {0};
	int rc = unpack_fixture(layer_fd, name, stats, &err);
	if (rc < 0)
		fprintf(stderr, "# %s: %s\n", name, err.msg);
	assert_int_equal(rc, 0);
}

/* ---- the owner record ---- */

static void test_owner_encode(void **state)
{
	(void)state;
	static const struct {
		uint32_t uid, gid;
		size_t len;
		uint8_t bytes[LAYER_OWNER_MAX];
	} cases[] = {
	        {1000, 1000, 6, {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07}},
	        {65534, 65534, 8, {0x08, 0xfe, 0xff, 0x03, 0x10, 0xfe, 0xff, 0x03}},
	        /* a 0 id is umoci's no-op, 4294967295 */
	        {1000, 0, 9, {0x08, 0xe8, 0x07, 0x10, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	        {0, 1000, 9, {0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0xe8, 0x07}},
	        /* varint edges */
	        {1, 127, 4, {0x08, 0x01, 0x10, 0x7f}},
	        {128, 16383, 6, {0x08, 0x80, 0x01, 0x10, 0xff, 0x7f}},
	        {16384, 2097152, 9, {0x08, 0x80, 0x80, 0x01, 0x10, 0x80, 0x80, 0x80, 0x01}},
	        {268435456,
	         4294967294,
	         12,
	         {0x08, 0x80, 0x80, 0x80, 0x80, 0x01, 0x10, 0xfe, 0xff, 0xff, 0xff, 0x0f}},
	        {4294967295, 7, 8, {0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x07}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[LAYER_OWNER_MAX];
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(layer_owner_encode(cases[i].uid, cases[i].gid, out), cases[i].len);
		assert_memory_equal(out, cases[i].bytes, cases[i].len);
	}
	/* no record for root's files, nor for the no-op id written out */
	uint8_t out[LAYER_OWNER_MAX];
	assert_int_equal(layer_owner_encode(0, 0, out), 0);
	assert_int_equal(layer_owner_encode(4294967295, 0, out), 0);
	assert_int_equal(layer_owner_encode(0, 4294967295, out), 0);
	assert_int_equal(layer_owner_encode(4294967295, 4294967295, out), 0);
}

/* ---- whiteouts ---- */

static void check_whiteout_file(int fd)
{
	assert_tree(fd, (const char *[]){"d 0755 etc", "c 0000 etc/passwd 0:0", NULL});
	assert_opaque(fd, "etc", false);
	assert_opaque(fd, ".", false);
}

static void test_whiteout_file(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "whiteout_file.tar", &stats);
	check_whiteout_file(s.layer[0]);
	assert_int_equal(stats.entries, 2);
	assert_int_equal(stats.whiteouts, 1);
	assert_int_equal(stats.bytes, 0);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_whiteout_dir(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "whiteout_dir.tar", &stats);
	/* opt was not listed: made on the way, with the default mode */
	assert_tree(s.layer[0], (const char *[]){"d 0755 opt", "c 0000 opt/old 0:0", NULL});
	assert_int_equal(stats.whiteouts, 1);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void check_opaque(int fd)
{
	assert_tree(fd, (const char *[]){"d 0750 data", "f 0644 data/c", "d 0755 fresh", NULL});
	assert_opaque(fd, "data", true);
	assert_opaque(fd, "fresh", true);
	assert_opaque(fd, ".", false);
	assert_content(fd, "data/c", "c\n");
}

static void test_opaque(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "opaque.tar", &stats);
	check_opaque(s.layer[0]);
	assert_int_equal(stats.entries, 4);
	assert_int_equal(stats.whiteouts, 2);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void check_same_layer(int fd, uid_t owner)
{
	assert_tree(fd, (const char *[]){"d 0755 both", "f 0644 both/file", "d 0755 both/dir",
	                                 "f 0644 both/dir/new", "c 0000 both/gone 0:0", "l both/link -> file",
	                                 "c 0000 both/twice 0:0", NULL});
	/* this layer's own file and link win over its whiteouts */
	assert_content(fd, "both/file", "new\n");
	/* its own directory stays, opaque so the lower one is still deleted */
	assert_opaque(fd, "both/dir", true);
	assert_opaque(fd, "both", false);
	assert_content(fd, "both/dir/new", "new\n");
	assert_owned_by(fd, "both/gone", owner);
	assert_owned_by(fd, "both/file", owner);
}

static void test_same_layer(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "same_layer.tar", &stats);
	check_same_layer(s.layer[0], geteuid());
	assert_int_equal(stats.entries, 11);
	assert_int_equal(stats.whiteouts, 6);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_aufs_metadata(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "aufs.tar", &stats);
	assert_tree(s.layer[0], (const char *[]){"f 0644 real", NULL});
	assert_int_equal(stats.entries, 4);
	assert_int_equal(stats.whiteouts, 0);
	assert_int_equal(stats.bytes, 5);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_bad_whiteouts(void **state)
{
	(void)state;
	static const struct {
		const char *fixture;
		int code;
		const char *msg;
		const char *tree[3];
	} cases[] = {
	        {"wh_dotdot.tar",
	         EPERM,
	         "entry .wh...: whiteout escapes its directory (\"..\")",
	         {"f 0644 ok", NULL}},
	        {"wh_dotdot_sub.tar",
	         EPERM,
	         "entry d/.wh...: whiteout escapes its directory (\"..\")",
	         {"f 0644 ok", "d 0755 d", NULL}},
	        {"wh_dot.tar",
	         EINVAL,
	         "entry .wh..: whiteout of its own directory (\".\")",
	         {"f 0644 ok", NULL}},
	        {"wh_empty.tar", EINVAL, "entry d/.wh.: whiteout without a name", {"f 0644 ok", NULL}},
	        {"wh_as_dir.tar",
	         EINVAL,
	         "entry /.wh.../x: a whiteout name used as a directory",
	         {"f 0644 ok", NULL}},
	        {"wh_escape.tar",
	         EPERM,
	         "entry ../sentinel/.wh.file: escapes the root (\"..\" component)",
	         {"f 0644 ok", NULL}},
	        {"wh_opaque_file.tar",
	         ENOTDIR,
	         "entry f/.wh..wh..opq: open directory f: Not a directory",
	         {"f 0644 f", NULL}},
	        /* the whiteout is never made once the layer fails */
	        {"wh_hardlink.tar",
	         ENOENT,
	         "entry link: hard link target gone: No such file or directory",
	         {NULL}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scratch s;
		scratch_new(&s, 1);
		struct error err = {0};
		assert_int_equal(unpack_fixture(s.layer[0], cases[i].fixture, NULL, &err), -1);
		assert_int_equal(err.code, cases[i].code);
		assert_string_equal(err.msg, cases[i].msg);
		assert_tree(s.layer[0], cases[i].tree);
		assert_outside_untouched(&s);
		scratch_free(&s);
	}
}

static void test_whiteout_symlink_abs(void **state)
{
	(void)state;
	struct stat st;
	assert_int_equal(lstat(HOST_PROBE, &st), -1);
	struct scratch s;
	scratch_new(&s, 1);
	struct error err = {0};
	/* /tmp resolves to the layer's own tmp, which does not exist */
	assert_int_equal(unpack_fixture(s.layer[0], "wh_symlink_abs.tar", NULL, &err), -1);
	assert_string_equal(err.msg, "entry tmp-link/.wh.burrow-layer-whiteout-probe: open "
	                             "tmp-link: No such file "
	                             "or directory");
	assert_tree(s.layer[0], (const char *[]){"l tmp-link -> /tmp", NULL});
	assert_int_equal(lstat(HOST_PROBE, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_whiteout_symlink_sibling(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct error err = {0};
	assert_int_equal(unpack_fixture(s.layer[0], "wh_symlink_sibling.tar", NULL, &err), -1);
	assert_string_equal(err.msg, "entry side/.wh.file: open side: No such file or directory");
	assert_tree(s.layer[0], (const char *[]){"l side -> ../sentinel", NULL});
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_whiteout_symlink_up(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	/* "../.." from the layer's root is the root: the whiteout and the mark stay inside */
	unpack_ok(s.layer[0], "wh_symlink_up.tar", &stats);
	assert_tree(s.layer[0], (const char *[]){"l up -> ../..", "c 0000 sentinel 0:0", NULL});
	assert_opaque(s.layer[0], ".", true);
	assert_int_equal(stats.whiteouts, 2);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_whiteout_parent_replaced(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "wh_parent_replaced.tar", &stats);
	assert_tree(s.layer[0], (const char *[]){"f 0644 d", NULL});
	assert_content(s.layer[0], "d", "d\n");
	assert_int_equal(stats.whiteouts, 1);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_not_empty(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	int fd = openat(s.layer[0], "leftover", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	struct error err = {0};
	assert_int_equal(unpack_fixture(s.layer[0], "whiteout_file.tar", NULL, &err), -1);
	assert_int_equal(err.code, ENOTEMPTY);
	assert_string_equal(err.msg,
	                    "layer directory is not empty (holds leftover): unpack into a fresh one");
	assert_tree(s.layer[0], (const char *[]){"f 0644 leftover", NULL});
	assert_outside_untouched(&s);
	scratch_free(&s);
}

/* ---- owners, modes, links, holes, devices ---- */

static const uint8_t OWNER_1000[] = {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07};

static void check_owners(int fd, uid_t owner)
{
	assert_tree(fd, (const char *[]){"f 0644 user", "f 0644 root", "f 0644 nobody", "f 0644 uid-only",
	                                 "f 0644 gid-only", "f 0644 largest", "f 0444 readonly", "d 0555 dir",
	                                 "l symlink -> user", "p 0600 fifo", "f 0644 hardlink",
	                                 "d 0755 relisted-root", "d 0755 relisted-user", NULL});
	static const struct {
		const char *path;
		size_t len;
		uint8_t bytes[LAYER_OWNER_MAX];
	} records[] = {
	        {"user", 6, {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07}},
	        {"nobody", 8, {0x08, 0xfe, 0xff, 0x03, 0x10, 0xfe, 0xff, 0x03}},
	        {"uid-only", 9, {0x08, 0xe8, 0x07, 0x10, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	        {"gid-only", 9, {0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0xe8, 0x07}},
	        {"largest", 12, {0x08, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x10, 0xfe, 0xff, 0xff, 0xff, 0x0f}},
	        /* recorded before the mode took away the write permission */
	        {"readonly", 6, {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07}},
	        {"dir", 6, {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07}},
	        /* the same inode as user */
	        {"hardlink", 6, {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07}},
	        /* 1234:5678, listed after 0:0 */
	        {"relisted-user", 6, {0x08, 0xd2, 0x09, 0x10, 0xae, 0x2c}},
	        /* the root entry "./" */
	        {".", 6, {0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07}},
	};
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		assert_xattr(fd, records[i].path, "user.rootlesscontainers", records[i].bytes,
		             records[i].len);
	/* root's own files and the later root listing carry none; Linux keeps none on links and FIFOs */
	static const char *none[] = {"root", "relisted-root", "symlink", "fifo"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_xattr(fd, none[i], "user.rootlesscontainers", NULL, 0);
	static const char *all[] = {"user", "root", "nobody", "largest", "dir", "symlink", "fifo", "."};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_owned_by(fd, all[i], owner);
}

static void test_owners(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "owners.tar", &stats);
	check_owners(s.layer[0], geteuid());
	assert_int_equal(stats.entries, 16);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_owner_out_of_range(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct error err = {0};
	assert_int_equal(unpack_fixture(s.layer[0], "owner_range.tar", NULL, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "entry huge: owner uid 4294967296 is outside 0-4294967295");
	assert_tree(s.layer[0], (const char *[]){"f 0644 first", NULL});
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void check_setuid(int fd)
{
	assert_tree(fd, (const char *[]){"d 0755 bin", "f 4755 bin/su", "f 2755 bin/sg", "d 1777 tmp",
	                                 "d 0555 ro", "f 0444 ro/inner", "d 0500 ro/sub",
	                                 "f 0400 ro/sub/deep", NULL});
	assert_content(fd, "ro/sub/deep", "deep\n");
}

static void test_setuid(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	unpack_ok(s.layer[0], "setuid.tar", NULL);
	check_setuid(s.layer[0]);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_hardlink(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	unpack_ok(s.layer[0], "hardlink.tar", NULL);
	assert_tree(s.layer[0],
	            (const char *[]){"f 0644 a", "f 0644 b", "d 0755 sub", "f 0644 sub/c", "f 0644 d", NULL});
	struct stat a;
	assert_int_equal(fstatat(s.layer[0], "a", &a, 0), 0);
	assert_int_equal(a.st_nlink, 4);
	static const char *links[] = {"b", "sub/c", "d"};
	for (size_t i = 0; i < 3; i++) {
		struct stat l;
		assert_int_equal(fstatat(s.layer[0], links[i], &l, 0), 0);
		assert_int_equal(l.st_ino, a.st_ino);
	}
	assert_content(s.layer[0], "d", "shared\n");
	assert_xattr(s.layer[0], "b", "user.rootlesscontainers", OWNER_1000, sizeof(OWNER_1000));
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void assert_at(int fd, off_t offset, const char *want)
{
	char buf[16] = {0};
	size_t len = strlen(want);
	assert_int_equal(pread(fd, buf, len, offset), (ssize_t)len);
	assert_memory_equal(buf, want, len);
}

static void check_sparse(int layer_fd)
{
	assert_tree(layer_fd, (const char *[]){"f 0644 big", "f 0644 hole-at-end", NULL});
	struct stat st;
	assert_int_equal(fstatat(layer_fd, "big", &st, 0), 0);
	assert_int_equal(st.st_size, 9LL << 30);
	assert_true(st.st_blocks * 512 < (1 << 20)); /* holes stayed holes */
	int fd = openat(layer_fd, "big", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_at(fd, 0, "head");
	assert_at(fd, 4LL << 30, "middle");
	assert_at(fd, (9LL << 30) - 4, "tail");
	assert_at(fd, 1 << 20, "\0\0\0\0");
	assert_at(fd, (4LL << 30) - 2, "\0\0mi");
	close(fd);
	assert_int_equal(fstatat(layer_fd, "hole-at-end", &st, 0), 0);
	assert_int_equal(st.st_size, 1 << 20);
	assert_true(st.st_blocks * 512 < (256 << 10));
}

static void test_sparse(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "sparse.tar", &stats);
	check_sparse(s.layer[0]);
	/* only the data counts against the byte cap, not the 9 GiB */
	assert_int_equal(stats.bytes, 4 + 6 + 4 + 5);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_device(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	unpack_ok(s.layer[0], "device.tar", &stats);
	/* a 0/0 device in the tar is not a whiteout: only ".wh." names make them */
	assert_tree(s.layer[0], (const char *[]){"d 0755 dev", "f 0644 after", NULL});
	assert_int_equal(stats.devices_skipped, 3);
	assert_int_equal(stats.whiteouts, 0);
	assert_int_equal(stats.entries, 5);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_long_names(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	unpack_ok(s.layer[0], "long_names.tar", NULL);
	char name[400] = "", target[301];
	for (int i = 0; i < 3; i++) {
		memset(name + strlen(name), 'n', 100);
		strcpy(name + (i + 1) * 101 - 1, "/");
	}
	strcat(name, "file");
	assert_int_equal(strlen(name), 307);
	assert_content(s.layer[0], name, "long\n");
	memset(target, 't', 300);
	target[300] = '\0';
	char got[400];
	ssize_t n = readlinkat(s.layer[0], "longlink", got, sizeof(got));
	assert_int_equal(n, 300);
	assert_memory_equal(got, target, 300);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

/* ---- streams: plain, gzip, zstd, through a pipe; and what is refused ---- */

static void test_stream_plain_pipe(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct unpack_stats stats = {0};
	struct error err = {0};
	assert_int_equal(unpack_fixture_piped(s.layer[0], "same_layer.tar", &stats, &err), 0);
	check_same_layer(s.layer[0], geteuid());
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_stream_gzip(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 2);
	unpack_ok(s.layer[0], "whiteout_file.tar.gz", NULL);
	check_whiteout_file(s.layer[0]);
	struct error err = {0};
	assert_int_equal(unpack_fixture_piped(s.layer[1], "whiteout_file.tar.gz", NULL, &err), 0);
	check_whiteout_file(s.layer[1]);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_stream_zstd(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 2);
	unpack_ok(s.layer[0], "opaque.tar.zst", NULL);
	check_opaque(s.layer[0]);
	struct error err = {0};
	assert_int_equal(unpack_fixture_piped(s.layer[1], "opaque.tar.zst", NULL, &err), 0);
	check_opaque(s.layer[1]);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

static void test_stream_refused(void **state)
{
	(void)state;
	struct scratch s;
	scratch_new(&s, 1);
	struct error err = {0};
	/* xz is a compression libarchive knows, but no layer media type uses it */
	assert_int_equal(unpack_fixture_piped(s.layer[0], "base.tar.xz", NULL, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "layer stream: not a tar, gzip or zstd stream "
	                             "(Unrecognized archive format)");
	/* not an archive at all: the fixtures' generator script */
	err = (struct error){0};
	assert_int_equal(unpack_fixture_piped(s.layer[0], "make.py", NULL, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "layer stream: not a tar, gzip or zstd stream "
	                             "(Unrecognized archive format)");
	/* an empty stream */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	struct unpack_limits lim = test_limits();
	err = (struct error){0};
	assert_int_equal(unpack_layer_fd(p[0], s.layer[0], &lim, NULL, &err), -1);
	close(p[0]);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, "layer stream: not a tar, gzip or zstd stream "
	                             "(Unrecognized archive format)");
	/* a stream that cannot be read */
	err = (struct error){0};
	assert_int_equal(unpack_layer_fd(s.layer[0], s.layer[0], &lim, NULL, &err), -1);
	assert_int_equal(err.code, EISDIR);
	assert_true(strncmp(err.msg, "layer stream: ", 14) == 0);
	assert_tree(s.layer[0], (const char *[]){NULL});
	assert_outside_untouched(&s);
	scratch_free(&s);
}

/* ---- the result as an overlayfs lower dir ---- */

static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static bool absent_at(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct stat st;
	return lstat(path, &st) < 0 && errno == ENOENT;
}

/* The names in dir, sorted and joined with ",". */
static void listing(const char *dir, char *out, size_t size)
{
	char **names = NULL;
	DIR *d = opendir(dir);
	out[0] = '\0';
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strv_push(&names, de->d_name) < 0)
			break;
	closedir(d);
	size_t n = strv_len(names);
	if (n > 1)
		qsort(names, n, sizeof(*names), line_order);
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s", i ? "," : "",
		                         names[i]);
	strv_free(names);
}

#define CHILD_CHECK(cond, ...)                                      \
	do {                                                        \
		if (!(cond)) {                                      \
			fprintf(stderr, "# overlay: " __VA_ARGS__); \
			fprintf(stderr, "\n");                      \
			_exit(1);                                   \
		}                                                   \
	} while (0)

/* A user namespace mapping the caller to root alone, and a private mount namespace: what the
 * start path does. -1 with errno when the kernel refuses. */
static int enter_namespaces(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -1;
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	CHILD_CHECK(write_proc("/proc/self/uid_map", map) == 0, "uid_map: %s", strerror(errno));
	CHILD_CHECK(write_proc("/proc/self/setgroups", "deny") == 0, "setgroups: %s", strerror(errno));
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	CHILD_CHECK(write_proc("/proc/self/gid_map", map) == 0, "gid_map: %s", strerror(errno));
	CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "private /: %s", strerror(errno));
	return 0;
}

/* In a child: a user and mount namespace of its own, a tmpfs to hold the mount point, and the
 * layers stacked read-only as overlay lower dirs. Exits 77 when user namespaces are refused. */
static void overlay_child(const char *parent, const char *lowerdir)
{
	if (enter_namespaces() < 0)
		_exit(errno == EPERM ? 77 : 2);
	char mnt[PATH_MAX], merged[PATH_MAX], opts[PATH_MAX * 2];
	snprintf(mnt, sizeof(mnt), "%s/mnt", parent);
	snprintf(merged, sizeof(merged), "%s/mnt/merged", parent);
	CHILD_CHECK(mount("tmpfs", mnt, "tmpfs", 0, "mode=0755") == 0, "tmpfs: %s", strerror(errno));
	CHILD_CHECK(mkdir(merged, 0755) == 0, "mkdir: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "lowerdir=%s,userxattr", lowerdir);
	CHILD_CHECK(mount("overlay", merged, "overlay", MS_RDONLY, opts) == 0, "mount %s: %s", opts,
	            strerror(errno));
	char dir[PATH_MAX + 16], list[512];
	/* whiteout_file: etc/passwd hidden, etc/keep still there */
	snprintf(dir, sizeof(dir), "%s/etc", merged);
	listing(dir, list, sizeof(list));
	CHILD_CHECK(strcmp(list, "keep") == 0, "etc holds %s, not keep alone", list);
	CHILD_CHECK(absent_at(dir, "passwd"), "etc/passwd is still visible");
	/* whiteout_dir: opt/old hidden with its file */
	snprintf(dir, sizeof(dir), "%s/opt", merged);
	listing(dir, list, sizeof(list));
	CHILD_CHECK(strcmp(list, "") == 0, "opt holds %s, not nothing", list);
	CHILD_CHECK(absent_at(dir, "old/file"), "opt/old/file is still visible");
	/* opaque: data shows only the upper layer's c */
	snprintf(dir, sizeof(dir), "%s/data", merged);
	listing(dir, list, sizeof(list));
	CHILD_CHECK(strcmp(list, "c") == 0, "data holds %s, not c alone", list);
	/* same_layer: its own file and directory win, the lower directory's content is hidden */
	snprintf(dir, sizeof(dir), "%s/both", merged);
	listing(dir, list, sizeof(list));
	CHILD_CHECK(strcmp(list, "dir,file,link") == 0, "both holds %s, not dir,file,link", list);
	snprintf(dir, sizeof(dir), "%s/both/dir", merged);
	listing(dir, list, sizeof(list));
	CHILD_CHECK(strcmp(list, "new") == 0, "both/dir holds %s, not new alone", list);
	snprintf(dir, sizeof(dir), "%s/both/file", merged);
	struct error err = {0};
	char *data = fs_read_file_at(AT_FDCWD, dir, false, 64, NULL, &err);
	CHILD_CHECK(data && strcmp(data, "new\n") == 0, "both/file reads %s", data ? data : err.msg);
	free(data);
	_exit(0);
}

static void test_overlay_lower_dirs(void **state)
{
	(void)state;
	static const char *layers[] = {"base.tar", "whiteout_file.tar", "whiteout_dir.tar", "opaque.tar",
	                               "same_layer.tar"};
	const size_t n = sizeof(layers) / sizeof(layers[0]);
	struct scratch s;
	scratch_new(&s, n);
	for (size_t i = 0; i < n; i++)
		unpack_ok(s.layer[i], layers[i], NULL);
	/* overlay lists the top layer first */
	char lowerdir[PATH_MAX] = "";
	for (size_t i = n; i-- > 0;) {
		size_t used = strlen(lowerdir);
		snprintf(lowerdir + used, sizeof(lowerdir) - used, "%s%s/l%zu", i == n - 1 ? "" : ":",
		         s.parent, i);
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		overlay_child(s.parent, lowerdir);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		scratch_free(&s);
		skip(); /* user namespaces are refused here */
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

/* In a child with namespaces of its own, on a ramfs (no xattrs at all): each layer must fail
 * with the message that says where to keep the cache. The messages come back through out. */
static void no_xattr_child(const char *parent, const int *fds, size_t n, int out)
{
	if (enter_namespaces() < 0)
		_exit(errno == EPERM ? 77 : 2);
	char mnt[PATH_MAX];
	snprintf(mnt, sizeof(mnt), "%s/mnt", parent);
	CHILD_CHECK(mount("ramfs", mnt, "ramfs", 0, "mode=0755") == 0, "ramfs: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX + 16];
		snprintf(dir, sizeof(dir), "%s/l%zu", mnt, i);
		CHILD_CHECK(mkdir(dir, 0755) == 0, "mkdir: %s", strerror(errno));
		int layer_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		CHILD_CHECK(layer_fd >= 0, "open: %s", strerror(errno));
		struct unpack_limits lim = test_limits();
		struct error err = {0};
		int rc = unpack_layer_fd(fds[i], layer_fd, &lim, NULL, &err);
		CHILD_CHECK(rc == -1 && err.code == ENOTSUP, "layer %zu: rc %d, %s", i, rc, err.msg);
		CHILD_CHECK(write(out, err.msg, sizeof(err.msg)) == (ssize_t)sizeof(err.msg), "write: %s",
		            strerror(errno));
	}
	_exit(0);
}

static void test_no_user_xattrs(void **state)
{
	(void)state;
	static const char *layers[] = {"owners.tar", "opaque.tar"};
	struct scratch s;
	scratch_new(&s, 0);
	int fds[2], p[2];
	for (size_t i = 0; i < 2; i++)
		fds[i] = open_fixture(layers[i]);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		no_xattr_child(s.parent, fds, 2, p[1]);
	}
	close(p[1]);
	char msgs[2][ERROR_MSG_MAX] = {{0}};
	for (size_t i = 0; i < 2; i++)
		if (read(p[0], msgs[i], sizeof(msgs[i])) != (ssize_t)sizeof(msgs[i]))
			break;
	close(p[0]);
	for (size_t i = 0; i < 2; i++)
		close(fds[i]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		scratch_free(&s);
		skip(); /* user namespaces are refused here */
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(msgs[0], "entry user: set user.rootlesscontainers: the "
	                             "filesystem does not support user "
	                             "extended attributes; keep the layer cache on a "
	                             "local filesystem (ext4, xfs, "
	                             "btrfs, tmpfs)");
	assert_string_equal(msgs[1], "entry data/.wh..wh..opq: set "
	                             "user.overlay.opaque: the filesystem does not "
	                             "support user extended attributes; keep the "
	                             "layer cache on a local filesystem "
	                             "(ext4, xfs, btrfs, tmpfs)");
	assert_outside_untouched(&s);
	scratch_free(&s);
}

/* ---- as an ordinary user ---- */

/* As root every permission check passes; the layers must also unpack as an ordinary user. */
static void test_unprivileged(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* every other test already ran unprivileged */
	static const char *layers[] = {"same_layer.tar", "owners.tar", "setuid.tar", "sparse.tar",
	                               "opaque.tar.zst"};
	const size_t n = sizeof(layers) / sizeof(layers[0]);
	struct scratch s;
	scratch_new(&s, n);
	int fds[sizeof(layers) / sizeof(layers[0])];
	for (size_t i = 0; i < n; i++) {
		fds[i] = open_fixture(layers[i]);
		assert_int_equal(fchown(s.layer[i], 65534, 65534), 0);
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		for (size_t i = 0; i < n; i++) {
			struct unpack_limits lim = test_limits();
			struct error err = {0};
			if (unpack_layer_fd(fds[i], s.layer[i], &lim, NULL, &err) < 0) {
				fprintf(stderr, "# %s: %s\n", layers[i], err.msg);
				_exit(1);
			}
		}
		_exit(0);
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_same_layer(s.layer[0], 65534);
	check_owners(s.layer[1], 65534);
	check_setuid(s.layer[2]);
	check_sparse(s.layer[3]);
	check_opaque(s.layer[4]);
	assert_outside_untouched(&s);
	scratch_free(&s);
}

int main(void)
{
	umask(022);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_owner_encode),
	        cmocka_unit_test(test_whiteout_file),
	        cmocka_unit_test(test_whiteout_dir),
	        cmocka_unit_test(test_opaque),
	        cmocka_unit_test(test_same_layer),
	        cmocka_unit_test(test_aufs_metadata),
	        cmocka_unit_test(test_bad_whiteouts),
	        cmocka_unit_test(test_whiteout_symlink_abs),
	        cmocka_unit_test(test_whiteout_symlink_sibling),
	        cmocka_unit_test(test_whiteout_symlink_up),
	        cmocka_unit_test(test_whiteout_parent_replaced),
	        cmocka_unit_test(test_not_empty),
	        cmocka_unit_test(test_owners),
	        cmocka_unit_test(test_owner_out_of_range),
	        cmocka_unit_test(test_setuid),
	        cmocka_unit_test(test_hardlink),
	        cmocka_unit_test(test_sparse),
	        cmocka_unit_test(test_device),
	        cmocka_unit_test(test_long_names),
	        cmocka_unit_test(test_stream_plain_pipe),
	        cmocka_unit_test(test_stream_gzip),
	        cmocka_unit_test(test_stream_zstd),
	        cmocka_unit_test(test_stream_refused),
	        cmocka_unit_test(test_overlay_lower_dirs),
	        cmocka_unit_test(test_no_user_xattrs),
	        cmocka_unit_test(test_unprivileged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
