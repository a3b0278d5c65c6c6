#!/bin/bash
# Starts and stops the lab's local registries (Debian's docker-registry, distribution 2.8) and
# the fault proxies in front of them, on 127.0.0.1 over plain http; not for images (images.sh).
#
#   registry.sh start DIR [--htpasswd | --token]
#       A registry with storage, config, logs and pid files under DIR, on a free port of
#       127.0.0.1. Prints the port and writes it to DIR/port; DIR/env holds REGISTRY_PORT,
#       REGISTRY (127.0.0.1:PORT) and, with --token, TOKEN_PORT and TOKEN_REALM.
#       --htpasswd  Basic auth: user alice, password wonderland (bcrypt htpasswd).
#       --token     Bearer tokens from tests/lab/token_server.py (started on another port;
#                   its request log is DIR/token/requests.log): service
#                   burrow-test-registry, issuer burrow-test-issuer; tokens last
#                   BURROW_LAB_TOKEN_EXPIRES_IN seconds (default 300; the registry
#                   allows 60 s of clock skew on top).
#   registry.sh proxy DIR NAME [fault_proxy.py options]
#       A fault proxy (tests/lab/fault_proxy.py) in front of DIR's registry, unless the
#       options name --upstream or --blobs. Prints its port; DIR/NAME.port, its request log
#       DIR/NAME.requests.log, its control file DIR/NAME.fault.
#   registry.sh stop DIR
#       Stops everything started under DIR and waits until it is gone.
#
# Every process runs in a session of its own under `timeout` (BURROW_LAB_LIFETIME seconds,
# default 3600), so even a test run killed before its teardown leaves nothing for long.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
lifetime=${BURROW_LAB_LIFETIME:-3600}

die() {
	echo "registry.sh: $*" >&2
	exit 1
}

usage() {
	die "usage: registry.sh start DIR [--htpasswd | --token] | proxy DIR NAME [OPTIONS] | stop DIR"
}

# Starts CMD in the background as NAME: DIR/NAME.pid, output in DIR/NAME.log. No descriptor
# of ours stays open in it (bats waits for fd 3 to close).
launch() {
	local dir=$1 name=$2
	shift 2
	: >"$dir/$name.log"
	setsid timeout "$lifetime" "$@" </dev/null >"$dir/$name.log" 2>&1 \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$dir/$name.pid"
}

# Waits up to 10 s for FILE to be non-empty while NAME's process lives.
wait_file() {
	local dir=$1 name=$2 file=$3
	for _ in $(seq 200); do
		[ -s "$file" ] && return 0
		group_alive "$(cat "$dir/$name.pid")" || break
		sleep 0.05
	done
	tail -n 20 "$dir/$name.log" >&2 || true
	die "$name did not start (log: $dir/$name.log)"
}

# Whether a process of group PGID is alive. Zombies do not count: they hold no socket and
# wait only for an init that may reap them late.
group_alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

stop_one() {
	local pidfile=$1 pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	rm -f "$pidfile"
	[ -n "$pid" ] || return 0
	# The session leader is `timeout`; the group holds it and the server.
	kill -TERM -- "-$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		group_alive "$pid" || return 0
		sleep 0.02
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		group_alive "$pid" || return 0
		sleep 0.02
	done
	echo "registry.sh: process group $pid ($pidfile) did not exit" >&2
	return 1
}

