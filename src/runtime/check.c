/* The judgement of `burrow check`: facts in, one line per requirement out, each KO or WARN
 * with the command that fixes it. Pure: no file, no process, so every verdict is unit-tested. */
#include "runtime/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set(struct check_line *line, enum check_status status, const char *requirement, const char *fix,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set(struct check_line *line, enum check_status status, const char *requirement, const char *fix,
                const char *fmt, ...)
{
	line->status = status;
	line->requirement = requirement;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line->detail, sizeof(line->detail), fmt, ap);
	va_end(ap);
	snprintf(line->fix, sizeof(line->fix), "%s", fix ? fix : "");
}

static void judge_userns(const struct check_facts *f, struct check_line *line)
{
	const char *name = "user namespaces";
	if (f->max_user_namespaces == 0)
		set(line, CHECK_KO, name,
		    "as root: sysctl -w user.max_user_namespaces=15000 (and in /etc/sysctl.d)",
		    "disabled: user.max_user_namespaces = 0");
	else if (f->unprivileged_userns_clone == 0)
		set(line, CHECK_KO, name,
		    "as root: sysctl -w kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d)",
		    "disabled for users: kernel.unprivileged_userns_clone = 0");
	else if (f->apparmor_restrict_unprivileged_userns == 1 && f->overlay_errno != 0)
		/* Ubuntu lets the namespace be created but strips its capabilities, unless an
		 * AppArmor profile allows burrow: only a live overlay mount that worked proves that. */
		set(line, CHECK_KO, name,
		    "as root: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor "
		    "profile allowing userns for burrow",
		    "restricted by AppArmor: kernel.apparmor_restrict_unprivileged_userns = 1");
	else if (f->userns_errno > 0)
		set(line, CHECK_KO, name,
		    "ask your administrator to allow unprivileged user namespaces (seccomp, LSM or "
		    "container policy)",
		    "cannot create one: %s", strerror(f->userns_errno));
	else if (f->max_user_namespaces > 0)
		set(line, CHECK_OK, name, NULL, "allowed (user.max_user_namespaces = %ld)",
		    f->max_user_namespaces);
	else
		set(line, CHECK_OK, name, NULL, "allowed");
}

static void judge_overlay(const struct check_facts *f, bool userns_ok, struct check_line *line)
{
	const char *name = "overlayfs in a user namespace";
	if (!userns_ok && f->overlay_errno == CHECK_UNKNOWN)
		set(line, CHECK_KO, name, "allow user namespaces first (the line above)",
		    "cannot be used without user namespaces");
	else if (!f->overlay_listed)
		set(line, CHECK_KO, name, "as root: modprobe overlay (and list it in /etc/modules-load.d)",
		    "overlay is not in /proc/filesystems");
	else if (f->overlay_errno > 0)
		set(line, CHECK_KO, name,
		    "needs Linux 5.11 or later; until then --rw writes into the container directly",
		    "mounting one with userxattr failed: %s", strerror(f->overlay_errno));
	else
		set(line, CHECK_OK, name, NULL, "%s", f->overlay_errno == 0 ? "works" : "available");
}

/* Which way start and create will read image files: served by burrow over FUSE, or unpacked. */
static void judge_fuse(const struct check_facts *f, struct check_line *line)
{
	const char *name = "/dev/fuse";
	const char *unpacked = "image files (.sqsh) will be unpacked once into the cache instead of "
	                       "served over FUSE";
	if (f->fuse_disabled)
		set(line, CHECK_WARN, name, "unset BURROW_FUSE", "%s: %s", f->fuse_disabled, unpacked);
	else if (!f->fuse_present)
		set(line, CHECK_WARN, name, "as root: modprobe fuse (and list it in /etc/modules-load.d)",
		    "missing: %s", unpacked);
	else if (!f->fuse_usable)
		set(line, CHECK_WARN, name,
		    "as root: chmod 0666 /dev/fuse, the usual mode (a udev rule keeps it)",
		    "not readable and writable by %s (mode %04o): %s", f->user,
		    (unsigned)(f->fuse_mode & 07777), unpacked);
	else if (f->fuse_errno > 0)
		set(line, CHECK_WARN, name,
		    "needs Linux 4.18 or later; until then set BURROW_FUSE=no to unpack image files",
		    "mounting fuse in a user namespace failed: %s", strerror(f->fuse_errno));
	else
		set(line, CHECK_OK, name, NULL,
		    "usable by %s: image files (.sqsh) are served by burrow over FUSE", f->user);
}

