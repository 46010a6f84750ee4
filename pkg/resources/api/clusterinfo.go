package api

// ClusterInformation is the read-only singleton "default" describing the cluster.
type ClusterInformation struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ClusterInformationSpec `json:"spec,omitempty"`
}

// ClusterInformationSpec describes the cluster. DatastoreReady is a pointer so that "unset" (read as
// ready) differs from false (a migration holds components off the datastore).
type ClusterInformationSpec struct {
	ClusterGUID    string `json:"clusterGUID,omitempty"`
	ClusterType    string `json:"clusterType,omitempty"`
	CalicoVersion  string `json:"calicoVersion,omitempty"`
	DatastoreReady *bool  `json:"datastoreReady,omitempty"`
	Variant        string `json:"variant,omitempty"`
}
