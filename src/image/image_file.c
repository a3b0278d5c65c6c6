/* Image files: layer dirs merged by flatten.c, written by squashfs.c into a temporary file next
 * to the output, synced and renamed into place (never over an existing file without force). */
#include "image/image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/flatten.h"
#include "image/imagefile.h"
#include "image/squashfs.h"
#include "util/cleanup.h"

static int source_date_epoch(int64_t *epoch, struct error *err)
{
	const char *text = getenv("SOURCE_DATE_EPOCH");
	*epoch = -1;
	if (!text || !*text)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || *end || v < 0 || v > (long long)UINT32_MAX)
		return error_set(err, EINVAL, "SOURCE_DATE_EPOCH '%s' is no time in 0-%u", text, UINT32_MAX);
	*epoch = v;
	return 0;
}

static unsigned cpu_count(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* The whole image into fd (the temporary file), synced. */
/* The whole image into fd (the temporary file), synced: the layers, then the image file
 * (when not NULL) below them, read in place while the tree is written. */
static int write_tree(char *const *layer_dirs, const char *image_file, const char *config_json,
                      size_t config_len, const char *tmp_path, int fd, int compressor, struct error *err)
{
	int64_t epoch;
	if (source_date_epoch(&epoch, err) < 0)
		return -1;
	int64_t now = epoch >= 0 ? epoch : (int64_t)time(NULL);
	cleanup_close int image_fd = -1;
	struct imagefile *img = NULL;
	if (image_file && ((image_fd = open(image_file, O_RDONLY | O_CLOEXEC)) < 0 ||
	                   imagefile_open(image_fd, &img, err) < 0)) {
		if (image_fd < 0)
			error_errno(err, "open");
		error_prefix(err, "image file %s", image_file);
		return -1;
	}
	struct flat_tree tree;
	int rc = flatten_init(&tree, err);
	if (rc == 0)
		rc = flatten_layers(&tree, layer_dirs, err);
	if (rc == 0 && img && (rc = flatten_imagefile(&tree, img, err)) < 0)
		error_prefix(err, "image file %s", image_file);
	if (rc == 0 && config_json)
		rc = flatten_add_file(&tree, IMAGE_FILE_CONFIG_PATH, config_json, config_len, 0644, now, err);
	if (rc == 0) {
		struct squashfs_options o = {
		        .compressor = compressor,
		        .workers = cpu_count(),
		        .mtime = (uint32_t)(now > (int64_t)UINT32_MAX ? UINT32_MAX : now),
		        .clamp_mtime = epoch,
		};
		rc = squashfs_write(&tree, fd, &o, err);
	}
	flatten_free(&tree);
	imagefile_close(img);
	if (rc < 0)
		return -1;
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0644 & ~mask) < 0 || fsync(fd) < 0)
		return error_errno(err, "%s", tmp_path);
	return 0;
}

int image_file_write(char *const *layer_dirs, const char *image_file, const char *config_json,
                     size_t config_len, const char *output, int compressor, bool force, struct error *err)
{
	if (!force && access(output, F_OK) == 0)
		return error_set(err, EEXIST, "%s exists; use -f to replace it", output);
	const char *slash = strrchr(output, '/');
	int dir_len = slash ? (int)(slash - output + 1) : 0;
	cleanup_free char *tmp_path = NULL;
	if (asprintf(&tmp_path, "%.*s.%s.XXXXXX", dir_len, output, slash ? slash + 1 : output) < 0) {
		tmp_path = NULL;
		return error_set(err, ENOMEM, "out of memory");
	}
	cleanup_close int fd = mkostemp(tmp_path, O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, "create a temporary file next to %s", output);
	if (write_tree(layer_dirs, image_file, config_json, config_len, tmp_path, fd, compressor, err) < 0) {
		unlink(tmp_path);
		return -1;
	}
	/* Without force, an output that appeared meanwhile is not replaced either. */
	if (force ? rename(tmp_path, output) < 0
	          : renameat2(AT_FDCWD, tmp_path, AT_FDCWD, output, RENAME_NOREPLACE) < 0) {
		int saved = errno;
		unlink(tmp_path);
		if (saved == EEXIST)
			return error_set(err, EEXIST, "%s exists; use -f to replace it", output);
		errno = saved;
		return error_errno(err, "rename %s to %s", tmp_path, output);
	}
	return 0;
}
