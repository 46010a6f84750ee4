// Package manifests holds the Kubernetes manifests built into calicoctl: the Calico CRDs
// (crd.projectcalico.org/v1), generated from pkg/resources/api by hack/gencrds.
package manifests

import "embed"

//go:generate go run ../hack/gencrds -out crds

// CRDs holds crds/*.yaml, one CustomResourceDefinition per file.
//
//go:embed crds/*.yaml
var CRDs embed.FS
