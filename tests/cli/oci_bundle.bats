#!/usr/bin/env bats
# burrow oci: one test per config.json field burrow honours, and the named errors for the
# ones it refuses. As the unprivileged test user, with a busybox bundle from `oci spec`.

load helpers
load fixtures/expect
load fixtures/oci
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	make_bundle
	mkdir "$TEST_TMP/share"
	chown "$TEST_USER:" "$TEST_TMP/share"
}

teardown() {
	burrow_teardown
}

# in_container SCRIPT: run `sh -c SCRIPT` in the bundle; status and output as bats's run.
in_container() {
	set_args sh -c "$1"
	run --separate-stderr oci_run
}

# add_mount JSON: append one entry to mounts.
add_mount() { edit_config ".mounts += [$1]"; }

# A bind of $TEST_TMP/share at /share with OPTIONS (a JSON array).
share_mount() { add_mount "{\"destination\": \"/share\", \"type\": \"bind\", \"source\": \"$TEST_TMP/share\", \"options\": $1}"; }

# refused JQ_FILTER WORDS...: the edit makes run fail with one error line naming WORDS.
refused() {
	local filter=$1
	shift
	set_args true
	edit_config "$filter"
	run --separate-stderr oci_run
	[ "$status" -ne 0 ]
	one_error_line "$@"
	run oci list -q
	same "$output" ""
}

@test "process.args are the program and its arguments, no shell between" {
	set_args echo 'a  b' '$HOME'
	run --separate-stderr oci_run
	same "$output" 'a  b $HOME'
}

@test "process.env is the program's whole environment" {
	edit_config '.process.env = ["A=1", "PATH=/bin", "HOME=/h"]'
	in_container 'env | sort | grep -v "^PWD=\|^SHLVL=\|^_="'
	same "$output" "A=1
HOME=/h
PATH=/bin"
}

@test "process.env without HOME gets the home of process.user.uid in the root's /etc/passwd" {
	edit_config '.process.env = ["PATH=/bin"] | .process.user = {"uid": 1234, "gid": 1234}'
	echo 'u:x:1234:1234::/home/u:/bin/sh' >>"$TEST_TMP/bundle/rootfs/etc/passwd"
	in_container 'echo "$HOME"'
	same "$output" /home/u
}

@test "process.env without HOME, for a uid the root's /etc/passwd lacks, gets HOME=/" {
	edit_config '.process.env = ["PATH=/bin"] | .process.user = {"uid": 4321, "gid": 4321}'
	in_container 'echo "$HOME"'
	same "$output" /
}

@test "process.env with HOME keeps it" {
	edit_config '.process.env = ["PATH=/bin", "HOME=/given"]'
	in_container 'echo "$HOME"'
	same "$output" /given
}

@test "process.cwd is the working directory" {
	edit_config '.process.cwd = "/etc"'
	in_container pwd
	same "$output" /etc
}

@test "process.cwd missing in the root is made" {
	edit_config '.process.cwd = "/made/here" | .root.readonly = false'
	in_container pwd
	same "$output" /made/here
}

@test "process.user uid and gid are the ids inside, mapped to the caller when no mappings are given" {
	edit_config '.process.user = {"uid": 1234, "gid": 5678}'
	share_mount '["rbind", "rw"]'
	in_container 'id -u; id -g; touch /share/f'
	same "$output" "1234
5678"
	same "$(stat -c '%u %g' "$TEST_TMP/share/f")" "$(user_uid) $(user_gid)"
}

@test "no uid/gid mappings: the caller's own ids become root inside" {
	edit_config 'del(.linux.uidMappings, .linux.gidMappings)'
	share_mount '["rbind"]'
	in_container 'id -u; touch /share/g'
	same "$output" 0
	same "$(stat -c %u "$TEST_TMP/share/g")" "$(user_uid)"
}

