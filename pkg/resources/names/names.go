// Package names derives the names Calico gives objects from their contents.
package names

import "strings"

// WorkloadEndpointIDs are the parts of a WorkloadEndpoint's spec its name is made of.
type WorkloadEndpointIDs struct {
	Node, Orchestrator, Workload, Pod, ContainerID, Endpoint string
}

// Segment is one part of a WorkloadEndpoint name: the spec field (as Calico names it) and its
// value.
type Segment struct {
	Field, Value string
}

// Segments are the parts a WorkloadEndpoint name is made of, by orchestrator: a Kubernetes
// endpoint is named after its pod, a CNI one after its container, a libnetwork one after the
// orchestrator itself, any other after its workload.
func (ids WorkloadEndpointIDs) Segments() []Segment {
	node, orch, endpoint := Segment{"node", ids.Node}, Segment{"orchestrator", ids.Orchestrator}, Segment{"endpoint", ids.Endpoint}
	switch ids.Orchestrator {
	case "k8s":
		return []Segment{node, orch, {"pod", ids.Pod}, endpoint}
	case "cni":
		return []Segment{node, orch, {"containerID", ids.ContainerID}, endpoint}
	case "libnetwork":
		return []Segment{node, orch, orch, endpoint}
	}
	return []Segment{node, orch, {"workload", ids.Workload}, endpoint}
}

// Problem is why a name cannot be derived: a part that is missing, or that starts or ends with a
// dash (which would make the name ambiguous).
type Problem struct {
	Segment
	Reason string
}

// Check returns the first part a name cannot be derived from, in Calico's words, or nil.
func (ids WorkloadEndpointIDs) Check() *Problem {
	for _, s := range ids.Segments() {
		switch {
		case s.Value == "":
			return &Problem{s, "field should be assigned"}
		case s.Value[0] == '-':
			return &Problem{s, "field must not begin with a '-'"}
		case s.Value[len(s.Value)-1] == '-':
			return &Problem{s, "field must not end with a '-'"}
		}
	}
	return nil
}

// Name is the WorkloadEndpoint name Calico requires, its parts joined by "-" with every "-"
// inside a part doubled so that the parts can be told apart ("node-a" gives "node--a"). It is ""
// when Check finds a problem.
func (ids WorkloadEndpointIDs) Name() string {
	if ids.Check() != nil {
		return ""
	}
	segs := ids.Segments()
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = strings.ReplaceAll(s.Value, "-", "--")
	}
	return strings.Join(parts, "-")
}
