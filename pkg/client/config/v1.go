package config

import (
	"strings"

	"sigs.k8s.io/yaml"
)

// v1Hint returns what to change in a calicoctl v1 config file (apiVersion v1, kind
// calicoApiConfig, datastoreType etcdv2, or the etcdScheme / etcdAuthority fields), or "" when
// the file shows none of these. The v1 format had the same layout with a spec, and defaulted
// the datastore to etcdv2 at http://127.0.0.1:2379.
func v1Hint(b []byte) string {
	var f struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Spec       map[string]any `json:"spec"`
	}
	if yaml.Unmarshal(b, &f) != nil {
		return ""
	}
	datastoreType, _ := specString(f.Spec, "datastoreType")
	scheme, hasScheme := specString(f.Spec, "etcdScheme")
	authority, hasAuthority := specString(f.Spec, "etcdAuthority")
	if f.APIVersion != "v1" && f.Kind != "calicoApiConfig" && datastoreType != etcdV2 && !hasScheme && !hasAuthority {
		return ""
	}

	var use []string
	if f.APIVersion != APIVersion {
		use = append(use, "apiVersion: "+APIVersion)
	}
	if f.Kind != Kind {
		use = append(use, "kind: "+Kind)
	}
	if datastoreType != Kubernetes {
		if datastoreType != EtcdV3 {
			use = append(use, "datastoreType: "+EtcdV3)
		}
		endpoints, _ := specString(f.Spec, "etcdEndpoints")
		switch {
		case hasScheme || hasAuthority:
			if endpoints == "" {
				endpoints = suggestEndpoint(scheme, authority)
			}
			var replaced []string
			if hasScheme {
				replaced = append(replaced, "etcdScheme")
			}
			if hasAuthority {
				replaced = append(replaced, "etcdAuthority")
			}
			use = append(use, "etcdEndpoints: "+endpoints+" (replacing "+joinAnd(replaced)+")")
		case endpoints == "":
			use = append(use, "etcdEndpoints: "+suggestEndpoint("", ""))
		}
	}
	return "this is a calicoctl v1 configuration; use " + joinAnd(use)
}

// specString returns spec[key] (key matched without regard to case, as the JSON decoder does)
// and whether the key is present.
func specString(spec map[string]any, key string) (string, bool) {
	for k, v := range spec {
		if strings.EqualFold(k, key) {
			s, _ := v.(string)
			return s, true
		}
	}
	return "", false
}

// suggestEndpoint builds an etcdEndpoints value from v1's etcdScheme and etcdAuthority.
func suggestEndpoint(scheme, authority string) string {
	if scheme == "" {
		scheme = "http"
	}
	if authority == "" {
		authority = "<host>:2379"
	}
	return scheme + "://" + authority
}

// joinAnd joins items as "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
