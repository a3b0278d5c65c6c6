#!/usr/bin/env bats
# Configuration: burrow.conf (system, user, environment, --conf), environ.d, mounts.d,
# hooks.d and burrow info. Not the meaning of each setting (the verbs' own tests).
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container or hook

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	SYS=$TEST_TMP/etc-burrow
	USR=$TEST_TMP/config-burrow
	mkdir -p "$SYS" "$USR"
	export BURROW_SYSCONF_PATH=$SYS BURROW_CONFIG_PATH=$USR
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() { burrow_teardown; }

# Writes stdin to FILE (under $TEST_TMP), readable by the test user; MODE as chmod takes it.
conf_file() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
	chmod "${2:-0644}" "$1"
	chown -R "$TEST_USER:" "$TEST_TMP"
}

# The line `burrow info` prints for KEY.
info_line() {
	as_user burrow info | grep "^$1="
}

@test "info lists the configuration files a start reads, in order" {
	echo 'RETRY_MS 1' | conf_file "$USR/burrow.conf"
	echo A=1 | conf_file "$USR/environ.d/b.env"
	echo B=1 | conf_file "$SYS/environ.d/z.env"
	echo '#!/bin/sh' | conf_file "$SYS/hooks.d/10-h" 0755
	run as_user burrow info
	[ "$status" -eq 0 ]
	same "$(sed -n '/^burrow.conf: \|^environ.d: \|^mounts.d: \|^hooks.d: /p' <<<"$output")" \
		"$(printf '%s\n' "burrow.conf: $USR/burrow.conf" "environ.d: $SYS/environ.d/z.env" \
			"environ.d: $USR/environ.d/b.env" "hooks.d: $SYS/hooks.d/10-h")"
}

@test "info shows each setting's default when nothing configures it" {
	run info_line BURROW_HTTP_TIMEOUT
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "BURROW_HTTP_TIMEOUT=30  # default"
}

@test "the user's burrow.conf beats the system's, and the environment beats both" {
	printf 'HTTP_TIMEOUT 11\nBURROW_RETRY_MS=100\nBURROW_MAX_CONNECTIONS 2\n' | conf_file "$SYS/burrow.conf"
	printf '# mine\n\nBURROW_RETRY_MS = "200"\nMAX_CONNECTIONS 3\n' | conf_file "$USR/burrow.conf"
	run info_line BURROW_HTTP_TIMEOUT
	same "$output" "BURROW_HTTP_TIMEOUT=11  # $SYS/burrow.conf:1"
	run info_line BURROW_RETRY_MS
	same "$output" "BURROW_RETRY_MS=200  # $USR/burrow.conf:3"
	export BURROW_MAX_CONNECTIONS=4
	run info_line BURROW_MAX_CONNECTIONS
	same "$output" "BURROW_MAX_CONNECTIONS=4  # environment"
}

@test "BURROW_DATA_PATH from burrow.conf decides where containers live, unless the environment says" {
	unset BURROW_DATA_PATH
	printf 'BURROW_DATA_PATH ${HOME}/not-used\n' | conf_file "$SYS/burrow.conf"
	printf "BURROW_DATA_PATH '%s/user-data'\n" "$TEST_TMP" | conf_file "$USR/burrow.conf"
	run as_user burrow create --name d "$BUSYBOX_ROOTFS"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[ -d "$TEST_TMP/user-data/containers/d" ]
	run as_user env BURROW_DATA_PATH="$TEST_TMP/env-data" burrow create --name e "$BUSYBOX_ROOTFS"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[ -d "$TEST_TMP/env-data/containers/e" ]
	[ ! -e "$TEST_TMP/user-data/containers/e" ]
}

@test "\$HOME, \$UID and \${XDG_*} are expanded in burrow.conf values, not inside single quotes" {
	printf 'BURROW_SUBUID_FILE ${HOME}/$UID\nBURROW_SUBGID_FILE '"'"'$HOME'"'"'\n' | conf_file "$USR/burrow.conf"
	run info_line BURROW_SUBUID_FILE
	same "$output" "BURROW_SUBUID_FILE=$TEST_HOME/$(id -u "$TEST_USER")  # $USR/burrow.conf:1"
	run info_line BURROW_SUBGID_FILE
	same "$output" "BURROW_SUBGID_FILE=\$HOME  # $USR/burrow.conf:2"
}

