/* The run plan: everything a start will do, decided before any namespace exists, except what
 * depends on the root's contents (an overlay's merged view exists only inside the namespace):
 * those few choices are completed by plan_resolve_in_root once the root is mounted.
 * Built from a start source and the start options; performed by rootfs.c and spawn.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/identity.h"
#include "runtime/idmap.h"
#include "util/config.h"
#include "util/error.h"

enum plan_mount_kind {
	PLAN_MOUNT_BIND,    /* host source, recursive bind */
	PLAN_MOUNT_TMPFS,   /* fresh tmpfs; options in data */
	PLAN_MOUNT_PROC,    /* fresh procfs of the new PID namespace */
	PLAN_MOUNT_CONTENT, /* a read-only file whose bytes are data (passwd, group); data NULL
	                     * until plan_resolve_in_root fills it */
	PLAN_MOUNT_SYMLINK, /* a symlink at target pointing to data (made in a tmpfs such as /dev) */
	PLAN_MOUNT_SYSFS,   /* fresh sysfs (needs the plan's own network namespace), else a bind of /sys */
	PLAN_MOUNT_DEVPTS,  /* fresh devpts instance; options in data ("newinstance,ptmxmode=0666,...") */
	PLAN_MOUNT_MQUEUE,  /* fresh mqueue (needs the plan's own IPC namespace) */
	PLAN_MOUNT_CGROUP,  /* the cgroup hierarchy, read-only bind of the host's (rootless: no delegation) */
};

/* What to make when a mount point is missing in the root. */
enum plan_create {
	PLAN_CREATE_AUTO, /* a directory, or an empty file when the source is not a directory */
	PLAN_CREATE_DIR,  /* mounts.d's x-create=dir */
	PLAN_CREATE_FILE, /* x-create=file */
	PLAN_CREATE_NONE, /* mounts.d without x-create: the mount point must exist */
};

struct plan_mount {
	enum plan_mount_kind kind;
	enum plan_create create;
	char *source; /* PLAN_MOUNT_BIND: absolute host path */
	char *target; /* absolute path inside the container */
	char *data;   /* TMPFS: fsconfig options "mode=1777,size=..."; CONTENT: bytes; SYMLINK: link text */
	bool readonly;
	bool optional;      /* skip when the source (or, with PLAN_CREATE_NONE, the mount point) is missing */
	unsigned int attrs; /* MOUNT_ATTR_NOSUID/NODEV/NOEXEC set on the mount besides readonly */
};

/* A root made of image layers: an overlay mounted inside the namespace (userxattr). */
struct plan_overlay {
	char **lowers; /* host paths, top layer first; NULL: the root is the plain directory rootfs */
	char *upper;   /* a container's upper dir (--rw); NULL: a throw-away one (tmpfs_upper) */
	char *work;
	bool tmpfs_upper; /* changes go to a tmpfs of the namespace and vanish with it */
	char *image_file; /* host path of an image file served over FUSE as the bottom layer */
};

/* What a start runs: a container's plain tree, or image layers (with a container's upper dir,
 * or none for an image started directly). */
struct start_source {
	const char *label;             /* for messages: the container or image name */
	const char *rootfs;            /* the plain tree, or an empty directory to mount on */
	char *const *layers;           /* NULL for a plain tree; else layer dirs, top first */
	const char *upper, *work;      /* a container's own; NULL for an image */
	const char *image_file;        /* an image file served over FUSE below layers; may be NULL */
	char *const *image_env;        /* the image config's Env, may be NULL */
	char *const *image_cmd;        /* the image's Entrypoint + Cmd, may be NULL or empty */
	char *const *image_entrypoint; /* its Entrypoint alone, may be NULL */
	char *const *image_cmd_args;   /* its Cmd alone, may be NULL */
	const char *image_workdir;     /* its WorkingDir, may be NULL */
};

/* A resource limit set before exec (OCI process.rlimits, docker's --ulimit). */
struct plan_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* Namespaces a plan may join by path instead of making (OCI linux.namespaces[].path). */
enum plan_namespace {
	PLAN_NS_NET,
	PLAN_NS_UTS,
	PLAN_NS_IPC,
	PLAN_NS_PID,
	PLAN_NS_CGROUP,
	PLAN_NS_COUNT,
};

struct seccomp_profile; /* runtime/seccomp.h */

/* What the program's process gets beyond a plain start (OCI process.* and linux.*, docker run's
 * --cap-*, --ulimit, --security-opt, --group-add, --sysctl). All zero: nothing beyond a plain
 * start, which keeps every capability the user namespace gives and sets no_new_privs. */
