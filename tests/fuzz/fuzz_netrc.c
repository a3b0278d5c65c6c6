/* Fuzz harness: arbitrary text as a netrc file for a host from the first bytes, then as burrow's
 * credentials file through login and logout (temp dir). Checks: well-formed results, exact round trips. */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/auth.h"
#include "util/fs.h"

static char root[64];
static char creds_path[128];

static void remove_root(void)
{
	struct error err;
	fs_remove_tree_at(AT_FDCWD, root, &err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: every accepted input is written and fsynced. */
	snprintf(root, sizeof(root), "%s/fuzz_netrc.XXXXXX", fs_is_dir("/dev/shm") ? "/dev/shm" : "/tmp");
	if (!mkdtemp(root))
		abort();
	atexit(remove_root);
	char dir[96];
	snprintf(dir, sizeof(dir), "%s/burrow", root);
	snprintf(creds_path, sizeof(creds_path), "%s/.credentials", dir);
	struct error err;
	if (fs_mkdir_p(dir, 0700, &err) < 0)
		abort();
	setenv("XDG_CONFIG_HOME", root, 1);
	setenv("DOCKER_CONFIG", root, 1); /* no config.json there */
	unsetenv("REGISTRY_AUTH_FILE");
	return 0;
}

static void write_text(const char *text)
{
	int fd = open(creds_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void login_logout(const char *text, const char *host)
{
	static const char user[] = "fuzz user", secret[] = "p \"w\\ #";
	/* The lookup also tries Docker Hub's other names, which the plain parse below does not. */
	if (strstr(host, "docker.io"))
		return;
	struct credentials c;
	struct error err;
	int before = credentials_from_netrc(text, host, &c, &err);
	credentials_free(&c);
	write_text(text);
	if (credentials_save(host, user, secret, &err) < 0) {
		if (!err.msg[0])
			abort();
		return;
	}
	if (credentials_lookup(host, NULL, &c, &err) != 1 || strcmp(c.user, user) != 0 ||
	    strcmp(c.secret, secret) != 0)
		abort();
	credentials_free(&c);
	if (credentials_forget(host, &err) != 1)
		abort();
	int after = credentials_lookup(host, NULL, &c, &err);
	credentials_free(&c);
	/* With neither a machine entry for host nor a default before, there is none after. */
	if (before == 0 && after != 0)
		abort();
	if (after == 1 && before != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t host_len = data[0] & 0x1f;
	if (host_len > size - 1)
		host_len = size - 1;
	char *host = strndup((const char *)data + 1, host_len);
	size_t rest = size - 1 - host_len;
	char *text = malloc(rest + 1);
	if (!host || !text)
		abort();
	memcpy(text, data + 1 + host_len, rest);
	text[rest] = '\0';

	struct credentials c = {0};
	struct error err;
	int rc = credentials_from_netrc(text, host, &c, &err);
	if (rc == 1 && (!c.user || !c.secret))
		abort();
	if (rc != 1 && (c.user || c.secret))
		abort();
	if (rc == -1 && !err.msg[0])
		abort();
	if (rc < -1 || rc > 1)
		abort();
	credentials_free(&c);
	if (rc >= 0 && (data[0] & 0x20))
		login_logout(text, host);
	free(text);
	free(host);
	return 0;
}
