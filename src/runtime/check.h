/* Host readiness (`burrow check`): the facts probed from the host, and the pure judgement that
 * turns them into one line per requirement with its fix. Probing lives in check_probe.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum check_status {
	CHECK_OK,
	CHECK_WARN,
	CHECK_KO
};

#define CHECK_UNKNOWN (-1) /* a sysctl knob that does not exist, or a probe not run */

struct check_facts {
	const char *user;
	/* User namespaces: the sysctl knobs, and the errno of really creating one (0: it worked). */
	long max_user_namespaces;
	long unprivileged_userns_clone;             /* Debian's kernel.unprivileged_userns_clone */
	long apparmor_restrict_unprivileged_userns; /* Ubuntu's */
	int userns_errno;
	/* overlayfs: listed in /proc/filesystems, and the errno of mounting one with userxattr
	 * inside a user namespace (0: it worked). */
	bool overlay_listed;
	int overlay_errno;
	/* /dev/fuse: present, usable (read and write) by the user, its mode. */
	bool fuse_present, fuse_usable;
	mode_t fuse_mode;
	/* The errno of mounting fuse inside a user namespace (0: it worked), and BURROW_FUSE=no
	 * (the reason image files are unpacked, NULL when not set). */
	int fuse_errno;
	const char *fuse_disabled;
	bool squashfuse_present;
	/* Subordinate ids: the files read, whether the user has a range in each, and the helpers. */
	const char *subuid_file, *subgid_file;
	bool subuid_entry, subgid_entry;
	bool newuidmap_present, newgidmap_present;
	/* The data path ("" when unknown: no HOME) and the type of the filesystem holding it
	 * ("" when unknown). */
	char data_path[4096];
	char data_fstype[64];
};

struct check_line {
	enum check_status status;
	const char *requirement;
	char detail[256];
	char fix[256]; /* empty when OK */
};

#define CHECK_LINES 6

/* Fill lines[CHECK_LINES] from facts; returns the number of KO lines. */
int check_judge(const struct check_facts *facts, struct check_line lines[CHECK_LINES]);

/* "OK", "WARN" or "KO". */
const char *check_status_name(enum check_status status);

/* Whether a filesystem type is a network or cluster filesystem, poor for container storage
 * (nfs, lustre, gpfs, ...). */
bool check_fstype_is_network(const char *fstype);

/* The filesystem type of the mount holding path, from /proc/self/mountinfo text: the entry
 * whose mount point is the longest prefix of path (the last one wins among equals, as later
 * mounts hide earlier ones). Returns false when none matches. */
bool check_mountinfo_fstype(const char *mountinfo, const char *path, char *fstype, size_t size);

/* Gather the facts about this host. Host files are read under BURROW_HOST_ROOT (default
 * "/"); the live probes (creating a user namespace, mounting overlayfs in one) run only when
 * that root is "/", elsewhere the files decide. */
void check_probe(struct check_facts *facts);
