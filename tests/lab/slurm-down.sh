#!/bin/sh
# Stops the cluster slurm-up.sh started in STATE (run as root): cancels its jobs, stops
# slurmd, slurmctld and munged by their pid files, and any slurmstepd of this cluster left
# behind. --purge also removes STATE. Does nothing for daemons that are not running.
#   slurm-down.sh [--purge] STATE
# (--keep-munge, for slurm-up.sh's restart, leaves munged running.)
set -eu
usage="usage: slurm-down.sh [--purge] STATE"
state='' purge='' keep_munge=''
for arg; do
	case $arg in
	--purge) purge=1 ;;
	--keep-munge) keep_munge=1 ;;
	-*) echo "$usage" >&2; exit 2 ;;
	*) [ -z "$state" ] || { echo "$usage" >&2; exit 2; }; state=$arg ;;
	esac
done
[ -n "$state" ] || { echo "$usage" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm-down.sh: run as root" >&2; exit 1; }
[ -d "$state" ] || exit 0
state=$(cd "$state" && pwd)
export SLURM_CONF="$state/etc/slurm.conf"

# pid_of PIDFILE COMM: the live (not zombie) COMM process named in PIDFILE.
pid_of() {
	[ -s "$1" ] || return 1
	p=$(cat "$1")
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] || return 1
	echo "$p"
}

# stop PID...: SIGTERM, then SIGKILL what is still there after 10 s.
stop() {
	[ $# -gt 0 ] || return 0
	kill "$@" 2>/dev/null || true
	tries=0
	for p; do
		while [ -d "/proc/$p" ] && [ "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; do
			tries=$((tries + 1))
			[ "$tries" -lt 100 ] || { kill -KILL "$p" 2>/dev/null || true; break; }
			sleep 0.1
		done
	done
}

if pid_of "$state/run/slurmctld.pid" slurmctld >/dev/null && [ -e "$SLURM_CONF" ]; then
	jobs=$(squeue -h -o %A 2>/dev/null || true)
	if [ -n "$jobs" ]; then
		# shellcheck disable=SC2086
		scancel $jobs 2>/dev/null || true
		tries=0
		while [ -n "$(squeue -h -t running,pending,completing -o %A 2>/dev/null)" ] && [ "$tries" -lt 50 ]; do
			tries=$((tries + 1))
			sleep 0.1
		done
	fi
fi

pids=
for file in "$state"/run/slurmd-*.pid; do
	pid=$(pid_of "$file" slurmd) && pids="$pids $pid"
done
# shellcheck disable=SC2086
stop $pids
pid=$(pid_of "$state/run/slurmctld.pid" slurmctld) && stop "$pid"
# Step daemons outlive slurmd; they carry this cluster's SLURM_CONF.
pids=
for dir in /proc/[0-9]*; do
	[ "$(cat "$dir/comm" 2>/dev/null)" = slurmstepd ] || continue
	tr "\0" "\n" 2>/dev/null <"$dir/environ" | grep -qxF "SLURM_CONF=$SLURM_CONF" &&
		pids="$pids ${dir#/proc/}"
done
# shellcheck disable=SC2086
stop $pids
if [ -z "$keep_munge" ]; then
	pid=$(pid_of "$state/munge/run/munged.pid" munged) && stop "$pid"
fi
if [ -n "$purge" ]; then
	rm -rf "$state"
fi
exit 0
