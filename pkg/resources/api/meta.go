// Package api holds the projectcalico.org/v3 resource types. Field names and JSON tags are those
// of Calico's own API, so that objects written here read back in Calico's tools and the other way
// round.
package api

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// Group is the API group of every Calico resource.
	Group = "projectcalico.org"
	// Version is the API version of every Calico resource.
	Version = "v3"
	// GroupVersion is the apiVersion field of every Calico resource.
	GroupVersion = Group + "/" + Version
)

// TypeMeta and ObjectMeta are Kubernetes' own: the same JSON names (apiVersion, kind, metadata.name,
// metadata.resourceVersion, ...) Calico uses.
type (
	TypeMeta   = metav1.TypeMeta
	ObjectMeta = metav1.ObjectMeta
	Duration   = metav1.Duration
)
