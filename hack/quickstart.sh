#!/usr/bin/env bash
# The quickstart: start calicoctl's embedded etcd, apply the example resources of
# testdata/quickstart/ (IP pools, BGP configuration and peer, the tenant profile and policy, the
# bookstore policy), show them, trace and lint the policy, and stop. KEEP=1 leaves the datastore running.
set -euo pipefail
cd "$(dirname "$0")/.."

listen=${QUICKSTART_LISTEN:-127.0.0.1:23790}
data=.data/quickstart-etcd
ctl=bin/calicoctl
export ETCD_ENDPOINTS=http://$listen DATASTORE_TYPE=etcdv3

rm -rf "$data"
mkdir -p "$data"
"$ctl" datastore serve --listen "$listen" --data-dir "$data" > .data/quickstart-etcd.log 2>&1 &
server=$!
if [ "${KEEP:-0}" != 1 ]; then
	trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
fi
for _ in $(seq 1 100); do
	grep -q "Datastore ready" .data/quickstart-etcd.log 2>/dev/null && break
	if ! kill -0 $server 2>/dev/null; then cat .data/quickstart-etcd.log; exit 1; fi
	sleep 0.1
done
echo "Embedded etcd on http://$listen (data in $data)"

run() {
	echo
	echo "\$ calicoctl $*"
	"$ctl" "$@"
}
run apply -f testdata/quickstart/
run get ippools -o wide
run get bgpconfiguration
run get bgppeers
run get nodes -o wide
run get globalnetworkpolicies -o wide
run get networkpolicies --all-namespaces -o wide
run get workloadendpoints --all-namespaces
run get profiles -o wide
run get tiers
run policy trace --from default/frontend1 --to default/database --port 3306 --expect Allow
run policy lint --all
run version
# A calicoctl v1 manifest of the seed documents, converted to v3 (see docs/migrating-from-v1.md).
run convert -f pkg/convert/testdata/ippool.yaml

if [ "${KEEP:-0}" = 1 ]; then
	echo
	echo "The datastore keeps running (pid $server). Try: ETCD_ENDPOINTS=http://$listen $ctl get ippools"
fi
