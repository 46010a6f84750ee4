package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ASNumber is a BGP autonomous system number. On input it is a JSON number, a decimal string, or
// the dotted form "a.b" (each part 0-65535, meaning a*65536+b); it is always written as a number.
type ASNumber uint32

// ParseASNumber reads an AS number in plain or dotted notation.
func ParseASNumber(s string) (ASNumber, error) {
	if hi, lo, dotted := strings.Cut(s, "."); dotted {
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("invalid AS number %q: the dotted form is a.b with a and b from 0 to 65535", s)
		}
		return ASNumber(h<<16 + l), nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid AS number %q: expected 0 to 4294967295 or the dotted form a.b", s)
	}
	return ASNumber(n), nil
}

func (a ASNumber) String() string { return strconv.FormatUint(uint64(a), 10) }

// UnmarshalJSON accepts a number or a string.
func (a *ASNumber) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n, err := ParseASNumber(s)
		if err != nil {
			return err
		}
		*a = n
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil {
		// Calico's type reports a number it cannot take as a failed string decode; the decoder
		// adds the field's path, and the words are what scripts match.
		return &json.UnmarshalTypeError{Value: "number", Type: reflect.TypeOf("")}
	}
	*a = ASNumber(n)
	return nil
}
