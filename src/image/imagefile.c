/* Reading a squashfs image file in place with libsquashfs's readers. Shared state is read once
 * at open and never written after; everything with a cache or a position lives in a cursor, so
 * threads each holding one read in parallel without a lock (pread on one fd). */
#include "image/imagefile.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/compressor.h>
#include <sqfs/dir.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_reader.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>
#include <zstd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define NO_XATTRS 0xFFFFFFFFu
#define NO_TABLE  0xFFFFFFFFFFFFFFFFull

/* sqfs_file_t over the caller's fd, read-only and stateless: pread only, shared by cursors. */
struct ro_file {
	sqfs_file_t base;
	int fd;
	uint64_t size;
};

/* Decoded data blocks shared by all cursors: a read that straddles two blocks, the kernel's
 * next read landing on another thread, a fragment block holding many small files, or a block
 * decoded ahead (imagefile_prefetch), decode a block once. Any slot may hold any block (the
 * least recently used one gives way), found under one index lock held only for a scan; a slot
 * is filled and copied out under its own lock, so a second reader of the same block waits for
 * the first instead of decoding it too. Buffers are allocated on first use: a start that reads
 * little pays for little. */
#define CACHE_SLOTS 64
#define CACHE_BYTES (8u << 20) /* at most this much decoded data: fewer slots for big blocks */

struct cache_slot {
	pthread_mutex_t fill;
	uint64_t where; /* the block's offset in the file + 1; 0: empty. Set under both locks */
	uint64_t used;  /* when last looked up (the index's clock), under the index lock */
	bool valid;     /* data holds the decoded block, under fill */
	uint32_t len;
	uint8_t *data;
};

struct imagefile {
	struct ro_file file;
	sqfs_super_t super;
	sqfs_id_table_t *ids;
	sqfs_frag_table_t *frags;
	uint64_t dir_table_end;
	bool cache_ready;
	pthread_mutex_t cache_index;
	uint64_t cache_clock;
	size_t cache_slots; /* in use: CACHE_SLOTS, fewer for big blocks */
	struct cache_slot cache[CACHE_SLOTS];
};

struct imagefile_cursor {
	struct imagefile *img;
	sqfs_compressor_t *cmp;
	sqfs_meta_reader_t *inodes, *dirs;
	sqfs_xattr_reader_t *xattrs;
	bool xattrs_loaded;
	uint8_t *packed; /* a compressed data block as read from the file, allocated on first use */
	uint8_t *ahead;  /* a block decoded ahead, on its way into the cache */
};

static void ro_file_destroy(sqfs_object_t *obj)
{
	(void)obj; /* embedded in struct imagefile */
}

static int ro_file_read_at(sqfs_file_t *f, sqfs_u64 offset, void *buf, size_t size)
{
	const struct ro_file *file = (const struct ro_file *)f;
	/* A crafted table offset must not read past the file (or wrap around). */
	if (offset > file->size || size > file->size - offset)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	return fs_pread_all(file->fd, buf, size, offset) < 0 ? SQFS_ERROR_IO : 0;
}

static int ro_file_write_at(sqfs_file_t *f, sqfs_u64 offset, const void *buf, size_t size)
{
	return SQFS_ERROR_UNSUPPORTED;
}

static sqfs_u64 ro_file_get_size(const sqfs_file_t *f)
{
	return ((const struct ro_file *)f)->size;
}

static int ro_file_truncate(sqfs_file_t *f, sqfs_u64 size)
{
	return SQFS_ERROR_UNSUPPORTED;
}

static int sqfs_errno(int code)
{
	return code == SQFS_ERROR_ALLOC ? -ENOMEM : -EIO;
}

/* The end of the directory table: the next table that exists. */
static uint64_t dir_table_end(const sqfs_super_t *s)
{
	uint64_t end = s->bytes_used;
	const uint64_t next[] = {s->fragment_table_start, s->export_table_start, s->id_table_start,
	                         s->xattr_id_table_start};
	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++)
		if (next[i] != NO_TABLE && next[i] > s->directory_table_start && next[i] < end)
			end = next[i];
	return end;
}

/* Whether a table of count entries of entry_size bytes, whose list of metadata block locations
 * (8 bytes per 8 KiB block of entries) starts at list_start, can be there at all: libsquashfs
 * allocates count * entry_size before reading, so a hostile count must not reach it. Each
 * entry also stands for at least one inode and one byte of the file. */
