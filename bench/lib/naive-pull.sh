#!/bin/bash
# The naive floor of bench/pull.sh: an image's gzip layers fetched with curl and unpacked
# with `gzip -dc | tar -x`, each into a directory of its own (DEST/1 ... DEST/N, as burrow
# keeps layers), with no digest check, no whiteouts and no store.
#
#   naive-pull.sh parallel|serial http://HOST:PORT REPO TAG DEST
#       parallel: every layer at once (one curl | gzip | tar pipeline each); serial: in turn.
set -euo pipefail
mode=${1:?usage: naive-pull.sh parallel|serial BASE REPO TAG DEST}
base=${2:?} repo=${3:?} tag=${4:?} dest=${5:?}
case $mode in parallel | serial) ;; *) echo "naive-pull.sh: mode parallel or serial" >&2 && exit 2 ;; esac
accept=application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json
layers=$(curl -sSf -H "Accept: $accept" "$base/v2/$repo/manifests/$tag" |
	/usr/bin/python3 -c 'import json, sys; print(*(l["digest"] for l in json.load(sys.stdin)["layers"]))')

one() {
	mkdir "$dest/$1"
	curl -sSf "$base/v2/$repo/blobs/$2" | gzip -dc | tar -x -C "$dest/$1"
}

mkdir -p "$dest"
n=0
pids=()
for digest in $layers; do
	n=$((n + 1))
	if [ "$mode" = parallel ]; then
		one "$n" "$digest" &
		pids+=($!)
	else
		one "$n" "$digest"
	fi
done
status=0
for pid in "${pids[@]}"; do
	wait "$pid" || status=1
done
exit "$status"