static void judge_squashfuse(const struct check_facts *f, struct check_line *line)
{
	const char *name = "squashfuse";
	if (!f->squashfuse_present)
		set(line, CHECK_WARN, name, "as root: apt-get install squashfuse",
		    "not on PATH: .sqsh files cannot be inspected outside burrow");
	else
		set(line, CHECK_OK, name, NULL, "present");
}

static void judge_subids(const struct check_facts *f, struct check_line *line)
{
	const char *name = "subordinate ids";
	if (!f->subuid_entry || !f->subgid_entry) {
		char fix[256];
		snprintf(fix, sizeof(fix),
		         "as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s",
		         f->user);
		set(line, CHECK_WARN, name, fix, "%s has no range in %s: --root maps only your own id",
		    f->user, !f->subuid_entry ? f->subuid_file : f->subgid_file);
	} else if (!f->newuidmap_present || !f->newgidmap_present)
		set(line, CHECK_WARN, name, "as root: apt-get install uidmap",
		    "%s not on PATH: --root maps only your own id",
		    !f->newuidmap_present ? "newuidmap" : "newgidmap");
	else
		set(line, CHECK_OK, name, NULL, "%s has ranges in %s and %s; newuidmap and newgidmap present",
		    f->user, f->subuid_file, f->subgid_file);
}

static void judge_data_path(const struct check_facts *f, struct check_line *line)
{
	const char *name = "data path";
	if (!f->data_path[0])
		set(line, CHECK_KO, name, "set BURROW_DATA_PATH (or HOME)",
		    "unknown: HOME is not set and nor is BURROW_DATA_PATH");
	else if (!f->data_fstype[0])
		set(line, CHECK_WARN, name, "check that the data path is on a local disk",
		    "%s: filesystem type unknown", f->data_path);
	else if (check_fstype_is_network(f->data_fstype))
		set(line, CHECK_WARN, name, "set BURROW_DATA_PATH to a local disk, e.g. /tmp or /local",
		    "%s is on %s: containers belong on a local disk", f->data_path, f->data_fstype);
	else
		set(line, CHECK_OK, name, NULL, "%s is on %s", f->data_path, f->data_fstype);
}

int check_judge(const struct check_facts *facts, struct check_line lines[CHECK_LINES])
{
	judge_userns(facts, &lines[0]);
	judge_overlay(facts, lines[0].status == CHECK_OK, &lines[1]);
	judge_fuse(facts, &lines[2]);
	judge_squashfuse(facts, &lines[3]);
	judge_subids(facts, &lines[4]);
	judge_data_path(facts, &lines[5]);
	int ko = 0;
	for (int i = 0; i < CHECK_LINES; i++)
		ko += lines[i].status == CHECK_KO;
	return ko;
}

const char *check_status_name(enum check_status status)
{
	return status == CHECK_OK ? "OK" : status == CHECK_WARN ? "WARN" : "KO";
}

bool check_fstype_is_network(const char *fstype)
{
	static const char *const network[] = {"nfs",       "nfs4",  "lustre",   "gpfs", "beegfs",
	                                      "ceph",      "cifs",  "smb3",     "9p",   "afs",
	                                      "glusterfs", "pvfs2", "orangefs", NULL};
	for (size_t i = 0; network[i]; i++)
		if (strcmp(fstype, network[i]) == 0)
			return true;
	/* FUSE clients of cluster filesystems (fuse.glusterfs, fuse.sshfs, fuse.ceph...) */
	return strncmp(fstype, "fuse.", 5) == 0 || strcmp(fstype, "fuse") == 0;
}

/* Whether mount point mp holds path: equal, or a parent directory of it. */
static size_t mount_prefix(const char *mp, const char *path)
{
	size_t len = strlen(mp);
	if (strcmp(mp, "/") == 0)
		return 1;
	if (strncmp(mp, path, len) != 0 || (path[len] != '/' && path[len] != '\0'))
		return 0;
	return len;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

bool check_mountinfo_fstype(const char *mountinfo, const char *path, char *fstype, size_t size)
{
	size_t best = 0;
	bool found = false;
	for (const char *line = mountinfo; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[4096];
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
			char *save = NULL, *field = strtok_r(buf, " ", &save);
			char *mp = NULL;
			for (int i = 0; field && i < 4; i++)
				field = strtok_r(NULL, " ", &save);
			mp = field;
			while (field && strcmp(field, "-") != 0)
				field = strtok_r(NULL, " ", &save);
			char *type = field ? strtok_r(NULL, " ", &save) : NULL;
			if (mp && type) {
				unescape(mp);
				size_t match = mount_prefix(mp, path);
				if (match > 0 && match >= best) {
					best = match;
					snprintf(fstype, size, "%s", type);
					found = true;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
	return found;
}
