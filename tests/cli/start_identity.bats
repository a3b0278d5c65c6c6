#!/usr/bin/env bats
# burrow start: who the program is inside (passwd, group, id, --root, subordinate ids).
# Not the environment variables (start_env.bats).
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() { burrow_teardown; }

# The shell burrow must name in the user's passwd line: theirs when the image has it.
expected_shell() {
	local shell
	shell=$(user_shell)
	if [ -n "$shell" ] && { [ -e "$BUSYBOX_ROOTFS$shell" ] || [ -L "$BUSYBOX_ROOTFS$shell" ]; }; then
		echo "$shell"
	else
		echo /bin/sh
	fi
}

@test "start runs the program as the user's own uid and gid" {
	run as_user burrow start c sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '%s\n%s' "$(user_uid)" "$(user_gid)")"
}

@test "start writes the user's line into /etc/passwd with a shell the image has" {
	run as_user burrow start c grep "^$TEST_USER:" /etc/passwd
	[ "$status" -eq 0 ]
	same "$output" "$TEST_USER:x:$(user_uid):$(user_gid):$(user_gecos):$(user_home):$(expected_shell)"
}

@test "start keeps the image's own passwd and group entries" {
	run as_user burrow start c cat /etc/passwd
	[ "$status" -eq 0 ]
	passwd=$output
	run as_user burrow start c cat /etc/group
	[ "$status" -eq 0 ]
	group=$output
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -qxF "$line" <<<"$passwd" || { echo "passwd lost: $line" >&2; false; }
	done <"$BUSYBOX_ROOTFS/etc/passwd"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -qxF "$line" <<<"$group" || { echo "group lost: $line" >&2; false; }
	done <"$BUSYBOX_ROOTFS/etc/group"
}

@test "start adds nobody and nogroup when the image has none" {
	if grep -q '^nobody:' "$BUSYBOX_ROOTFS/etc/passwd"; then
		echo "the busybox image already has nobody" >&2
		false
	fi
	run as_user burrow start c grep -c '^nobody:x:65534:65534:' /etc/passwd
	same "$output" 1
	run as_user burrow start c grep -c '^nogroup:x:65534:' /etc/group
	same "$output" 1
}

@test "start writes the user's primary group into /etc/group" {
	run as_user burrow start c grep "^$(user_group):" /etc/group
	[ "$status" -eq 0 ]
	[[ "$output" == "$(user_group):x:$(user_gid):"* ]] || { echo "got: $output" >&2; false; }
	same "${#lines[@]}" 1
}

@test "id names the user and shows unmappable supplementary groups as nogroup" {
	run as_user burrow start c id
	[ "$status" -eq 0 ]
	prefix="uid=$(user_uid)($TEST_USER) gid=$(user_gid)($(user_group)) groups="
	[[ "$output" == "$prefix"* ]] || { echo "got: $output" >&2; false; }
	groups=$(tr , '\n' <<<"${output#"$prefix"}" | LC_ALL=C sort -u)
	same "$groups" "$(printf '%s\n' "$(user_gid)($(user_group))" '65534(nogroup)' | LC_ALL=C sort)"
}

@test "whoami names the user" {
	run as_user burrow start c whoami
	[ "$status" -eq 0 ]
	same "$output" "$TEST_USER"
}

@test "ls and stat show the user as the owner of their home" {
	run as_user burrow start c sh -c 'ls -ldn ~ | awk "{ print \$3 }"; stat -c %U ~'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '%s\n%s' "$(user_uid)" "$TEST_USER")"
}

@test "a file readable only by a supplementary group is readable inside" {
	echo "group secret" >"$TEST_TMP/group-only"
	chown "root:$(user_supplementary_group)" "$TEST_TMP/group-only"
	chmod 0640 "$TEST_TMP/group-only"
	run as_user burrow start c cat "$TEST_TMP/group-only"
	[ "$status" -eq 0 ]
	same "$output" "group secret"
}

@test "start --root keeps access through a supplementary group" {
	echo "group secret" >"$TEST_TMP/group-only"
	chown "root:$(user_supplementary_group)" "$TEST_TMP/group-only"
	chmod 0640 "$TEST_TMP/group-only"
	run as_user burrow start --root c cat "$TEST_TMP/group-only"
	[ "$status" -eq 0 ]
	same "$output" "group secret"
}

@test "start --root maps the user to uid 0 and files stay owned by the user" {
	run as_user burrow start --root --rw c sh -c 'id -u; id -g; touch /made-as-root made-in-cwd'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '0\n0')"
	same "$(stat -c %u:%g "$(rootfs_of c)/made-as-root")" "$(user_uid):$(user_gid)"
	same "$(stat -c %u:%g "$TEST_TMP/made-in-cwd")" "$(user_uid):$(user_gid)"
}

@test "start --root is root by name with HOME /root" {
	run as_user burrow start --root c sh -c 'whoami; echo "$HOME"'
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'root\n/root')"
}

@test "start --root lands ids chowned inside on the user's subordinate ids" {
	subuid=$(user_subid_start /etc/subuid)
	subgid=$(user_subid_start /etc/subgid)
	run as_user burrow start --root --rw c sh -c 'touch /one /thousand && chown 1:1 /one && chown 1000:1000 /thousand && stat -c %u:%g /one /thousand'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '1:1\n1000:1000')"
	same "$(stat -c %u:%g "$(rootfs_of c)/one")" "$subuid:$subgid"
	same "$(stat -c %u:%g "$(rootfs_of c)/thousand")" "$((subuid + 999)):$((subgid + 999))"
}
