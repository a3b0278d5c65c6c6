/* Process-wide settings: burrow.conf files are read once, early, into the environment (which
 * wins), so every setting is read where it is used with getenv; origins are kept for burrow info. */
#include "util/config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/paths.h"
#include "util/strv.h"

#ifndef BURROW_SYSCONFDIR
#define BURROW_SYSCONFDIR "/etc/burrow"
#endif

#define CONFIG_FILE_MAX (1 << 20)

const struct config_key config_keys[] = {
        {"BURROW_DATA_PATH", "$XDG_DATA_HOME/burrow", "containers (one directory each)"},
        {"BURROW_CACHE_PATH", "$XDG_CACHE_HOME/burrow", "the image store and unpacked layers"},
        {"BURROW_RUNTIME_PATH", "$XDG_RUNTIME_DIR/burrow", "state of running containers"},
        {"BURROW_MOUNT_HOME", "yes", "bind the user's home into containers (no to skip)"},
        {"BURROW_HTTP_TIMEOUT", "30", "seconds to wait for a registry before retrying"},
        {"BURROW_RETRY_MS", "500", "first backoff between registry retries, doubling"},
        {"BURROW_MAX_CONNECTIONS", "8", "parallel layer downloads per pull"},
        {"BURROW_INSECURE_REGISTRIES", "", "registries (host[:port], comma list) reached over http"},
        {"BURROW_ALLOW_HTTP", "no", "yes: any registry may be reached over http"},
        {"BURROW_SUBUID_FILE", "/etc/subuid", "subordinate uid ranges"},
        {"BURROW_SUBGID_FILE", "/etc/subgid", "subordinate gid ranges"},
        {"BURROW_UNPACK_MAX_ENTRIES", "10000000", "most entries a layer may hold"},
        {"BURROW_UNPACK_MAX_BYTES", "1099511627776", "most bytes a layer may unpack to"},
        {"BURROW_HOST_ROOT", "/", "root of the host burrow check inspects"},
};
const size_t config_n_keys = sizeof(config_keys) / sizeof(config_keys[0]);

/* Each key's origin once config_load or config_load_extra ran; NULL: default or environment. */
static char *origins[sizeof(config_keys) / sizeof(config_keys[0])];

static long key_index(const char *name, size_t n)
{
	if (n > 7 && strncmp(name, "BURROW_", 7) == 0) {
		name += 7;
		n -= 7;
	}
	for (size_t i = 0; i < config_n_keys; i++) {
		const char *short_name = config_keys[i].name + 7;
		if (strlen(short_name) == n && strncmp(short_name, name, n) == 0)
			return (long)i;
	}
	return -1;
}

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The value of an expandable variable: the XDG base directories default as the spec says. */
static int expansion(const char *name, size_t n, char **out)
{
	char buf[32];
	const char *v = NULL;
	cleanup_free char *owned = NULL;
	if (n == 3 && strncmp(name, "UID", 3) == 0) {
		snprintf(buf, sizeof(buf), "%u", (unsigned)getuid());
		v = buf;
	} else if ((n == 4 && strncmp(name, "HOME", 4) == 0) || (n == 4 && strncmp(name, "USER", 4) == 0) ||
	           (n > 4 && strncmp(name, "XDG_", 4) == 0)) {
		cleanup_free char *key = strndup(name, n);
		if (!key)
			return -1;
		v = getenv(key);
		static const char *const xdg_defaults[][2] = {{"XDG_DATA_HOME", ".local/share"},
		                                              {"XDG_CONFIG_HOME", ".config"},
		                                              {"XDG_CACHE_HOME", ".cache"},
		                                              {"XDG_STATE_HOME", ".local/state"}};
		for (size_t i = 0; (!v || !*v) && i < sizeof(xdg_defaults) / sizeof(xdg_defaults[0]); i++) {
			const char *home = getenv("HOME");
			if (strcmp(key, xdg_defaults[i][0]) == 0 && home &&
			    asprintf(&owned, "%s/%s", home, xdg_defaults[i][1]) >= 0)
				v = owned;
		}
	} else {
		return 1;
	}
	*out = strdup(v ? v : "");
	return *out ? 0 : -1;
}

