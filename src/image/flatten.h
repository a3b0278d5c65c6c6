/* An image's layer dirs merged into one file tree in memory, as overlayfs would show them:
 * whiteouts, opaque directories and replacements applied. Not the squashfs writing (squashfs.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct flat_xattr {
	char *key;
	void *value;
	size_t len;
};

/* What a layer dir holds at one name, as flatten_add takes it. */
struct flat_entry {
	mode_t mode; /* type and permission bits */
	uint32_t uid, gid;
	int64_t mtime;
	uint64_t size;
	uint64_t ino; /* with nlink > 1: names of one inode in one layer are hard links */
	uint64_t nlink;
	bool whiteout; /* an overlay whiteout (0/0 character device) */
	bool opaque;   /* a directory marked user.overlay.opaque=y */
	const char *link_target;
	struct flat_xattr *xattrs; /* taken over by flatten_add when it keeps the entry */
	size_t nxattrs;
};

struct flat_node {
	char *name;
	struct flat_node *parent;
	mode_t mode;
	uint32_t uid, gid;
	int64_t mtime;
	uint64_t size;
	char *link_target;
	struct flat_xattr *xattrs;
	size_t nxattrs;
	unsigned layer;              /* where its data and attributes come from */
	bool whiteout;               /* a name hidden from lower layers; never written */
	unsigned lowest_layer;       /* directories: lower layers than this one are hidden (opaque) */
	struct flat_node *link_to;   /* a hard link: the first name of the inode */
	uint32_t nlink;              /* names (first name of an inode) or entries (directory) */
	const void *data;            /* a file made in memory (flatten_add_file), NULL for layer files */
	uint64_t image_ref;          /* from an image file (flatten_imagefile): its inode reference */
	struct flat_node **children; /* directories: sorted by name (strcmp) */
	size_t nchildren, cap;
	/* for the writer */
	void *inode;
	bool written;
	uint32_t inode_number;
	uint64_t inode_ref;
};

struct flat_link;
struct imagefile;
struct imagefile_cursor;
struct flat_tree {
	struct flat_node *root;
	size_t nodes;
	struct flat_link *links; /* (layer, ino) -> first name, for hard links */
	size_t nlinks, links_cap;
	int *layer_fds; /* flatten_layers: the layer dirs, kept open to read files from */
	size_t nlayers;
	/* flatten_imagefile: the image file below the layer dirs, read through this cursor. */
	struct imagefile_cursor *image_cur;
	unsigned image_layer;
};

/* What flatten_add did with an entry. */
enum flatten_result {
	FLATTEN_HIDDEN, /* hidden by an upper layer (or a whiteout): nothing below it to visit */
	FLATTEN_ADDED,  /* a new name; a directory's contents in this layer are to be visited */
	FLATTEN_MERGED, /* a directory merged into an upper one: its contents are to be visited */
};

int flatten_init(struct flat_tree *t, struct error *err);
void flatten_free(struct flat_tree *t);

/* Add what layer (0 = top; called for every layer top first, each directory's entries before
 * those of lower layers) holds at name in parent. Returns the result and sets *node to the
 * tree's node for the name (NULL when hidden); -1 with err on failure. Pure: no I/O. */
int flatten_add(struct flat_tree *t, struct flat_node *parent, const char *name, unsigned layer,
                struct flat_entry *e, struct flat_node **node, struct error *err);

/* The root directory's attributes from a layer (the top one that has them wins). */
void flatten_set_root(struct flat_tree *t, unsigned layer, const struct flat_entry *e);

/* A regular file from memory at path (parents made as root-owned 0755 directories), replacing
 * whatever the layers put there; data must outlive the tree. */
int flatten_add_file(struct flat_tree *t, const char *path, const void *data, size_t len, mode_t perm,
                     int64_t mtime, struct error *err);

/* Merge layer dirs (host paths, top first) into t. Owners come from user.rootlesscontainers
 * (0:0 without it); user.overlay.* and user.rootlesscontainers are not kept as xattrs. */
int flatten_layers(struct flat_tree *t, char *const *layer_dirs, struct error *err);

/* The owner in a user.rootlesscontainers value (umoci's protobuf); -1 when it is malformed. */
int flatten_owner_decode(const void *value, size_t len, uint32_t *uid, uint32_t *gid);

/* Merge the image file img below the layer dirs added (flatten_layers), as the bottom layer:
 * owners, modes, xattrs and hard links as the image has them; device nodes and sockets are left
 * out, as layer dirs cannot hold them. img must outlive t. */
int flatten_imagefile(struct flat_tree *t, struct imagefile *img, struct error *err);
/* Whether node's data comes from the image file, and reading it: the count read (0 at the end) or
 * a negative errno. */
static inline bool flatten_from_image(const struct flat_tree *t, const struct flat_node *node)
{
	return t->image_cur && node->layer == t->image_layer;
}
long flatten_image_read(const struct flat_tree *t, const struct flat_node *node, uint64_t offset, void *buf,
                        size_t size);

void flatten_xattrs_free(struct flat_xattr *x, size_t n);

/* Open a regular file of the tree (from a layer) for reading. */
int flatten_open_file(const struct flat_tree *t, const struct flat_node *node, struct error *err);
