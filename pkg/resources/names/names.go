// Package names derives the names Calico gives objects from their contents.
package names

import "strings"

// WorkloadEndpointIDs are the parts of a WorkloadEndpoint's spec its name is made of.
type WorkloadEndpointIDs struct {
	Node, Orchestrator, Workload, Pod, Endpoint string
}

// Missing returns the spec field (as Calico names it) that a name cannot be derived without,
// or "" when all are there. A Kubernetes endpoint is named after its pod, any other after its
// workload.
func (ids WorkloadEndpointIDs) Missing() string {
	switch {
	case ids.Node == "":
		return "node"
	case ids.Orchestrator == "":
		return "orchestrator"
	case ids.Orchestrator == "k8s" && ids.Pod == "":
		return "pod"
	case ids.Orchestrator != "k8s" && ids.Workload == "":
		return "workload"
	case ids.Endpoint == "":
		return "endpoint"
	}
	return ""
}

// Name is the WorkloadEndpoint name Calico requires:
// <node>-<orchestrator>-<pod or workload>-<endpoint>, with every "-" inside a part doubled so
// that the parts can be told apart ("node-a" gives "node--a"). It is "" when a part is missing.
func (ids WorkloadEndpointIDs) Name() string {
	if ids.Missing() != "" {
		return ""
	}
	workload := ids.Workload
	if ids.Orchestrator == "k8s" {
		workload = ids.Pod
	}
	parts := []string{ids.Node, ids.Orchestrator, workload, ids.Endpoint}
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "-", "--")
	}
	return strings.Join(parts, "-")
}
