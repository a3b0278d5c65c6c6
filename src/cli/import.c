/* burrow import [-a ARCH] [-o FILE] [-f] [--compression C] REF: an image (from the store, pulled
 * first when missing) as one squashfs image file, written from the cached layers. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/flatten.h"
#include "image/reference.h"
#include "image/squashfs.h"
#include "runtime/source.h"
#include "util/cleanup.h"
#include "util/paths.h"

/* Where the image config travels inside the file, for a start from it. */
#define CONFIG_PATH "/.burrow/config.json"

static const char usage_text[] =
        "usage: burrow import [-a ARCH] [-o FILE] [-f] [--compression C] REF\n"
        "\n"
        "Write an image as a single squashfs file (IMAGE+TAG.sqsh in the current directory\n"
        "unless -o): REF is an image in the store or a registry reference, pulled first\n"
        "when missing. Owners, modes and extended attributes are kept; the image config is\n"
        "at " CONFIG_PATH " inside. SOURCE_DATE_EPOCH makes the output reproducible.\n"
        "\n"
        "  -a, --arch ARCH        architecture to pull when REF is not in the store\n"
        "  -o, --output FILE      where to write (default: IMAGE+TAG.sqsh)\n"
        "  -f, --force            replace FILE when it exists\n"
        "  -c, --compression C    zstd (default), gzip, lz4 or xz\n";

struct pull_ctx {
	const char *arch;
};

static int pull_for_import(void *ctx, const char *text, struct error *err)
{
	const struct pull_ctx *p = ctx;
	fprintf(stderr, "burrow: pulling %s\n", text);
	return cli_pull(text, p->arch, isatty(STDERR_FILENO) ? 1 : 0, false, err);
}

/* Enroot's name: the repository and tag (or digest) with '/' and ':' as '+'. */
static char *default_output(const char *image_name)
{
	struct reference ref = {0};
	struct error err;
	if (reference_parse(image_name, &ref, &err) < 0)
		return NULL;
	const char *repo = ref.repository;
	if (strcmp(ref.registry, "docker.io") == 0 && strncmp(repo, "library/", 8) == 0)
		repo += 8;
	char *out = NULL;
	if (asprintf(&out, "%s+%s.sqsh", repo, ref.tag ? ref.tag : ref.digest) < 0)
		out = NULL;
	for (char *c = out; c && *c; c++)
		if (*c == '/' || *c == ':')
			*c = '+';
	reference_free(&ref);
	return out;
}

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

/* The temporary file next to output, with the whole image written and synced. */
static int write_image(struct image *img, const char *tmp_path, int fd, int compressor, struct error *err)
{
	int64_t epoch;
	if (source_date_epoch(&epoch, err) < 0)
		return -1;
	int64_t now = epoch >= 0 ? epoch : (int64_t)time(NULL);
	struct flat_tree tree;
	int rc = flatten_init(&tree, err);
	if (rc == 0)
		rc = flatten_layers(&tree, img->layer_dirs, err);
	if (rc == 0)
		rc = flatten_add_file(&tree, CONFIG_PATH, img->config_json, img->config_len, 0644, now, err);
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
	if (rc < 0)
		return -1;
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0644 & ~mask) < 0 || fsync(fd) < 0)
		return error_errno(err, "%s", tmp_path);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"arch", required_argument, NULL, 'a'}, {"output", required_argument, NULL, 'o'},
	        {"force", no_argument, NULL, 'f'},      {"compression", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *arch = NULL, *output = NULL, *compression = "zstd";
	bool force = false;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+a:o:fc:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			arch = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'c':
			compression = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("import", "expected one REF");
	struct error err;
	error_clear(&err);
	int compressor;
	if (squashfs_compressor_parse(compression, &compressor, &err) < 0)
		return cli_usage_error("import", "%s", err.msg);
	if (output && access(output, F_OK) == 0 && !force) {
		fprintf(stderr, "burrow: %s exists; use -f to replace it\n", output);
		return 1;
	}
	const char *text = argv[optind];
	cleanup_free char *cache = paths_cache();
	if (!cache) {
		fprintf(stderr, "burrow: cannot find the cache path; set BURROW_CACHE_PATH\n");
		return 1;
	}
	struct pull_ctx pull = {.arch = arch};
	struct source_paths paths = {.cache = cache, .pull = pull_for_import, .pull_ctx = &pull};
	struct store st = {.fd = -1};
	struct image img = {0};
	cleanup_free char *default_name = NULL;
	cleanup_free char *tmp_path = NULL;
	int fd = -1, status = 1;
	if (store_open(cache, &st, &err) < 0 || source_open_image(text, &paths, &st, &img, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	if (!output && !(output = default_name = default_output(img.name))) {
		fprintf(stderr, "burrow: cannot derive a file name from '%s'; use -o FILE\n", img.name);
		goto out;
	}
	if (access(output, F_OK) == 0 && !force) {
		fprintf(stderr, "burrow: %s exists; use -f to replace it\n", output);
		goto out;
	}
	const char *slash = strrchr(output, '/');
	int dir_len = slash ? (int)(slash - output + 1) : 0;
	if (asprintf(&tmp_path, "%.*s.%s.XXXXXX", dir_len, output, slash ? slash + 1 : output) < 0) {
		tmp_path = NULL;
		fprintf(stderr, "burrow: out of memory\n");
		goto out;
	}
	fd = mkostemp(tmp_path, O_CLOEXEC);
	if (fd < 0) {
		error_errno(&err, "create a temporary file next to %s", output);
		cli_report(&err);
		goto out;
	}
	if (write_image(&img, tmp_path, fd, compressor, &err) < 0) {
		error_prefix(&err, "import %s to %s", img.name, output);
		cli_report(&err);
		goto out;
	}
	/* Without -f, an output that appeared meanwhile is not replaced either. */
	if (force ? rename(tmp_path, output) < 0
	          : renameat2(AT_FDCWD, tmp_path, AT_FDCWD, output, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			fprintf(stderr, "burrow: %s exists; use -f to replace it\n", output);
		else
			fprintf(stderr, "burrow: rename %s to %s: %s\n", tmp_path, output, strerror(errno));
		goto out;
	}
	free(tmp_path);
	tmp_path = NULL;
	printf("%s\n", output);
	status = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp_path && fd >= 0)
		unlink(tmp_path);
	image_free(&img);
	store_close(&st);
	return status;
}
