#!/usr/bin/env bats
# Slurm runs jobs in OCI bundles with burrow as the runtime: a real one-node cluster
# (tests/lab/slurm-up.sh), an oci.conf whose commands call `burrow oci`, one bundle without
# id mappings shared by every user, and the test user's srun and sbatch --container.
# OCI_RUNTIME=runc runs the same tests with Debian's runc (a per-user bundle then), but for
# those of burrow's own behaviour.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

# A port of its own, so that a cluster on the default ports does not get in the way.
SLURM_PORT=${BURROW_TEST_SLURM_PORT:-6917}

setup_file() {
	command -v slurmctld >/dev/null || skip "Slurm is not installed (scripts/install-deps test)"
	SLURM_DIR=$(mktemp -d "$STAGE/tmp/slurm.XXXXXX")
	chmod 0755 "$SLURM_DIR"
	export SLURM_DIR SLURM_CONF=$SLURM_DIR/state/etc/slurm.conf BUNDLE=$SLURM_DIR/bundle
	# The runtime's state roots, one per user as /tmp/burrow-oci-%u would be, but this
	# file's own.
	install -d -m 1777 "$SLURM_DIR/oci"
	export OCI_STATE_ROOT=$SLURM_DIR/oci/$TEST_USER
	"$BATS_TEST_DIRNAME/../lab/slurm-up.sh" "$SLURM_DIR/state" -u "$TEST_USER" -p "$SLURM_PORT" >&2

	# The user's directories: job output and a bind-mount source.
	install -d -m 0755 -o "$TEST_USER" -g "$TEST_USER" "$SLURM_DIR/out" "$SLURM_DIR/data"
	# The bundle belongs to root and serves every user: its rootfs is read-only to them
	# but for /tmp/slurm, where sbatch --container binds the batch script and its output.
	mkdir -p "$BUNDLE"
	cp -a "$BUSYBOX_ROOTFS" "$BUNDLE/rootfs"
	echo bundle-os >"$BUNDLE/rootfs/etc/os-marker"
	install -d -m 1777 "$BUNDLE/rootfs/tmp/slurm"
	mkdir "$BUNDLE/rootfs/data"
	local runtime spec
	if [ "${OCI_RUNTIME:-burrow}" = runc ]; then
		runtime="runc --rootless=true --root=$SLURM_DIR/oci/%u"
		spec=$(as_user runc spec --rootless --bundle "$SLURM_DIR/out" >&2 &&
			cat "$SLURM_DIR/out/config.json" && rm "$SLURM_DIR/out/config.json")
	else
		# slurmstepd runs the runtime with slurmd's environment: a sanitizer build's settings
		# go on the command line.
		local name sanitizer=
		for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
			[ -z "${!name:-}" ] || sanitizer+="$name=${!name} "
		done
		runtime="${sanitizer:+env $sanitizer}$BURROW oci --root=$SLURM_DIR/oci/%u"
		spec=$(as_user "$BURROW" oci spec --rootless --bundle "$SLURM_DIR/out" >&2 &&
			cat "$SLURM_DIR/out/config.json" && rm "$SLURM_DIR/out/config.json")
		# No mappings: burrow maps the calling user, so one bundle serves everyone.
		spec=$(jq 'del(.linux.uidMappings, .linux.gidMappings)' <<<"$spec")
	fi
	jq --arg data "$SLURM_DIR/data" '.process.terminal = false | .root.path = "rootfs" |
		.mounts += [{destination: "/data", type: "bind", source: $data, options: ["rbind", "rw"]}]' \
		<<<"$spec" >"$BUNDLE/config.json"

	# The RunTimeRun form: Slurm 22.05 waits for `create` to close its stdout, which it
	# never does. Query, Kill and Delete run as root on the user's state (%u).
	local id="%n.%u.%j.%s.%t"
	cat >"$SLURM_DIR/state/etc/oci.conf" <<-EOF
		RunTimeQuery="$runtime state $id"
		RunTimeKill="$runtime kill --all $id"
		RunTimeDelete="$runtime delete --force $id"
		RunTimeRun="$runtime run --bundle %b $id"
	EOF
}

teardown_file() {
	[ -n "${SLURM_DIR:-}" ] || return 0
	"$BATS_TEST_DIRNAME/../lab/slurm-down.sh" "$SLURM_DIR/state"
	rm -rf "$SLURM_DIR"
}

setup() {
	burrow_setup
}
teardown() {
	burrow_teardown
}

