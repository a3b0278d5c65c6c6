/* Squashfs image files from a merged tree, with libsquashfs's block processor, directory, inode,
 * id, fragment and xattr writers. The layout follows the format: super block, compressor
 * options, data and fragment blocks, inode table, directory table, fragment, id, xattr tables. */
#include "image/squashfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define BLOCK_SIZE  SQFS_DEFAULT_BLOCK_SIZE
#define DEVBLK_SIZE 4096
#define READ_CHUNK  (1 << 20)
#define NO_XATTRS   0xFFFFFFFFu

int squashfs_compressor_parse(const char *name, int *id, struct error *err)
{
	static const struct {
		const char *name;
		int id;
	} known[] = {{"zstd", SQFS_COMP_ZSTD},
	             {"gzip", SQFS_COMP_GZIP},
	             {"lz4", SQFS_COMP_LZ4},
	             {"xz", SQFS_COMP_XZ}};
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (strcmp(name, known[i].name) == 0) {
			*id = known[i].id;
			return 0;
		}
	return error_set(err, EINVAL, "unknown compression '%s' (zstd, gzip, lz4 or xz)", name);
}

static const char *sqfs_message(int code)
{
	switch (code) {
	case SQFS_ERROR_ALLOC:
		return "out of memory";
	case SQFS_ERROR_IO:
		return "input/output error";
	case SQFS_ERROR_COMPRESSOR:
		return "compressor failure";
	case SQFS_ERROR_UNSUPPORTED:
		return "unsupported by libsquashfs";
	case SQFS_ERROR_OVERFLOW:
		return "too large for squashfs";
	case SQFS_ERROR_OUT_OF_BOUNDS:
		return "out of bounds";
	default:
		return "libsquashfs internal error";
	}
}

static int sqfs_fail(struct error *err, int code, const char *what)
{
	return error_set(err, code == SQFS_ERROR_ALLOC ? ENOMEM : EIO, "%s: %s", what, sqfs_message(code));
}

/* sqfs_file_t over an fd the caller owns: libsquashfs's own would open by path. */
struct fd_file {
	sqfs_file_t base;
	int fd;
	uint64_t size;
	int saved_errno;
};

static void fd_file_destroy(sqfs_object_t *obj)
{
	free(obj);
}

static int fd_file_read_at(sqfs_file_t *f, sqfs_u64 offset, void *buf, size_t size)
{
	struct fd_file *file = (struct fd_file *)f;
	if (fs_pread_all(file->fd, buf, size, offset) < 0) {
		file->saved_errno = errno;
		return SQFS_ERROR_IO;
	}
	return 0;
}

static int fd_file_write_at(sqfs_file_t *f, sqfs_u64 offset, const void *buf, size_t size)
{
	struct fd_file *file = (struct fd_file *)f;
	uint64_t end = offset + size;
	while (size > 0) {
		ssize_t n = pwrite(file->fd, buf, size, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			file->saved_errno = n < 0 ? errno : EIO;
			return SQFS_ERROR_IO;
		}
		buf = (const char *)buf + n;
		size -= (size_t)n;
		offset += (uint64_t)n;
	}
	if (end > file->size)
		file->size = end;
	return 0;
}

static sqfs_u64 fd_file_get_size(const sqfs_file_t *f)
{
	return ((const struct fd_file *)f)->size;
}

static int fd_file_truncate(sqfs_file_t *f, sqfs_u64 size)
{
	struct fd_file *file = (struct fd_file *)f;
	if (ftruncate(file->fd, (off_t)size) < 0) {
		file->saved_errno = errno;
		return SQFS_ERROR_IO;
	}
	file->size = size;
	return 0;
}

/* Everything a write holds, released by writer_release. */
struct writer {
	struct flat_tree *t;
	const struct squashfs_options *o;
	struct fd_file *file;
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_block_writer_t *blocks;
	sqfs_frag_table_t *frags;
	sqfs_block_processor_t *proc;
	bool proc_finished;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xattrs;
	sqfs_meta_writer_t *inodes, *dirs;
	sqfs_dir_writer_t *dir_writer;
	uint32_t inode_count;
	uint8_t *buf;
};

