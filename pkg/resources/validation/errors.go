// Package validation checks Calico resources before they are written, with the rules Calico
// enforces (reference: names, labels, per-kind rules). Every error names the resource, the field
// as the operator wrote it in YAML, the offending value and what is allowed.
package validation

import (
	"fmt"
	"strings"
)

// Error is one invalid field.
type Error struct {
	// Resource is Kind(name) or Kind(namespace/name).
	Resource string
	// Field is the path as written in YAML, e.g. "spec.ingress[0].protocol".
	Field  string
	Value  interface{}
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("error with field %s.%s = '%v' (%s)", e.Resource, e.Field, e.Value, e.Reason)
}

// Errors is every invalid field of one resource.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// FieldError is a single-field error.
func FieldError(resource, field string, value interface{}, reason string) error {
	return &Error{Resource: resource, Field: field, Value: value, Reason: reason}
}

// Collector gathers the errors of one resource.
type Collector struct {
	Resource string
	errs     Errors
}

// Add records an invalid field.
func (c *Collector) Add(field string, value interface{}, format string, args ...interface{}) {
	c.errs = append(c.errs, &Error{Resource: c.Resource, Field: field, Value: value, Reason: fmt.Sprintf(format, args...)})
}

// Err returns nil or the collected errors.
func (c *Collector) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}