/* The value text [p, end) with its quotes removed and variables expanded. */
static char *parse_value(const char *p, const char *end, const char *path, unsigned line, struct error *err)
{
	char quote = 0;
	if (end - p >= 2 && (*p == '"' || *p == '\'') && end[-1] == *p) {
		quote = *p++;
		end--;
	}
	size_t cap = (size_t)(end - p) + 1, len = 0;
	cleanup_free char *out = malloc(cap);
	if (!out)
		goto nomem;
	while (p < end) {
		if (*p != '$' || quote == '\'') {
			out[len++] = *p++;
			continue;
		}
		const char *name = p + 1;
		bool braced = name < end && *name == '{';
		if (braced)
			name++;
		const char *q = name;
		while (q < end && is_name_char(*q))
			q++;
		if (q == name || (braced && (q >= end || *q != '}')))
			return error_set(err, EINVAL,
			                 "%s:%u: '$' must start $NAME or ${NAME} (write '...' to keep it)",
			                 path, line),
			       NULL;
		cleanup_free char *value = NULL;
		int rc = expansion(name, (size_t)(q - name), &value);
		if (rc < 0)
			goto nomem;
		if (rc > 0)
			return error_set(err, EINVAL,
			                 "%s:%u: $%.*s is not expanded (only $HOME, $USER, $UID and $XDG_*)",
			                 path, line, (int)(q - name), name),
			       NULL;
		size_t vlen = strlen(value);
		char *grown = realloc(out, cap + vlen);
		if (!grown)
			goto nomem;
		out = grown;
		cap += vlen;
		memcpy(out + len, value, vlen);
		len += vlen;
		p = braced ? q + 1 : q;
	}
	out[len] = '\0';
	return steal_pointer(&out);
nomem:
	error_set(err, ENOMEM, "out of memory");
	return NULL;
}

static int add_setting(struct config_file *f, long idx, char *value, unsigned line)
{
	struct config_setting *grown = realloc(f->settings, (f->n_settings + 1) * sizeof(*grown));
	if (!grown) {
		free(value);
		return -1;
	}
	f->settings = grown;
	f->settings[f->n_settings++] =
	        (struct config_setting){.key = strdup(config_keys[idx].name), .value = value, .line = line};
	return f->settings[f->n_settings - 1].key ? 0 : -1;
}

