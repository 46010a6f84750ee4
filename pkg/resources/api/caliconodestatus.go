package api

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CalicoNodeStatus asks calico-node to report its agent, BGP and route state into Status.
type CalicoNodeStatus struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       CalicoNodeStatusSpec   `json:"spec,omitempty"`
	Status     CalicoNodeStatusStatus `json:"status,omitempty"`
}

// CalicoNodeStatusSpec says which node reports, what, and how often (0 stops updates).
type CalicoNodeStatusSpec struct {
	Node                string                `json:"node,omitempty"`
	Classes             []NodeStatusClassType `json:"classes,omitempty"`
	UpdatePeriodSeconds *uint32               `json:"updatePeriodSeconds,omitempty"`
}

// CalicoNodeStatusStatus is written by calico-node. Its struct-valued fields are always present in
// the JSON (omitempty does not drop structs), and a zero LastUpdated is written as null.
type CalicoNodeStatusStatus struct {
	LastUpdated metav1.Time              `json:"lastUpdated,omitempty"`
	Agent       CalicoNodeAgentStatus    `json:"agent,omitempty"`
	BGP         CalicoNodeBGPStatus      `json:"bgp,omitempty"`
	Routes      CalicoNodeBGPRouteStatus `json:"routes,omitempty"`
}

// CalicoNodeAgentStatus holds the state of the IPv4 and IPv6 BIRD daemons.
type CalicoNodeAgentStatus struct {
	BIRDV4 BGPDaemonStatus `json:"birdV4,omitempty"`
	BIRDV6 BGPDaemonStatus `json:"birdV6,omitempty"`
}

// CalicoNodeBGPStatus counts and lists BGP sessions; the counts are always written.
type CalicoNodeBGPStatus struct {
	NumberEstablishedV4    int              `json:"numberEstablishedV4"`
	NumberNotEstablishedV4 int              `json:"numberNotEstablishedV4"`
	NumberEstablishedV6    int              `json:"numberEstablishedV6"`
	NumberNotEstablishedV6 int              `json:"numberNotEstablishedV6"`
	PeersV4                []CalicoNodePeer `json:"peersV4,omitempty"`
	PeersV6                []CalicoNodePeer `json:"peersV6,omitempty"`
}

// CalicoNodeBGPRouteStatus lists the routes BIRD knows.
type CalicoNodeBGPRouteStatus struct {
	RoutesV4 []CalicoNodeRoute `json:"routesV4,omitempty"`
	RoutesV6 []CalicoNodeRoute `json:"routesV6,omitempty"`
}

// BGPDaemonStatus is the state of one BIRD daemon, as reported by birdcl.
type BGPDaemonStatus struct {
	State                   BGPDaemonState `json:"state,omitempty"`
	Version                 string         `json:"version,omitempty"`
	RouterID                string         `json:"routerID,omitempty"`
	LastBootTime            string         `json:"lastBootTime,omitempty"`
	LastReconfigurationTime string         `json:"lastReconfigurationTime,omitempty"`
}

// CalicoNodePeer is one BGP session.
type CalicoNodePeer struct {
	PeerIP string          `json:"peerIP,omitempty"`
	Type   BGPPeerType     `json:"type,omitempty"`
	State  BGPSessionState `json:"state,omitempty"`
	Since  string          `json:"since,omitempty"`
}

// CalicoNodeRoute is one route in BIRD's table (RIB) or the kernel's (FIB).
type CalicoNodeRoute struct {
	Type        CalicoNodeRouteType        `json:"type,omitempty"`
	Destination string                     `json:"destination,omitempty"`
	Gateway     string                     `json:"gateway,omitempty"`
	Interface   string                     `json:"interface,omitempty"`
	LearnedFrom CalicoNodeRouteLearnedFrom `json:"learnedFrom,omitempty"`
}

// CalicoNodeRouteLearnedFrom says where a route came from.
type CalicoNodeRouteLearnedFrom struct {
	SourceType CalicoNodeRouteSourceType `json:"sourceType,omitempty"`
	PeerIP     string                    `json:"peerIP,omitempty"`
}

type (
	NodeStatusClassType       string
	CalicoNodeRouteType       string
	CalicoNodeRouteSourceType string
	BGPPeerType               string
	BGPDaemonState            string
	BGPSessionState           string
)

const (
	NodeStatusClassTypeAgent  NodeStatusClassType = "Agent"
	NodeStatusClassTypeBGP    NodeStatusClassType = "BGP"
	NodeStatusClassTypeRoutes NodeStatusClassType = "Routes"

	RouteTypeFIB CalicoNodeRouteType = "FIB"
	RouteTypeRIB CalicoNodeRouteType = "RIB"

	RouteSourceTypeKernel   CalicoNodeRouteSourceType = "Kernel"
	RouteSourceTypeStatic   CalicoNodeRouteSourceType = "Static"
	RouteSourceTypeDirect   CalicoNodeRouteSourceType = "Direct"
	RouteSourceTypeNodeMesh CalicoNodeRouteSourceType = "NodeMesh"
	RouteSourceTypeBGPPeer  CalicoNodeRouteSourceType = "BGPPeer"

	BGPPeerTypeNodeMesh   BGPPeerType = "NodeMesh"
	BGPPeerTypeNodePeer   BGPPeerType = "NodePeer"
	BGPPeerTypeGlobalPeer BGPPeerType = "GlobalPeer"

	BGPDaemonStateReady    BGPDaemonState = "Ready"
	BGPDaemonStateNotReady BGPDaemonState = "NotReady"

	BGPSessionStateIdle        BGPSessionState = "Idle"
	BGPSessionStateConnect     BGPSessionState = "Connect"
	BGPSessionStateActive      BGPSessionState = "Active"
	BGPSessionStateOpenSent    BGPSessionState = "OpenSent"
	BGPSessionStateOpenConfirm BGPSessionState = "OpenConfirm"
	BGPSessionStateEstablished BGPSessionState = "Established"
	BGPSessionStateClose       BGPSessionState = "Close"
)
