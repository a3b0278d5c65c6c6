/* The config.json `burrow oci spec` writes: runc's template, made for a rootless start (no uid or
 * gid mappings: burrow fills in the caller's own, so one bundle serves every user). */
#include <jansson.h>
#include <stdlib.h>

#include "oci/config.h"

static json_t *mount_obj(const char *dest, const char *type, const char *source, const char *opts[])
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
	json_t *arr = json_array();
	for (size_t i = 0; opts[i]; i++)
		json_array_append_new(arr, json_string(opts[i]));
	json_object_set_new(o, "options", arr);
	return o;
}

char *oci_config_default(bool rootless)
{
	json_t *cfg = json_pack(
	        "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:[s, s, s], s:[s, s, s], s:[s, s, "
	        "s]}, s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s}",
	        "ociVersion", "1.0.2", "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", "sh",
	        "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	        "cwd", "/", "capabilities", "bounding", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
	        "effective", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "permitted",
	        "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "rlimits", "type", "RLIMIT_NOFILE",
	        "hard", 1024, "soft", 1024, "noNewPrivileges", 1, "root", "path", "rootfs", "readonly", 1,
	        "hostname", "burrow");
	if (!cfg)
		return NULL;
	json_t *mounts = json_array();
	json_array_append_new(mounts, mount_obj("/proc", "proc", "proc", (const char *[]){NULL}));
	json_array_append_new(mounts, mount_obj("/dev", "tmpfs", "tmpfs",
	                                        (const char *[]){"nosuid", "strictatime", "mode=755",
	                                                         "size=65536k", NULL}));
	json_array_append_new(mounts, mount_obj("/dev/pts", "devpts", "devpts",
	                                        (const char *[]){"nosuid", "noexec", "newinstance",
	                                                         "ptmxmode=0666", "mode=0620", NULL}));
	json_array_append_new(mounts, mount_obj("/dev/shm", "tmpfs", "shm",
	                                        (const char *[]){"nosuid", "noexec", "nodev", "mode=1777",
	                                                         "size=65536k", NULL}));
	json_array_append_new(mounts, mount_obj("/dev/mqueue", "mqueue", "mqueue",
	                                        (const char *[]){"nosuid", "noexec", "nodev", NULL}));
	json_array_append_new(mounts,
	                      mount_obj("/sys", "none", "/sys",
	                                (const char *[]){"rbind", "nosuid", "noexec", "nodev", "ro", NULL}));
	json_object_set_new(cfg, "mounts", mounts);
	json_t *ns = json_array();
	const char *types[] = {"pid", "ipc", "uts", "mount", rootless ? "user" : "network", NULL};
	for (size_t i = 0; types[i]; i++)
		json_array_append_new(ns, json_pack("{s:s}", "type", types[i]));
	if (!rootless)
		json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
	json_t *linux_obj = json_pack("{s:o}", "namespaces", ns);
	json_t *masked = json_array(), *ro = json_array();
	const char *masked_paths[] = {"/proc/acpi",
	                              "/proc/asound",
	                              "/proc/kcore",
	                              "/proc/keys",
	                              "/proc/latency_stats",
	                              "/proc/timer_list",
	                              "/proc/timer_stats",
	                              "/proc/sched_debug",
	                              "/sys/firmware",
	                              "/proc/scsi",
	                              NULL};
	const char *ro_paths[] = {"/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
	                          "/proc/sysrq-trigger", NULL};
	for (size_t i = 0; masked_paths[i]; i++)
		json_array_append_new(masked, json_string(masked_paths[i]));
	for (size_t i = 0; ro_paths[i]; i++)
		json_array_append_new(ro, json_string(ro_paths[i]));
	json_object_set_new(linux_obj, "maskedPaths", masked);
	json_object_set_new(linux_obj, "readonlyPaths", ro);
	json_object_set_new(cfg, "linux", linux_obj);
	char *text = json_dumps(cfg, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
	json_decref(cfg);
	return text;
}