@test "an unknown key in burrow.conf fails every verb with its file and line" {
	printf 'BURROW_HTTP_TIMEOUT 5\nBURROW_NO_SUCH_THING yes\n' | conf_file "$USR/burrow.conf"
	run --separate-stderr as_user burrow list
	[ "$status" -eq 2 ]
	one_error_line "$USR/burrow.conf:2" BURROW_NO_SUCH_THING
}

@test "a value with an unknown \$ expansion fails naming the file and line" {
	printf 'BURROW_DATA_PATH $PWD/x\n' | conf_file "$SYS/burrow.conf"
	run --separate-stderr as_user burrow info
	[ "$status" -eq 2 ]
	one_error_line "$SYS/burrow.conf:1" PWD
}

@test "info --json gives settings with origins and the configuration files found" {
	printf 'BURROW_MOUNT_HOME no\n' | conf_file "$SYS/burrow.conf"
	echo A=1 | conf_file "$SYS/environ.d/a.env"
	echo '/tmp /mnt' | conf_file "$USR/mounts.d/m.fstab"
	echo '#!/bin/sh' | conf_file "$USR/hooks.d/10-h" 0755
	run as_user burrow info --json
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$(jq -r '.settings[] | select(.key == "BURROW_MOUNT_HOME") | "\(.value) \(.origin)"' <<<"$output")" \
		"no $SYS/burrow.conf:1"
	same "$(jq -r '."burrow.conf"[], ."environ.d"[], ."mounts.d"[], ."hooks.d"[], .system_dir, .user_dir' <<<"$output")" \
		"$(printf '%s\n' "$SYS/burrow.conf" "$SYS/environ.d/a.env" "$USR/mounts.d/m.fstab" "$USR/hooks.d/10-h" "$SYS" "$USR")"
}

@test "environ.d variables reach the program, system files first, and -e beats them" {
	printf 'FROM_SYS=sys\nSHARED=sys\n' | conf_file "$SYS/environ.d/10-site.env"
	printf '# comment\nSHARED=user\nLAST=user\n' | conf_file "$USR/environ.d/00-mine.env"
	echo 'IGNORED=1' | conf_file "$USR/environ.d/not-env.txt"
	run as_user burrow start -e LAST=cli c env
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	grep -qxF FROM_SYS=sys <<<"$output"
	grep -qxF SHARED=user <<<"$output"
	grep -qxF LAST=cli <<<"$output"
	[[ "$output" != *IGNORED=* ]]
}

@test "a bad environ.d line fails the start naming the file and the line" {
	printf 'GOOD=1\nBAD KEY=1\n' | conf_file "$USR/environ.d/x.env"
	run --separate-stderr as_user burrow start c true
	[ "$status" -eq 125 ]
	one_error_line "$USR/environ.d/x.env" "'BAD KEY=1' is not KEY=VALUE"
}

@test "mounts.d binds a host directory read-only" {
	mkdir -p "$TEST_TMP/share"
	echo hello >"$TEST_TMP/share/f"
	echo "$TEST_TMP/share /opt/share none bind,ro,x-create=dir" | conf_file "$SYS/mounts.d/share.fstab"
	run as_user burrow start c sh -c 'cat /opt/share/f; touch /opt/share/g 2>/dev/null || echo read-only'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "$(printf 'hello\nread-only')"
}

@test "mounts.d x-create=file makes a missing file mount point" {
	echo content >"$TEST_TMP/single"
	echo "$TEST_TMP/single /etc/single-file none x-create=file" | conf_file "$USR/mounts.d/f.fstab"
	run as_user burrow start c sh -c 'test -f /etc/single-file && cat /etc/single-file'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" content
}

