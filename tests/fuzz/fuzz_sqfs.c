/* libFuzzer harness for the image file reader: arbitrary bytes as a squashfs image file, opened
 * from memory and walked as the FUSE server and the fallback would (listings, inodes, data,
 * symlinks, xattrs), within limits on depth, entries and bytes; paths resolved and files decoded
 * ahead as the prefetcher would, with the interpreters their first bytes name. Failures must be
 * errnos, never crashes or reads out of bounds. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/imagefile.h"
#include "runtime/prefetch.h"

#define MAX_DEPTH   8
#define MAX_ENTRIES 512

struct walk {
	struct imagefile_cursor *cur;
	unsigned depth, entries;
	char buf[65536];
};

static int count_xattr(void *ctx, const char *name, const void *value, size_t size)
{
	(void)ctx;
	(void)value;
	if (!name[0] && size > 0)
		abort();
	return 0;
}

static int visit(void *ctx, const char *name, uint64_t ref, mode_t type);

static void resolve(struct walk *w, const char *path)
{
	struct imagefile_node n;
	if (imagefile_resolve(w->cur, path, &n) == 0)
		imagefile_node_free(&n);
}

static void visit_node(struct walk *w, struct imagefile_node *n)
{
	imagefile_xattrs(w->cur, n, count_xattr, NULL);
	if (S_ISDIR(n->st.st_mode) && w->depth < MAX_DEPTH) {
		w->depth++;
		imagefile_list(w->cur, n, visit, w);
		w->depth--;
	} else if (S_ISREG(n->st.st_mode)) {
		long got = imagefile_read(w->cur, n, 0, w->buf, sizeof(w->buf));
		if (got > (long)sizeof(w->buf))
			abort();
		char interp[256];
		if (got > 0 && prefetch_interpreter(w->buf, (size_t)got, interp, sizeof(interp)))
			resolve(w, interp);
		for (size_t i = 0; i < imagefile_block_count(n) && i < 4; i++)
			imagefile_prefetch_block(w->cur, n, i);
		imagefile_read(w->cur, n, (uint64_t)n->st.st_size / 2, w->buf, 4096);
	} else if (S_ISLNK(n->st.st_mode)) {
		char *target = NULL;
		if (imagefile_readlink(n, &target) == 0)
			free(target);
	}
}

static int visit(void *ctx, const char *name, uint64_t ref, mode_t type)
{
	struct walk *w = ctx;
	if (++w->entries > MAX_ENTRIES)
		return -E2BIG;
	struct imagefile_node n;
	if (imagefile_node_read(w->cur, ref, &n) == 0) {
		visit_node(w, &n);
		imagefile_node_free(&n);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("image", MFD_CLOEXEC);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	struct imagefile *img = NULL;
	struct error err = {0};
	if (imagefile_open(fd, &img, &err) < 0) {
		if (!err.msg[0])
			abort();
		close(fd);
		return 0;
	}
	static struct walk w;
	w.depth = w.entries = 0;
	w.cur = imagefile_cursor_new(img, &err);
	struct imagefile_node root;
	if (w.cur && imagefile_node_read(w.cur, imagefile_root_ref(img), &root) == 0) {
		visit_node(&w, &root);
		imagefile_node_free(&root);
	}
	if (w.cur) {
		resolve(&w, "/bin/sh");
		resolve(&w, "/a/../b/./c/..");
	}
	size_t len;
	free(imagefile_read_path(img, "/.burrow/config.json", 1 << 16, &len, &err));
	imagefile_cursor_free(w.cur);
	imagefile_close(img);
	close(fd);
	return 0;
}