static bool table_fits(const sqfs_super_t *s, uint64_t count, uint64_t entry_size, uint64_t list_start)
{
	uint64_t blocks = (count * entry_size + SQFS_META_BLOCK_SIZE - 1) / SQFS_META_BLOCK_SIZE;
	return count <= s->inode_count && count <= s->bytes_used && list_start <= s->bytes_used &&
	       blocks <= (s->bytes_used - list_start) / sizeof(uint64_t);
}

/* A decompressor for one thread. libsquashfs's zstd one calls ZSTD_decompress, which makes and
 * frees a decoder context (some 100 KiB, cleared) for every block; this one keeps its context
 * and hands the other codecs to libsquashfs. Used wherever libsquashfs takes a compressor. */
struct decoder {
	sqfs_compressor_t base;
	sqfs_compressor_config_t cfg;
	sqfs_compressor_t *inner; /* NULL for zstd: libsquashfs's would make an encoder too */
	ZSTD_DCtx *zstd;
};

static sqfs_s32 decoder_do_block(sqfs_compressor_t *cmp, const sqfs_u8 *in, sqfs_u32 size, sqfs_u8 *out,
                                 sqfs_u32 outsize)
{
	struct decoder *d = (struct decoder *)cmp;
	if (!d->zstd)
		return d->inner->do_block(d->inner, in, size, out, outsize);
	if (outsize >= 0x7FFFFFFF)
		return SQFS_ERROR_ARG_INVALID;
	size_t n = ZSTD_decompressDCtx(d->zstd, out, outsize, in, size);
	return ZSTD_isError(n) ? SQFS_ERROR_COMPRESSOR : (sqfs_s32)n;
}

static void decoder_get_configuration(const sqfs_compressor_t *cmp, sqfs_compressor_config_t *cfg)
{
	*cfg = ((const struct decoder *)cmp)->cfg;
}

static int decoder_no_options(sqfs_compressor_t *cmp, sqfs_file_t *file)
{
	return SQFS_ERROR_UNSUPPORTED;
}

static void decoder_destroy(sqfs_object_t *obj)
{
	struct decoder *d = (struct decoder *)obj;
	sqfs_destroy(d->inner);
	ZSTD_freeDCtx(d->zstd);
	free(d);
}

static sqfs_compressor_t *new_compressor(const sqfs_super_t *s)
{
	struct decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->base.base.destroy = decoder_destroy;
	d->base.get_configuration = decoder_get_configuration;
	d->base.write_options = decoder_no_options;
	d->base.read_options = decoder_no_options;
	d->base.do_block = decoder_do_block;
	bool zstd = s->compression_id == SQFS_COMP_ZSTD;
	if (sqfs_compressor_config_init(&d->cfg, (SQFS_COMPRESSOR)s->compression_id, s->block_size,
	                                SQFS_COMP_FLAG_UNCOMPRESS) != 0 ||
	    (zstd ? !(d->zstd = ZSTD_createDCtx()) : sqfs_compressor_create(&d->cfg, &d->inner) != 0)) {
		decoder_destroy(&d->base.base);
		return NULL;
	}
	return &d->base;
}