static int add_mount_line(struct config_file *f, const char *p, size_t n, unsigned line)
{
	size_t count = strv_len(f->mounts);
	unsigned *grown = realloc(f->mount_lines, (count + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	f->mount_lines = grown;
	grown[count] = line;
	return strv_push_owned(&f->mounts, strndup(p, n));
}

enum section {
	SECTION_SETTINGS,
	SECTION_ENVIRON,
	SECTION_MOUNTS
};

static int parse_line(struct config_file *f, enum section *section, bool sections, const char *p,
                      const char *end, const char *path, unsigned line, struct error *err)
{
	if (*p == '[') {
		static const char *const names[] = {"[settings]", "[environ]", "[mounts]"};
		size_t n = (size_t)(end - p);
		for (size_t i = 0; sections && i < 3; i++) {
			if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0) {
				*section = (enum section)i;
				return 0;
			}
		}
		if (!sections)
			return error_set(err, EINVAL,
			                 "%s:%u: sections such as %.*s belong in --conf files (use environ.d "
			                 "and mounts.d)",
			                 path, line, (int)n, p);
		return error_set(err, EINVAL,
		                 "%s:%u: unknown section %.*s (use [settings], [environ] or [mounts])", path,
		                 line, (int)n, p);
	}
	if (*section == SECTION_MOUNTS)
		return add_mount_line(f, p, (size_t)(end - p), line) < 0
		               ? error_set(err, ENOMEM, "out of memory")
		               : 0;
	const char *k = p;
	while (p < end && is_name_char(*p))
		p++;
	size_t klen = (size_t)(p - k);
	const char *sep = p;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	bool eq = p < end && *p == '=';
	if (eq)
		p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (klen == 0 || (sep == p && p < end))
		return error_set(err, EINVAL, "%s:%u: expected KEY VALUE or KEY=VALUE", path, line);
	char *value = parse_value(p, end, path, line, err);
	if (!value)
		return -1;
	if (*section == SECTION_ENVIRON) {
		char *entry = NULL;
		int rc = asprintf(&entry, "%.*s=%s", (int)klen, k, value);
		free(value);
		if (rc < 0 || strv_push_owned(&f->environ, entry) < 0)
			return error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	long idx = key_index(k, klen);
	if (idx < 0) {
		free(value);
		return error_set(err, EINVAL, "%s:%u: unknown setting %.*s (burrow info lists them)", path,
		                 line, (int)klen, k);
	}
	return add_setting(f, idx, value, line) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

int config_parse(const char *text, const char *path, bool sections, struct config_file *out,
                 struct error *err)
{
	memset(out, 0, sizeof(*out));
	enum section section = SECTION_SETTINGS;
	unsigned line = 0;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n');
		const char *next = *end ? end + 1 : end;
		line++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if (p < end && *p != '#' &&
		    parse_line(out, &section, sections, p, end, path, line, err) < 0) {
			config_file_free(out);
			return -1;
		}
		p = next;
	}
	return 0;
}

void config_file_free(struct config_file *f)
{
	for (size_t i = 0; i < f->n_settings; i++) {
		free(f->settings[i].key);
		free(f->settings[i].value);
	}
	free(f->settings);
	strv_free(f->environ);
	strv_free(f->mounts);
	free(f->mount_lines);
	memset(f, 0, sizeof(*f));
}

char *config_system_dir(void)
{
	const char *v = getenv("BURROW_SYSCONF_PATH");
	return strdup(v && *v ? v : BURROW_SYSCONFDIR);
}

char *config_user_dir(void)
{
	const char *v = getenv("BURROW_CONFIG_PATH");
	if (v && *v)
		return strdup(v);
	char *out = NULL;
	v = getenv("XDG_CONFIG_HOME");
	if (v && v[0] == '/')
		return asprintf(&out, "%s/burrow", v) < 0 ? NULL : out;
	cleanup_free char *home = paths_home();
	if (!home)
		return NULL;
	return asprintf(&out, "%s/.config/burrow", home) < 0 ? NULL : out;
}

/* Whether a configuration directory is missing, asked of the filesystem once per process and
 * path: most machines have neither directory, and a start would otherwise try each of their
 * files (burrow.conf, environ.d, mounts.d, hooks.d) in both. */
static bool dir_missing(const char *dir)
{
	static char *known[2];
	static size_t n_known;
	for (size_t i = 0; i < n_known; i++)
		if (strcmp(known[i], dir) == 0)
			return true;
	struct stat st;
	if (stat(dir, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
		return false; /* present, or unreadable: the open that follows reports it */
	if (n_known < sizeof(known) / sizeof(known[0]) && (known[n_known] = strdup(dir)))
		n_known++;
	return true;
}

/* Parse path into f; a missing file gives an empty f. */
static int read_conf(const char *path, bool sections, struct config_file *f, struct error *err)
{
	memset(f, 0, sizeof(*f));
	cleanup_free char *text = fs_read_file_at(AT_FDCWD, path, false, CONFIG_FILE_MAX, NULL, err);
	if (!text) {
		if (err->code == ENOENT && !sections)
			return 0;
		error_prefix(err, "configuration %s", path);
		return -1;
	}
	return config_parse(text, path, sections, f, err);
}

static int set_origin(size_t idx, const char *path, unsigned line)
{
	free(origins[idx]);
	return asprintf(&origins[idx], "%s:%u", path, line) < 0 ? (origins[idx] = NULL, -1) : 0;
}

int config_load(struct error *err)
{
	cleanup_free char *sys_dir = config_system_dir();
	cleanup_free char *user_dir = config_user_dir();
	if (!sys_dir)
		return error_set(err, ENOMEM, "out of memory");
	const char *dirs[] = {sys_dir, user_dir};
	/* The last file to set a key gives its value; the environment, when set, beats both. */
	for (size_t d = 0; d < 2; d++) {
		if (!dirs[d] || dir_missing(dirs[d]))
			continue;
		cleanup_free char *path = NULL;
		if (asprintf(&path, "%s/burrow.conf", dirs[d]) < 0)
			return error_set(err, ENOMEM, "out of memory");
		struct config_file f;
		if (read_conf(path, false, &f, err) < 0)
			return -1;
		for (size_t i = 0; i < f.n_settings; i++) {
			long idx = key_index(f.settings[i].key, strlen(f.settings[i].key));
			const char *env = getenv(f.settings[i].key);
			if (env && !origins[idx])
				continue;
			if (setenv(f.settings[i].key, f.settings[i].value, 1) < 0 ||
			    set_origin((size_t)idx, path, f.settings[i].line) < 0) {
				config_file_free(&f);
				return error_set(err, ENOMEM, "out of memory");
			}
		}
		config_file_free(&f);
	}
	return 0;
}

int config_load_extra(const char *path, struct config_file *out, struct error *err)
{
	if (read_conf(path, true, out, err) < 0)
		return -1;
	for (size_t i = 0; i < out->n_settings; i++) {
		long idx = key_index(out->settings[i].key, strlen(out->settings[i].key));
		if (setenv(out->settings[i].key, out->settings[i].value, 1) < 0 ||
		    set_origin((size_t)idx, path, out->settings[i].line) < 0) {
			config_file_free(out);
			return error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

const char *config_origin(const char *name)
{
	long idx = key_index(name, strlen(name));
	if (idx >= 0 && origins[idx])
		return origins[idx];
	return getenv(name) ? "environment" : "default";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append dir/subdir's matching files, sorted, to *out. */
static int list_dir(const char *dir, const char *subdir, const char *suffix, bool executables, char ***out,
                    struct error *err)
{
	cleanup_free char *path = NULL;
	if (dir_missing(dir))
		return 0;
	if (asprintf(&path, "%s/%s", dir, subdir) < 0)
		return error_set(err, ENOMEM, "out of memory");
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : error_errno(err, "configuration %s", path);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_errno(err, "configuration %s", path);
	}
	cleanup_strv char **names = calloc(1, sizeof(char *));
	int rc = names ? 0 : -1;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		size_t n = strlen(e->d_name), s = suffix ? strlen(suffix) : 0;
		if (e->d_name[0] == '.' || n <= s || (suffix && strcmp(e->d_name + n - s, suffix) != 0))
			continue;
		/* A hook is an executable regular file; anything else there is skipped silently. */
		struct stat st;
		if (executables && (fstatat(fd, e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		                    faccessat(fd, e->d_name, X_OK, AT_EACCESS) < 0))
			continue;
		rc = strv_push(&names, e->d_name);
	}
	if (rc < 0) {
		closedir(d);
		return error_set(err, ENOMEM, "out of memory");
	}
	qsort(names, strv_len(names), sizeof(char *), by_name);
	for (size_t i = 0; names[i]; i++) {
		char *full = NULL;
		if (asprintf(&full, "%s/%s", path, names[i]) < 0 || strv_push_owned(out, full) < 0) {
			closedir(d);
			return error_set(err, ENOMEM, "out of memory");
		}
	}
	closedir(d);
	return 0;
}

char **config_dir_files(const char *subdir, const char *suffix, bool executables, struct error *err)
{
	cleanup_free char *sys_dir = config_system_dir();
	cleanup_free char *user_dir = config_user_dir();
	cleanup_strv char **out = calloc(1, sizeof(char *));
	if (!out || !sys_dir)
		return error_set(err, ENOMEM, "out of memory"), NULL;
	if (list_dir(sys_dir, subdir, suffix, executables, &out, err) < 0)
		return NULL;
	if (user_dir && strcmp(user_dir, sys_dir) != 0 &&
	    list_dir(user_dir, subdir, suffix, executables, &out, err) < 0)
		return NULL;
	return steal_pointer(&out);
}