static void free_inodes(struct flat_node *n)
{
	free(n->inode);
	n->inode = NULL;
	for (size_t i = 0; i < n->nchildren; i++)
		free_inodes(n->children[i]);
}

static void writer_release(struct writer *w)
{
	/* The processor first: its threads may still write to the others. One stopped by an error
	 * is drained first: libsquashfs 1.2's destroy does not free the blocks still queued. */
	if (w->proc && !w->proc_finished)
		sqfs_block_processor_finish(w->proc);
	sqfs_destroy(w->proc);
	sqfs_destroy(w->dir_writer);
	sqfs_destroy(w->dirs);
	sqfs_destroy(w->inodes);
	sqfs_destroy(w->xattrs);
	sqfs_destroy(w->ids);
	sqfs_destroy(w->frags);
	sqfs_destroy(w->blocks);
	sqfs_destroy(w->cmp);
	sqfs_destroy(w->file);
	free(w->buf);
	if (w->t && w->t->root)
		free_inodes(w->t->root);
}

/* An sqfs error from the output file: its errno, else libsquashfs's code. */
static int write_fail(struct writer *w, int code, const char *what, struct error *err)
{
	if (code == SQFS_ERROR_IO && w->file && w->file->saved_errno) {
		errno = w->file->saved_errno;
		return error_errno(err, "%s", what);
	}
	return sqfs_fail(err, code, what);
}

static bool is_written(const struct flat_node *n)
{
	return !n->whiteout;
}

/* Data blocks of every regular file, in tree order; the processor makes its inode. */
static int write_file_data(struct writer *w, struct flat_node *n, struct error *err)
{
	int rc = sqfs_block_processor_begin_file(w->proc, (sqfs_inode_generic_t **)&n->inode, NULL, 0);
	if (rc)
		return write_fail(w, rc, "begin a file", err);
	if (n->data) {
		if (n->size > 0 && (rc = sqfs_block_processor_append(w->proc, n->data, n->size)))
			return write_fail(w, rc, "write file data", err);
	} else if (flatten_from_image(w->t, n)) {
		for (uint64_t off = 0; off < n->size;) {
			long got = flatten_image_read(w->t, n, off, w->buf, READ_CHUNK);
			if (got <= 0)
				return error_set(err, got < 0 ? (int)-got : EIO, "read %s: %s", n->name,
				                 strerror(got < 0 ? (int)-got : EIO));
			if ((rc = sqfs_block_processor_append(w->proc, w->buf, (size_t)got)))
				return write_fail(w, rc, "write file data", err);
			off += (uint64_t)got;
		}
	} else {
		cleanup_close int fd = flatten_open_file(w->t, n, err);
		if (fd < 0)
			return -1;
		for (;;) {
			ssize_t got = read(fd, w->buf, READ_CHUNK);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return error_errno(err, "read %s", n->name);
			if (got == 0)
				break;
			if ((rc = sqfs_block_processor_append(w->proc, w->buf, (size_t)got)))
				return write_fail(w, rc, "write file data", err);
		}
	}
	if ((rc = sqfs_block_processor_end_file(w->proc)))
		return write_fail(w, rc, "end a file", err);
	return 0;
}

static int write_data(struct writer *w, struct flat_node *dir, struct error *err)
{
	for (size_t i = 0; i < dir->nchildren; i++) {
		struct flat_node *n = dir->children[i];
		if (!is_written(n))
			continue;
		int rc = 0;
		if (S_ISDIR(n->mode))
			rc = write_data(w, n, err);
		else if (S_ISREG(n->mode) && !n->link_to)
			rc = write_file_data(w, n, err);
		if (rc < 0) {
			error_prefix(err, "%s", n->name);
			return -1;
		}
	}
	return 0;
}