@test "linux.uidMappings and gidMappings that map the caller are honoured" {
	edit_config ".linux.uidMappings = [{\"containerID\": 0, \"hostID\": $(user_uid), \"size\": 1}] |
		.linux.gidMappings = [{\"containerID\": 0, \"hostID\": $(user_gid), \"size\": 1}]"
	in_container 'cat /proc/self/uid_map'
	same "$(echo $output)" "0 $(user_uid) 1"
}

@test "a uid mapping that does not map the caller to process.user.uid is refused" {
	refused ".linux.uidMappings = [{\"containerID\": 5, \"hostID\": $(user_uid), \"size\": 1}]" \
		"process.user.uid 0" "uidMappings"
}

@test "process.terminal false passes stdio through" {
	in_container 'echo plain; echo err >&2'
	same "$output" plain
	same "$stderr" err
}

@test "process.terminal true gives the program a pty sent to --console-socket" {
	edit_config '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
	set_args sh -c 'tty; stty size; echo term-ok'
	console_socket "$TEST_TMP/term.out"
	oci run -d --console-socket "$TEST_TMP/console.sock" -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait "$CONSOLE_PID"
	run cat "$TEST_TMP/term.out"
	same "$(tr -d '\r' <<<"$output")" "/dev/pts/0
30 100
term-ok"
	oci delete -f c
}

@test "process.terminal true in the foreground takes its input from the console socket" {
	edit_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got $line"'
	console_socket "$TEST_TMP/term.out" $'hello\n'
	run --separate-stderr oci run --console-socket "$TEST_TMP/console.sock" -b "$TEST_TMP/bundle" c
	[ "$status" -eq 0 ]
	wait "$CONSOLE_PID"
	[[ "$(cat "$TEST_TMP/term.out")" == *"got hello"* ]]
}

@test "process.terminal true without --console-socket is refused with the fix" {
	refused '.process.terminal = true' "process.terminal true needs --console-socket"
}

@test "root.readonly true makes the root read-only" {
	in_container 'touch /x 2>/dev/null && echo wrote || echo refused'
	same "$output" refused
}

@test "root.readonly false lets the program write the root" {
	edit_config '.root.readonly = false'
	in_container 'touch /x && echo wrote'
	same "$output" wrote
	[ -e "$TEST_TMP/bundle/rootfs/x" ]
}

@test "root.path is taken relative to the bundle" {
	mv "$TEST_TMP/bundle/rootfs" "$TEST_TMP/bundle/other"
	edit_config '.root.path = "other"'
	in_container 'echo ok'
	same "$output" ok
}

@test "a bind mount with ro is read-only" {
	share_mount '["rbind", "ro"]'
	in_container 'touch /share/x 2>/dev/null && echo wrote || echo refused'
	same "$output" refused
}

@test "a bind mount with rw is writable" {
	share_mount '["bind", "rw"]'
	in_container 'echo hi > /share/x && cat /share/x'
	same "$output" hi
	same "$(cat "$TEST_TMP/share/x")" hi
}

@test "a bind mount with noexec refuses to run programs from it" {
	cp "$BUSYBOX_ROOTFS/bin/busybox" "$TEST_TMP/share/bb"
	chown "$TEST_USER:" "$TEST_TMP/share/bb"
	share_mount '["rbind", "noexec"]'
	in_container '/share/bb true 2>/dev/null && echo ran || echo refused'
	same "$output" refused
}

@test "a bind mount with nosuid and nodev shows both flags" {
	share_mount '["rbind", "nosuid", "nodev"]'
	in_container 'grep " /share " /proc/self/mountinfo'
	[[ "$output" == *nosuid* ]]
	[[ "$output" == *nodev* ]]
}

@test "a bind mount with private propagation is accepted" {
	share_mount '["rbind", "rprivate"]'
	in_container 'echo ok'
	same "$output" ok
}

@test "a bind mount with shared propagation is refused by name" {
	refused ".mounts += [{\"destination\": \"/share\", \"type\": \"bind\", \"source\": \"$TEST_TMP/share\", \"options\": [\"rbind\", \"rshared\"]}]" \
		"mounts[6].options" "rshared is not supported"
}

@test "a relative bind source is taken relative to the bundle" {
	mkdir "$TEST_TMP/bundle/data"
	echo rel >"$TEST_TMP/bundle/data/f"
	chown -R "$TEST_USER:" "$TEST_TMP/bundle/data"
	add_mount '{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind"]}'
	in_container 'cat /data/f'
	same "$output" rel
}

@test "a proc mount with a pid namespace is the container's own procfs" {
	in_container 'ls /proc | grep -c "^[0-9]*$"'
	[ "$output" -le 4 ]
}

@test "a tmpfs mount takes its size and mode options" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=0710"]}'
	in_container 'stat -c %a /scratch; df -k /scratch | tail -1'
	same "${lines[0]}" 710
	[[ "${lines[1]}" == *" 1024 "* ]]
}

@test "a sysfs mount shows /sys" {
	edit_config '.mounts |= map(select(.destination != "/sys")) | .mounts += [{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}] | .linux.namespaces += [{"type": "network"}]'
	in_container 'ls /sys/kernel >/dev/null && echo ok'
	same "$output" ok
}

@test "a devpts mount is a new instance with its ptmx" {
	in_container 'grep " /dev/pts " /proc/self/mountinfo | grep -c devpts; ls -l /dev/ptmx'
	same "${lines[0]}" 1
	[[ "${lines[1]}" == *"pts/ptmx"* ]]
}

@test "a devpts gid= that the user namespace lacks is dropped, as runc's rootful spec has it" {
	edit_config '.mounts |= map(if .destination == "/dev/pts" then .options += ["gid=5"] else . end)'
	in_container 'grep -c " /dev/pts .* devpts " /proc/self/mountinfo'
	same "$output" 1
}

@test "an mqueue mount is the IPC namespace's" {
	in_container 'grep -c " /dev/mqueue .* mqueue " /proc/self/mountinfo'
	same "$output" 1
}

@test "a cgroup mount shows the cgroup hierarchy read-only" {
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]}'
	in_container 'ls /sys/fs/cgroup | head -1 | grep -c .; touch /sys/fs/cgroup/x 2>/dev/null || echo ro'
	same "${lines[1]}" ro
}