@test "mounts.d without x-create needs an existing mount point" {
	mkdir -p "$TEST_TMP/share"
	echo "$TEST_TMP/share /no/such/dir" | conf_file "$USR/mounts.d/m.fstab"
	run --separate-stderr as_user burrow start c true
	[ "$status" -eq 125 ]
	one_error_line /no/such/dir x-create=dir
	echo "$TEST_TMP/share /home" | conf_file "$USR/mounts.d/m.fstab"
	run as_user burrow start c sh -c 'test -e /no && echo made; echo ok'
	same "$output" ok
}

@test "mounts.d with nofail skips a missing source" {
	printf '%s\n' "/no/such/source /mnt none nofail" "tmpfs /scratch tmpfs x-create=dir,size=1m" |
		conf_file "$USR/mounts.d/m.fstab"
	run as_user burrow start c sh -c 'grep " /scratch " /proc/self/mountinfo | grep -o " - tmpfs "; test -e /mnt || echo no-mnt'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "$(printf ' - tmpfs \nno-mnt')"
}

@test "mounts.d with a missing source and no nofail fails naming the file and line" {
	printf '# site mounts\n/no/such/source /mnt\n' | conf_file "$USR/mounts.d/m.fstab"
	run --separate-stderr as_user burrow start c true
	[ "$status" -eq 125 ]
	one_error_line "$USR/mounts.d/m.fstab:2" /no/such/source nofail
}

@test "a bad mounts.d option fails naming the file and line" {
	echo "/tmp /mnt none bind,sideways" | conf_file "$SYS/mounts.d/m.fstab"
	run --separate-stderr as_user burrow start c true
	[ "$status" -eq 125 ]
	one_error_line "$SYS/mounts.d/m.fstab:1" sideways
}

@test "hooks run in order, system dir first, and write into the root before the program starts" {
	printf '#!/bin/sh\necho sys-20 >>"$BURROW_ROOTFS/tmp/order"\n' | conf_file "$SYS/hooks.d/20-b" 0755
	printf '#!/bin/sh\necho sys-10 >>"$BURROW_ROOTFS/tmp/order"\n' | conf_file "$SYS/hooks.d/10-a" 0755
	printf '#!/bin/sh\necho user-05 >>"$BURROW_ROOTFS/tmp/order"\n' | conf_file "$USR/hooks.d/05-c" 0755
	printf '#!/bin/sh\necho never >>"$BURROW_ROOTFS/tmp/order"\n' | conf_file "$USR/hooks.d/07-not-executable"
	run as_user burrow start c cat /tmp/order
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "$(printf 'sys-10\nsys-20\nuser-05')"
}

@test "a hook runs in the container's namespaces before pivot_root, with a clean environment" {
	printf '#!/bin/sh\n{ readlink /proc/self/ns/mnt; readlink /proc/self/ns/user; env | sort; } >"$BURROW_ROOTFS/tmp/seen"\n' |
		conf_file "$USR/hooks.d/10-ns" 0755
	run as_user env SECRET=host burrow start c sh -c 'cat /tmp/seen; echo --; readlink /proc/self/ns/mnt; readlink /proc/self/ns/user; echo $$'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	mapfile -t lines <<<"$output"
	same "${lines[0]}" "${lines[-3]}"
	same "${lines[1]}" "${lines[-2]}"
	[ "${lines[0]}" != "$(readlink /proc/self/ns/mnt)" ]
	[[ "$output" != *SECRET* ]]
	grep -q '^BURROW_ROOTFS=/' <<<"$output"
	grep -q '^BURROW_PID=[0-9]' <<<"$output"
	grep -q '^BURROW_ENVIRON=/' <<<"$output"
	grep -q '^BURROW_MOUNTS=/' <<<"$output"
	# The root a hook sees is not yet the process's /: pivot_root has not happened.
	[[ $'\n'"$output"$'\n' != *$'\nBURROW_ROOTFS=/\n'* ]]
}

