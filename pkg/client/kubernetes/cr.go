package kubernetes

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// MetadataAnnotation holds, on a custom resource, the Calico metadata Kubernetes does not keep
// as written: labels, annotations, creationTimestamp, owner references and (for policies) the
// v3 name.
const MetadataAnnotation = "projectcalico.org/metadata"

// CRD describes the custom resource a Calico kind is stored as.
type CRD struct {
	Plural     string // e.g. "ippools"
	Kind       string // e.g. "IPPool"
	Namespaced bool
	// storage is set for kinds that are not v3 resources (IPAM records): their custom resource
	// has its own name and carries the spec alone.
	storage *resources.Storage
}

// Name is the CRD's name, e.g. "ippools.crd.projectcalico.org".
func (c CRD) Name() string { return c.Plural + "." + Group }

// derived are the kinds Calico shows from core Kubernetes objects; they have no CRD.
var derived = map[string]bool{"Node": true, "WorkloadEndpoint": true, "Profile": true}

// crdKinds maps the kinds whose custom resource has another name than the kind (Calico's v1
// group predates them).
var crdKinds = map[string]CRD{
	// The IPAM library and the v3 kind share the v1 IPAMConfig resource.
	"IPAMConfiguration": {Plural: "ipamconfigs", Kind: "IPAMConfig"},
}

// CRDFor returns the custom resource a kind is stored as, or false for the kinds derived from
// core objects.
func CRDFor(k *resources.Kind) (CRD, bool) {
	if derived[k.Kind] {
		return CRD{}, false
	}
	c, ok := crdKinds[k.Kind]
	if !ok {
		c = CRD{Plural: k.Plural, Kind: k.Kind}
	}
	c.Namespaced = k.Namespaced
	c.storage = k.Storage
	return c, true
}

func isPolicy(kind string) bool {
	switch kind {
	case api.KindNetworkPolicy, api.KindGlobalNetworkPolicy, api.KindStagedNetworkPolicy, api.KindStagedGlobalNetworkPolicy:
		return true
	}
	return false
}

// ours reports labels and annotations Calico keeps on the custom resource itself.
func ours(key string) bool {
	return strings.Contains(key, "projectcalico.org/") || strings.Contains(key, "operator.tigera.io/")
}

// customResource is the JSON form of a crd.projectcalico.org/v1 object.
type customResource struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       json.RawMessage   `json:"spec,omitempty"`
	Status     json.RawMessage   `json:"status,omitempty"`
}