@test "a mount type burrow cannot make is refused by name" {
	refused '.mounts += [{"destination": "/x", "type": "nfs", "source": "server:/x"}]' "mounts[6].type nfs is not supported"
}

@test "linux.devices are bound from the host's nodes" {
	edit_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]'
	in_container 'ls -l /dev/fuse'
	[[ "$output" == c* ]]
}

@test "the default devices are there with /dev a tmpfs" {
	in_container 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && ls /dev/urandom /dev/full /dev/tty'
	same "${lines[0]}" 4
}

@test "hostname is set in the new uts namespace" {
	edit_config '.hostname = "box7"'
	in_container hostname
	same "$output" box7
}

@test "a hostname without a uts namespace is refused" {
	refused '.linux.namespaces |= map(select(.type != "uts"))' "hostname needs a new uts namespace"
}

@test "linux.namespaces pid makes the program's PID namespace" {
	in_container 'cat /proc/self/stat | cut -d" " -f1'
	[ "$output" -lt 10 ]
}

@test "linux.namespaces without pid leaves the host's processes visible" {
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	in_container 'ls /proc | grep -c "^[0-9]*$"'
	[ "$output" -gt 10 ]
}

@test "linux.namespaces network gives only a loopback interface" {
	edit_config '.linux.namespaces += [{"type": "network"}]'
	in_container 'tail -n +3 /proc/net/dev | cut -d: -f1'
	same "$(echo $output)" lo
}

@test "linux.namespaces ipc makes a new IPC namespace" {
	in_container 'readlink /proc/self/ns/ipc'
	[ "$output" != "$(readlink /proc/self/ns/ipc)" ]
}

@test "linux.namespaces cgroup makes a new cgroup namespace" {
	edit_config '.linux.namespaces += [{"type": "cgroup"}]'
	in_container 'readlink /proc/self/ns/cgroup'
	[ "$output" != "$(readlink /proc/self/ns/cgroup)" ]
}

@test "a namespace path of the host's is refused when joined" {
	refused '.linux.namespaces += [{"type": "network", "path": "/proc/1/ns/net"}]' "network namespace /proc/1/ns/net"
}

