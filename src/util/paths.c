/* Where burrow keeps things: data (containers), cache (images), runtime (running instances).
 * Only path computation; nothing is created here. */
#include "util/paths.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *paths_home(void)
{
	/* A HOME that is not the caller's is inherited from someone else: slurmstepd runs a
	 * job's OCI runtime with slurmd's HOME=/root, and sudo keeps the user's HOME for root. */
	const char *home = getenv("HOME");
	struct stat st;
	if (home && home[0] == '/' && stat(home, &st) == 0 && st.st_uid == getuid())
		return strdup(home);
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
		return strdup(pw->pw_dir);
	return home && home[0] == '/' ? strdup(home) : NULL;
}

static char *xdg_path(const char *override, const char *xdg, const char *home_suffix)
{
	const char *v = getenv(override);
	if (v && v[0] == '/')
		return strdup(v);
	char *out = NULL;
	v = getenv(xdg);
	if (v && v[0] == '/') {
		if (asprintf(&out, "%s/burrow", v) < 0)
			return NULL;
		return out;
	}
	char *home = paths_home();
	if (!home)
		return NULL;
	if (asprintf(&out, "%s/%s/burrow", home, home_suffix) < 0)
		out = NULL;
	free(home);
	return out;
}

char *paths_data(void)
{
	return xdg_path("BURROW_DATA_PATH", "XDG_DATA_HOME", ".local/share");
}

char *paths_cache(void)
{
	return xdg_path("BURROW_CACHE_PATH", "XDG_CACHE_HOME", ".cache");
}

char *paths_runtime(void)
{
	const char *v = getenv("BURROW_RUNTIME_PATH");
	if (v && v[0] == '/')
		return strdup(v);
	char *out = NULL;
	v = getenv("XDG_RUNTIME_DIR");
	int rc = v && v[0] == '/' ? asprintf(&out, "%s/burrow", v)
	                          : asprintf(&out, "/tmp/burrow-%u", (unsigned)getuid());
	return rc < 0 ? NULL : out;
}
