package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
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

var unknownField = regexp.MustCompile(`unknown field "([^"]*)"`)

// DecodeError turns a JSON decoder error into calicoctl's operator-facing wording.
func DecodeError(err error) string {
	msg := err.Error()
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		return "field in document is not recognized or is in the wrong location: " + m[1]
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s has the wrong type: got a JSON %s, expected %s", te.Field, te.Value, te.Type)
	}
	return strings.TrimPrefix(msg, "json: ")
}
