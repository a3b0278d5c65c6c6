/* burrow oci spec, features and exec. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/oci.h"
#include "oci/config.h"
#include "oci/lifecycle.h"
#include "runtime/instance.h"
#include "runtime/join.h"
#include "runtime/spawn.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/paths.h"
#include "util/strv.h"

int oci_cmd_spec(const struct oci_cli *g, int argc, char **argv)
{
	static const struct option longopts[] = {{"bundle", required_argument, NULL, 'b'},
	                                         {"rootless", no_argument, NULL, 'r'},
	                                         {NULL, 0, NULL, 0}};
	const char *bundle = ".";
	bool rootless = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "b:", longopts, NULL)) != -1) {
		if (opt == 'b')
			bundle = optarg;
		else if (opt == 'r')
			rootless = true;
		else
			return oci_cli_usage("spec", "unknown option or missing value '%s'",
			                     argv[optind - 1]);
	}
	if (optind != argc)
		return oci_cli_usage("spec", "takes no arguments");
	struct error err;
	error_clear(&err);
	cleanup_free char *text = oci_config_default(rootless);
	cleanup_free char *path = NULL;
	if (!text || asprintf(&path, "%s/config.json", bundle) < 0)
		return oci_cli_fail(g, &(struct error){ENOMEM, "out of memory"});
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			error_set(&err, EEXIST, "%s exists already; remove it first", path);
		else
			error_errno(&err, "%s", path);
		return oci_cli_fail(g, &err);
	}
	if (fs_write_all(fd, text, strlen(text)) < 0 || fs_write_all(fd, "\n", 1) < 0) {
		error_errno(&err, "write %s", path);
		unlink(path);
		return oci_cli_fail(g, &err);
	}
	return 0;
}

int oci_cmd_features(const struct oci_cli *g, int argc, char **argv)
{
	(void)g;
	(void)argv;
	if (argc != 1)
		return oci_cli_usage("features", "takes no arguments");
	fputs("{\n"
	      "  \"ociVersionMin\": \"1.0.0\",\n"
	      "  \"ociVersionMax\": \"1.2.0\",\n"
	      "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", "
	      "\"poststart\", \"poststop\"],\n"
	      "  \"mountOptions\": [\"ro\", \"rw\", \"bind\", \"rbind\", \"nosuid\", \"suid\", \"nodev\", "
	      "\"dev\", \"noexec\", \"exec\", \"private\", \"rprivate\", \"slave\", \"rslave\", "
	      "\"relatime\", \"norelatime\", \"strictatime\", \"nostrictatime\", \"noatime\", \"atime\"],\n"
	      "  \"linux\": {\n"
	      "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", "
	      "\"uts\"],\n"
	      "    \"capabilities\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_KILL\", "
	      "\"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SYS_ADMIN\", \"CAP_NET_BIND_SERVICE\"],\n"
	      "    \"cgroup\": {\"v1\": false, \"v2\": false, \"systemd\": false, \"systemdUser\": false},\n"
	      "    \"seccomp\": {\"enabled\": true},\n"
	      "    \"apparmor\": {\"enabled\": false},\n"
	      "    \"selinux\": {\"enabled\": false},\n"
	      "    \"intelRdt\": {\"enabled\": false},\n"
	      "    \"mountExtensions\": {\"idmap\": {\"enabled\": false}}\n"
	      "  },\n"
	      "  \"annotations\": {\"org.opencontainers.runc.version\": \"burrow 0.1.0\"}\n"
	      "}\n",
	      stdout);
	return 0;
}

int oci_cmd_exec(const struct oci_cli *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"env", required_argument, NULL, 'e'},
	        {"cwd", required_argument, NULL, 'w'},
	        {"process", required_argument, NULL, 'p'},
	        {"tty", no_argument, NULL, 't'},
	        {"detach", no_argument, NULL, 'd'},
	        {"pid-file", required_argument, NULL, 'P'},
	        {"console-socket", required_argument, NULL, 'C'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_strv char **env = NULL;
	cleanup_strv char **p_argv = NULL;
	cleanup_strv char **p_env = NULL;
	cleanup_free char *p_cwd = NULL;
	const char *cwd = NULL, *process = NULL, *console_socket = NULL, *pid_file = NULL;
	bool tty = false, detach = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+e:p:td", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (strv_push(&env, optarg) < 0)
				return 1;
			break;
		case 'w':
			cwd = optarg;
			break;
		case 'p':
			process = optarg;
			break;
		case 't':
			tty = true;
			break;
		case 'd':
			detach = true;
			break;
		case 'P':
			pid_file = optarg;
			break;
		case 'C':
			console_socket = optarg;
			break;
		default:
			return oci_cli_usage("exec", "unknown option or missing value '%s'",
			                     argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return oci_cli_usage("exec", "expected a container ID");
	const char *id = argv[optind];
	struct error err;
	error_clear(&err);
	struct join_options o = {
	        .argv = argv + optind + 1, .workdir = cwd, .detach = detach, .pid_file = pid_file};
	if (process) {
		size_t len;
		struct oci_process_extra extra;
		cleanup_free char *text = fs_read_file_at(AT_FDCWD, process, false, 1 << 20, &len, &err);
		if (!text || oci_process_parse(text, len, &p_argv, &p_env, &p_cwd, &extra, &err) < 0)
			return oci_cli_fail(g, &err);
		tty = tty || extra.terminal;
		o.console_rows = extra.console_height;
		o.console_cols = extra.console_width;
		o.argv = p_argv;
		if (!cwd)
			o.workdir = p_cwd;
		if (strv_extend(&p_env, env) < 0)
			return 1;
		o.env = p_env;
	} else {
		if (!o.argv[0])
			return oci_cli_usage("exec", "expected a COMMAND after %s (or -p process.json)", id);
		o.env = env;
	}
	if (tty && !console_socket)
		return oci_cli_usage("exec", "--tty needs --console-socket SOCKET, where the pty's master "
		                             "goes (burrow keeps no terminal of its own to proxy)");
	if (console_socket && !tty)
		return oci_cli_usage("exec", "--console-socket needs --tty (or process.terminal true)");
	o.console_socket = console_socket;
	pid_t pid;
	if (oci_container_pid(g->root, id, &pid, &err) < 0)
		return oci_cli_fail(g, &err);
	cleanup_free char *runtime = paths_runtime();
	char pid_text[32];
	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	struct instance in;
	if (!runtime || instance_find(runtime, pid_text, &in, &err) < 0) {
		error_prefix(&err, "exec %s", id);
		return oci_cli_fail(g, &err);
	}
	int status = join_run(&in, &o, &err);
	if (err.msg[0]) {
		error_prefix(&err, "exec %s", id);
		oci_cli_fail(g, &err);
	}
	instance_free(&in);
	return status;
}