/* Inode numbers: children before their directory, the root last; hard links share one. */
static void number_inodes(struct writer *w, struct flat_node *dir)
{
	for (size_t i = 0; i < dir->nchildren; i++) {
		struct flat_node *n = dir->children[i];
		if (!is_written(n) || n->link_to)
			continue;
		if (S_ISDIR(n->mode))
			number_inodes(w, n);
		else
			n->inode_number = ++w->inode_count;
	}
	dir->inode_number = ++w->inode_count;
}

static uint32_t node_mtime(const struct writer *w, const struct flat_node *n)
{
	int64_t t = n->mtime;
	if (w->o->clamp_mtime >= 0 && t > w->o->clamp_mtime)
		t = w->o->clamp_mtime;
	if (t < 0)
		return 0;
	return t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static int xattr_index(struct writer *w, const struct flat_node *n, uint32_t *idx, struct error *err)
{
	*idx = NO_XATTRS;
	if (n->nxattrs == 0)
		return 0;
	int rc = sqfs_xattr_writer_begin(w->xattrs, 0);
	for (size_t i = 0; i < n->nxattrs && rc == 0; i++) {
		rc = sqfs_xattr_writer_add(w->xattrs, n->xattrs[i].key, n->xattrs[i].value, n->xattrs[i].len);
		/* A name squashfs cannot store (only user., trusted. and security. exist in it). */
		if (rc == SQFS_ERROR_UNSUPPORTED)
			rc = 0;
	}
	if (rc == 0)
		rc = sqfs_xattr_writer_end(w->xattrs, idx);
	return rc ? sqfs_fail(err, rc, "extended attributes") : 0;
}

static int serialize(struct writer *w, struct flat_node *n, uint32_t parent_number, struct error *err);

static int serialize_dir(struct writer *w, struct flat_node *dir, uint32_t parent_number,
                         sqfs_inode_generic_t **out, struct error *err)
{
	uint32_t subdirs = 0;
	for (size_t i = 0; i < dir->nchildren; i++) {
		struct flat_node *n = dir->children[i];
		if (!is_written(n))
			continue;
		if (serialize(w, n->link_to ? n->link_to : n, dir->inode_number, err) < 0) {
			error_prefix(err, "%s", n->name);
			return -1;
		}
		subdirs += S_ISDIR(n->mode) ? 1 : 0;
	}
	/* The directory's listing goes after its children's inodes, which it points to. */
	int rc = sqfs_dir_writer_begin(w->dir_writer, 0);
	for (size_t i = 0; i < dir->nchildren && rc == 0; i++) {
		struct flat_node *n = dir->children[i];
		if (!is_written(n))
			continue;
		const struct flat_node *target = n->link_to ? n->link_to : n;
		rc = sqfs_dir_writer_add_entry(w->dir_writer, n->name, target->inode_number,
		                               target->inode_ref, (sqfs_u16)target->mode);
	}
	if (rc == 0)
		rc = sqfs_dir_writer_end(w->dir_writer);
	if (rc)
		return write_fail(w, rc, "directory listing", err);
	uint32_t xattr;
	if (xattr_index(w, dir, &xattr, err) < 0)
		return -1;
	sqfs_inode_generic_t *inode = sqfs_dir_writer_create_inode(w->dir_writer, 0, xattr, parent_number);
	if (!inode)
		return error_set(err, ENOMEM, "out of memory");
	if (inode->base.type == SQFS_INODE_DIR)
		inode->data.dir.nlink = 2 + subdirs;
	else
		inode->data.dir_ext.nlink = 2 + subdirs;
	*out = inode;
	return 0;
}

static sqfs_inode_generic_t *other_inode(const struct flat_node *n)
{
	size_t extra = S_ISLNK(n->mode) && n->link_target ? strlen(n->link_target) : 0;
	sqfs_inode_generic_t *inode = calloc(1, sizeof(*inode) + extra);
	if (!inode)
		return NULL;
	switch (n->mode & S_IFMT) {
	case S_IFLNK:
		inode->base.type = SQFS_INODE_SLINK;
		inode->data.slink.nlink = n->nlink;
		inode->data.slink.target_size = (sqfs_u32)extra;
		if (extra)
			memcpy(inode->extra, n->link_target, extra);
		inode->payload_bytes_available = inode->payload_bytes_used = (sqfs_u32)extra;
		break;
	case S_IFIFO:
		inode->base.type = SQFS_INODE_FIFO;
		inode->data.ipc.nlink = n->nlink;
		break;
	case S_IFSOCK:
		inode->base.type = SQFS_INODE_SOCKET;
		inode->data.ipc.nlink = n->nlink;
		break;
	default: /* devices never reach a layer dir (unpack skips them) */
		free(inode);
		errno = EINVAL;
		return NULL;
	}
	return inode;
}

static int serialize(struct writer *w, struct flat_node *n, uint32_t parent_number, struct error *err)
{
	if (n->written)
		return 0;
	sqfs_inode_generic_t *inode = NULL;
	if (S_ISDIR(n->mode)) {
		if (serialize_dir(w, n, parent_number, &inode, err) < 0)
			return -1;
	} else if (S_ISREG(n->mode)) {
		inode = n->inode;
		n->inode = NULL;
		if (!inode)
			return error_set(err, EIO, "no data written");
		if (n->nlink > 1) {
			sqfs_inode_make_extended(inode);
			inode->data.file_ext.nlink = n->nlink;
		}
	} else if (!(inode = other_inode(n))) {
		return errno == EINVAL ? error_set(err, EINVAL, "unsupported file type %o", n->mode & S_IFMT)
		                       : error_set(err, ENOMEM, "out of memory");
	}
	uint32_t xattr = NO_XATTRS;
	int rc = 0;
	if (!S_ISDIR(n->mode) && xattr_index(w, n, &xattr, err) < 0)
		rc = -1;
	if (rc == 0 && !S_ISDIR(n->mode) && sqfs_inode_set_xattr_index(inode, xattr))
		rc = error_set(err, EIO, "set xattr index");
	inode->base.mode = (sqfs_u16)n->mode;
	inode->base.mod_time = node_mtime(w, n);
	inode->base.inode_number = n->inode_number;
	int code = 0;
	if (rc == 0 && ((code = sqfs_id_table_id_to_index(w->ids, n->uid, &inode->base.uid_idx)) ||
	                (code = sqfs_id_table_id_to_index(w->ids, n->gid, &inode->base.gid_idx))))
		rc = sqfs_fail(err, code, "owner ids");
	if (rc == 0) {
		sqfs_u64 block;
		sqfs_u32 offset;
		sqfs_meta_writer_get_position(w->inodes, &block, &offset);
		n->inode_ref = (block << 16) | offset;
		if ((code = sqfs_meta_writer_write_inode(w->inodes, inode)))
			rc = write_fail(w, code, "write inode", err);
	}
	free(inode);
	n->written = rc == 0;
	return rc;
}

static int pad_to_device_block(struct writer *w, struct error *err)
{
	uint64_t size = w->file->size;
	size_t pad = size % DEVBLK_SIZE ? DEVBLK_SIZE - size % DEVBLK_SIZE : 0;
	if (pad == 0)
		return 0;
	uint8_t zeros[DEVBLK_SIZE] = {0};
	int rc = w->file->base.write_at(&w->file->base, size, zeros, pad);
	return rc ? write_fail(w, rc, "pad the image", err) : 0;
}

static int write_all(struct writer *w, int fd, struct error *err)
{
	const struct squashfs_options *o = w->o;
	if (!(w->file = calloc(1, sizeof(*w->file))) || !(w->buf = malloc(READ_CHUNK)))
		return error_set(err, ENOMEM, "out of memory");
	w->file->base.base.destroy = fd_file_destroy;
	w->file->base.read_at = fd_file_read_at;
	w->file->base.write_at = fd_file_write_at;
	w->file->base.get_size = fd_file_get_size;
	w->file->base.truncate = fd_file_truncate;
	w->file->fd = fd;
	sqfs_file_t *file = &w->file->base;

	sqfs_compressor_config_t cfg;
	int rc = sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)o->compressor, BLOCK_SIZE, 0);
	if (rc == 0)
		rc = sqfs_compressor_create(&cfg, &w->cmp);
	if (rc)
		return sqfs_fail(err, rc, "compressor");
	if ((rc = sqfs_super_init(&w->super, BLOCK_SIZE, o->mtime, (SQFS_COMPRESSOR)o->compressor)))
		return sqfs_fail(err, rc, "super block");
	/* A first super block reserves its place; the final one is written last. */
	if ((rc = sqfs_super_write(&w->super, file)))
		return write_fail(w, rc, "write the super block", err);
	rc = w->cmp->write_options(w->cmp, file);
	if (rc < 0)
		return write_fail(w, rc, "write compressor options", err);
	if (rc > 0)
		w->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

	w->blocks = sqfs_block_writer_create(file, DEVBLK_SIZE, 0);
	w->frags = sqfs_frag_table_create(0);
	w->ids = sqfs_id_table_create(0);
	w->xattrs = sqfs_xattr_writer_create(0);
	if (!w->blocks || !w->frags || !w->ids || !w->xattrs)
		return error_set(err, ENOMEM, "out of memory");
	unsigned workers = o->workers ? o->workers : 1;
	w->proc = sqfs_block_processor_create(BLOCK_SIZE, w->cmp, workers, (size_t)workers * 8, w->blocks,
	                                      w->frags);
	if (!w->proc)
		return error_set(err, ENOMEM, "cannot start %u compression threads", workers);

	if (write_data(w, w->t->root, err) < 0)
		return -1;
	rc = sqfs_block_processor_finish(w->proc);
	w->proc_finished = true;
	if (rc)
		return write_fail(w, rc, "write data blocks", err);

	number_inodes(w, w->t->root);
	w->inodes = sqfs_meta_writer_create(file, w->cmp, 0);
	w->dirs = sqfs_meta_writer_create(file, w->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	if (!w->inodes || !w->dirs || !(w->dir_writer = sqfs_dir_writer_create(w->dirs, 0)))
		return error_set(err, ENOMEM, "out of memory");
	w->super.inode_table_start = w->file->size;
	/* mksquashfs's convention: the root's parent is one past the last inode. */
	if (serialize(w, w->t->root, w->inode_count + 1, err) < 0)
		return -1;
	if ((rc = sqfs_meta_writer_flush(w->inodes)) || (rc = sqfs_meta_writer_flush(w->dirs)))
		return write_fail(w, rc, "write inodes", err);
	w->super.root_inode_ref = w->t->root->inode_ref;
	w->super.directory_table_start = w->file->size;
	if ((rc = sqfs_meta_write_write_to_file(w->dirs)))
		return write_fail(w, rc, "write directories", err);
	if ((rc = sqfs_frag_table_write(w->frags, file, &w->super, w->cmp)))
		return write_fail(w, rc, "write the fragment table", err);
	if ((rc = sqfs_id_table_write(w->ids, file, &w->super, w->cmp)))
		return write_fail(w, rc, "write the id table", err);
	if ((rc = sqfs_xattr_writer_flush(w->xattrs, file, &w->super, w->cmp)))
		return write_fail(w, rc, "write extended attributes", err);
	w->super.inode_count = w->inode_count;
	w->super.bytes_used = w->file->size;
	if ((rc = sqfs_super_write(&w->super, file)))
		return write_fail(w, rc, "write the super block", err);
	return pad_to_device_block(w, err);
}

int squashfs_write(struct flat_tree *t, int fd, const struct squashfs_options *o, struct error *err)
{
	struct writer w = {.t = t, .o = o};
	int rc = write_all(&w, fd, err);
	writer_release(&w);
	return rc;
}
