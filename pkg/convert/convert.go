// Package convert turns calicoctl v1 manifests (apiVersion v1: node, hostEndpoint,
// workloadEndpoint, profile, policy, tier, ipPool, bgpPeer) and Kubernetes networking.k8s.io/v1
// NetworkPolicies into projectcalico.org/v3 resources, with the names, selectors and rule order
// Calico's own upgrade converters give them. Documents already in v3 pass through unchanged.
// Converted objects are not defaulted or validated here: callers do that as for any manifest.
package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calicoctl-go/calicoctl/pkg/manifest"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// Result is what one conversion produced.
type Result struct {
	Objects []resources.Resource
	// Notes explain choices the converter made that the operator should check (a namespace it
	// had to assume, tags merged into labels...). One line each.
	Notes []string
}

// Error is a conversion failure of one document.
type Error struct {
	At  string // "FILE, document N (line L)"
	Msg string
}

func (e *Error) Error() string { return e.At + ": " + e.Msg }

// Convert converts every document of one source (a file's contents; source names it in errors).
func Convert(data []byte, source string) (*Result, error) {
	docs, err := manifest.JSONDocuments(data, source)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, doc := range docs {
		if err := res.document(doc.JSON, doc.At); err != nil {
			return nil, err
		}
	}
	for _, obj := range res.Objects {
		// What a datastore assigns is not carried over, so that the result can be created.
		obj.SetUID("")
		obj.SetResourceVersion("")
		obj.SetCreationTimestamp(metav1.Time{})
		if k, err := resources.KindOf(obj); err == nil && k.Namespaced && obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
	}
	return res, nil
}

func (r *Result) document(js []byte, at string) error {
	js = bytes.TrimSpace(js)
	if len(js) > 0 && js[0] == '[' {
		var seq []json.RawMessage
		if err := json.Unmarshal(js, &seq); err != nil {
			return &Error{at, err.Error()}
		}
		for _, item := range seq {
			if err := r.document(item, at); err != nil {
				return err
			}
		}
		return nil
	}
	var h v1Header
	if len(js) == 0 || js[0] != '{' || json.Unmarshal(js, &h) != nil {
		return &Error{at, "not a resource: expected a mapping with apiVersion, kind, metadata and spec"}
	}
	switch {
	case h.APIVersion == "v1" && (h.Kind == "List" || strings.HasSuffix(h.Kind, "List") && manifest.IsV1Kind(strings.TrimSuffix(h.Kind, "List"))):
		var l v1List
		if err := strict(js, &l); err != nil {
			return &Error{at, fmt.Sprintf("v1 %s: %v", h.Kind, err)}
		}
		for _, item := range l.Items {
			if err := r.document(item, at); err != nil {
				return err
			}
		}
		return nil
	case h.APIVersion == "v1" && manifest.IsV1Kind(h.Kind):
		obj, err := r.v1(h.Kind, js)
		if err != nil {
			return &Error{at, err.Error()}
		}
		r.Objects = append(r.Objects, obj)
		return nil
	case h.APIVersion == "networking.k8s.io/v1" && h.Kind == "NetworkPolicy":
		obj, err := kubernetesNetworkPolicy(js)
		if err != nil {
			return &Error{at, err.Error()}
		}
		r.Objects = append(r.Objects, obj)
		return nil
	case h.APIVersion == api.GroupVersion:
		objs, err := manifest.DecodeJSON(js, at)
		if err != nil {
			return err
		}
		r.Objects = append(r.Objects, objs...)
		return nil
	case h.APIVersion == "v1":
		return &Error{at, fmt.Sprintf("conversion for the resource type '%s' is not supported: the v1 kinds are %s", h.Kind, strings.Join(manifest.V1Kinds, ", "))}
	default:
		return &Error{at, fmt.Sprintf("conversion for the resource type '%s' (apiVersion %q) is not supported: give calicoctl v1 manifests (apiVersion v1) or Kubernetes NetworkPolicies (apiVersion networking.k8s.io/v1)", h.Kind, h.APIVersion)}
	}
}

var jsonUnknownField = regexp.MustCompile(`unknown field "([^"]*)"`)

// strict decodes js into v, refusing fields v does not have.
func strict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if m := jsonUnknownField.FindStringSubmatch(err.Error()); m != nil {
		return &unknownFieldError{m[1]}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %s has the wrong type: got a JSON %s, expected %s", te.Field, te.Value, te.Type)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

type unknownFieldError struct{ field string }

func (e *unknownFieldError) Error() string {
	return fmt.Sprintf("field %s is not a v1 field and has no v3 meaning: remove it, or check its spelling and place", e.field)
}

// v1 converts one calicoctl v1 resource.
func (r *Result) v1(kind string, js []byte) (resources.Resource, error) {
	var (
		obj  resources.Resource
		name string
		err  error
	)
	switch strings.ToLower(kind) {
	case "node":
		var in v1Node
		if err = strict(js, &in); err == nil {
			name = in.Metadata.Name
			obj, err = convertNode(&in)
		}
	case "bgppeer":
		var in v1BGPPeer
		if err = strict(js, &in); err == nil {
			name = in.Metadata.PeerIP
			obj, err = convertBGPPeer(&in)
		}
	case "hostendpoint":
		var in v1HostEndpoint
		if err = strict(js, &in); err == nil {
			name = in.Metadata.Name
			obj, err = convertHostEndpoint(&in)
		}
	case "workloadendpoint":
		var in v1WorkloadEndpoint
		if err = strict(js, &in); err == nil {
			name = in.Metadata.Name
			obj, err = r.convertWorkloadEndpoint(&in)
		}
	case "profile":
		var in v1Profile
		if err = strict(js, &in); err == nil {
			name = in.Metadata.Name
			obj, err = r.convertProfile(&in)
		}
	case "policy":
		var in v1Policy
		if err = strict(js, &in); err == nil {
			name = in.Metadata.Name
			obj, err = convertPolicy(&in)
		}
	case "tier":
		var in v1Tier
		if err = strict(js, &in); err == nil {
			name = in.Metadata.Name
			obj, err = convertTier(&in)
		}
	case "ippool":
		var in v1IPPool
		if err = strict(js, &in); err == nil {
			name = in.Metadata.CIDR
			obj, err = convertIPPool(&in)
		}
	}
	if err != nil {
		if name != "" {
			return nil, fmt.Errorf("v1 %s '%s': %w", kind, name, err)
		}
		return nil, fmt.Errorf("v1 %s: %w", kind, err)
	}
	return obj, nil
}

// newObject returns an empty v3 object of the kind with its type set.
func newObject(kind string) resources.Resource {
	k, ok := resources.ByKind(kind)
	if !ok {
		panic("convert: kind not registered: " + kind)
	}
	return k.NewObject()
}