struct plan_process {
	bool caps_set; /* the five sets below replace the user namespace's full set */
	uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
	struct plan_rlimit *rlimits;
	size_t n_rlimits;
	bool umask_set;
	mode_t umask;
	bool oom_score_adj_set;
	int oom_score_adj;
	uint32_t *additional_gids; /* ids inside the container, setgroups(2) before exec */
	size_t n_additional_gids;
	bool keep_new_privs;             /* OCI noNewPrivileges false: leave no_new_privs unset */
	struct seccomp_profile *seccomp; /* loaded last before exec; NULL: none */
};

struct run_plan {
	char *rootfs; /* host path of the root filesystem, or of the directory the overlay goes on */
	struct plan_overlay overlay;
	bool rootfs_readonly;
	bool new_pid;
	struct idmap uids, gids;
	struct plan_mount *mounts; /* in order; a later target may lie under an earlier one */
	size_t n_mounts;
	char **argv;
	char **env;
	char *workdir;                /* inside the container; NULL until resolved in the root */
	bool create_workdir;          /* make workdir in the root when missing (run, as docker does) */
	char *hostname;               /* new UTS namespace with this name; NULL: the host's */
	bool network_none;            /* new network namespace with only lo, up */
	bool new_ipc;                 /* new IPC namespace */
	bool new_cgroup;              /* new cgroup namespace */
	char *ns_join[PLAN_NS_COUNT]; /* join these (paths such as /proc/PID/ns/net) instead; NULL: not */
	struct plan_process process;
	char **masked_paths;   /* inside the container: hidden (/dev/null over files, an empty
	                        * read-only tmpfs over directories); missing ones skipped */
	char **readonly_paths; /* inside the container: made read-only; missing ones skipped */
	char **sysctls;        /* "key=value", written under /proc/sys inside the namespaces */

	/* An OCI bundle's plan (src/oci/): argv, env, workdir and every mount come from its
	 * config.json; plan_resolve_in_root adds no identity files and chooses no workdir. */
	bool oci;
	/* For the running instance's record: the container's name or the image's label. */
	char *label;
	bool label_is_container;
	/* Inputs of plan_resolve_in_root. */
	struct identity identity;
	char *cwd;           /* the caller's working directory on the host */
	bool no_cwd;         /* --no-cwd */
	bool default_argv;   /* no command given and none in the image: the login shell */
	char *image_workdir; /* start: the image's WorkingDir, used when the cwd is not visible */
	char **hooks;        /* hooks.d programs, run by rootfs_enter before pivot_root */
	int fuse_sock;       /* set by spawn_run: where the child sends the image file's FUSE connection */
};

struct start_options {
	bool root, rw, new_pid, no_cwd;
	char **mounts; /* -m specs as given */
	char **env;    /* -e arguments as given */
	const char *workdir;
	char **argv; /* command, or NULL for the default */
	/* run (docker's semantics): a command replaces Cmd only, --entrypoint replaces Entrypoint
	 * ("" clears it) and Cmd; the working directory is -w, else WorkingDir, else "/", made
	 * when missing. Without it (start, Enroot's): a command replaces both, and the working
	 * directory is -w, else the cwd when visible, else WorkingDir when it exists, else home. */
	bool docker;
	const char *entrypoint; /* docker: --entrypoint; NULL: the image's */
	const char *hostname;   /* new UTS namespace */
	bool network_none;      /* new network namespace, only lo */
	char **tmpfs;           /* targets of fresh tmpfs mounts (--tmpfs) */
	bool user_set;          /* -u: the user is user_uid:user_gid inside (single-id maps) */
	uint32_t user_uid, user_gid;
	const struct config_file *conf; /* --conf FILE's [environ] and [mounts]; NULL without */
	const char *conf_path;
	/* run's process flags (--cap-*, --ulimit, --security-opt, --group-add, --oom-score-adj):
	 * moved into the plan by plan_build, which leaves it empty; NULL: none. */
	struct plan_process *process;
	char **masked_paths; /* --security-opt mask= */
	char **sysctls;      /* --sysctl KEY=VALUE, key dotted */
	bool new_ipc;        /* --ipc private */
};

/* The command a plan runs by the rules above: NULL-terminated, empty when neither the options
 * nor the image give one (then the login shell); NULL only when out of memory. */
char **plan_command(const struct start_source *src, const struct start_options *opts);

int plan_build(const struct start_source *src, const struct start_options *opts, struct run_plan *plan,
               struct error *err);
/* The choices that read the assembled root (root_fd): the shell, /etc/passwd and /etc/group,
 * whether the working directory needs a bind, the working directory itself. */
int plan_resolve_in_root(struct run_plan *plan, int root_fd, struct error *err);
void plan_free(struct run_plan *plan);
void plan_process_free(struct plan_process *p);
