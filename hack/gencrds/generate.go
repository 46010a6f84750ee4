package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/calicoctl-go/calicoctl/pkg/client/kubernetes"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// Schema is the subset of an OpenAPI v3 schema a structural CRD schema needs.
type Schema struct {
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Nullable             bool               `json:"nullable,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	AdditionalProperties *Schema            `json:"additionalProperties,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string,omitempty"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
}

// Types whose JSON is not what reflection on their Go fields says.
var (
	// a number or a string: ports ("80", "8000:8080", "http"), protocols, DSCP, AS numbers
	// ("64512" or the dotted "1.10").
	intOrString = map[reflect.Type]bool{
		reflect.TypeOf(api.Port{}):           true,
		reflect.TypeOf(api.Protocol{}):       true,
		reflect.TypeOf(api.Uint8OrString{}):  true,
		reflect.TypeOf(api.DSCP{}):           true,
		reflect.TypeOf(api.ASNumber(0)):      true,
		reflect.TypeOf(intstr.IntOrString{}): true,
		reflect.TypeOf(resource.Quantity{}):  true,
	}
	// strings
	stringTypes = map[reflect.Type]string{
		reflect.TypeOf(metav1.Duration{}):  "",          // "1m30s"
		reflect.TypeOf(metav1.Time{}):      "date-time", // RFC 3339
		reflect.TypeOf(metav1.MicroTime{}): "date-time",
	}
	// Enumerations whose every value the validator also insists on, so that the schema never
	// rejects what calicoctl accepts.
	enums = map[reflect.Type][]string{
		reflect.TypeOf(api.Action("")):               {string(api.Allow), string(api.Deny), string(api.Log), string(api.Pass)},
		reflect.TypeOf(api.IPIPMode("")):             {string(api.IPIPModeNever), string(api.IPIPModeAlways), string(api.IPIPModeCrossSubnet)},
		reflect.TypeOf(api.VXLANMode("")):            {string(api.VXLANModeNever), string(api.VXLANModeAlways), string(api.VXLANModeCrossSubnet)},
		reflect.TypeOf(api.IPPoolAllowedUse("")):     {string(api.IPPoolAllowedUseWorkload), string(api.IPPoolAllowedUseTunnel), string(api.IPPoolAllowedUseLoadBalancer)},
		reflect.TypeOf(api.AssignmentMode("")):       {string(api.AssignmentModeAutomatic), string(api.AssignmentModeManual)},
		reflect.TypeOf(api.VMAddressPersistence("")): {string(api.VMAddressPersistenceEnabled), string(api.VMAddressPersistenceDisabled)},
		reflect.TypeOf(api.PolicyType("")):           {string(api.PolicyTypeIngress), string(api.PolicyTypeEgress)},
		reflect.TypeOf(api.StagedAction("")):         {string(api.StagedActionSet), string(api.StagedActionDelete), string(api.StagedActionLearn), string(api.StagedActionIgnore)},
	}
	jsonMarshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

// statusSubresource are the CRDs with a status subresource in Calico's own manifests: status is
// written by Calico's components, and a PUT of the object leaves it alone.
var statusSubresource = map[string]bool{"caliconodestatuses": true, "ippools": true, "kubecontrollersconfigurations": true, "tiers": true}

// ipamCRDs are the IPAM custom resources Calico defines; their content is the IPAM library's.
var ipamCRDs = []kubernetes.CRD{
	{Plural: "blockaffinities", Kind: "BlockAffinity"},
	{Plural: "ipamblocks", Kind: "IPAMBlock"},
	{Plural: "ipamhandles", Kind: "IPAMHandle"},
}

// schemaFor returns the schema of values of type t. inStack guards against recursive types.
func schemaFor(t reflect.Type, inStack map[reflect.Type]bool) *Schema {
	if intOrString[t] {
		return &Schema{IntOrString: true}
	}
	if f, ok := stringTypes[t]; ok {
		return &Schema{Type: "string", Format: f}
	}
	if vals, ok := enums[t]; ok {
		return &Schema{Type: "string", Enum: vals}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaFor(t.Elem(), inStack)
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return &Schema{Type: "integer", Format: "int32"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return &Schema{Type: "integer", Format: "int64"}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &Schema{Type: "string", Format: "byte"}
		}
		return &Schema{Type: "array", Items: schemaFor(t.Elem(), inStack)}
	case reflect.Map:
		return &Schema{Type: "object", AdditionalProperties: schemaFor(t.Elem(), inStack)}
	case reflect.Struct:
		if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) || inStack[t] {
			// A custom JSON form nothing above describes: keep whatever is there.
			return &Schema{PreserveUnknown: true}
		}
		inStack[t] = true
		defer delete(inStack, t)
		// Fields this project's types do not know (written by a newer Calico) are kept, not
		// pruned: installing these CRDs over Calico's own must never lose data.
		s := &Schema{Type: "object", Properties: map[string]*Schema{}, PreserveUnknown: true}
		addFields(s, t, inStack)
		return s
	}
	// interface{} and anything else: free-form.
	return &Schema{PreserveUnknown: true}
}

