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
# The same plugin handing its ADD to `calico-ipam daemon`, which keeps its datastore connection open.
echo
echo "\$ calico-ipam daemon --socket .data/calico-ipam.sock &   # then the same ADD, for api-0"
rm -f .data/calico-ipam.sock
bin/calico-ipam daemon --socket .data/calico-ipam.sock 2> .data/calico-ipam-daemon.log &
ipamd=$!
for _ in $(seq 1 100); do [ -S .data/calico-ipam.sock ] && break; sleep 0.05; done
echo "$cni_conf" | CALICO_IPAM_DAEMON_SOCKET=.data/calico-ipam.sock CNI_COMMAND=ADD CNI_CONTAINERID=api-0 CNI_NETNS=/var/run/netns/api-0 \
	CNI_IFNAME=eth0 CNI_PATH=bin CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=api-0" bin/calico-ipam
kill $ipamd && wait $ipamd
run ipam show --show-blocks
run ipam show --ip="$("$ctl" ipam check --show-all-ips | sed -n 's/^  \([0-9.]*\): .*/\1/p' | head -1)"
run ipam check

if [ "${KEEP:-0}" = 1 ]; then
	echo
	echo "The datastore keeps running (pid $server). Try: ETCD_ENDPOINTS=http://$listen $ctl get ippools"
fi

# The node agents (root only; docs/node.md): three calico-node agents on this host, each with its
# own loopback address (127.0.0.11-13) and control socket, on a datastore of their own. They form
# the node-to-node mesh; then the mesh is turned off and node1 becomes a route reflector that the
# others peer with.
if [ "$(id -u)" != 0 ] || [ ! -x bin/calico-node ]; then
	echo
	echo "(Skipping the node agents: they need root and bin/calico-node.)"
	exit 0
fi
nlisten=${QUICKSTART_NODE_LISTEN:-127.0.0.1:23797}
ndata=.data/quickstart-node
rm -rf "$ndata"
mkdir -p "$ndata"
"$ctl" datastore serve --listen "$nlisten" --data-dir "$ndata/etcd" > "$ndata/etcd.log" 2>&1 &
nserver=$!
agents=""
stop_nodes() {
	for p in $agents; do kill "$p" 2>/dev/null || true; done
	kill $nserver 2>/dev/null; wait $nserver 2>/dev/null || true
	kill $server 2>/dev/null; wait $server 2>/dev/null || true
}
if [ "${KEEP:-0}" != 1 ]; then
	trap stop_nodes EXIT
else
	trap 'echo; echo "The agents (pids$agents) and their datastore (pid $nserver, ETCD_ENDPOINTS=http://$nlisten) keep running."' EXIT
fi
for _ in $(seq 1 100); do
	grep -q "Datastore ready" "$ndata/etcd.log" 2>/dev/null && break
	if ! kill -0 $nserver 2>/dev/null; then cat "$ndata/etcd.log"; exit 1; fi
	sleep 0.1
done
export ETCD_ENDPOINTS=http://$nlisten CALICO_CTL_CONTAINER=1 CALICO_PROGRAM_ROUTES=false CALICO_IPV6POOL_CIDR=none
for i in 1 2 3; do
	echo
	echo "\$ calicoctl node run --name node$i --ip 127.0.0.1$i --log-dir $ndata/node$i   # BGP on 127.0.0.1$i:179"
	CALICO_BGP_LISTEN_ADDRESS=127.0.0.1$i CALICO_NODENAME_FILE=$ndata/node$i/nodename \
		CALICO_BIRD_SOCKET=$ndata/node$i/bird.ctl CALICO_BIRD6_SOCKET=$ndata/node$i/bird6.ctl \
		"$ctl" node run --name node$i --ip 127.0.0.1$i --log-dir "$ndata/node$i" | tail -n 2
	agents="$agents $(cat "$ndata/node$i/calico-node.pid")"
done
status() {
	sleep "${1:-0}"
	for i in 1 2 3; do
		echo
		echo "\$ CALICO_BIRD_SOCKET=$ndata/node$i/bird.ctl calicoctl node status   # node$i"
		CALICO_BIRD_SOCKET=$ndata/node$i/bird.ctl CALICO_BIRD6_SOCKET=$ndata/none "$ctl" node status | sed -n '3,$p'
	done
}
for _ in $(seq 1 50); do
	[ "$(CALICO_BIRD_SOCKET=$ndata/node3/bird.ctl "$ctl" node status 2>/dev/null | grep -c Established)" = 2 ] && break
	sleep 0.2
done
status
run config set nodeToNodeMesh off
run label node node1 route-reflector=true
run patch node node1 -p '{"spec":{"bgp":{"routeReflectorClusterID":"244.0.0.1"}}}'
echo
echo "\$ calicoctl apply -f - <<< 'BGPPeer peer-with-route-reflectors: nodeSelector all(), peerSelector route-reflector == \"true\"'"
"$ctl" apply -f - <<'YAML'
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer-with-route-reflectors
spec:
  nodeSelector: all()
  peerSelector: route-reflector == 'true'
YAML
for _ in $(seq 1 50); do
	[ "$(CALICO_BIRD_SOCKET=$ndata/node1/bird.ctl "$ctl" node status 2>/dev/null | grep 'node specific' | grep -c Established)" = 2 ] &&
		[ "$(CALICO_BIRD_SOCKET=$ndata/node3/bird.ctl "$ctl" node status 2>/dev/null | grep -c 'mesh')" = 0 ] && break
	sleep 0.2
done
status