@test "joining a mount namespace by path is refused by name" {
	refused '.linux.namespaces |= map(if .type == "mount" then .path = "/proc/1/ns/mnt" else . end)' \
		"joining a mount namespace by path is not supported"
}

@test "a user namespace path joins another container's user namespace" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" first >/dev/null 2>&1
	wait_status first running
	local pid first_ns i
	# With a PID namespace the state's pid is burrow's init, kept non-dumpable (CVE-2019-5736):
	# its namespaces are reached through the program's pid, the second that ps lists.
	for i in $(seq 50); do
		pid=$(oci ps --format json first | jq -r '.[1] // empty')
		[ -n "$pid" ] && break
		sleep 0.1
	done
	first_ns=$(readlink "/proc/$pid/ns/user")
	edit_config ".linux.namespaces |= map(if .type == \"user\" then .path = \"/proc/$pid/ns/user\" else . end)"
	in_container 'readlink /proc/self/ns/user'
	oci delete -f first
	[ "$status" -eq 0 ]
	same "$output" "$first_ns"
}

@test "a time namespace is refused by name" {
	refused '.linux.namespaces += [{"type": "time"}]' "type time is not supported"
}

@test "linux.maskedPaths hide files and directories" {
	edit_config '.linux.maskedPaths = ["/etc/passwd", "/etc/init.d", "/no/such"]'
	mkdir -p "$TEST_TMP/bundle/rootfs/etc/init.d"
	touch "$TEST_TMP/bundle/rootfs/etc/init.d/rcS"
	in_container 'wc -c < /etc/passwd; ls /etc/init.d | wc -l'
	same "$(echo $output)" "0 0"
}

@test "linux.readonlyPaths are read-only" {
	edit_config '.root.readonly = false | .linux.readonlyPaths = ["/etc"]'
	in_container 'touch /etc/x 2>/dev/null && echo wrote || echo refused; touch /y && echo root-ok'
	same "$output" "refused
root-ok"
}

@test "process.rlimits set the program's limits" {
	edit_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 88}]'
	in_container 'ulimit -n; ulimit -Hn'
	same "$output" "77
88"
}

@test "an unknown rlimit is refused by name" {
	refused '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]' "unknown type RLIMIT_BOGUS"
}

@test "process.capabilities are the program's capability sets" {
	edit_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	in_container 'grep -E "^Cap(Eff|Bnd)" /proc/self/status'
	same "$output" "CapEff:	0000000000000020
CapBnd:	0000000000000020"
}

@test "an ambient capability that is not also inheritable is dropped, not refused" {
	edit_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	in_container 'grep -E "^Cap(Eff|Amb)" /proc/self/status'
	same "$output" "CapEff:	0000000000000020
CapAmb:	0000000000000000"
}

@test "an ambient capability that is permitted and inheritable is raised" {
	edit_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	in_container 'grep -E "^CapAmb" /proc/self/status'
	same "$output" "CapAmb:	0000000000000020"
}

@test "an unknown capability is refused by name" {
	refused '.process.capabilities.bounding += ["CAP_FLY"]' "unknown capability CAP_FLY"
}

@test "process.noNewPrivileges true sets no_new_privs" {
	edit_config '.process.noNewPrivileges = true'
	in_container 'grep NoNewPrivs /proc/self/status'
	same "$output" "NoNewPrivs:	1"
}

@test "process.noNewPrivileges false leaves no_new_privs unset" {
	edit_config '.process.noNewPrivileges = false'
	in_container 'grep NoNewPrivs /proc/self/status'
	same "$output" "NoNewPrivs:	0"
}

@test "process.user.umask is the program's umask" {
	edit_config '.process.user.umask = 63'
	in_container umask
	same "$output" 0077
}

