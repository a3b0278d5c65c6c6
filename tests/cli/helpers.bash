# The harness every CLI test loads: who runs burrow, with what, and where.
#
# bats runs as root (as CI does); everything rootless runs as TEST_USER through as_user.
# tests/lab/prepare.sh creates that user and stages the binary and fixtures in a directory
# the user can read (STAGE); tests/run does this before calling bats.

STAGE=${BURROW_TEST_STAGE:-/var/tmp/burrow-tests}
TEST_USER=${TEST_USER:-burrowtest}
BURROW=${BURROW:-$STAGE/bin/burrow}
BUSYBOX_ROOTFS=${BUSYBOX_ROOTFS:-$STAGE/busybox-rootfs}
BUSYBOX_TAR=${BUSYBOX_TAR:-$STAGE/busybox.tar}
if [ -z "${DEBIAN_ROOTFS+set}" ]; then
	DEBIAN_ROOTFS=
	[ -d "$STAGE/debian-rootfs" ] && DEBIAN_ROOTFS=$STAGE/debian-rootfs
fi
export STAGE TEST_USER BURROW BUSYBOX_ROOTFS BUSYBOX_TAR DEBIAN_ROOTFS

if [ "$(id -u)" != 0 ] || ! id "$TEST_USER" >/dev/null 2>&1 || [ ! -x "$BURROW" ] ||
	[ ! -d "$BUSYBOX_ROOTFS" ]; then
	echo "the CLI tests run as root after tests/lab/prepare.sh (tests/run does both)" >&2
	exit 1
fi
TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)
export TEST_HOME

# Runs CMD as TEST_USER in $TEST_TMP with a clean environment: HOME USER LOGNAME PATH (the
# staged burrow first) TERM LANG, every exported BURROW_* variable, and the sanitizer
# settings of a sanitizer run. stdin, stdout and stderr pass through. Extra variables go
# through env: `as_user env VAR=value burrow ...`.
as_user() {
	local -a vars=(
		"HOME=$TEST_HOME" "USER=$TEST_USER" "LOGNAME=$TEST_USER"
		"PATH=$(dirname "$BURROW"):/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
		"TERM=${TERM:-dumb}" "LANG=C.UTF-8"
	)
	local name
	for name in $(compgen -e); do
		case $name in
		BURROW_TEST_STAGE) ;;
		BURROW_* | ASAN_OPTIONS | UBSAN_OPTIONS | LSAN_OPTIONS) vars+=("$name=${!name}") ;;
		esac
	done
	setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups --inh-caps=-all \
		env -i "${vars[@]}" sh -c 'cd "$1" && shift && exec "$@"' as_user "$TEST_TMP" "$@"
}

# Per-test state: a temporary directory the user owns, holding the data and runtime paths.
burrow_setup() {
	TEST_TMP=$(mktemp -d "${STAGE}/tmp/test.XXXXXX")
	chown "$TEST_USER:" "$TEST_TMP"
	chmod 0700 "$TEST_TMP"
	export TEST_TMP
	export BURROW_DATA_PATH=$TEST_TMP/data
	export BURROW_RUNTIME_PATH=$TEST_TMP/run
	export BURROW_CACHE_PATH=$TEST_TMP/cache
}

# Removes what the test left, including files a --root container created as subordinate ids.
burrow_teardown() {
	[ -n "${TEST_TMP:-}" ] || return 0
	rm -rf "$TEST_TMP"
}

# Skips the test unless the Debian minbase fixture was made.
require_debian() {
	[ -n "$DEBIAN_ROOTFS" ] || skip "no Debian rootfs fixture (tests/lab/prepare.sh makes it)"
}