# Runs a Slurm client as the test user against the test cluster, killed after 60 s.
slurm_user() {
	as_user env SLURM_CONF="$SLURM_CONF" timeout 60 "$@"
}

@test "srun --container runs the command in the bundle's root filesystem" {
	run -0 slurm_user srun -N1 --container="$BUNDLE" cat /etc/os-marker
	same "$output" bundle-os
}

@test "srun --container passes the command's exit code on" {
	run -3 slurm_user srun -N1 --container="$BUNDLE" sh -c 'exit 3'
}

@test "the container runs as root inside, mapped to the user who ran srun" {
	run -0 slurm_user srun -N1 --container="$BUNDLE" sh -c 'id -u; id -g; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ] || { echo "$output" >&2; false; }
	read -r inside outside count <<<"${lines[2]}"
	same "$inside $outside $count" "0 $(user_uid) 1"
}

@test "files written to a bind mount belong to the user on the host" {
	run -0 slurm_user srun -N1 --container="$BUNDLE" sh -c 'echo written > /data/from-job'
	same "$(cat "$SLURM_DIR/data/from-job")" written
	same "$(stat -c %u:%g "$SLURM_DIR/data/from-job")" "$(user_uid):$(user_gid)"
}

@test "the job's environment reaches the container" {
	run -0 slurm_user srun -N1 --container="$BUNDLE" sh -c 'echo "job=$SLURM_JOB_ID cwd=$(pwd)"'
	[[ "$output" =~ ^job=[0-9]+\ cwd=/$ ]] || { echo "$output" >&2; false; }
}

@test "sbatch -W --container runs the batch script in the container" {
	run -0 slurm_user sbatch -W -o "$SLURM_DIR/out/batch-%j.out" --container="$BUNDLE" \
		--wrap 'cat /etc/os-marker; id -u'
	local job=${output##* }
	# (Slurm may append its complaint about the runtime's answer to a late state query.)
	same "$(head -2 "$SLURM_DIR/out/batch-$job.out")" "$(printf 'bundle-os\n0')"
}

@test "no container state is left once the step is over" {
	run -0 slurm_user srun -N1 --container="$BUNDLE" true
	run find "$OCI_STATE_ROOT" -mindepth 1 -maxdepth 1
	same "$output" ""
}

@test "scancel ends a running container, and its state goes" {
	# (Under runc, sleep was still running when srun had ended.)
	[ "${OCI_RUNTIME:-burrow}" = burrow ] || skip "burrow's behaviour"
	slurm_user srun -N1 --container="$BUNDLE" sleep 317 3>&- &
	local srun_pid=$!
	for _ in $(seq 300); do
		[ -z "$(find "$OCI_STATE_ROOT" -name state.json 2>/dev/null)" ] || break
		sleep 0.1
	done
	run -0 find "$OCI_STATE_ROOT" -name state.json
	[ -n "$output" ]
	run -0 squeue -h -u "$TEST_USER" -o %A
	local job=$output
	SECONDS=0
	scancel "$job"
	wait "$srun_pid" || true
	[ "$SECONDS" -lt 30 ] || { echo "srun took $SECONDS s to end after scancel" >&2; false; }
	run ps -u "$TEST_USER" -o args=
	[[ "$output" != *"sleep 317"* ]] || { echo "$output" >&2; false; }
	for _ in $(seq 100); do
		[ -n "$(find "$OCI_STATE_ROOT" -mindepth 1 -maxdepth 1)" ] || break
		sleep 0.1
	done
	run find "$OCI_STATE_ROOT" -mindepth 1 -maxdepth 1
	same "$output" ""
}

@test "a bundle burrow cannot start fails the task with exit code 125 and one error line" {
	[ "${OCI_RUNTIME:-burrow}" = burrow ] || skip "burrow's behaviour"
	local broken=$SLURM_DIR/broken
	mkdir -p "$broken"
	cp -a "$BUNDLE/rootfs" "$broken/rootfs"
	jq '.mounts += [{destination: "/missing", type: "bind", source: "/nonexistent/source",
		options: ["rbind"]}]' "$BUNDLE/config.json" >"$broken/config.json"
	run -125 slurm_user srun -N1 --container="$broken" true
	local errors
	errors=$(grep '^burrow: ' <<<"$output")
	[[ "$errors" != *$'\n'* && "$errors" == *"/nonexistent/source"* ]] || { echo "$output" >&2; false; }
}