# Ranges of /etc/subuid and /etc/subgid as linux mappings: the caller is 0, 1.. the range.
range_mappings() {
	local u g
	u=$(grep "^$TEST_USER:" /etc/subuid | cut -d: -f2)
	g=$(grep "^$TEST_USER:" /etc/subgid | cut -d: -f2)
	[ -n "$u" ] && [ -n "$g" ] || skip "no subordinate ids for $TEST_USER"
	edit_config ".linux.uidMappings = [{\"containerID\": 0, \"hostID\": $(user_uid), \"size\": 1}, {\"containerID\": 1, \"hostID\": $u, \"size\": 65536}] |
		.linux.gidMappings = [{\"containerID\": 0, \"hostID\": $(user_gid), \"size\": 1}, {\"containerID\": 1, \"hostID\": $g, \"size\": 65536}]"
}

@test "uid and gid mapping ranges go through newuidmap and newgidmap" {
	range_mappings
	in_container 'cat /proc/self/uid_map'
	same "$(echo $output)" "0 $(user_uid) 1 1 $(grep "^$TEST_USER:" /etc/subuid | cut -d: -f2) 65536"
}

@test "process.user.additionalGids are the program's groups" {
	range_mappings
	edit_config '.process.user.additionalGids = [10, 20]'
	in_container 'id -G'
	same "$output" "0 10 20"
}

@test "process.user.additionalGids with a single-id map fail with the reason" {
	edit_config '.process.user.additionalGids = [10]'
	in_container 'id -G'
	[ "$status" -ne 0 ]
	one_error_line "additional groups" "/etc/subgid"
}

@test "process.oomScoreAdj is the program's OOM score adjustment" {
	edit_config '.process.oomScoreAdj = 500'
	in_container 'cat /proc/self/oom_score_adj'
	same "$output" 500
}

@test "linux.sysctl values are written inside the namespaces" {
	edit_config '.linux.sysctl = {"kernel.shm_rmid_forced": "1"}'
	in_container 'cat /proc/sys/kernel/shm_rmid_forced'
	same "$output" 1
}

@test "linux.seccomp denies the listed syscalls with the given errno" {
	edit_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	in_container 'mkdir /dev/shm/d 2>&1; echo $?'
	[[ "${lines[0]}" == *"not permitted"* ]]
	same "${lines[1]}" 1
}

@test "a seccomp profile with an unknown action is refused by name" {
	refused '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}' \
		"linux.seccomp" "SCMP_ACT_BOGUS"
}

# hook KIND: a hook of that kind that saves its stdin (the state) to $TEST_TMP/share/KIND.
hook() {
	printf '{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s"]}' "$2" "$1"
}

@test "hooks createRuntime, createContainer, poststart and poststop get the state on stdin" {
	edit_config ".hooks = {\"createRuntime\": [$(hook createRuntime "$TEST_TMP/share")],
		\"createContainer\": [$(hook createContainer "$TEST_TMP/share")],
		\"poststart\": [$(hook poststart "$TEST_TMP/share")],
		\"poststop\": [$(hook poststop "$TEST_TMP/share")]}"
	in_container 'echo ran'
	[ "$status" -eq 0 ]
	same "$(jq -r '.id + " " + .status' "$TEST_TMP/share/createRuntime")" "c created"
	same "$(jq -r '.id + " " + .status' "$TEST_TMP/share/createContainer")" "c created"
	same "$(jq -r .status "$TEST_TMP/share/poststart")" running
	same "$(jq -r .status "$TEST_TMP/share/poststop")" stopped
	[ "$(jq -r .pid "$TEST_TMP/share/createRuntime")" -gt 0 ]
}

@test "a startContainer hook runs inside the container before the program" {
	share_mount '["rbind"]'
	edit_config ".hooks = {\"startContainer\": [$(hook startContainer /share)]}"
	in_container 'cat /share/startContainer | grep -o "\"id\":\"c\""'
	same "$output" '"id":"c"'
}

# Where a process runs: its mount and PID namespaces and its root (device:inode).
write_probe() {
	printf '#!/bin/sh\nfor ns in mnt pid; do readlink /proc/self/ns/$ns; done\nstat -L -c %%d:%%i /proc/self/root\n' >"$1"
	chmod 755 "$1"
}

# probe_hook FILE: a hook that writes where it runs to FILE.
probe_hook() {
	printf '{"path": "/bin/sh", "args": ["sh", "-c", "/probe >%s"]}' "$1"
}

@test "a createContainer hook runs in the container's namespaces, before pivot_root into its root" {
	write_probe "$TEST_TMP/bundle/rootfs/probe"
	mkdir -p "$TEST_TMP/host-probe"
	cp "$TEST_TMP/bundle/rootfs/probe" "$TEST_TMP/host-probe/probe"
	share_mount '["rbind"]'
	edit_config ".hooks = {\"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"$TEST_TMP/host-probe/probe >$TEST_TMP/share/createRuntime\"]}],
		\"createContainer\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"$TEST_TMP/host-probe/probe >$TEST_TMP/share/createContainer\"]}]}"
	in_container /probe
	[ "$status" -eq 0 ]
	local program=$output host
	host=$(as_user "$TEST_TMP/host-probe/probe")
	# The container's mount and PID namespaces, the host's root: not yet pivoted.
	same "$(head -2 "$TEST_TMP/share/createContainer")" "$(head -2 <<<"$program")"
	same "$(tail -1 "$TEST_TMP/share/createContainer")" "$(tail -1 <<<"$host")"
	[ "$(tail -1 <<<"$program")" != "$(tail -1 <<<"$host")" ]
	# createRuntime stays in the runtime's.
	same "$(cat "$TEST_TMP/share/createRuntime")" "$host"
}

@test "a startContainer hook runs in the container's namespaces and root" {
	write_probe "$TEST_TMP/bundle/rootfs/probe"
	share_mount '["rbind"]'
	edit_config ".hooks = {\"startContainer\": [$(probe_hook /share/startContainer)]}"
	in_container /probe
	[ "$status" -eq 0 ]
	same "$(cat "$TEST_TMP/share/startContainer")" "$output"
}

@test "a failing createContainer hook stops the start and names the hook" {
	set_args true
	edit_config '.hooks = {"createContainer": [{"path": "/bin/false"}]}'
	run --separate-stderr oci_run
	[ "$status" -ne 0 ]
	one_error_line "hooks.createContainer[0] /bin/false: exit status 1"
	run oci list -q
	same "$output" ""
}

@test "a failing createRuntime hook stops the start and names the hook" {
	set_args true
	edit_config '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
	run --separate-stderr oci_run
	[ "$status" -ne 0 ]
	one_error_line "hooks.createRuntime[0] /bin/false: exit status 1"
}

@test "a hook that outlives its timeout is killed and named" {
	set_args true
	edit_config '.hooks = {"createContainer": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
	run --separate-stderr oci_run
	[ "$status" -ne 0 ]
	one_error_line "hooks.createContainer[0]" "timeout of 1 s"
}

@test "annotations show in the state" {
	set_args sleep 100
	edit_config '.annotations = {"a": "1", "b": "2"}'
	oci create -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	same "$(oci state c | jq -c .annotations)" '{"a":"1","b":"2"}'
	oci delete -f c
}

@test "linux.resources are warned about and ignored" {
	set_args echo ran
	edit_config '.linux.resources = {"memory": {"limit": 1000000}}'
	run --separate-stderr oci_run
	[ "$status" -eq 0 ]
	same "$output" ran
	[[ "$stderr" == "burrow: warning: linux.resources ignored"* ]]
}

@test "linux.intelRdt is refused by name" {
	refused '.linux.intelRdt = {"closID": "x"}' "config.json: linux.intelRdt is not supported"
}

@test "process.apparmorProfile is refused by name" {
	refused '.process.apparmorProfile = "x"' "process.apparmorProfile is not supported"
}

@test "process.selinuxLabel is refused by name" {
	refused '.process.selinuxLabel = "x"' "process.selinuxLabel is not supported"
}

@test "an ociVersion other than 1.x is refused" {
	refused '.ociVersion = "2.0.0"' "ociVersion 2.0.0 is not supported"
}

@test "a config.json that is not JSON is refused with its line" {
	echo '{ nope' >"$TEST_TMP/bundle/config.json"
	run --separate-stderr oci_run
	[ "$status" -ne 0 ]
	one_error_line "config.json: line 1"
}
