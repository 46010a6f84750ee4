package validation

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
)

var dns1123Subdomain = lazyregexp.New(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// ID names an object in errors: Kind(name) or Kind(namespace/name).
func ID(kind string, namespaced bool, namespace, name string) string {
	if namespaced && namespace != "" {
		return fmt.Sprintf("%s(%s/%s)", kind, namespace, name)
	}
	return fmt.Sprintf("%s(%s)", kind, name)
}

// Metadata checks what every kind shares: name, namespace, labels and annotations.
func Metadata(kind string, namespaced bool, obj metav1.Object) error {
	c := &Collector{Resource: ID(kind, namespaced, obj.GetNamespace(), obj.GetName())}
	name := obj.GetName()
	switch {
	case name == "" && kind == "WorkloadEndpoint":
		// Derived from the spec; the kind's validator says what is missing.
	case name == "":
		c.Add("metadata.name", name, "a name is required")
	case len(name) > 253:
		c.Add("metadata.name", name, "a name may be at most 253 characters long").
			Calico("", fmt.Sprintf("name is too long by %d bytes", len(name)-253))
	case !dns1123Subdomain.MatchString(name):
		c.Add("metadata.name", name, "use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. my-name or abc.123)").
			Calico("", `name must consist of lower case alphanumeric characters, '-' or '.' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)`)
	}
	if namespaced {
		ns := obj.GetNamespace()
		if ns == "" {
			c.Add("metadata.namespace", ns, "a %s needs a namespace", kind)
		} else if errs := k8svalidation.IsDNS1123Label(ns); len(errs) > 0 {
			c.Add("metadata.namespace", ns, "%s", strings.Join(errs, "; "))
		}
	}
	Labels(c, "metadata.labels", obj.GetLabels())
	size := 0
	for k, v := range obj.GetAnnotations() {
		if errs := k8svalidation.IsQualifiedName(strings.ToLower(k)); len(errs) > 0 {
			c.Add("metadata.annotations", k, "invalid annotation key: %s", strings.Join(errs, "; "))
		}
		size += len(k) + len(v)
	}
	if size > 256*1024 {
		c.Add("metadata.annotations", fmt.Sprintf("%d bytes", size), "annotations may total at most 256 KiB")
	}
	return c.Err()
}

// Labels checks a label map: keys are qualified names, values valid label values.
func Labels(c *Collector, field string, labels map[string]string) {
	for k, v := range labels {
		if errs := k8svalidation.IsQualifiedName(k); len(errs) > 0 {
			c.Add(field, k, "invalid label key: %s", strings.Join(errs, "; "))
		}
		if errs := k8svalidation.IsValidLabelValue(v); len(errs) > 0 {
			c.Add(field+"."+k, v, "invalid label value: %s", strings.Join(errs, "; "))
		}
	}
}
