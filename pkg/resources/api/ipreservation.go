package api

// IPReservation keeps addresses out of new IPAM allocations (existing ones are not released).
type IPReservation struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IPReservationSpec `json:"spec,omitempty"`
}

// IPReservationSpec lists the reserved CIDRs and single IPs.
type IPReservationSpec struct {
	ReservedCIDRs []string `json:"reservedCIDRs,omitempty"`
}
