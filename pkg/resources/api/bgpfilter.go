package api

// BGPFilter is a named, ordered set of import and export rules that BGPPeers refer to.
type BGPFilter struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       BGPFilterSpec `json:"spec,omitempty"`
}

// BGPFilterSpec is the desired state of a BGPFilter.
type BGPFilterSpec struct {
	ExportV4 []BGPFilterRuleV4 `json:"exportV4,omitempty"`
	ImportV4 []BGPFilterRuleV4 `json:"importV4,omitempty"`
	ExportV6 []BGPFilterRuleV6 `json:"exportV6,omitempty"`
	ImportV6 []BGPFilterRuleV6 `json:"importV6,omitempty"`
}

// BGPFilterRuleV4 matches IPv4 routes and accepts or rejects them. Action has no omitempty: Calico
// always writes it.
type BGPFilterRuleV4 struct {
	CIDR          string                   `json:"cidr,omitempty"`
	PrefixLength  *BGPFilterPrefixLengthV4 `json:"prefixLength,omitempty"`
	Source        BGPFilterMatchSource     `json:"source,omitempty"`
	Interface     string                   `json:"interface,omitempty"`
	MatchOperator BGPFilterMatchOperator   `json:"matchOperator,omitempty"`
	PeerType      BGPFilterPeerType        `json:"peerType,omitempty"`
	Communities   *BGPFilterCommunityMatch `json:"communities,omitempty"`
	ASPathPrefix  []ASNumber               `json:"asPathPrefix,omitempty"`
	Priority      *int                     `json:"priority,omitempty"`
	Action        BGPFilterAction          `json:"action"`
	Operations    []BGPFilterOperation     `json:"operations,omitempty"`
}

// BGPFilterRuleV6 is the IPv6 form of BGPFilterRuleV4.
type BGPFilterRuleV6 struct {
	CIDR          string                   `json:"cidr,omitempty"`
	PrefixLength  *BGPFilterPrefixLengthV6 `json:"prefixLength,omitempty"`
	Source        BGPFilterMatchSource     `json:"source,omitempty"`
	Interface     string                   `json:"interface,omitempty"`
	MatchOperator BGPFilterMatchOperator   `json:"matchOperator,omitempty"`
	PeerType      BGPFilterPeerType        `json:"peerType,omitempty"`
	Communities   *BGPFilterCommunityMatch `json:"communities,omitempty"`
	ASPathPrefix  []ASNumber               `json:"asPathPrefix,omitempty"`
	Priority      *int                     `json:"priority,omitempty"`
	Action        BGPFilterAction          `json:"action"`
	Operations    []BGPFilterOperation     `json:"operations,omitempty"`
}

// BGPFilterPrefixLengthV4 bounds the prefix length of a matched IPv4 route (0-32).
type BGPFilterPrefixLengthV4 struct {
	Min *int32 `json:"min,omitempty"`
	Max *int32 `json:"max,omitempty"`
}

// BGPFilterPrefixLengthV6 bounds the prefix length of a matched IPv6 route (0-128).
type BGPFilterPrefixLengthV6 struct {
	Min *int32 `json:"min,omitempty"`
	Max *int32 `json:"max,omitempty"`
}

// BGPFilterCommunityMatch matches routes carrying a community (Calico allows exactly one value).
type BGPFilterCommunityMatch struct {
	Values []BGPCommunityValue `json:"values"`
}

// BGPCommunityValue is "aa:nn" (standard) or "aa:nn:mm" (large).
type BGPCommunityValue string

// BGPFilterOperation changes an accepted route; exactly one field is set.
type BGPFilterOperation struct {
	AddCommunity  *BGPFilterAddCommunity  `json:"addCommunity,omitempty"`
	PrependASPath *BGPFilterPrependASPath `json:"prependASPath,omitempty"`
	SetPriority   *BGPFilterSetPriority   `json:"setPriority,omitempty"`
}

// BGPFilterAddCommunity adds a community to the route.
type BGPFilterAddCommunity struct {
	Value *BGPCommunityValue `json:"value"`
}

// BGPFilterPrependASPath prepends AS numbers to the route's AS path.
type BGPFilterPrependASPath struct {
	Prefix []ASNumber `json:"prefix"`
}

// BGPFilterSetPriority sets the route's priority (metric).
type BGPFilterSetPriority struct {
	Value *int `json:"value"`
}

type (
	BGPFilterMatchSource   string
	BGPFilterMatchOperator string
	BGPFilterAction        string
	BGPFilterPeerType      string
)

const (
	BGPFilterSourceRemotePeers BGPFilterMatchSource = "RemotePeers"

	BGPFilterMatchOperatorEqual    BGPFilterMatchOperator = "Equal"
	BGPFilterMatchOperatorNotEqual BGPFilterMatchOperator = "NotEqual"
	BGPFilterMatchOperatorIn       BGPFilterMatchOperator = "In"
	BGPFilterMatchOperatorNotIn    BGPFilterMatchOperator = "NotIn"

	BGPFilterActionAccept BGPFilterAction = "Accept"
	BGPFilterActionReject BGPFilterAction = "Reject"

	BGPFilterPeerTypeEBGP BGPFilterPeerType = "eBGP"
	BGPFilterPeerTypeIBGP BGPFilterPeerType = "iBGP"
)
