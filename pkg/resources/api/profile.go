package api

// Profile is a set of rules and labels that endpoints inherit by naming the profile.
type Profile struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ProfileSpec `json:"spec,omitempty"`
}

// ProfileSpec is the desired state of a Profile. An endpoint's own labels win over LabelsToApply.
type ProfileSpec struct {
	Ingress       []Rule            `json:"ingress,omitempty"`
	Egress        []Rule            `json:"egress,omitempty"`
	LabelsToApply map[string]string `json:"labelsToApply,omitempty"`
}
