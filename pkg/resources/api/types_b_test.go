package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

type manifestCaseB struct {
	name string
	obj  any
	yaml string
	json string
}

// typesBManifests are representative manifests of the configuration, BGP and IPAM kinds, with the
// JSON Calico writes for them.
func typesBManifests() []manifestCaseB {
	return []manifestCaseB{
		{
			name: "BGPConfiguration default",
			obj:  &BGPConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  logSeverityScreen: Info
  nodeToNodeMeshEnabled: false
  asNumber: 63400
  serviceClusterIPs:
  - cidr: 10.96.0.0/12
  serviceExternalIPs:
  - cidr: 104.244.42.129/32
  serviceLoadBalancerIPs:
  - cidr: 172.16.0.0/24
  serviceLoadBalancerAggregation: Disabled
  listenPort: 178
  bindMode: NodeIP
  communities:
  - name: bgp-large-community
    value: 63400:300:100
  prefixAdvertisements:
  - cidr: 172.218.4.0/26
    communities:
    - bgp-large-community
    - 63400:120
  nodeMeshPassword:
    secretKeyRef:
      name: bgp-secrets
      key: mesh
  nodeMeshMaxRestartTime: 120s
  ignoredInterfaces:
  - iface-1
  - iface-2*
  localWorkloadPeeringIPV4: 169.254.0.179
  localWorkloadPeeringIPV6: fd12:3456:789a::1
  programClusterRoutes: Disabled
  ipv4NormalRoutePriority: 1024
  ipv6NormalRoutePriority: 1024
`,
			json: `{"kind":"BGPConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},` +
				`"spec":{"logSeverityScreen":"Info","nodeToNodeMeshEnabled":false,"asNumber":63400,` +
				`"serviceLoadBalancerIPs":[{"cidr":"172.16.0.0/24"}],"serviceExternalIPs":[{"cidr":"104.244.42.129/32"}],` +
				`"serviceClusterIPs":[{"cidr":"10.96.0.0/12"}],"serviceLoadBalancerAggregation":"Disabled",` +
				`"communities":[{"name":"bgp-large-community","value":"63400:300:100"}],` +
				`"prefixAdvertisements":[{"cidr":"172.218.4.0/26","communities":["bgp-large-community","63400:120"]}],` +
				`"listenPort":178,"nodeMeshPassword":{"secretKeyRef":{"name":"bgp-secrets","key":"mesh"}},` +
				`"nodeMeshMaxRestartTime":"2m0s","bindMode":"NodeIP","ignoredInterfaces":["iface-1","iface-2*"],` +
				`"localWorkloadPeeringIPV4":"169.254.0.179","localWorkloadPeeringIPV6":"fd12:3456:789a::1",` +
				`"programClusterRoutes":"Disabled","ipv4NormalRoutePriority":1024,"ipv6NormalRoutePriority":1024}}`,
		},
		{
			name: "BGPPeer",
			obj:  &BGPPeer{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: rack1-tor
spec:
  nodeSelector: rack == 'rack-1'
  peerIP: 192.20.30.40:1790
  asNumber: "64567"
  localASNumber: 65000
  nextHopMode: Self
  password:
    secretKeyRef:
      name: bgp-secrets
      key: rr-password
      optional: true
  sourceAddress: None
  maxRestartTime: 15m
  keepaliveTime: 20s
  numAllowedLocalASNumbers: 2
  ttlSecurity: 1
  reachableBy: 192.20.30.1
  filters:
  - export-limited
  reversePeering: Manual
`,
			json: `{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack1-tor"},` +
				`"spec":{"nodeSelector":"rack == 'rack-1'","peerIP":"192.20.30.40:1790","asNumber":64567,"localASNumber":65000,` +
				`"nextHopMode":"Self","password":{"secretKeyRef":{"name":"bgp-secrets","key":"rr-password","optional":true}},` +
				`"sourceAddress":"None","maxRestartTime":"15m0s","keepaliveTime":"20s","numAllowedLocalASNumbers":2,` +
				`"ttlSecurity":1,"reachableBy":"192.20.30.1","filters":["export-limited"],"reversePeering":"Manual"}}`,
		},
		{
			name: "BGPPeer local workload",
			obj:  &BGPPeer{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer-to-workload
spec:
  node: node-1
  localWorkloadSelector: color == 'red'
  asNumber: 65401
  keepOriginalNextHop: true
`,
			json: `{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"peer-to-workload"},` +
				`"spec":{"node":"node-1","asNumber":65401,"keepOriginalNextHop":true,"localWorkloadSelector":"color == 'red'"}}`,
		},
		{
			name: "BGPFilter",
			obj:  &BGPFilter{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata:
  name: my-filter
spec:
  exportV4:
  - action: Accept
    matchOperator: In
    cidr: 77.0.0.0/16
    prefixLength:
      min: 24
      max: 28
    source: RemotePeers
    peerType: eBGP
    operations:
    - addCommunity:
        value: "65000:100"
    - prependASPath:
        prefix: [65000, "1.10"]
    - setPriority:
        value: 512
  - action: Reject
    interface: "*.calico"
  importV4:
  - action: Reject
    communities:
      values: ["65000:666"]
    asPathPrefix: [64512]
    priority: 1024
  exportV6:
  - action: Accept
    matchOperator: NotEqual
    cidr: 9000::0/64
    prefixLength:
      max: 96
  importV6:
  - action: Reject
    peerType: iBGP
`,
			json: `{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"my-filter"},"spec":{` +
				`"exportV4":[{"cidr":"77.0.0.0/16","prefixLength":{"min":24,"max":28},"source":"RemotePeers","matchOperator":"In",` +
				`"peerType":"eBGP","action":"Accept","operations":[{"addCommunity":{"value":"65000:100"}},` +
				`{"prependASPath":{"prefix":[65000,65546]}},{"setPriority":{"value":512}}]},` +
				`{"interface":"*.calico","action":"Reject"}],` +
				`"importV4":[{"communities":{"values":["65000:666"]},"asPathPrefix":[64512],"priority":1024,"action":"Reject"}],` +
				`"exportV6":[{"cidr":"9000::0/64","prefixLength":{"max":96},"matchOperator":"NotEqual","action":"Accept"}],` +
				`"importV6":[{"peerType":"iBGP","action":"Reject"}]}}`,
		},
		{
			name: "CalicoNodeStatus",
			obj:  &CalicoNodeStatus{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata:
  name: my-caliconodestatus-1
spec:
  classes:
  - Agent
  - BGP
  - Routes
  node: my-node
  updatePeriodSeconds: 10
status:
  lastUpdated: "2021-09-14T09:23:39Z"
  agent:
    birdV4:
      state: Ready
      version: v0.3.3+birdv1.6.8
      routerID: 172.17.0.0
      lastBootTime: "2021-09-14 09:23:27"
      lastReconfigurationTime: "2021-09-14 09:23:27"
    birdV6:
      state: NotReady
  bgp:
    numberEstablishedV4: 1
    numberNotEstablishedV4: 0
    numberEstablishedV6: 0
    numberNotEstablishedV6: 1
    peersV4:
    - peerIP: 172.17.0.5
      type: NodeMesh
      state: Established
      since: "09:23:39"
    peersV6:
    - peerIP: 2001:20::8
      type: GlobalPeer
      state: Active
      since: "09:23:39"
  routes:
    routesV4:
    - type: FIB
      destination: 192.168.162.128/26
      gateway: 172.17.0.5
      interface: eth0
      learnedFrom:
        sourceType: NodeMesh
        peerIP: 172.17.0.5
`,
			json: `{"kind":"CalicoNodeStatus","apiVersion":"projectcalico.org/v3","metadata":{"name":"my-caliconodestatus-1"},` +
				`"spec":{"node":"my-node","classes":["Agent","BGP","Routes"],"updatePeriodSeconds":10},` +
				`"status":{"lastUpdated":"2021-09-14T09:23:39Z","agent":{` +
				`"birdV4":{"state":"Ready","version":"v0.3.3+birdv1.6.8","routerID":"172.17.0.0",` +
				`"lastBootTime":"2021-09-14 09:23:27","lastReconfigurationTime":"2021-09-14 09:23:27"},` +
				`"birdV6":{"state":"NotReady"}},` +
				`"bgp":{"numberEstablishedV4":1,"numberNotEstablishedV4":0,"numberEstablishedV6":0,"numberNotEstablishedV6":1,` +
				`"peersV4":[{"peerIP":"172.17.0.5","type":"NodeMesh","state":"Established","since":"09:23:39"}],` +
				`"peersV6":[{"peerIP":"2001:20::8","type":"GlobalPeer","state":"Active","since":"09:23:39"}]},` +
				`"routes":{"routesV4":[{"type":"FIB","destination":"192.168.162.128/26","gateway":"172.17.0.5",` +
				`"interface":"eth0","learnedFrom":{"sourceType":"NodeMesh","peerIP":"172.17.0.5"}}]}}}`,
		},
		{
			// Calico writes an empty status in full: structs are never omitted and a zero time is null.
			name: "CalicoNodeStatus without status",
			obj:  &CalicoNodeStatus{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata:
  name: s
spec:
  node: my-node
  classes: [BGP]
`,
			json: `{"kind":"CalicoNodeStatus","apiVersion":"projectcalico.org/v3","metadata":{"name":"s"},` +
				`"spec":{"node":"my-node","classes":["BGP"]},` +
				`"status":{"lastUpdated":null,"agent":{"birdV4":{},"birdV6":{}},` +
				`"bgp":{"numberEstablishedV4":0,"numberNotEstablishedV4":0,"numberEstablishedV6":0,"numberNotEstablishedV6":0},` +
				`"routes":{}}}`,
		},
		{
			name: "ClusterInformation",
			obj:  &ClusterInformation{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: ClusterInformation
metadata:
  name: default
spec:
  calicoVersion: v3.31.0
  clusterGUID: 2d3e0c4c5b6a41d4a9b0a1b2c3d4e5f6
  clusterType: k8s,bgp,kubeadm,kdd
  datastoreReady: true
  variant: Calico
`,
			json: `{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},` +
				`"spec":{"clusterGUID":"2d3e0c4c5b6a41d4a9b0a1b2c3d4e5f6","clusterType":"k8s,bgp,kubeadm,kdd",` +
				`"calicoVersion":"v3.31.0","datastoreReady":true,"variant":"Calico"}}`,
		},
		{
			// calico-node's bootstrap object: bpfLogLevel is written even when empty, as Calico does.
			name: "FelixConfiguration bootstrap",
			obj:  &FelixConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: default
spec:
  reportingInterval: 0s
  logSeverityScreen: Info
`,
			json: `{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},` +
				`"spec":{"logSeverityScreen":"Info","reportingInterval":"0s","bpfLogLevel":""}}`,
		},
		{
			// The fields Calico 3.32 added, as the real calicoctl writes them.
			name: "FelixConfiguration 3.32 fields",
			obj:  &FelixConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: edge-nodes
spec:
  nftablesFlowTableOffload: All
  nftablesFlowTableDataIfacePattern: ^eth[0-9]+$
  bpfIPFragTimeout: 30s
  bpfIPFragmentReassemblyEnabled: true
  bpfOverlayHostSourceIP: HostAddress
  localSubnetL2Reachability: PodsAndLoadBalancers
  localSubnetL2ReachabilityRefreshInterval: 1m
  nodeSelector: edge == 'true'
`,
			json: `{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"edge-nodes"},"spec":{` +
				`"nftablesFlowTableOffload":"All","nftablesFlowTableDataIfacePattern":"^eth[0-9]+$","bpfLogLevel":"",` +
				`"bpfIPFragTimeout":"30s","bpfIPFragmentReassemblyEnabled":true,"bpfOverlayHostSourceIP":"HostAddress",` +
				`"localSubnetL2Reachability":"PodsAndLoadBalancers","localSubnetL2ReachabilityRefreshInterval":"1m0s",` +
				`"nodeSelector":"edge == 'true'"}}`,
		},
		{
			// Calico 3.32 tiers carry conditions written by its controllers.
			name: "Tier with status conditions",
			obj:  &Tier{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 100
  defaultAction: Deny
status:
  conditions:
  - type: Ready
    status: "True"
    reason: Valid
    message: tier is valid
    lastTransitionTime: "2026-01-02T03:04:05Z"
`,
			json: `{"kind":"Tier","apiVersion":"projectcalico.org/v3","metadata":{"name":"security"},"spec":{"order":100,"defaultAction":"Deny"},` +
				`"status":{"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-02T03:04:05Z","reason":"Valid","message":"tier is valid"}]}}`,
		},
		{
			name: "FelixConfiguration many fields",
			obj:  &FelixConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: node.worker-1
spec:
  ipv6Support: false
  iptablesRefreshInterval: 60s
  iptablesBackend: NFT
  defaultEndpointToHostAction: Return
  logActionRateLimit: 10/second
  logSeverityFile: None
  vxlanVNI: 4096
  iptablesMarkMask: 0xffff0000
  healthTimeoutOverrides:
  - name: InternalDataplaneMainLoop
    timeout: 30s
  prometheusMetricsEnabled: true
  prometheusMetricsClientAuth: NoClientCert
  failsafeInboundHostPorts:
  - protocol: tcp
    port: 22
  - protocol: udp
    port: 68
    net: 10.0.0.0/8
  failsafeOutboundHostPorts: []
  kubeNodePortRanges: ["30000:32767", 8080]
  natPortRange: 32768:65000
  natOutgoingExclusions: IPPoolsAndHostIPs
  externalNodesList: [10.10.0.0/16]
  nftablesMode: Enabled
  bpfEnabled: true
  bpfLogLevel: Debug
  bpfConntrackMode: BPFProgram
  bpfConntrackTimeouts:
    tcpEstablished: 1h
    udpTimeout: Auto
  bpfLogFilters:
    all: host 10.0.0.1
  bpfMapSizePerCpuConntrack: 16384
  bpfPSNATPorts: 20000:29999
  bpfForceTrackPacketsFromIfaces: [docker+]
  istioAmbientMode: Enabled
  istioDSCPMark: 23
  flowLogsFlushInterval: 15s
  routeTableRanges:
  - min: 1
    max: 250
  ipv4ElevatedRoutePriority: 512
  liveMigrationRouteConvergenceTime: 30s
  wireguardEnabled: true
  wireguardKeepAlive: 25s
  awsSrcDstCheck: Disable
  floatingIPs: Enabled
  goGCThreshold: -1
  bpfMaglevMaxServices: 100
`,
			json: `{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"node.worker-1"},"spec":{` +
				`"ipv6Support":false,"iptablesRefreshInterval":"1m0s","iptablesBackend":"NFT",` +
				`"defaultEndpointToHostAction":"Return","logActionRateLimit":"10/second","logSeverityFile":"None",` +
				`"vxlanVNI":4096,"iptablesMarkMask":4294901760,` +
				`"healthTimeoutOverrides":[{"name":"InternalDataplaneMainLoop","timeout":"30s"}],` +
				`"prometheusMetricsEnabled":true,"prometheusMetricsClientAuth":"NoClientCert",` +
				`"failsafeInboundHostPorts":[{"protocol":"tcp","port":22},{"protocol":"udp","port":68,"net":"10.0.0.0/8"}],` +
				`"failsafeOutboundHostPorts":[],"kubeNodePortRanges":["30000:32767",8080],"natPortRange":"32768:65000",` +
				`"natOutgoingExclusions":"IPPoolsAndHostIPs","externalNodesList":["10.10.0.0/16"],"nftablesMode":"Enabled",` +
				`"bpfEnabled":true,"bpfLogLevel":"Debug","bpfConntrackMode":"BPFProgram",` +
				`"bpfConntrackTimeouts":{"tcpEstablished":"1h","udpTimeout":"Auto"},"bpfLogFilters":{"all":"host 10.0.0.1"},` +
				`"bpfPSNATPorts":"20000:29999","bpfMapSizePerCpuConntrack":16384,"bpfForceTrackPacketsFromIfaces":["docker+"],` +
				`"istioAmbientMode":"Enabled","istioDSCPMark":23,"flowLogsFlushInterval":"15s",` +
				`"routeTableRanges":[{"min":1,"max":250}],"ipv4ElevatedRoutePriority":512,` +
				`"liveMigrationRouteConvergenceTime":"30s","wireguardEnabled":true,"wireguardKeepAlive":"25s",` +
				`"awsSrcDstCheck":"Disable","floatingIPs":"Enabled","goGCThreshold":-1,"bpfMaglevMaxServices":100}}`,
		},
		{
			// strictAffinity and autoAllocateBlocks are written even when false.
			name: "IPAMConfiguration",
			obj:  &IPAMConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: IPAMConfiguration
metadata:
  name: default
spec:
  strictAffinity: false
  maxBlocksPerHost: 4
  autoAllocateBlocks: false
  kubeVirtVMAddressPersistence: Disabled
  ipCooldownSeconds: 30
`,
			json: `{"kind":"IPAMConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},` +
				`"spec":{"strictAffinity":false,"maxBlocksPerHost":4,"autoAllocateBlocks":false,` +
				`"kubeVirtVMAddressPersistence":"Disabled","ipCooldownSeconds":30}}`,
		},
		{
			name: "IPPool",
			obj:  &IPPool{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: lb-pool
spec:
  cidr: 10.1.0.0/16
  natOutgoing: true
  disabled: true
  blockSize: 28
  nodeSelector: all()
  namespaceSelector: team == 'a'
  allowedUses: [LoadBalancer]
  assignmentMode: Manual
`,
			json: `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"lb-pool"},` +
				`"spec":{"cidr":"10.1.0.0/16","natOutgoing":true,"disabled":true,"blockSize":28,"nodeSelector":"all()",` +
				`"namespaceSelector":"team == 'a'","allowedUses":["LoadBalancer"],"assignmentMode":"Manual"}}`,
		},
		{
			name: "IPReservation",
			obj:  &IPReservation{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata:
  name: my-ipreservation-1
spec:
  reservedCIDRs:
  - 192.168.2.3
  - 10.0.2.3/32
  - cafe:f00d::/123
`,
			json: `{"kind":"IPReservation","apiVersion":"projectcalico.org/v3","metadata":{"name":"my-ipreservation-1"},` +
				`"spec":{"reservedCIDRs":["192.168.2.3","10.0.2.3/32","cafe:f00d::/123"]}}`,
		},
		{
			name: "KubeControllersConfiguration",
			obj:  &KubeControllersConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata:
  name: default
spec:
  logSeverityScreen: Info
  healthChecks: Enabled
  etcdV3CompactionPeriod: 10m
  prometheusMetricsPort: 9094
  debugProfilePort: 9095
  controllers:
    node:
      reconcilerPeriod: 5m
      syncLabels: Enabled
      leakGracePeriod: 15m
      hostEndpoint:
        autoCreate: Enabled
        createDefaultHostEndpoint: Disabled
        templates:
        - generateName: custom
          interfaceCIDRs: [1.2.3.0/24]
          interfacePattern: eth.*
          labels:
            role: edge
          annotations:
            owner: netops
          nodeSelector: has(edge)
    policy:
      reconcilerPeriod: 5m
    workloadEndpoint:
      reconcilerPeriod: 5m
    serviceAccount:
      reconcilerPeriod: 5m
    namespace:
      reconcilerPeriod: 5m
    loadBalancer:
      assignIPs: RequestedServicesOnly
    migration:
      policyNameMigrator: Disabled
status:
  environmentVars:
    ENABLED_CONTROLLERS: node
  runningConfig:
    controllers:
      node:
        syncLabels: Disabled
`,
			json: `{"kind":"KubeControllersConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},` +
				`"spec":{"logSeverityScreen":"Info","healthChecks":"Enabled","etcdV3CompactionPeriod":"10m0s",` +
				`"prometheusMetricsPort":9094,"controllers":{` +
				`"node":{"reconcilerPeriod":"5m0s","syncLabels":"Enabled","hostEndpoint":{"autoCreate":"Enabled",` +
				`"createDefaultHostEndpoint":"Disabled","templates":[{"generateName":"custom","interfaceCIDRs":["1.2.3.0/24"],` +
				`"interfacePattern":"eth.*","labels":{"role":"edge"},"annotations":{"owner":"netops"},"nodeSelector":"has(edge)"}]},"leakGracePeriod":"15m0s"},` +
				`"policy":{"reconcilerPeriod":"5m0s"},"workloadEndpoint":{"reconcilerPeriod":"5m0s"},` +
				`"serviceAccount":{"reconcilerPeriod":"5m0s"},"namespace":{"reconcilerPeriod":"5m0s"},` +
				`"loadBalancer":{"assignIPs":"RequestedServicesOnly"},"migration":{"policyNameMigrator":"Disabled"}},` +
				`"debugProfilePort":9095},` +
				`"status":{"runningConfig":{"controllers":{"node":{"syncLabels":"Disabled"}}},` +
				`"environmentVars":{"ENABLED_CONTROLLERS":"node"}}}`,
		},
		{
			// Calico always writes controllers and status, empty or not.
			name: "KubeControllersConfiguration empty",
			obj:  &KubeControllersConfiguration{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata:
  name: default
`,
			json: `{"kind":"KubeControllersConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},` +
				`"spec":{"controllers":{}},"status":{}}`,
		},
		{
			name: "Node",
			obj:  &Node{},
			yaml: `
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-hostname
spec:
  bgp:
    asNumber: "1.10"
    ipv4Address: 10.244.0.1/24
    ipv6Address: 2001:db8:85a3::8a2e:370:7334/120
    ipv4IPIPTunnelAddr: 192.168.0.1
    routeReflectorClusterID: 224.0.0.1
  ipv4VXLANTunnelAddr: 192.168.1.1
  vxlanTunnelMACAddr: 66:cf:d5:2d:69:1c
  ipv6VXLANTunnelAddr: fd00::1
  vxlanTunnelMACAddrV6: 66:cf:d5:2d:69:1d
  orchRefs:
  - nodeName: node-hostname
    orchestrator: k8s
  wireguard:
    interfaceIPv4Address: 192.168.2.1
    interfaceIPv6Address: fd00::2
  addresses:
  - address: 10.244.0.1/24
    type: CalicoNodeIP
  - address: 10.0.0.7
    type: InternalIP
  interfaces:
  - name: eth0
    addresses: [10.0.0.7]
status:
  wireguardPublicKey: jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=
  podCIDRs: [192.168.0.0/24]
`,
			json: `{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-hostname"},"spec":{` +
				`"bgp":{"asNumber":65546,"ipv4Address":"10.244.0.1/24","ipv6Address":"2001:db8:85a3::8a2e:370:7334/120",` +
				`"ipv4IPIPTunnelAddr":"192.168.0.1","routeReflectorClusterID":"224.0.0.1"},` +
				`"ipv4VXLANTunnelAddr":"192.168.1.1","vxlanTunnelMACAddr":"66:cf:d5:2d:69:1c",` +
				`"ipv6VXLANTunnelAddr":"fd00::1","vxlanTunnelMACAddrV6":"66:cf:d5:2d:69:1d",` +
				`"orchRefs":[{"nodeName":"node-hostname","orchestrator":"k8s"}],` +
				`"wireguard":{"interfaceIPv4Address":"192.168.2.1","interfaceIPv6Address":"fd00::2"},` +
				`"addresses":[{"address":"10.244.0.1/24","type":"CalicoNodeIP"},{"address":"10.0.0.7","type":"InternalIP"}],` +
				`"interfaces":[{"name":"eth0","addresses":["10.0.0.7"]}]},` +
				`"status":{"wireguardPublicKey":"jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=","podCIDRs":["192.168.0.0/24"]}}`,
		},
	}
}

// Each manifest must decode with unknown-field checking and encode back to exactly the JSON Calico
// writes for it: same names, same order, same omissions.
func TestConfigAndBGPManifestsDecodeStrictlyAndEncodeAsCalicoDoes(t *testing.T) {
	for _, c := range typesBManifests() {
		t.Run(c.name, func(t *testing.T) {
			if err := yaml.UnmarshalStrict([]byte(c.yaml), c.obj); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			got, err := json.Marshal(c.obj)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			if string(got) != c.json {
				t.Errorf("JSON differs\n got: %s\nwant: %s", got, c.json)
			}
		})
	}
}

// Fields Calico does not have (Enterprise-only ones, removed v1 fields, typos) are rejected.
func TestConfigAndBGPManifestsWithUnknownFieldsAreRejected(t *testing.T) {
	cases := []struct {
		name  string
		obj   any
		yaml  string
		field string
	}{
		{"BGPPeer Enterprise failureDetectionMode", &BGPPeer{},
			"kind: BGPPeer\nspec:\n  peerIP: 10.0.0.1\n  failureDetectionMode: BFDIfDirectlyConnected\n", "failureDetectionMode"},
		{"BGPConfiguration Enterprise extensions", &BGPConfiguration{},
			"kind: BGPConfiguration\nspec:\n  extensions:\n    a: b\n", "extensions"},
		{"IPPool removed v1 ipip", &IPPool{},
			"kind: IPPool\nspec:\n  cidr: 10.0.0.0/16\n  ipip:\n    enabled: true\n", "ipip"},
		{"IPPool removed v1 nat-outgoing", &IPPool{},
			"kind: IPPool\nspec:\n  cidr: 10.0.0.0/16\n  nat-outgoing: true\n", "nat-outgoing"},
		{"FelixConfiguration Go name instead of JSON name", &FelixConfiguration{},
			"kind: FelixConfiguration\nspec:\n  externalNodesCIDRList: [10.0.0.0/8]\n", "externalNodesCIDRList"},
		{"IPAMConfiguration misspelt maxBlocksPerHost", &IPAMConfiguration{},
			"kind: IPAMConfiguration\nspec:\n  maxBlockPerHost: 4\n", "maxBlockPerHost"},
		{"KubeControllersConfiguration unknown controller", &KubeControllersConfiguration{},
			"kind: KubeControllersConfiguration\nspec:\n  controllers:\n    route: {}\n", "route"},
		{"Node unknown bgp field", &Node{},
			"kind: Node\nspec:\n  bgp:\n    ipv4Addr: 10.0.0.1/24\n", "ipv4Addr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := yaml.UnmarshalStrict([]byte(c.yaml), c.obj)
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("got error %v, want one naming %q", err, c.field)
			}
		})
	}
}

// asNumber is read as a number, a decimal string or the dotted a.b form, and always written as a
// number.
func TestBGPConfigurationASNumberForms(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"64512", `"asNumber":64512`},
		{`"64512"`, `"asNumber":64512`},
		{`"1.10"`, `"asNumber":65546`},
		{"4294967295", `"asNumber":4294967295`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			var bc BGPConfiguration
			if err := yaml.UnmarshalStrict([]byte("spec:\n  asNumber: "+c.in+"\n"), &bc); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			got, err := json.Marshal(bc.Spec)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			if want := "{" + c.want + "}"; string(got) != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
	for _, bad := range []string{`"1.65536"`, "4294967296", "-1", `"a.b"`, "1.5"} {
		var bc BGPConfiguration
		if err := yaml.UnmarshalStrict([]byte("spec:\n  asNumber: "+bad+"\n"), &bc); err == nil {
			t.Errorf("asNumber %s was accepted, want an error", bad)
		}
	}
}

// The stored IPPool of datastore-ipam-kdd.md §1.2 reads and writes back byte for byte, field order
// included.
func TestStoredIPPoolRoundTripsByteForByte(t *testing.T) {
	stored := []byte(`{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p1",` +
		`"uid":"0f4e5cb4-7e0c-4a2b-9d55-2c1b9a3f6e10","creationTimestamp":"2025-01-01T00:00:00Z"},` +
		`"spec":{"cidr":"10.0.0.0/16","vxlanMode":"Never","ipipMode":"Never","blockSize":26,` +
		`"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}`)
	dec := json.NewDecoder(bytes.NewReader(stored))
	dec.DisallowUnknownFields()
	var pool IPPool
	if err := dec.Decode(&pool); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	got, err := json.Marshal(&pool)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	if !bytes.Equal(got, stored) {
		t.Errorf("round trip differs\n got: %s\nwant: %s", got, stored)
	}
}