@test "BURROW_PID names the container's process as the host sees it" {
	printf '#!/bin/sh\necho "$BURROW_PID" >"$BURROW_ROOTFS/tmp/pid"\n' | conf_file "$USR/hooks.d/10-pid" 0755
	run as_user burrow start c sh -c 'cat /tmp/pid; echo $$'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	mapfile -t lines <<<"$output"
	same "${lines[0]}" "${lines[1]}"
}

@test "with --pid, BURROW_PID is the container's PID 1 as the host sees it" {
	printf '#!/bin/sh\ncat /proc/$BURROW_PID/status >"$BURROW_ROOTFS/tmp/status"\n' |
		conf_file "$USR/hooks.d/10-pid" 0755
	run as_user burrow start --pid c grep ^NSpid: /tmp/status
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	# The host's number, then 1 in the container's PID namespace.
	[[ "$output" =~ ^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$ ]] || { echo "$output" >&2; false; }
}

@test "a hook's BURROW_ENVIRON and BURROW_MOUNTS lines take effect" {
	mkdir -p "$TEST_TMP/from-hook"
	echo mounted >"$TEST_TMP/from-hook/f"
	chown -R "$TEST_USER:" "$TEST_TMP/from-hook"
	printf '#!/bin/sh\necho HOOKED=yes >>"$BURROW_ENVIRON"\necho "%s /hooked none x-create=dir,ro" >>"$BURROW_MOUNTS"\n' \
		"$TEST_TMP/from-hook" | conf_file "$USR/hooks.d/10-add" 0755
	run as_user burrow start c sh -c 'echo $HOOKED; cat /hooked/f; touch /hooked/g 2>/dev/null || echo ro'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "$(printf 'yes\nmounted\nro')"
}

@test "a hook that cannot be executed aborts the start naming it" {
	printf '#!/no/such/interpreter\n' | conf_file "$USR/hooks.d/10-broken" 0755
	run --separate-stderr as_user burrow start c echo ran
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	one_error_line "$USR/hooks.d/10-broken" "exit status 127" "#!"
}

@test "a failing hook aborts the start with 125 and a message naming it" {
	printf '#!/bin/sh\nexit 3\n' | conf_file "$SYS/hooks.d/50-fails" 0755
	run --separate-stderr as_user burrow start c echo ran
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	one_error_line "$SYS/hooks.d/50-fails" "exit status 3"
}

@test "a hook runs as uid 0 with --root and as the user without" {
	printf '#!/bin/sh\nid -u >>"$BURROW_ROOTFS/tmp/ids"\n' | conf_file "$USR/hooks.d/10-id" 0755
	run as_user burrow start --root c cat /tmp/ids
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" 0
	run as_user burrow start c cat /tmp/ids
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "$(id -u "$TEST_USER")"
}

@test "--conf sets settings, [environ] and [mounts] for one start" {
	mkdir -p "$TEST_TMP/extra"
	echo extra >"$TEST_TMP/extra/f"
	printf '%s\n' "BURROW_MOUNT_HOME no" "[environ]" "GREETING='hello there'" "[mounts]" \
		"$TEST_TMP/extra /extra none x-create=dir" | conf_file "$TEST_TMP/job.conf"
	run as_user burrow start --conf "$TEST_TMP/job.conf" c sh -c 'echo "$GREETING"; cat /extra/f; test -d "$HOME" || echo no-home'
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	same "$output" "$(printf 'hello there\nextra\nno-home')"
	run as_user burrow start c sh -c 'echo "${GREETING:-unset}"'
	same "$output" unset
}

@test "--conf with a bad line fails naming the file and line" {
	printf '[environ]\nOK=1\n[volumes]\n' | conf_file "$TEST_TMP/job.conf"
	run --separate-stderr as_user burrow start --conf "$TEST_TMP/job.conf" c true
	[ "$status" -eq 2 ]
	one_error_line "$TEST_TMP/job.conf:3" volumes
}

@test "sections are refused in burrow.conf" {
	printf '[environ]\nA=1\n' | conf_file "$USR/burrow.conf"
	run --separate-stderr as_user burrow list
	[ "$status" -eq 2 ]
	one_error_line "$USR/burrow.conf:1" environ.d
}
