#!/usr/bin/env bats
# burrow export: a container as it is now (image layers with its changes on top, or its plain
# tree) as one squashfs file, read back with unsquashfs.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0

setup_file() {
	lab_setup_plain busybox:latest
}

teardown_file() {
	lab_teardown
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

# EXPORTED (unpacked into TEST_TMP/x) is IMAGE with exactly the changes changed_container makes:
# the image's paths less /linuxrc and /sbin's contents, plus /added, /sbin/only and the mount
# points the start made in the upper dir (hosts, resolv.conf, home).
has_the_changes() {
	paths_in "$1" | grep -vx -e /linuxrc -e '/sbin/.*' >"$TEST_TMP/expected"
	printf '%s\n' /added /sbin/only /etc/hosts /etc/resolv.conf "$(user_home)" >>"$TEST_TMP/expected"
	paths_in "$2" >"$TEST_TMP/listed"
	same "$(sort "$TEST_TMP/listed")" "$(sort "$TEST_TMP/expected")"
	unsquashfs -q -d "$TEST_TMP/x" "$2" >/dev/null
	same "$(cat "$TEST_TMP/x/added")" added
	same "$(cat "$TEST_TMP/x/etc/hostname")" changed
	same "$(cat "$TEST_TMP/x/sbin/only")" only
}

@test "export writes NAME.sqsh with the container's changes on top of its image" {
	changed_container
	run --separate-stderr as_user burrow export box
	[ "$status" -eq 0 ]
	same "$output" box.sqsh
	as_user burrow import -o image.sqsh "$PLAIN/busybox:latest" >/dev/null
	has_the_changes "$TEST_TMP/image.sqsh" "$TEST_TMP/box.sqsh"
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

# Writes image.sqsh from busybox:latest with /etc/marked owned by 1000:100 (as import.bats marks
# a layer file), makes container fromfile from it and changes it as changed_container does, and
# also makes /etc/hostname mode 0700.
changed_file_container() {
	as_user burrow pull -q "$PLAIN/busybox:latest" >/dev/null
	local layer
	for layer in "$BURROW_CACHE_PATH"/layers/sha256/*; do
		[ -e "$layer/bin/busybox" ] && break
	done
	as_user sh -c "echo marked > $layer/etc/marked"
	as_user setfattr -n user.rootlesscontainers -v 0x08e8071064 "$layer/etc/marked"
	as_user burrow import -o image.sqsh "$PLAIN/busybox:latest" >/dev/null
	as_user burrow create --name fromfile "$TEST_TMP/image.sqsh" >/dev/null
	as_user burrow start --rw --root --no-cwd fromfile sh -c 'echo added > /added &&
		echo changed > /etc/hostname && chmod 0700 /etc/hostname && rm /linuxrc &&
		rm -rf /sbin && mkdir /sbin && echo only > /sbin/only' 2>/dev/null
}

# "MODE UID/GID PATH" of each entry of FILE, by path.
owners_in() {
	unsquashfs -lln "$1" | awk '{print $1, $2, $6}' | sed 's| squashfs-root| |' | sort -k3
}

@test "export of a container made from an image file merges its changes into the file's tree" {
	changed_file_container
	run --separate-stderr as_user burrow export fromfile
	[ "$status" -eq 0 ]
	same "$output" fromfile.sqsh
	has_the_changes "$TEST_TMP/image.sqsh" "$TEST_TMP/fromfile.sqsh"
	same "$(cat "$TEST_TMP/x/etc/marked")" marked
}

@test "export of a container made from an image file keeps the file's owners and the changed modes" {
	changed_file_container
	as_user burrow export fromfile >/dev/null
	owners_in "$TEST_TMP/image.sqsh" >"$TEST_TMP/image.owners"
	owners_in "$TEST_TMP/fromfile.sqsh" >"$TEST_TMP/export.owners"
	grep -qx -- '-rw-r--r-- 1000/100 /etc/marked' "$TEST_TMP/image.owners"
	grep -qx -- '-rw-r--r-- 1000/100 /etc/marked' "$TEST_TMP/export.owners"
	grep -qx -- '-rwx------ 0/0 /etc/hostname' "$TEST_TMP/export.owners"
	grep -qx -- '-rw-r--r-- 0/0 /added' "$TEST_TMP/export.owners"
	# Everything the container left alone is as the file has it.
	same "$(grep -v -e ' /etc/hostname$' -e ' /etc$' -e ' /$' -e ' /sbin' "$TEST_TMP/image.owners" |
		grep -v -e ' /linuxrc$' -e ' /etc/hosts$' -e ' /etc/resolv.conf$' -e ' /home')" \
		"$(grep -v -e ' /etc/hostname$' -e ' /etc$' -e ' /$' -e ' /sbin' -e ' /added$' "$TEST_TMP/export.owners" |
			grep -v -e ' /etc/hosts$' -e ' /etc/resolv.conf$' -e ' /home')"
}

@test "export of a container made from an image file carries the file's config and is reproducible" {
	changed_file_container
	as_user env SOURCE_DATE_EPOCH=1700000000 burrow export -o one.sqsh fromfile >/dev/null
	as_user env SOURCE_DATE_EPOCH=1700000000 burrow export -o two.sqsh fromfile >/dev/null
	cmp "$TEST_TMP/one.sqsh" "$TEST_TMP/two.sqsh"
	# The super block's time is the epoch's (else the two only matched within one second).
	same "$(od -An -tu4 -j8 -N4 "$TEST_TMP/one.sqsh" | tr -d ' ')" 1700000000
	unsquashfs -q -d "$TEST_TMP/x" "$TEST_TMP/one.sqsh" >/dev/null
	unsquashfs -q -d "$TEST_TMP/y" "$TEST_TMP/image.sqsh" >/dev/null
	cmp "$TEST_TMP/x/.burrow/config.json" "$TEST_TMP/y/.burrow/config.json"
	run --separate-stderr as_user burrow start --no-cwd "$TEST_TMP/one.sqsh" cat /added /etc/marked
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'added\nmarked')"
}

@test "export and import refuse an unknown compression and a missing value alike" {
	as_user burrow create --name plain "$BUSYBOX_ROOTFS"
	local verb arg
	for verb in export import; do
		arg=plain
		[ "$verb" = import ] && arg=$PLAIN/busybox:latest
		run --separate-stderr as_user burrow "$verb" -c lzo "$arg"
		[ "$status" -eq 2 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "burrow $verb: unknown compression 'lzo' (zstd, gzip, lz4 or xz)"* ]]
		run --separate-stderr as_user burrow "$verb" -f -o
		[ "$status" -eq 2 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "burrow $verb: option '-o' needs a value"* ]]
	done
	same "$(find "$TEST_TMP" -maxdepth 1 -name '*.sqsh*')" ""
}