// toCR converts a v3 object to its custom resource, as Calico's ConvertCalicoResourceToK8sResource
// does: name, namespace and resourceVersion map 1:1, the uid is converted, only Calico's own
// labels and annotations stay on the object, and the rest of the metadata goes, as JSON, into the
// projectcalico.org/metadata annotation.
// name is the custom resource's name: the v3 name, except for a legacy policy.
func toCR(kind *resources.Kind, crd CRD, obj resources.Resource, name string) (*customResource, error) {
	if crd.storage != nil {
		return toStorageCR(crd, obj)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var v3 customResource
	if err := json.Unmarshal(raw, &v3); err != nil {
		return nil, err
	}
	m := v3.Metadata

	stash := *m.DeepCopy()
	stash.Namespace, stash.ResourceVersion, stash.UID, stash.SelfLink = "", "", "", ""
	stash.ManagedFields = nil
	if !isPolicy(kind.Kind) {
		stash.Name = ""
	}
	refs, err := convertOwners(stash.OwnerReferences, api.GroupVersion, APIVersion)
	if err != nil {
		return nil, err
	}
	stash.OwnerReferences = refs
	stashJSON, err := json.Marshal(stash)
	if err != nil {
		return nil, err
	}

	out := metav1.ObjectMeta{Name: name, ResourceVersion: m.ResourceVersion}
	if crd.Namespaced {
		out.Namespace = m.Namespace
	}
	for k, v := range m.Labels {
		if ours(k) {
			if out.Labels == nil {
				out.Labels = map[string]string{}
			}
			out.Labels[k] = v
		}
	}
	out.Annotations = map[string]string{MetadataAnnotation: string(stashJSON)}
	for k, v := range m.Annotations {
		if ours(k) && k != MetadataAnnotation {
			out.Annotations[k] = v
		}
	}
	if m.UID != "" {
		// The uid of the custom resource is a function of the v3 uid, so that it acts as a
		// precondition on update. (On create the API server assigns its own.)
		if uid, err := ConvertUID(m.UID); err == nil {
			out.UID = uid
		}
	}
	return &customResource{APIVersion: APIVersion, Kind: crd.Kind, Metadata: out, Spec: v3.Spec, Status: v3.Status}, nil
}

// fromCR converts a custom resource read from the API server back to the v3 object, as Calico's
// ConvertK8sResourceToCalicoResource does, and returns the custom resource's own name.
func fromCR(kind *resources.Kind, raw []byte) (resources.Resource, string, error) {
	var c customResource
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, "", fmt.Errorf("reading a %s from the Kubernetes API: %w", kind.Kind, err)
	}
	if kind.Storage != nil {
		return fromStorageCR(kind, &c)
	}
	m := c.Metadata
	uid := m.UID
	if uid != "" {
		if u, err := ConvertUID(uid); err == nil {
			uid = u
		}
	}

	var meta metav1.ObjectMeta
	annotations := m.Annotations
	if stash, ok := m.Annotations[MetadataAnnotation]; ok {
		if err := json.Unmarshal([]byte(stash), &meta); err != nil {
			return nil, "", fmt.Errorf("reading %s: the %s annotation is not valid: %w", kind.ID(m.Namespace, m.Name), MetadataAnnotation, err)
		}
		refs, err := convertOwners(meta.OwnerReferences, APIVersion, api.GroupVersion)
		if err != nil {
			return nil, "", err
		}
		meta.OwnerReferences = refs
		annotations = make(map[string]string, len(m.Annotations))
		for k, v := range m.Annotations {
			if k != MetadataAnnotation {
				annotations[k] = v
			}
		}
	} else {
		// Written by something else than Calico (kubectl apply): take the object's metadata.
		meta = *m.DeepCopy()
		meta.Name, meta.Labels, meta.Annotations = "", nil, nil
		meta.ManagedFields, meta.SelfLink, meta.Generation = nil, "", 0
	}
	labels := merge(m.Labels, meta.Labels)
	annotations = merge(annotations, meta.Annotations)

	if meta.Name == "" {
		meta.Name = m.Name
		if isPolicy(kind.Kind) {
			meta.Name = legacyPolicyName(m.Name, c.Spec)
		}
	}
	meta.Namespace = m.Namespace
	meta.ResourceVersion = m.ResourceVersion
	meta.UID = uid
	meta.Labels = labels
	meta.Annotations = annotations
	if meta.CreationTimestamp.IsZero() {
		meta.CreationTimestamp = m.CreationTimestamp
	}

	v3, err := json.Marshal(customResource{APIVersion: api.GroupVersion, Kind: kind.Kind, Metadata: meta, Spec: c.Spec, Status: c.Status})
	if err != nil {
		return nil, "", err
	}
	obj := kind.NewObject()
	if err := json.Unmarshal(v3, obj); err != nil {
		return nil, "", fmt.Errorf("reading %s from the Kubernetes API: the stored object is not a valid %s: %w", kind.ID(m.Namespace, meta.Name), kind.Kind, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(kind.NewObject().GetObjectKind().GroupVersionKind())
	return obj, m.Name, nil
}

// merge returns base overlaid with over; nil when both are empty.
func merge(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// legacyPolicyName is the v3 name of a policy whose custom resource has no metadata annotation:
// Calico up to 3.28 named default-tier policies "default.<name>".
func legacyPolicyName(name string, spec json.RawMessage) string {
	if !strings.HasPrefix(name, "default.") {
		return name
	}
	var s struct {
		Tier string `json:"tier"`
	}
	_ = json.Unmarshal(spec, &s)
	if s.Tier == "" || s.Tier == "default" {
		return strings.TrimPrefix(name, "default.")
	}
	return name
}

// convertOwners rewrites owner references to Calico objects between the v3 API and the v1 custom
// resources, converting their uids.
func convertOwners(refs []metav1.OwnerReference, from, to string) ([]metav1.OwnerReference, error) {
	if len(refs) == 0 {
		return refs, nil
	}
	out := make([]metav1.OwnerReference, len(refs))
	for i, ref := range refs {
		if ref.APIVersion == from || ref.APIVersion == api.GroupVersion {
			ref.APIVersion = to
			uid, err := ConvertUID(ref.UID)
			if err != nil {
				return nil, fmt.Errorf("owner reference %s/%s: %w", ref.Kind, ref.Name, err)
			}
			ref.UID = uid
		}
		out[i] = ref
	}
	return out, nil
}

// ConvertUID maps a uid to another, deterministically and reversibly (it is its own inverse), as
// Calico does between a v3 object and its custom resource: the bits of every byte are reversed,
// except bytes 6 and 8, which hold the UUID version and variant.
func ConvertUID(uid types.UID) (types.UID, error) {
	u, err := uuid.Parse(string(uid))
	if err != nil {
		return "", fmt.Errorf("failed to parse UID for resource: %s", err)
	}
	for i := range u {
		if i == 6 || i == 8 {
			continue
		}
		u[i] = bits.Reverse8(u[i])
	}
	return types.UID(u.String()), nil
}

// toStorageCR is the custom resource of an IPAM record, as Calico's IPAM clients write it: the
// spec as is, under Calico's name for it (10-0-0-0-26, <host>-<cidr>, the lower-cased handle).
func toStorageCR(crd CRD, obj resources.Resource) (*customResource, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var v customResource
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	m := metav1.ObjectMeta{Name: crd.storage.CRName(obj.GetName()), ResourceVersion: obj.GetResourceVersion(),
		Labels: obj.GetLabels(), Annotations: obj.GetAnnotations()}
	if u := obj.GetUID(); u != "" {
		if uid, err := ConvertUID(u); err == nil {
			m.UID = uid
		}
	}
	return &customResource{APIVersion: APIVersion, Kind: crd.Kind, Metadata: m, Spec: v.Spec}, nil
}

func fromStorageCR(kind *resources.Kind, c *customResource) (resources.Resource, string, error) {
	obj := kind.NewObject()
	if len(c.Spec) > 0 {
		v, err := json.Marshal(struct {
			Spec json.RawMessage `json:"spec"`
		}{c.Spec})
		if err != nil {
			return nil, "", err
		}
		if err := json.Unmarshal(v, obj); err != nil {
			return nil, "", fmt.Errorf("reading %s %s from the Kubernetes API: the stored object is not valid: %w", kind.Kind, c.Metadata.Name, err)
		}
	}
	m := c.Metadata
	obj.SetName(m.Name)
	obj.SetResourceVersion(m.ResourceVersion)
	obj.SetLabels(m.Labels)
	obj.SetAnnotations(m.Annotations)
	obj.SetCreationTimestamp(m.CreationTimestamp)
	if m.UID != "" {
		uid := m.UID
		if u, err := ConvertUID(uid); err == nil {
			uid = u
		}
		obj.SetUID(uid)
	}
	obj.SetName(kind.Storage.NameFromCR(obj))
	return obj, m.Name, nil
}
