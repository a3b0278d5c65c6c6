/* Resolving start and create arguments (MODEL.md, "How an argument is resolved"). */
#include "runtime/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/imagefile.h"
#include "image/imagefile_unpack.h"
#include "image/reference.h"
#include "runtime/imagefile_mount.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

int source_open_image(const char *arg, const struct source_paths *paths, struct store *st, struct image *img,
                      struct error *err)
{
	if (image_open(st, arg, img, err) == 0)
		return 0;
	if (err->code != ENOENT || !paths->pull)
		return -1;
	/* Not in the store: a registry reference is pulled first. */
	struct reference ref = {0};
	struct error parse_err;
	if (reference_parse(arg, &ref, &parse_err) < 0)
		return error_set(err, ENOENT, "no image in the store and no image reference (%s)",
		                 parse_err.msg);
	cleanup_free char *name = reference_name(&ref);
	reference_free(&ref);
	if (!name)
		return error_set(err, ENOMEM, "out of memory");
	if (paths->pull(paths->pull_ctx, arg, err) < 0)
		return -1;
	return image_open(st, name, img, err);
}

#define IMAGE_CONFIG_MAX (8 << 20)

bool source_is_image_file(const char *arg)
{
	size_t n = strlen(arg);
	bool suffix = n > 5 && (strcmp(arg + n - 5, ".sqsh") == 0 || strcmp(arg + n - 5, ".sqfs") == 0);
	if ((!suffix && !strchr(arg, '/')) || !fs_is_file(arg))
		return false;
	if (suffix)
		return true;
	char magic[4] = {0};
	cleanup_close int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd >= 0 && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	       memcmp(magic, "hsqs", 4) == 0;
}

/* The image config inside the file (/.burrow/config.json), read without mounting anything; an
 * image file without one (made by other tools) has an empty config. */
static int read_file_config(const char *path, struct image_config *cfg, struct error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "image file %s", path);
	struct imagefile *img = NULL;
	if (imagefile_open(fd, &img, err) < 0) {
		error_prefix(err, "image file %s", path);
		return -1;
	}
	size_t len = 0;
	struct error local;
	cleanup_free char *json =
	        imagefile_read_path(img, "/.burrow/config.json", IMAGE_CONFIG_MAX, &len, &local);
	imagefile_close(img);
	if (!json && local.code != ENOENT) {
		*err = local;
		error_prefix(err, "image file %s", path);
		return -1;
	}
	if (!json) {
		memset(cfg, 0, sizeof(*cfg));
		return 0;
	}
	if (image_config_parse(json, len, cfg, err) < 0) {
		error_prefix(err, "image file %s: /.burrow/config.json", path);
		return -1;
	}
	return 0;
}

static void use_config(struct start_target *t)
{
	const struct image_config *cfg = &t->container_config;
	t->src.image_env = cfg->env;
	t->src.image_cmd = t->command;
	t->src.image_entrypoint = cfg->entrypoint;
	t->src.image_cmd_args = cfg->cmd;
	t->src.image_workdir = cfg->working_dir;
}

/* The image file at t->image_file as the bottom layer: served over FUSE, else unpacked once into
 * the cache (saying so in t->notice). */
static int use_image_file(struct start_target *t, const struct source_paths *paths, struct error *err)
{
	if (read_file_config(t->image_file, &t->container_config, err) < 0)
		return -1;
	if (!(t->command = image_config_command(&t->container_config)))
		return error_set(err, ENOMEM, "out of memory");
	use_config(t);
	const char *why = imagefile_fuse_unusable();
	if (!why) {
		t->src.image_file = t->image_file;
		return 0;
	}
	return source_unpack_image_file(t, paths, why, err);
}

int source_unpack_image_file(struct start_target *t, const struct source_paths *paths, const char *why,
                             struct error *err)
{
	cleanup_free char *dir = NULL;
	free(t->notice);
	t->notice = NULL;
	if (imagefile_unpack_cached(t->image_file, paths->cache, &dir, &t->tree_lock_fd, err) < 0)
		return -1;
	strv_free(t->layer_dirs);
	if (asprintf(&t->notice, "burrow: %s: FUSE is unusable (%s); unpacked it once into %s", t->image_file,
	             why, dir) < 0 ||
	    !(t->layer_dirs = calloc(1, sizeof(char *))) || strv_push(&t->layer_dirs, dir) < 0)
		return error_set(err, ENOMEM, "out of memory");
	t->src.layers = t->layer_dirs;
	t->src.image_file = NULL;
	return 0;
}

/* A container made from an image: its config from the container, its layers from the cache. */
static int open_image_container(struct start_target *t, const struct source_paths *paths, struct error *err)
{
	struct container *c = &t->container;
	struct store st = {.fd = -1};
	if (store_open(paths->cache, &st, err) < 0)
		return -1;
	t->layer_dirs = image_layer_dirs(&st, c->diff_ids, err);
	store_close(&st);
	if (!t->layer_dirs ||
	    image_config_parse(c->config_json, c->config_len, &t->container_config, err) < 0)
		return -1;
	const struct image_config *cfg = &t->container_config;
	t->command = image_config_command(cfg);
	if (!t->command)
		return error_set(err, ENOMEM, "out of memory");
	t->src.layers = t->layer_dirs;
	t->src.upper = c->upper;
	t->src.work = c->work;
	use_config(t);
	return 0;
}

/* A container made from an image file: the file below the container's upper dir. */
static int open_file_container(struct start_target *t, const struct source_paths *paths, struct error *err)
{
	t->src.upper = t->container.upper;
	t->src.work = t->container.work;
	if (!(t->image_file = strdup(t->container.image_file)))
		return error_set(err, ENOMEM, "out of memory");
	return use_image_file(t, paths, err);
}

