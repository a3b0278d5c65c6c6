#!/usr/bin/env bats
# burrow check: one line per host requirement. The real host is checked as it is; each KO and
# WARN path is simulated with a staged host root (BURROW_HOST_ROOT), subordinate id files and
# PATH, and checked together with the OK variant of the same file.

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	HOST=$TEST_TMP/host
	mkdir -p "$HOST/proc/sys/user" "$HOST/proc/sys/kernel" "$HOST/proc/self" "$HOST/dev"
	echo 15000 >"$HOST/proc/sys/user/max_user_namespaces"
	printf 'nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n' >"$HOST/proc/filesystems"
	mknod -m 0666 "$HOST/dev/fuse" c 10 229
	mountinfo ext4
	chmod -R a+rX "$HOST"
	export BURROW_HOST_ROOT=$HOST
}
teardown() { burrow_teardown; }

# A mountinfo where the data path is on a filesystem of TYPE.
mountinfo() {
	{
		echo "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw"
		echo "40 22 0:50 / $BURROW_DATA_PATH rw,relatime shared:9 - $1 server:/export rw"
	} >"$HOST/proc/self/mountinfo"
}

# The line of the last `run` about REQUIREMENT.
line_of() {
	local line
	for line in "${lines[@]}"; do
		[[ "$line" == *" $1: "* ]] && { echo "$line"; return 0; }
	done
	printf 'no line for %s in:\n%s\n' "$1" "$output" >&2
	return 1
}

# Fails unless the line about REQUIREMENT has STATUS and mentions every further word.
has_line() {
	local requirement=$1 status=$2 line word
	shift 2
	line=$(line_of "$requirement") || return 1
	if [[ "$line" != "$status "* ]]; then
		printf 'expected %s for %s, got: %s\n' "$status" "$requirement" "$line" >&2
		return 1
	fi
	for word; do
		[[ "$line" == *"$word"* ]] || { printf 'expected %q in: %s\n' "$word" "$line" >&2 && return 1; }
	done
}

@test "check on this host prints one line per requirement and exits 1 only with a KO" {
	unset BURROW_HOST_ROOT
	run as_user burrow check
	[ "${#lines[@]}" -eq 6 ]
	local requirement
	for requirement in "user namespaces" "overlayfs in a user namespace" /dev/fuse squashfuse \
		"subordinate ids" "data path"; do
		line_of "$requirement" | grep -Eq '^(OK|WARN|KO) '
	done
	if grep -q '^KO ' <<<"$output"; then [ "$status" -eq 1 ]; else [ "$status" -eq 0 ]; fi
	# This host allows user namespaces and overlayfs in them (the start tests depend on it).
	has_line "user namespaces" OK
	has_line "overlayfs in a user namespace" OK works
}

@test "check of a ready host is all OK and exits 0" {
	run as_user burrow check
	[ "$status" -eq 0 ]
	[ "$(grep -c '^OK ' <<<"$output")" -eq 6 ]
	has_line "user namespaces" OK 15000
	has_line "data path" OK "$BURROW_DATA_PATH is on ext4"
}

@test "check reports user.max_user_namespaces = 0 as KO with the sysctl that fixes it" {
	echo 0 >"$HOST/proc/sys/user/max_user_namespaces"
	run as_user burrow check
	[ "$status" -eq 1 ]
	has_line "user namespaces" KO "max_user_namespaces = 0" "- fix: as root: sysctl -w user.max_user_namespaces="
	has_line "overlayfs in a user namespace" KO "without user namespaces"
}

@test "check reports Ubuntu's AppArmor restriction as KO when overlay cannot be tried" {
	echo 1 >"$HOST/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
	run as_user burrow check
	[ "$status" -eq 1 ]
	has_line "user namespaces" KO "apparmor_restrict_unprivileged_userns = 1" "AppArmor profile"
	echo 0 >"$HOST/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line "user namespaces" OK
}

