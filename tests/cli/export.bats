#!/usr/bin/env bats
# burrow export: a container as it is now (image layers with its changes on top, or its plain
# tree) as one squashfs file, read back with unsquashfs.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0

setup_file() {
	export LAB_DIR=$BATS_FILE_TMPDIR/lab
	PLAIN=$(lab_registry "$LAB_DIR/plain" plain busybox:latest)
	export PLAIN
}

teardown_file() {
	lab_stop "$LAB_DIR/plain"
}

setup() { burrow_setup; }
teardown() { burrow_teardown; }

# The paths in FILE, one a line, without the squashfs-root prefix.
paths_in() {
	unsquashfs -l "$1" | sed -n 's|^squashfs-root||p' | sort
}

# Makes container box from busybox:latest and changes it: a file added, one modified, one
# deleted, and /sbin replaced by a directory holding only "only" (opaque in the upper dir).
changed_container() {
	as_user burrow create --name box "$PLAIN/busybox:latest" >/dev/null 2>&1
	as_user burrow start --rw --root --no-cwd box sh -c 'echo added > /added && echo changed > /etc/hostname &&
		rm /linuxrc && rm -rf /sbin && mkdir /sbin && echo only > /sbin/only'
}

@test "export writes NAME.sqsh with the container's changes on top of its image" {
	changed_container
	run --separate-stderr as_user burrow export box
	[ "$status" -eq 0 ]
	same "$output" box.sqsh
	as_user burrow import -o image.sqsh "$PLAIN/busybox:latest" >/dev/null
	# Exactly the changes: the image's paths less /linuxrc and /sbin's contents, plus /added,
	# /sbin/only and the mount points the start made in the upper dir (hosts, resolv.conf, home).
	paths_in "$TEST_TMP/image.sqsh" | grep -vx -e /linuxrc -e '/sbin/.*' >"$TEST_TMP/expected"
	printf '%s\n' /added /sbin/only /etc/hosts /etc/resolv.conf "$(user_home)" >>"$TEST_TMP/expected"
	paths_in "$TEST_TMP/box.sqsh" >"$TEST_TMP/listed"
	same "$(sort "$TEST_TMP/listed")" "$(sort "$TEST_TMP/expected")"
	unsquashfs -q -d "$TEST_TMP/x" "$TEST_TMP/box.sqsh" >/dev/null
	same "$(cat "$TEST_TMP/x/added")" added
	same "$(cat "$TEST_TMP/x/etc/hostname")" changed
	same "$(cat "$TEST_TMP/x/sbin/only")" only
}

@test "export carries the container's image config as /.burrow/config.json" {
	changed_container
	as_user burrow export -o "$TEST_TMP/out.sqsh" box
	unsquashfs -q -d "$TEST_TMP/x" "$TEST_TMP/out.sqsh" >/dev/null
	cmp "$TEST_TMP/x/.burrow/config.json" "$BURROW_DATA_PATH/containers/box/config.json"
}

@test "export of an unchanged container lists as import of its image does" {
	as_user burrow create --name box "$PLAIN/busybox:latest" >/dev/null 2>&1
	as_user burrow export box
	as_user burrow import -o image.sqsh "$PLAIN/busybox:latest"
	same "$(unsquashfs -lln "$TEST_TMP/box.sqsh" | awk '{print $1, $2, $6}')" \
		"$(unsquashfs -lln "$TEST_TMP/image.sqsh" | awk '{print $1, $2, $6}')"
}

@test "export of a plain-directory container writes its tree" {
	as_user burrow create --name plain "$BUSYBOX_ROOTFS"
	as_user burrow start --rw plain sh -c 'echo mine > /mine && rm /linuxrc'
	run --separate-stderr as_user burrow export plain
	[ "$status" -eq 0 ]
	paths_in "$TEST_TMP/plain.sqsh" >"$TEST_TMP/listed"
	grep -qx /mine "$TEST_TMP/listed"
	grep -qx /bin/busybox "$TEST_TMP/listed"
	! grep -qx /linuxrc "$TEST_TMP/listed"
	! grep -q '^/.burrow' "$TEST_TMP/listed"
}

@test "export refuses to overwrite without -f and replaces with -f" {
	as_user burrow create --name plain "$BUSYBOX_ROOTFS"
	echo keep >"$TEST_TMP/plain.sqsh"
	run --separate-stderr as_user burrow export plain
	[ "$status" -eq 1 ]
	one_error_line "plain.sqsh exists; use -f"
	same "$(cat "$TEST_TMP/plain.sqsh")" keep
	run --separate-stderr as_user burrow export -f plain
	[ "$status" -eq 0 ]
	unsquashfs -l "$TEST_TMP/plain.sqsh" >/dev/null
}

@test "export of an unknown name fails with one line and writes nothing" {
	run --separate-stderr as_user burrow export nothing
	[ "$status" -eq 1 ]
	one_error_line "no container named 'nothing'"
	same "$(ls "$TEST_TMP")" ""
}

@test "export leaves nothing behind when reading the container fails" {
	as_user burrow create --name plain "$BUSYBOX_ROOTFS"
	chown root: "$BURROW_DATA_PATH/containers/plain/rootfs/etc/passwd"
	chmod 0600 "$BURROW_DATA_PATH/containers/plain/rootfs/etc/passwd"
	run --separate-stderr as_user burrow export plain
	[ "$status" -eq 1 ]
	one_error_line "export plain" "etc/passwd"
	same "$(find "$TEST_TMP" -maxdepth 1 -name '*plain.sqsh*')" ""
}

@test "export of a container made from an image file refuses with one line and writes nothing" {
	as_user burrow import -o image.sqsh "$PLAIN/busybox:latest" >/dev/null
	as_user burrow create --name fromfile "$TEST_TMP/image.sqsh"
	run --separate-stderr as_user burrow export fromfile
	[ "$status" -eq 1 ]
	one_error_line "made from the image file" "image.sqsh"
	same "$(find "$TEST_TMP" -maxdepth 1 -name '*fromfile.sqsh*')" ""
}