// addFields adds the JSON properties of struct t to s, flattening inline and embedded structs.
func addFields(s *Schema, t reflect.Type, inStack map[reflect.Type]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if (f.Anonymous && name == "") || strings.Contains(","+opts+",", ",inline,") {
			if ft.Kind() == reflect.Struct {
				addFields(s, ft, inStack)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fs := schemaFor(f.Type, inStack)
		omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			// Written as null when empty.
			if !omit && !fs.IntOrString {
				fs.Nullable = true
			}
		}
		if f.Type == reflect.TypeOf(metav1.Time{}) && !omit {
			fs.Nullable = true // the zero time is written as null
		}
		s.Properties[name] = fs
	}
}

// crdDoc is a CustomResourceDefinition manifest.
type crdDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec crdSpec `json:"spec"`
}

type crdSpec struct {
	Group string `json:"group"`
	Names struct {
		Kind     string `json:"kind"`
		ListKind string `json:"listKind"`
		Plural   string `json:"plural"`
		Singular string `json:"singular"`
	} `json:"names"`
	Scope    string       `json:"scope"`
	Versions []crdVersion `json:"versions"`
}

type crdVersion struct {
	Name         string              `json:"name"`
	Served       bool                `json:"served"`
	Storage      bool                `json:"storage"`
	Schema       map[string]*Schema  `json:"schema"`
	Subresources map[string]struct{} `json:"subresources,omitempty"`
}

// FileName is the manifest file of a CRD, named as in Calico's libcalico-go/config/crd.
func FileName(c kubernetes.CRD) string { return kubernetes.Group + "_" + c.Plural + ".yaml" }

func manifest(c kubernetes.CRD, spec, status *Schema, description string) ([]byte, error) {
	var d crdDoc
	d.APIVersion, d.Kind = "apiextensions.k8s.io/v1", "CustomResourceDefinition"
	d.Metadata.Name = c.Name()
	d.Spec.Group = kubernetes.Group
	d.Spec.Names.Kind, d.Spec.Names.ListKind = c.Kind, c.Kind+"List"
	d.Spec.Names.Plural, d.Spec.Names.Singular = c.Plural, strings.ToLower(c.Kind)
	d.Spec.Scope = "Cluster"
	if c.Namespaced {
		d.Spec.Scope = "Namespaced"
	}
	root := &Schema{Type: "object", Description: description, Properties: map[string]*Schema{
		"apiVersion": {Type: "string"},
		"kind":       {Type: "string"},
		"metadata":   {Type: "object"},
		"spec":       spec,
	}}
	v := crdVersion{Name: kubernetes.Version, Served: true, Storage: true, Schema: map[string]*Schema{"openAPIV3Schema": root}}
	if statusSubresource[c.Plural] {
		v.Subresources = map[string]struct{}{"status": {}}
		if status == nil {
			status = &Schema{Type: "object", PreserveUnknown: true}
		}
	}
	if status != nil {
		root.Properties["status"] = status
	}
	d.Spec.Versions = []crdVersion{v}
	body, err := yaml.Marshal(d)
	if err != nil {
		return nil, err
	}
	header := "# Generated by hack/gencrds from pkg/resources/api: do not edit. Regenerate with `go generate ./manifests`.\n"
	return append([]byte(header), body...), nil
}

// Generate returns every CRD manifest, by file name: one per kind stored as a custom resource,
// plus Calico's IPAM resources.
func Generate() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, k := range resources.All() {
		c, ok := kubernetes.CRDFor(k)
		if !ok {
			continue
		}
		t := reflect.TypeOf(k.New()).Elem()
		sf, ok := t.FieldByName("Spec")
		if !ok {
			return nil, fmt.Errorf("%s has no Spec field", k.Kind)
		}
		spec := schemaFor(sf.Type, map[reflect.Type]bool{})
		var status *Schema
		if st, ok := t.FieldByName("Status"); ok {
			status = schemaFor(st.Type, map[reflect.Type]bool{})
		}
		desc := fmt.Sprintf("Calico %s (projectcalico.org/v3 %s), stored as a %s custom resource.", k.Kind, k.Kind, kubernetes.APIVersion)
		m, err := manifest(c, spec, status, desc)
		if err != nil {
			return nil, err
		}
		if _, dup := out[FileName(c)]; dup {
			return nil, fmt.Errorf("two kinds are stored as %s", c.Name())
		}
		out[FileName(c)] = m
	}
	for _, c := range ipamCRDs {
		if _, done := out[FileName(c)]; done {
			continue // a registered kind now describes it
		}
		spec := &Schema{Type: "object", PreserveUnknown: true}
		m, err := manifest(c, spec, nil, fmt.Sprintf("Calico IPAM %s, written by Calico's IPAM library.", c.Kind))
		if err != nil {
			return nil, err
		}
		out[FileName(c)] = m
	}
	return out, nil
}

// sortedNames lists the file names of a generation in order.
func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