@test "check reports Debian's unprivileged_userns_clone = 0 as KO" {
	echo 0 >"$HOST/proc/sys/kernel/unprivileged_userns_clone"
	run as_user burrow check
	[ "$status" -eq 1 ]
	has_line "user namespaces" KO "kernel.unprivileged_userns_clone=1"
	echo 1 >"$HOST/proc/sys/kernel/unprivileged_userns_clone"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line "user namespaces" OK
}

@test "check reports a kernel without overlayfs as KO" {
	printf 'nodev\tsysfs\nnodev\ttmpfs\n\text4\n' >"$HOST/proc/filesystems"
	run as_user burrow check
	[ "$status" -eq 1 ]
	has_line "overlayfs in a user namespace" KO "modprobe overlay"
	printf 'nodev\tsysfs\nnodev\toverlay\n' >"$HOST/proc/filesystems"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line "overlayfs in a user namespace" OK
}

@test "check warns when /dev/fuse is missing" {
	rm "$HOST/dev/fuse"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line /dev/fuse WARN missing "modprobe fuse"
}

@test "check warns when /dev/fuse is not usable by the user, naming its mode" {
	chown root:root "$HOST/dev/fuse"
	chmod 0600 "$HOST/dev/fuse"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line /dev/fuse WARN "mode 0600" "chmod 0666 /dev/fuse"
	chmod 0666 "$HOST/dev/fuse"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line /dev/fuse OK "usable by $TEST_USER"
}

@test "check warns when the data path is on NFS, Lustre or GPFS" {
	local type
	for type in nfs nfs4 lustre gpfs; do
		mountinfo "$type"
		run as_user burrow check
		[ "$status" -eq 0 ]
		has_line "data path" WARN "is on $type" "set BURROW_DATA_PATH to a local disk"
	done
	mountinfo xfs
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line "data path" OK "is on xfs"
}

@test "check finds the data path's filesystem through its nearest existing parent" {
	export BURROW_DATA_PATH=$TEST_TMP/nfs/not/yet/made
	mkdir "$TEST_TMP/nfs"
	{
		echo "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw"
		echo "40 22 0:50 / $TEST_TMP/nfs rw,relatime shared:9 - nfs4 server:/export rw"
	} >"$HOST/proc/self/mountinfo"
	run as_user burrow check
	[ "$status" -eq 0 ]
	has_line "data path" WARN "$BURROW_DATA_PATH is on nfs4"
	[ ! -e "$TEST_TMP/nfs/not" ]
}

@test "check warns when the user has no subordinate range, naming the file" {
	grep -v "^$TEST_USER:" /etc/subuid >"$TEST_TMP/subuid" || true
	chmod 0644 "$TEST_TMP/subuid"
	run as_user env BURROW_SUBUID_FILE="$TEST_TMP/subuid" burrow check
	[ "$status" -eq 0 ]
	has_line "subordinate ids" WARN "$TEST_TMP/subuid" "usermod --add-subuids"
	echo "$TEST_USER:300000:65536" >>"$TEST_TMP/subuid"
	run as_user env BURROW_SUBUID_FILE="$TEST_TMP/subuid" burrow check
	has_line "subordinate ids" OK
}

@test "check warns when newuidmap, newgidmap or squashfuse are not on PATH" {
	mkdir "$TEST_TMP/bin"
	ln -s "$BURROW" "$TEST_TMP/bin/burrow"
	run as_user env PATH="$TEST_TMP/bin" burrow check
	[ "$status" -eq 0 ]
	has_line "subordinate ids" WARN "newuidmap not on PATH" "apt-get install uidmap"
	has_line squashfuse WARN "apt-get install squashfuse"
	ln -s /usr/bin/newuidmap /usr/bin/newgidmap /usr/bin/squashfuse "$TEST_TMP/bin/"
	run as_user env PATH="$TEST_TMP/bin" burrow check
	has_line "subordinate ids" OK
	has_line squashfuse OK
}

@test "check takes no arguments" {
	run --separate-stderr as_user burrow check extra
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"unexpected argument 'extra'"* ]]
}

@test "check --help describes the verb and exits 0" {
	run --separate-stderr as_user burrow check --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: burrow check" ]]
	same "$stderr" ""
}