/* An image started directly mounts on an empty directory of the runtime path: the mount lives
 * in the start's own namespace, so every start can share it. */
static int image_mount_point(const struct source_paths *paths, char **out, struct error *err)
{
	if (asprintf(out, "%s/mnt", paths->runtime) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (fs_mkdir_p(*out, 0700, err) < 0) {
		error_prefix(err, "runtime path %s (set BURROW_RUNTIME_PATH to a writable directory)",
		             paths->runtime);
		return -1;
	}
	return 0;
}

static int open_image_target(const char *arg, const struct source_paths *paths, bool tried_container,
                             struct start_target *t, struct error *err);

/* An image file started directly: an ephemeral container over it. */
static int open_file_target(const char *arg, const struct source_paths *paths, struct start_target *t,
                            struct error *err)
{
	t->image_file = realpath(arg, NULL);
	if (!t->image_file)
		return error_errno(err, "image file %s", arg);
	if (use_image_file(t, paths, err) < 0 || image_mount_point(paths, &t->mount_point, err) < 0)
		return -1;
	t->src.label = arg;
	t->src.rootfs = t->mount_point;
	return 0;
}

int source_open_start(const char *arg, const struct source_paths *paths, struct start_target *t,
                      struct error *err)
{
	memset(t, 0, sizeof(*t));
	t->store_lock_fd = t->tree_lock_fd = -1;
	if (source_is_image_file(arg))
		return open_file_target(arg, paths, t, err);
	struct error container_err;
	if (container_open(paths->data, arg, &t->container, &container_err) == 0) {
		t->is_container = true;
		t->src.label = t->container.name;
		t->src.rootfs = t->container.rootfs;
		if ((t->container.diff_ids && open_image_container(t, paths, err) < 0) ||
		    (t->container.image_file && open_file_container(t, paths, err) < 0)) {
			error_prefix(err, "container '%s'", arg);
			return -1;
		}
		return 0;
	}
	if (container_err.code != ENOENT) {
		*err = container_err;
		return -1;
	}
	return open_image_target(arg, paths, true, t, err);
}

int source_open_run(const char *arg, const struct source_paths *paths, struct start_target *t,
                    struct error *err)
{
	memset(t, 0, sizeof(*t));
	t->store_lock_fd = t->tree_lock_fd = -1;
	if (source_is_image_file(arg))
		return open_file_target(arg, paths, t, err);
	return open_image_target(arg, paths, false, t, err);
}

/* An image (found or pulled) started directly, with no container. tried_container: the
 * message says that no container of that name was found either. */
static int open_image_target(const char *arg, const struct source_paths *paths, bool tried_container,
                             struct start_target *t, struct error *err)
{
	struct store st = {.fd = -1};
	if (store_open(paths->cache, &st, err) < 0)
		return -1;
	/* Shared with pulls, exclusive for gc: the layers stay while the image runs. */
	t->store_lock_fd = store_lock(&st, false, true, err);
	int rc = t->store_lock_fd < 0 ? -1 : source_open_image(arg, paths, &st, &t->image, err);
	store_close(&st);
	if (rc < 0) {
		if (tried_container)
			error_prefix(err, "'%s' is no container (see 'burrow list')", arg);
		return -1;
	}
	if (image_mount_point(paths, &t->mount_point, err) < 0)
		return -1;
	t->src.label = t->image.name;
	t->src.rootfs = t->mount_point;
	t->src.layers = t->image.layer_dirs;
	t->src.image_env = t->image.config.env;
	t->src.image_cmd = t->image.command;
	t->src.image_entrypoint = t->image.config.entrypoint;
	t->src.image_cmd_args = t->image.config.cmd;
	t->src.image_workdir = t->image.config.working_dir;
	return 0;
}

int source_create_container(const char *arg, const char *name, const struct source_paths *paths, bool force,
                            struct error *err)
{
	struct store st = {.fd = -1};
	struct image img = {0};
	int lock_fd = -1, rc = -1;
	if (store_open(paths->cache, &st, err) < 0 || (lock_fd = store_lock(&st, false, true, err)) < 0 ||
	    source_open_image(arg, paths, &st, &img, err) < 0)
		goto out;
	struct container_image about = {.name = img.name,
	                                .digest = img.digest,
	                                .config_json = img.config_json,
	                                .config_len = img.config_len,
	                                .diff_ids = img.config.diff_ids};
	rc = container_create_image(paths->data, name, &about, force, err);
out:
	store_unlock(lock_fd);
	image_free(&img);
	store_close(&st);
	return rc;
}

int source_create_file_container(const char *path, const char *name, const struct source_paths *paths,
                                 bool force, struct error *err)
{
	cleanup_free char *abs = realpath(path, NULL);
	if (!abs)
		return error_errno(err, "image file %s", path);
	/* Refused now rather than at the first start: the file must be a readable image. */
	struct image_config cfg;
	if (read_file_config(abs, &cfg, err) < 0)
		return -1;
	image_config_free(&cfg);
	return container_create_image_file(paths->data, name, abs, force, err);
}

void start_target_free(struct start_target *t)
{
	container_free(&t->container);
	image_free(&t->image);
	image_config_free(&t->container_config);
	strv_free(t->layer_dirs);
	strv_free(t->command);
	free(t->mount_point);
	free(t->image_file);
	free(t->notice);
	if (t->store_lock_fd >= 0)
		store_unlock(t->store_lock_fd);
	memset(t, 0, sizeof(*t));
	t->store_lock_fd = t->tree_lock_fd = -1;
}
