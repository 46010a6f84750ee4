package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
)

// DecodeStrict reads the JSON of one object of this kind, refusing fields the kind does not have.
// Errors are worded as calicoctl words them (see DecodeError).
func (k *Kind) DecodeStrict(js []byte) (Resource, error) {
	obj := k.New()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, errors.New(DecodeError(err))
	}
	return obj, nil
}

var unknownField = lazyregexp.New(`unknown field "([^"]*)"`)

// DecodeError turns a JSON decoder error into calicoctl's wording. A type error keeps Go's own
// text, as calicoctl prints it (scripts match it), followed by what the field wants in plain words.
func DecodeError(err error) string {
	msg := err.Error()
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		return "field in document is not recognized or is in the wrong location: " + m[1]
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if t := te.Type; t != nil && strings.HasSuffix(t.PkgPath(), "/pkg/resources/api") {
			// Calico's types live in its package v3: the text names them as Calico's does.
			msg = strings.Replace(msg, "of type "+t.String(), "of type v3."+t.Name(), 1)
		}
		return fmt.Sprintf("error unmarshaling JSON: while decoding JSON: %s: %s must be %s, not %s",
			msg, te.Field, wants(te), article(te.Value))
	}
	return strings.TrimPrefix(msg, "json: ")
}

// wants says in words what a field of a type error takes.
func wants(te *json.UnmarshalTypeError) string {
	if strings.HasSuffix(te.Field, "asNumber") {
		return "an AS number from 0 to 4294967295, or the dotted form \"a.b\""
	}
	if strings.HasSuffix(te.Field, "ports") || strings.HasSuffix(te.Field, "Ports") {
		return "a port from 1 to 65535, a range \"min:max\" or a port name"
	}
	switch te.Type.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string (quote it)"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return fmt.Sprintf("a whole number from 0 to %d", uint64(1)<<(te.Type.Bits())-1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a " + te.Type.String()
}

// article puts "a"/"an" before a JSON value description ("number 65536", "string").
func article(v string) string {
	if v != "" && strings.ContainsRune("aeiou", rune(v[0])) {
		return "an " + v
	}
	return "a " + v
}
