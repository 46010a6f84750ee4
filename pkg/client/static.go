package client

import (
	"encoding/json"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// DefaultAllowProfile is the profile every Calico datastore has without storing it: it allows
// all traffic, and cannot be created, changed or deleted.
const DefaultAllowProfile = "projectcalico-default-allow"

const defaultAllowJSON = `{"apiVersion":"projectcalico.org/v3","kind":"Profile","metadata":{"name":"projectcalico-default-allow","resourceVersion":"1"},"spec":{"ingress":[{"action":"Allow"}],"egress":[{"action":"Allow"}]}}`

// statics are the built-in objects of a kind.
func statics(kind *resources.Kind) []resources.Resource {
	if kind.Kind != "Profile" {
		return nil
	}
	obj := kind.NewObject()
	if err := json.Unmarshal([]byte(defaultAllowJSON), obj); err != nil {
		panic("built-in profile does not decode: " + err.Error())
	}
	return []resources.Resource{obj}
}

func static(kind *resources.Kind, name string) resources.Resource {
	for _, s := range statics(kind) {
		if s.GetName() == name {
			return s
		}
	}
	return nil
}