stop_all() {
	local dir=$1 pidfile status=0
	for pidfile in "$dir"/*.pid; do
		[ -e "$pidfile" ] || continue
		stop_one "$pidfile" || status=1
	done
	return "$status"
}

write_config() {
	local dir=$1 auth=$2
	cat >"$dir/config.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		  formatter: text
		storage:
		  filesystem:
		    rootdirectory: $dir/storage
		  delete:
		    enabled: true
		  maintenance:
		    uploadpurging:
		      enabled: false
		http:
		  addr: 127.0.0.1:0
		  secret: burrow-lab-secret
	EOF
	case $auth in
	htpasswd)
		cat >>"$dir/config.yml" <<-EOF
			auth:
			  htpasswd:
			    realm: burrow-lab
			    path: $dir/htpasswd
		EOF
		;;
	token)
		cat >>"$dir/config.yml" <<-EOF
			auth:
			  token:
			    realm: http://127.0.0.1:$(cat "$dir/token/port")/token
			    service: burrow-test-registry
			    issuer: burrow-test-issuer
			    rootcertbundle: $dir/token/cert.pem
		EOF
		;;
	esac
}

start() {
	local dir=$1 auth=none port code
	shift
	for arg; do
		case $arg in
		--htpasswd) [ "$auth" = none ] || usage && auth=htpasswd ;;
		--token) [ "$auth" = none ] || usage && auth=token ;;
		*) usage ;;
		esac
	done
	command -v docker-registry >/dev/null || die "docker-registry missing: apt-get install docker-registry"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ ! -e "$dir/registry.pid" ] || die "$dir already has a registry: registry.sh stop $dir first"
	started=$dir
	trap 'stop_all "$started"' EXIT
	mkdir -p "$dir/storage"
	rm -f "$dir/port" "$dir/env"
	{
		case $auth in
		htpasswd) htpasswd -Bbn alice wonderland >"$dir/htpasswd" ;;
		token)
			rm -f "$dir/token/port"
			launch "$dir" token "$python" "$here/token_server.py" "$dir/token" \
				--expires-in "${BURROW_LAB_TOKEN_EXPIRES_IN:-300}"
			wait_file "$dir" token "$dir/token/port"
			echo "TOKEN_PORT=$(cat "$dir/token/port")"
			echo "TOKEN_REALM=http://127.0.0.1:$(cat "$dir/token/port")/token"
			;;
		esac
	} >"$dir/env.new"
	write_config "$dir" "$auth"
	launch "$dir" registry docker-registry serve "$dir/config.yml"
	# The registry binds port 0 and logs the port it got: no race for a free port.
	for _ in $(seq 200); do
		port=$(sed -n 's/.*msg="listening on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$dir/registry.log")
		[ -n "$port" ] && break
		group_alive "$(cat "$dir/registry.pid")" || break
		sleep 0.05
	done
	[ -n "$port" ] || {
		tail -n 20 "$dir/registry.log" >&2
		die "docker-registry did not start (log: $dir/registry.log)"
	}
	for _ in $(seq 200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
		case $code in 200 | 401) break ;; esac
		sleep 0.05
	done
	case $code in 200 | 401) ;; *) die "http://127.0.0.1:$port/v2/ does not answer (log: $dir/registry.log)" ;; esac
	{
		echo "REGISTRY_PORT=$port"
		echo "REGISTRY=127.0.0.1:$port"
	} >>"$dir/env.new"
	echo "$port" >"$dir/port"
	mv "$dir/env.new" "$dir/env"
	trap - EXIT
	echo "$port"
}

proxy() {
	local dir=$1 name=$2 upstream=yes
	shift 2
	case $name in "" | */* | .* | registry | token) die "bad proxy name '$name'" ;; esac
	[ -d "$dir" ] || die "no registry in $dir: registry.sh start $dir first"
	dir=$(cd "$dir" && pwd)
	[ ! -e "$dir/$name.pid" ] || die "$dir already has a proxy $name"
	for arg; do
		case $arg in --upstream | --blobs) upstream=no ;; esac
	done
	local -a args=(--port-file "$dir/$name.port" --log "$dir/$name.requests.log" --control "$dir/$name.fault")
	if [ "$upstream" = yes ]; then
		[ -s "$dir/port" ] || die "no registry in $dir: registry.sh start $dir first"
		args+=(--upstream "127.0.0.1:$(cat "$dir/port")")
	fi
	rm -f "$dir/$name.port"
	started=$dir/$name.pid
	trap 'stop_one "$started"' EXIT
	launch "$dir" "$name" "$python" "$here/fault_proxy.py" "${args[@]}" "$@"
	wait_file "$dir" "$name" "$dir/$name.port"
	trap - EXIT
	cat "$dir/$name.port"
}

[ $# -ge 2 ] || usage
command=$1
shift
case $command in
start) start "$@" ;;
proxy) [ $# -ge 2 ] || usage && proxy "$@" ;;
stop)
	[ $# -eq 1 ] || usage
	[ -d "$1" ] || exit 0
	stop_all "$1"
	;;
*) usage ;;
esac