int imagefile_open(int fd, struct imagefile **out, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_errno(err, "stat");
	if (!S_ISREG(st.st_mode))
		return error_set(err, EINVAL, "not a regular file");
	struct imagefile *img = calloc(1, sizeof(*img));
	if (!img)
		return error_set(err, ENOMEM, "out of memory");
	img->file = (struct ro_file){.fd = fd, .size = (uint64_t)st.st_size};
	img->file.base.base.destroy = ro_file_destroy;
	img->file.base.read_at = ro_file_read_at;
	img->file.base.write_at = ro_file_write_at;
	img->file.base.get_size = ro_file_get_size;
	img->file.base.truncate = ro_file_truncate;
	sqfs_super_t *s = &img->super;
	sqfs_compressor_t *cmp = NULL;
	int rc = sqfs_super_read(s, &img->file.base);
	if (rc != 0 || s->bytes_used > img->file.size || s->inode_table_start >= s->directory_table_start ||
	    s->directory_table_start >= s->bytes_used) {
		rc = error_set(err, EINVAL, "not a squashfs image file, or a truncated one");
		goto out;
	}
	if (!(cmp = new_compressor(s))) {
		rc = error_set(err, EINVAL, "unsupported compression (id %u)", s->compression_id);
		goto out;
	}
	img->dir_table_end = dir_table_end(s);
	if (!(img->ids = sqfs_id_table_create(0)) ||
	    sqfs_id_table_read(img->ids, &img->file.base, s, cmp) != 0) {
		rc = error_set(err, EINVAL, "damaged image file: unreadable id table");
		goto out;
	}
	if (!(img->frags = sqfs_frag_table_create(0))) {
		rc = error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (!(s->flags & SQFS_FLAG_NO_FRAGMENTS) && s->fragment_table_start != NO_TABLE &&
	    (!table_fits(s, s->fragment_entry_count, sizeof(sqfs_fragment_t), s->fragment_table_start) ||
	     sqfs_frag_table_read(img->frags, &img->file.base, s, cmp) != 0)) {
		rc = error_set(err, EINVAL, "damaged image file: unreadable fragment table");
		goto out;
	}
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		pthread_mutex_init(&img->cache[i].fill, NULL);
	pthread_mutex_init(&img->cache_index, NULL);
	img->cache_slots = CACHE_SLOTS;
	while (img->cache_slots > 4 && img->cache_slots * s->block_size > CACHE_BYTES)
		img->cache_slots /= 2;
	img->cache_ready = true;
	rc = 0;
out:
	sqfs_destroy(cmp);
	if (rc < 0)
		imagefile_close(img);
	else
		*out = img;
	return rc;
}

void imagefile_close(struct imagefile *img)
{
	if (!img)
		return;
	sqfs_destroy(img->ids);
	sqfs_destroy(img->frags);
	for (size_t i = 0; img->cache_ready && i < CACHE_SLOTS; i++) {
		pthread_mutex_destroy(&img->cache[i].fill);
		free(img->cache[i].data);
	}
	if (img->cache_ready)
		pthread_mutex_destroy(&img->cache_index);
	free(img);
}

uint64_t imagefile_root_ref(const struct imagefile *img)
{
	return img->super.root_inode_ref;
}

bool imagefile_has_xattrs(const struct imagefile *img)
{
	return !(img->super.flags & SQFS_FLAG_NO_XATTRS) && img->super.xattr_id_table_start != NO_TABLE;
}

void imagefile_stats(const struct imagefile *img, uint64_t *bytes, uint32_t *block_size, uint32_t *inodes)
{
	*bytes = img->super.bytes_used;
	*block_size = img->super.block_size;
	*inodes = img->super.inode_count;
}

struct imagefile_cursor *imagefile_cursor_new(struct imagefile *img, struct error *err)
{
	struct imagefile_cursor *cur = calloc(1, sizeof(*cur));
	if (!cur) {
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	const sqfs_super_t *s = &img->super;
	sqfs_file_t *f = &img->file.base;
	cur->img = img;
	if (!(cur->cmp = new_compressor(s)) ||
	    !(cur->inodes =
	              sqfs_meta_reader_create(f, cur->cmp, s->inode_table_start, s->directory_table_start)) ||
	    !(cur->dirs =
	              sqfs_meta_reader_create(f, cur->cmp, s->directory_table_start, img->dir_table_end)) ||
	    !(cur->xattrs = sqfs_xattr_reader_create(0))) {
		imagefile_cursor_free(cur);
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	return cur;
}

void imagefile_cursor_free(struct imagefile_cursor *cur)
{
	if (!cur)
		return;
	sqfs_destroy(cur->xattrs);
	free(cur->packed);
	free(cur->ahead);
	sqfs_destroy(cur->dirs);
	sqfs_destroy(cur->inodes);
	sqfs_destroy(cur->cmp);
	free(cur);
}

static mode_t type_bits(int type)
{
	switch (type) {
	case SQFS_INODE_DIR:
	case SQFS_INODE_EXT_DIR:
		return S_IFDIR;
	case SQFS_INODE_FILE:
	case SQFS_INODE_EXT_FILE:
		return S_IFREG;
	case SQFS_INODE_SLINK:
	case SQFS_INODE_EXT_SLINK:
		return S_IFLNK;
	case SQFS_INODE_BDEV:
	case SQFS_INODE_EXT_BDEV:
		return S_IFBLK;
	case SQFS_INODE_CDEV:
	case SQFS_INODE_EXT_CDEV:
		return S_IFCHR;
	case SQFS_INODE_FIFO:
	case SQFS_INODE_EXT_FIFO:
		return S_IFIFO;
	case SQFS_INODE_SOCKET:
	case SQFS_INODE_EXT_SOCKET:
		return S_IFSOCK;
	default:
		return 0;
	}
}

/* The kernel's new_decode_dev: squashfs stores device numbers in Linux's 32-bit encoding. */
static dev_t decode_dev(uint32_t devno)
{
	return makedev((devno & 0xfff00) >> 8, (devno & 0xff) | ((devno >> 12) & 0xfff00));
}

static int fill_stat(const struct imagefile *img, const sqfs_inode_generic_t *in, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	mode_t type = type_bits(in->base.type);
	sqfs_u32 uid, gid;
	if (!type || sqfs_id_table_index_to_id(img->ids, in->base.uid_idx, &uid) != 0 ||
	    sqfs_id_table_index_to_id(img->ids, in->base.gid_idx, &gid) != 0)
		return -EIO;
	st->st_mode = type | (in->base.mode & 07777);
	st->st_uid = uid;
	st->st_gid = gid;
	st->st_ino = in->base.inode_number;
	st->st_mtime = st->st_ctime = st->st_atime = in->base.mod_time;
	st->st_nlink = 1;
	st->st_blksize = img->super.block_size;
	switch (in->base.type) {
	case SQFS_INODE_DIR:
		st->st_nlink = in->data.dir.nlink;
		st->st_size = in->data.dir.size;
		break;
	case SQFS_INODE_EXT_DIR:
		st->st_nlink = in->data.dir_ext.nlink;
		st->st_size = in->data.dir_ext.size;
		break;
	case SQFS_INODE_FILE:
		st->st_size = in->data.file.file_size;
		break;
	case SQFS_INODE_EXT_FILE:
		st->st_nlink = in->data.file_ext.nlink;
		st->st_size = (off_t)in->data.file_ext.file_size;
		break;
	case SQFS_INODE_SLINK:
	case SQFS_INODE_EXT_SLINK:
		st->st_nlink = in->data.slink.nlink;
		st->st_size = in->data.slink.target_size;
		break;
	case SQFS_INODE_BDEV:
	case SQFS_INODE_CDEV:
		st->st_nlink = in->data.dev.nlink;
		st->st_rdev = decode_dev(in->data.dev.devno);
		break;
	case SQFS_INODE_EXT_BDEV:
	case SQFS_INODE_EXT_CDEV:
		st->st_nlink = in->data.dev_ext.nlink;
		st->st_rdev = decode_dev(in->data.dev_ext.devno);
		break;
	default:
		st->st_nlink = in->data.ipc.nlink;
		break;
	}
	if (st->st_size < 0)
		return -EIO;
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

int imagefile_node_read(struct imagefile_cursor *cur, uint64_t ref, struct imagefile_node *node)
{
	sqfs_inode_generic_t *in = NULL;
	const sqfs_super_t *s = &cur->img->super;
	memset(node, 0, sizeof(*node));
	/* The block is relative to the inode table (the reader adds its start). */
	int rc = sqfs_meta_reader_read_inode(cur->inodes, s, ref >> 16, ref & 0xffff, &in);
	if (rc != 0)
		return sqfs_errno(rc);
	rc = fill_stat(cur->img, in, &node->st);
	if (rc < 0) {
		sqfs_free(in);
		return rc;
	}
	node->ref = ref;
	node->inode = in;
	return 0;
}

void imagefile_node_free(struct imagefile_node *node)
{
	sqfs_free(node->inode);
	node->inode = NULL;
}

int imagefile_list(struct imagefile_cursor *cur, const struct imagefile_node *dir, imagefile_entry_fn fn,
                   void *ctx)
{
	if (!S_ISDIR(dir->st.st_mode))
		return -ENOTDIR;
	sqfs_readdir_state_t state;
	if (sqfs_readdir_state_init(&state, &cur->img->super, dir->inode) != 0)
		return -EIO;
	for (;;) {
		sqfs_dir_entry_t *ent = NULL;
		sqfs_u64 ref;
		int rc = sqfs_meta_reader_readdir(cur->dirs, &state, &ent, NULL, &ref);
		if (rc > 0)
			return 0;
		if (rc < 0)
			return sqfs_errno(rc);
		char name[NAME_MAX + 2];
		size_t len = (size_t)ent->size + 1;
		mode_t type = type_bits(ent->type);
		/* Entry names are single components: anything else is a crafted image. */
		if (len > NAME_MAX || !type) {
			sqfs_free(ent);
			return -EIO;
		}
		memcpy(name, ent->name, len);
		name[len] = '\0';
		sqfs_free(ent);
		if (strlen(name) != len || strchr(name, '/') || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0)
			return -EIO;
		rc = fn(ctx, name, ref, type);
		if (rc != 0)
			return rc;
	}
}

struct find_ctx {
	const char *name;
	uint64_t ref;
	bool found;
};

static int find_entry(void *ctx, const char *name, uint64_t ref, mode_t type)
{
	struct find_ctx *f = ctx;
	if (strcmp(name, f->name) != 0)
		return 0;
	f->ref = ref;
	f->found = true;
	return 1;
}

int imagefile_lookup(struct imagefile_cursor *cur, const struct imagefile_node *dir, const char *name,
                     struct imagefile_node *out)
{
	struct find_ctx f = {.name = name};
	int rc = imagefile_list(cur, dir, find_entry, &f);
	if (rc < 0)
		return rc;
	if (!f.found)
		return -ENOENT;
	return imagefile_node_read(cur, f.ref, out);
}

/* The slot holding the block at where, its fill lock taken; NULL when none does and wait is
 * false (the slot is busy). A block in no slot gets the least recently used slot that is not
 * being filled or read, marked not valid: the caller fills it. */
static struct cache_slot *cache_slot_take(struct imagefile *img, uint64_t where, bool wait)
{
	for (;;) {
		pthread_mutex_lock(&img->cache_index);
		struct cache_slot *hit = NULL, *victim = NULL;
		for (size_t i = 0; i < img->cache_slots && !hit; i++) {
			struct cache_slot *slot = &img->cache[i];
			if (slot->where == where + 1)
				hit = slot;
			else if ((!victim || slot->used < victim->used) &&
			         pthread_mutex_trylock(&slot->fill) == 0) {
				if (victim)
					pthread_mutex_unlock(&victim->fill);
				victim = slot;
			}
		}
		struct cache_slot *busy = hit ? hit : victim ? NULL : &img->cache[0];
		if (hit) {
			hit->used = ++img->cache_clock;
			if (victim)
				pthread_mutex_unlock(&victim->fill);
		} else if (victim) {
			victim->where = where + 1;
			victim->used = ++img->cache_clock;
			victim->valid = false;
		}
		pthread_mutex_unlock(&img->cache_index);
		if (victim && !hit)
			return victim;
		if (!wait)
			return NULL;
		/* Every slot busy (more threads than slots), or the block's own being filled. */
		pthread_mutex_lock(&busy->fill);
		if (hit && hit->where == where + 1)
			return hit;
		pthread_mutex_unlock(&busy->fill);
	}
}

/* Decode the block at where (disk bytes in the file) into out, a block's worth; its length. */
static int block_decode(struct imagefile_cursor *cur, uint64_t where, uint32_t disk, uint8_t *out)
{
	uint32_t bs = cur->img->super.block_size;
	if (!cur->packed && !(cur->packed = malloc(bs)))
		return -ENOMEM;
	if (ro_file_read_at(&cur->img->file.base, where, cur->packed, disk) != 0)
		return -EIO;
	sqfs_s32 n = cur->cmp->do_block(cur->cmp, cur->packed, disk, out, bs);
	return n > 0 ? (int)n : -EIO;
}

/* Decode the block at where into slot, whose fill lock is held. */
static int cache_slot_fill(struct imagefile_cursor *cur, struct cache_slot *slot, uint64_t where,
                           uint32_t disk)
{
	if (!slot->data && !(slot->data = malloc(cur->img->super.block_size)))
		return -ENOMEM;
	int n = block_decode(cur, where, disk, slot->data);
	if (n < 0)
		return n;
	slot->len = (uint32_t)n;
	slot->valid = true;
	return 0;
}

/* Copy len bytes at off of the decoded block stored at where (size: its on-disk size word) to
 * out, decoding it into the shared cache unless it is there. */
static int block_copy(struct imagefile_cursor *cur, uint64_t where, uint32_t size, uint32_t off, void *out,
                      uint32_t len)
{
	struct imagefile *img = cur->img;
	uint32_t disk = SQFS_ON_DISK_BLOCK_SIZE(size);
	if (disk > img->super.block_size)
		return -EIO;
	if (!SQFS_IS_BLOCK_COMPRESSED(size)) {
		/* Stored as is: the page cache of the image file is the cache. */
		if (off > disk || len > disk - off)
			return -EIO;
		return ro_file_read_at(&img->file.base, where + off, out, len) != 0 ? -EIO : 0;
	}
	struct cache_slot *slot = cache_slot_take(img, where, true);
	int rc = slot->valid ? 0 : cache_slot_fill(cur, slot, where, disk);
	if (rc == 0 && (off > slot->len || len > slot->len - off))
		rc = -EIO;
	if (rc == 0)
		memcpy(out, slot->data + off, len);
	pthread_mutex_unlock(&slot->fill);
	return rc;
}

/* Where block index of file starts in the image, with its size word; -EIO when damaged. */
static int block_location(const struct imagefile_node *file, size_t index, uint64_t *where, uint32_t *size)
{
	const sqfs_inode_generic_t *in = file->inode;
	if (sqfs_inode_get_file_block_start(in, where) != 0)
		return -EIO;
	for (size_t i = 0; i < index; i++)
		*where += SQFS_ON_DISK_BLOCK_SIZE(in->extra[i]);
	*size = in->extra[index];
	return 0;
}

size_t imagefile_block_count(const struct imagefile_node *file)
{
	return S_ISREG(file->st.st_mode) ? sqfs_inode_get_file_block_count(file->inode) : 0;
}

size_t imagefile_cache_bytes(const struct imagefile *img)
{
	return img->cache_slots * img->super.block_size;
}

/* Whether the block at where is in a slot (decoded, or being decoded). */
static bool cache_holds(struct imagefile *img, uint64_t where)
{
	bool found = false;
	pthread_mutex_lock(&img->cache_index);
	for (size_t i = 0; i < img->cache_slots && !found; i++)
		found = img->cache[i].where == where + 1;
	pthread_mutex_unlock(&img->cache_index);
	return found;
}

int imagefile_prefetch_block(struct imagefile_cursor *cur, const struct imagefile_node *file, size_t index)
{
	uint64_t where;
	uint32_t size;
	if (index >= imagefile_block_count(file))
		return -EINVAL;
	if (block_location(file, index, &where, &size) < 0)
		return -EIO;
	uint32_t disk = SQFS_ON_DISK_BLOCK_SIZE(size);
	if (!SQFS_IS_BLOCK_COMPRESSED(size) || SQFS_IS_SPARSE_BLOCK(size) || cache_holds(cur->img, where))
		return 0;
	if (disk > cur->img->super.block_size)
		return -EIO;
	/* Decoded outside the cache, with no slot locked: a reader never waits on a thread that
	 * may be slower (it decodes the block itself), and the buffers swap when done. */
	if (!cur->ahead && !(cur->ahead = malloc(cur->img->super.block_size)))
		return -ENOMEM;
	int n = block_decode(cur, where, disk, cur->ahead);
	if (n < 0)
		return n;
	struct cache_slot *slot = cache_slot_take(cur->img, where, false);
	if (!slot)
		return 0; /* a reader was quicker */
	uint8_t *data = slot->data;
	slot->data = cur->ahead;
	cur->ahead = data;
	slot->len = (uint32_t)n;
	slot->valid = true;
	pthread_mutex_unlock(&slot->fill);
	return 1;
}

/* Reads go one block at a time (the caller loops): full blocks first, then the tail in a
 * fragment block when the file has one. */
long imagefile_read(struct imagefile_cursor *cur, const struct imagefile_node *file, uint64_t offset,
                    void *buf, size_t size)
{
	if (!S_ISREG(file->st.st_mode))
		return -EINVAL;
	uint64_t file_size = (uint64_t)file->st.st_size;
	if (offset >= file_size || size == 0)
		return 0;
	const sqfs_inode_generic_t *in = file->inode;
	uint32_t bs = cur->img->super.block_size;
	uint64_t index = offset / bs;
	uint32_t off = (uint32_t)(offset % bs);
	uint64_t left = file_size - offset;
	size_t n_blocks = sqfs_inode_get_file_block_count(in);
	if (index < n_blocks) {
		uint64_t where;
		uint32_t size_word;
		if (block_location(file, index, &where, &size_word) < 0)
			return -EIO;
		uint32_t block_len = left + off < bs ? (uint32_t)(left + off) : bs;
		uint32_t len = block_len - off < size ? block_len - off : (uint32_t)size;
		if (SQFS_IS_SPARSE_BLOCK(size_word)) {
			memset(buf, 0, len);
			return len;
		}
		int rc = block_copy(cur, where, size_word, off, buf, len);
		return rc < 0 ? rc : (long)len;
	}
	/* The tail, at frag_off in its fragment block; it is shorter than a block. */
	sqfs_u32 frag_index, frag_off;
	sqfs_fragment_t frag;
	if (index != n_blocks || sqfs_inode_get_frag_location(in, &frag_index, &frag_off) != 0 ||
	    frag_index == NO_XATTRS || sqfs_frag_table_lookup(cur->img->frags, frag_index, &frag) != 0 ||
	    left > bs || frag_off > bs)
		return -EIO;
	uint32_t len = left < size ? (uint32_t)left : (uint32_t)size;
	int rc = block_copy(cur, frag.start_offset, frag.size, frag_off + off, buf, len);
	return rc < 0 ? rc : (long)len;
}

int imagefile_readlink(const struct imagefile_node *link, char **out)
{
	const sqfs_inode_generic_t *in = link->inode;
	if (!S_ISLNK(link->st.st_mode))
		return -EINVAL;
	size_t len = in->data.slink.target_size;
	if (len > in->payload_bytes_used)
		return -EIO;
	char *target = malloc(len + 1);
	if (!target)
		return -ENOMEM;
	memcpy(target, in->extra, len);
	target[len] = '\0';
	*out = target;
	return 0;
}

static const char *xattr_prefix(int type)
{
	switch (type & SQFS_XATTR_PREFIX_MASK) {
	case SQFS_XATTR_USER:
		return "user.";
	case SQFS_XATTR_TRUSTED:
		return "trusted.";
	case SQFS_XATTR_SECURITY:
		return "security.";
	default:
		return NULL;
	}
}

int imagefile_xattrs(struct imagefile_cursor *cur, const struct imagefile_node *node, imagefile_xattr_fn fn,
                     void *ctx)
{
	sqfs_u32 idx = NO_XATTRS;
	const sqfs_super_t *s = &cur->img->super;
	if (sqfs_inode_get_xattr_index(node->inode, &idx) != 0 || idx == NO_XATTRS ||
	    (s->flags & SQFS_FLAG_NO_XATTRS) || s->xattr_id_table_start == NO_TABLE)
		return 0;
	if (!cur->xattrs_loaded) {
		sqfs_xattr_id_table_t head;
		if (ro_file_read_at(&cur->img->file.base, s->xattr_id_table_start, &head, sizeof(head)) !=
		            0 ||
		    !table_fits(s, le32toh(head.xattr_ids), sizeof(sqfs_xattr_id_t),
		                s->xattr_id_table_start + sizeof(head)) ||
		    sqfs_xattr_reader_load(cur->xattrs, s, &cur->img->file.base, cur->cmp) != 0)
			return -EIO;
		cur->xattrs_loaded = true;
	}
	sqfs_xattr_id_t desc;
	if (sqfs_xattr_reader_get_desc(cur->xattrs, idx, &desc) != 0 ||
	    sqfs_xattr_reader_seek_kv(cur->xattrs, &desc) != 0)
		return -EIO;
	for (sqfs_u32 i = 0; i < desc.count; i++) {
		sqfs_xattr_entry_t *key = NULL;
		sqfs_xattr_value_t *value = NULL;
		if (sqfs_xattr_reader_read_key(cur->xattrs, &key) != 0)
			return -EIO;
		int rc = sqfs_xattr_reader_read_value(cur->xattrs, key, &value) != 0 ? -EIO : 0;
		/* libsquashfs gives the full name, its prefix restored from the type. */
		const char *prefix = xattr_prefix(key->type);
		const char *name = (const char *)key->key;
		if (rc == 0 && (!prefix || strncmp(name, prefix, strlen(prefix)) != 0))
			rc = -EIO;
		if (rc == 0)
			rc = fn(ctx, name, value->value, value->size);
		sqfs_free(value);
		sqfs_free(key);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* At most this many symlinks on the way, and directories deep, as the kernel would allow. */
#define RESOLVE_MAX_LINKS 40
#define RESOLVE_MAX_DEPTH 256

int imagefile_resolve(struct imagefile_cursor *cur, const char *path, struct imagefile_node *out)
{
	/* The walk keeps the references of the directories above (for ".."), and the path yet to
	 * walk in rest: a symlink's target goes in front of what was left after it. */
	uint64_t above[RESOLVE_MAX_DEPTH];
	size_t depth = 0, links = 0;
	cleanup_free char *rest = strdup(path);
	if (!rest)
		return -ENOMEM;
	struct imagefile_node node;
	int rc = imagefile_node_read(cur, imagefile_root_ref(cur->img), &node);
	char *p = rest;
	while (rc == 0) {
		p += strspn(p, "/");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, "/");
		char *name = p;
		p += len;
		if (*p)
			*p++ = '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			uint64_t up = depth ? above[--depth] : imagefile_root_ref(cur->img);
			imagefile_node_free(&node);
			rc = imagefile_node_read(cur, up, &node);
			continue;
		}
		struct imagefile_node child;
		if ((rc = imagefile_lookup(cur, &node, name, &child)) < 0)
			break;
		if (!S_ISLNK(child.st.st_mode)) {
			if (depth == RESOLVE_MAX_DEPTH) {
				imagefile_node_free(&child);
				rc = -ENAMETOOLONG;
				break;
			}
			above[depth++] = node.ref;
			imagefile_node_free(&node);
			node = child;
			continue;
		}
		cleanup_free char *target = NULL;
		rc = ++links > RESOLVE_MAX_LINKS ? -ELOOP : imagefile_readlink(&child, &target);
		imagefile_node_free(&child);
		char *joined = NULL;
		if (rc == 0 && asprintf(&joined, "%s/%s", target, p) < 0)
			rc = -ENOMEM;
		if (rc < 0)
			break;
		free(rest);
		rest = p = joined;
		if (target[0] == '/') {
			depth = 0;
			imagefile_node_free(&node);
			rc = imagefile_node_read(cur, imagefile_root_ref(cur->img), &node);
		}
	}
	if (rc < 0) {
		if (node.inode)
			imagefile_node_free(&node);
		return rc;
	}
	*out = node;
	return 0;
}

char *imagefile_read_path(struct imagefile *img, const char *path, size_t max, size_t *len, struct error *err)
{
	struct imagefile_cursor *cur = imagefile_cursor_new(img, err);
	if (!cur)
		return NULL;
	struct imagefile_node node = {0};
	char *out = NULL;
	int rc = imagefile_resolve(cur, path, &node);
	if (rc == 0 && !S_ISREG(node.st.st_mode))
		rc = -EINVAL;
	if (rc == 0 && (uint64_t)node.st.st_size > max)
		rc = -EFBIG;
	if (rc == 0 && !(out = malloc((size_t)node.st.st_size + 1)))
		rc = -ENOMEM;
	size_t done = 0;
	while (rc == 0 && done < (size_t)node.st.st_size) {
		long n = imagefile_read(cur, &node, done, out + done, (size_t)node.st.st_size - done);
		if (n <= 0)
			rc = n < 0 ? (int)n : -EIO;
		else
			done += (size_t)n;
	}
	if (rc == 0) {
		out[done] = '\0';
		if (len)
			*len = done;
	} else {
		free(out);
		out = NULL;
		error_set(err, -rc, "%s in the image file: %s", path, strerror(-rc));
	}
	if (node.inode)
		imagefile_node_free(&node);
	imagefile_cursor_free(cur);
	return out;
}
