#!/usr/bin/env bash
# The quickstart: start calicoctl's embedded etcd, apply the example resources of
# testdata/quickstart/ (IP pools, BGP configuration and peer, the tenant profile and policy, the
# bookstore policy), show them, and stop. KEEP=1 leaves the datastore running.
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
run version

# IPAM: three containers on rack1-host1 get their addresses through the calico-ipam CNI plugin,
# called as a container runtime calls it (CNI_* environment, network configuration on stdin).
cni_conf='{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"calico","datastore_type":"etcdv3","etcd_endpoints":"'"$ETCD_ENDPOINTS"'","nodename":"rack1-host1","ipam":{"type":"calico-ipam","assign_ipv4":"true","assign_ipv6":"true"}}'
for pod in web-0 web-1 db-0; do
	echo
	echo "\$ CNI_COMMAND=ADD CNI_CONTAINERID=$pod ... bin/calico-ipam < net.conf"
	echo "$cni_conf" | CNI_COMMAND=ADD CNI_CONTAINERID=$pod CNI_NETNS=/var/run/netns/$pod CNI_IFNAME=eth0 CNI_PATH=bin \
		CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" bin/calico-ipam
done
echo
echo "\$ CNI_COMMAND=DEL CNI_CONTAINERID=db-0 ... bin/calico-ipam < net.conf"
echo "$cni_conf" | CNI_COMMAND=DEL CNI_CONTAINERID=db-0 CNI_NETNS=/var/run/netns/db-0 CNI_IFNAME=eth0 CNI_PATH=bin bin/calico-ipam
run ipam show --show-blocks
run ipam show --ip="$("$ctl" ipam check --show-all-ips | sed -n 's/^  \([0-9.]*\): .*/\1/p' | head -1)"
run ipam check

if [ "${KEEP:-0}" = 1 ]; then
	echo
	echo "The datastore keeps running (pid $server). Try: ETCD_ENDPOINTS=http://$listen $ctl get ippools"
fi
