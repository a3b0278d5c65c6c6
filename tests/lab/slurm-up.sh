#!/bin/sh
# Starts a Slurm cluster on 127.0.0.1 for the tests (run as root): munged, slurmctld and
# one slurmd per node (Slurm's multiple-slurmd support), no systemd, every file under STATE.
#   slurm-up.sh STATE [-n NODES] [-u USER] [-p PORT]
# NODES defaults to 1 (nodes n1..nN); PORT (default 6817) is slurmctld's, the slurmds take
# the next ones. -u USER checks that USER (created if missing) can reach the cluster.
# Idempotent: a second call with the same options only waits for the nodes to be up; a
# changed configuration restarts the daemons. Clients need SLURM_CONF (STATE/env.sh sets it);
# oci.conf and plugstack.conf are read from STATE/etc for every step.
# The packages: slurmctld slurmd slurm-client munge (scripts/install-deps test).
set -eu
usage="usage: slurm-up.sh STATE [-n NODES] [-u USER] [-p PORT]"
state='' nodes=1 user='' port=6817
while [ $# -gt 0 ]; do
	case $1 in
	-n) nodes=${2:?$usage}; shift 2 ;;
	-u) user=${2:?$usage}; shift 2 ;;
	-p) port=${2:?$usage}; shift 2 ;;
	-*) echo "$usage" >&2; exit 2 ;;
	*) [ -z "$state" ] || { echo "$usage" >&2; exit 2; }; state=$1; shift ;;
	esac
done
[ -n "$state" ] || { echo "$usage" >&2; exit 2; }
case $nodes in '' | *[!0-9]* | 0) echo "slurm-up.sh: -n wants a node count, not '$nodes'" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "slurm-up.sh: run as root (slurmd switches to the job users)" >&2; exit 1; }
for tool in munged mungekey slurmctld slurmd sinfo; do
	command -v $tool >/dev/null ||
		{ echo "slurm-up.sh: $tool is missing: apt-get install slurmctld slurmd slurm-client munge" >&2; exit 1; }
done
state=$(realpath -m "$state")
here=$(cd "$(dirname "$0")" && pwd)

# Job users read slurm.conf and the munge socket, and slurmd's spool: every directory on
# the way must be searchable by others.
dir=$state
while [ "$dir" != / ]; do
	dir=$(dirname "$dir")
	[ ! -d "$dir" ] || [ "$(($(stat -c %#a "$dir") & 1))" = 1 ] ||
		{ echo "slurm-up.sh: $dir is not searchable by others; job users could not reach $state" >&2; exit 1; }
done

mkdir -p "$state/etc" "$state/log" "$state/run" "$state/ctld" "$state/spool" \
	"$state/munge/key" "$state/munge/run"
chmod 0755 "$state" "$state/etc" "$state/log" "$state/run" "$state/spool" "$state/munge" "$state/munge/run"
chmod 0700 "$state/ctld" "$state/munge/key"

# alive PIDFILE COMM: the pid in PIDFILE is a live (not zombie) COMM process.
alive() {
	[ -s "$1" ] || return 1
	pid=$(cat "$1")
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ]
}

# munge: a key of our own, the socket in a directory the job users can search.
socket=$state/munge/run/munge.socket
[ -s "$state/munge/key/munge.key" ] || mungekey -c -k "$state/munge/key/munge.key"
if ! alive "$state/munge/run/munged.pid" munged; then
	rm -f "$socket" "$socket.lock"
	munged --key-file="$state/munge/key/munge.key" --socket="$socket" \
		--pid-file="$state/munge/run/munged.pid" --log-file="$state/log/munged.log" \
		--seed-file="$state/munge/key/munged.seed" --origin=127.0.0.1
fi

# The node's topology as slurmd sees it, so that slurmd accepts the node definition.
topology=$(slurmd -C 2>/dev/null | head -1 | tr ' ' '\n' |
	grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
[ -n "$topology" ] || topology="CPUs=1"
host=$(hostname -s)
if [ "$nodes" = 1 ]; then names=n1 ports=$((port + 1)); else
	names="n[1-$nodes]" ports="[$((port + 1))-$((port + nodes))]"
fi
cat >"$state/etc/slurm.conf.new" <<EOF
ClusterName=burrow
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool/%n
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd-%n.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd-%n.log
PlugStackConfig=$state/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
NodeName=$names NodeHostname=$host NodeAddr=127.0.0.1 Port=$ports ${topology}State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
# slurmd sets up its cgroup plugin even with proctrack/linuxproc; without systemd it must
# be told not to look for it.
printf 'CgroupPlugin=autodetect\nIgnoreSystemd=yes\n' >"$state/etc/cgroup.conf"
[ -e "$state/etc/plugstack.conf" ] || : >"$state/etc/plugstack.conf"
printf 'export SLURM_CONF=%s/etc/slurm.conf\n' "$state" >"$state/env.sh"
chmod 0644 "$state/etc/slurm.conf.new" "$state/etc/cgroup.conf" "$state/etc/plugstack.conf" "$state/env.sh"
export SLURM_CONF="$state/etc/slurm.conf"

if ! cmp -s "$state/etc/slurm.conf.new" "$SLURM_CONF"; then
	[ ! -e "$SLURM_CONF" ] || "$here/slurm-down.sh" --keep-munge "$state"
	rm -rf "$state/ctld" && mkdir -m 0700 "$state/ctld"
	mv "$state/etc/slurm.conf.new" "$SLURM_CONF"
else
	rm "$state/etc/slurm.conf.new"
fi
alive "$state/run/slurmctld.pid" slurmctld || slurmctld
i=1
while [ "$i" -le "$nodes" ]; do
	mkdir -p "$state/spool/n$i"
	chmod 0755 "$state/spool/n$i"
	alive "$state/run/slurmd-n$i.pid" slurmd || slurmd -N "n$i"
	i=$((i + 1))
done

# Up when every node takes jobs: idle, or busy with a job of an earlier call (a node that was
# down comes back by ReturnToService=2).
tries=0
until [ "$(sinfo -h -N -t idle,mixed,allocated,completing -o %N 2>/dev/null | sort -u | wc -l)" = "$nodes" ]; do
	tries=$((tries + 1))
	if [ "$tries" -gt 10 ] && ! alive "$state/run/slurmctld.pid" slurmctld; then
		echo "slurm-up.sh: slurmctld stopped (port $port taken?): $state/log/slurmctld.log says" >&2
		tail -3 "$state/log/slurmctld.log" >&2
		exit 1
	fi
	if [ "$tries" -gt 300 ]; then
		echo "slurm-up.sh: the nodes did not come up in 30 s; see $state/log" >&2
		sinfo -N >&2 || true
		exit 1
	fi
	sleep 0.1
done

if [ -n "$user" ]; then
	id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
	runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" sinfo -h >/dev/null ||
		{ echo "slurm-up.sh: $user cannot reach the cluster at $state" >&2; exit 1; }
fi
echo "slurm-up.sh: $nodes node(s) up; . $state/env.sh"
