package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/calicoctl-go/calicoctl/internal/lazyregexp"
)

// NumOrStringType says which of the two values a Uint8OrString holds.
type NumOrStringType int

const (
	NumOrStringNum NumOrStringType = iota
	NumOrStringString
)

// Uint8OrString holds a uint8 or a string. In JSON it is a bare number or a string; a string that
// parses as a uint8 is read as the number, as Calico does.
type Uint8OrString struct {
	Type   NumOrStringType `json:"type"`
	NumVal uint8           `json:"numVal"`
	StrVal string          `json:"strVal"`
}

// UnmarshalJSON accepts a number 0-255 or any string.
func (i *Uint8OrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if num, err := strconv.ParseUint(s, 10, 8); err == nil {
			*i = Uint8OrString{Type: NumOrStringNum, NumVal: uint8(num)}
		} else {
			*i = Uint8OrString{Type: NumOrStringString, StrVal: s}
		}
		return nil
	}
	var n uint8
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*i = Uint8OrString{Type: NumOrStringNum, NumVal: n}
	return nil
}

// MarshalJSON writes a number when the value is numeric (even if it was given as a string).
func (i Uint8OrString) MarshalJSON() ([]byte, error) {
	if num, err := i.NumValue(); err == nil {
		return json.Marshal(num)
	}
	return json.Marshal(i.StrVal)
}

// String returns the string value, or the decimal form of the number.
func (i Uint8OrString) String() string {
	if i.Type == NumOrStringString {
		return i.StrVal
	}
	return strconv.FormatUint(uint64(i.NumVal), 10)
}

// NumValue returns the number, converting a numeric string.
func (i Uint8OrString) NumValue() (uint8, error) {
	if i.Type == NumOrStringString {
		num, err := strconv.ParseUint(i.StrVal, 10, 8)
		return uint8(num), err
	}
	return i.NumVal, nil
}

// Protocol names Calico knows. Names are matched case-insensitively by ProtocolFromString.
const (
	ProtocolUDP     = "UDP"
	ProtocolTCP     = "TCP"
	ProtocolICMP    = "ICMP"
	ProtocolICMPv6  = "ICMPv6"
	ProtocolSCTP    = "SCTP"
	ProtocolUDPLite = "UDPLite"
	ProtocolAny     = "any"
)

var protocolNames = []string{
	ProtocolUDP, ProtocolTCP, ProtocolICMP, ProtocolICMPv6, ProtocolSCTP, ProtocolUDPLite, ProtocolAny,
}

// Protocol is an IP protocol given by name ("TCP") or number (6). JSON decoding keeps the name as
// written; validation decides whether it is acceptable.
type Protocol Uint8OrString

// ProtocolFromInt returns the protocol with the given number.
func ProtocolFromInt(p uint8) Protocol {
	return Protocol{Type: NumOrStringNum, NumVal: p}
}

// ProtocolFromString returns the protocol with the given name, in its canonical case when the name
// is a known one ("tcp" -> "TCP"). Unknown names are kept unchanged for validation to reject.
func ProtocolFromString(p string) Protocol {
	for _, n := range protocolNames {
		if strings.EqualFold(n, p) {
			return Protocol{Type: NumOrStringString, StrVal: n}
		}
	}
	return Protocol{Type: NumOrStringString, StrVal: p}
}

func (p *Protocol) UnmarshalJSON(b []byte) error { return (*Uint8OrString)(p).UnmarshalJSON(b) }

func (p Protocol) MarshalJSON() ([]byte, error) { return Uint8OrString(p).MarshalJSON() }

func (p Protocol) String() string { return Uint8OrString(p).String() }

// NumValue returns the protocol number if the protocol was given as a number.
func (p Protocol) NumValue() (uint8, error) { return Uint8OrString(p).NumValue() }

// SupportsPorts reports whether the protocol is TCP, UDP or SCTP, the ones rules may match ports on.
func (p Protocol) SupportsPorts() bool {
	if num, err := p.NumValue(); err == nil {
		return num == 6 || num == 17 || num == 132
	}
	switch p.StrVal {
	case ProtocolTCP, ProtocolUDP, ProtocolSCTP, "tcp", "udp", "sctp":
		return true
	}
	return false
}

// DSCP is a differentiated-services code point, by number (0-63) or name ("AF11", "EF", ...).
type DSCP Uint8OrString

var dscpValues = map[string]uint8{
	"DF": 0, "EF": 46,
	"AF11": 10, "AF12": 12, "AF13": 14,
	"AF21": 18, "AF22": 20, "AF23": 22,
	"AF31": 26, "AF32": 28, "AF33": 30,
	"AF41": 34, "AF42": 36, "AF43": 38,
	"CS0": 0, "CS1": 8, "CS2": 16, "CS3": 24, "CS4": 32, "CS5": 40, "CS6": 48,
}

// DSCPFromInt returns the code point with the given number.
func DSCPFromInt(v uint8) DSCP { return DSCP{Type: NumOrStringNum, NumVal: v} }

// DSCPFromString returns the named code point, upper-cased when the name is known.
func DSCPFromString(s string) DSCP {
	for k := range dscpValues {
		if strings.EqualFold(k, s) {
			return DSCP{Type: NumOrStringString, StrVal: k}
		}
	}
	return DSCP{Type: NumOrStringString, StrVal: s}
}

func (d *DSCP) UnmarshalJSON(b []byte) error { return (*Uint8OrString)(d).UnmarshalJSON(b) }

func (d DSCP) MarshalJSON() ([]byte, error) { return Uint8OrString(d).MarshalJSON() }

func (d DSCP) String() string { return Uint8OrString(d).String() }

// ToUint8 returns the numeric code point, or 0 for an unknown name.
func (d DSCP) ToUint8() uint8 {
	if v, err := Uint8OrString(d).NumValue(); err == nil {
		return v
	}
	return dscpValues[strings.ToUpper(strings.TrimSpace(d.StrVal))]
}

// Validate checks that a number is at most 63 and that a name is a known one.
func (d DSCP) Validate() error {
	if v, err := Uint8OrString(d).NumValue(); err == nil {
		if v > 63 {
			return fmt.Errorf("DSCP must be between 0 and 63")
		}
		return nil
	}
	if _, ok := dscpValues[strings.ToUpper(strings.TrimSpace(d.StrVal))]; !ok {
		return fmt.Errorf("%s is not a valid DSCP value", d.StrVal)
	}
	return nil
}

// Port is a single port, an inclusive range, or a named port.
//   - named: PortName set, MinPort and MaxPort 0;
//   - range: MinPort and MaxPort set, PortName "";
//   - single: MinPort == MaxPort.
//
// In JSON a single port is a number (or a decimal string), a range is "min:max", a name is a string.
type Port struct {
	MinPort  uint16 `json:"minPort,omitempty"`
	MaxPort  uint16 `json:"maxPort,omitempty"`
	PortName string `json:"portName"`
}

// SinglePort returns the port p.
func SinglePort(p uint16) Port { return Port{MinPort: p, MaxPort: p} }

// NamedPort returns a named port, checking the name's characters.
func NamedPort(name string) (Port, error) {
	if !portNameRegex.MatchString(name) {
		return Port{}, fmt.Errorf("invalid name for named port (%s)", name)
	}
	return Port{PortName: name}, nil
}

// PortFromRange returns the range min:max. It is an error for min to exceed max.
func PortFromRange(minPort, maxPort uint16) (Port, error) {
	port := Port{MinPort: minPort, MaxPort: maxPort}
	if minPort > maxPort {
		return port, fmt.Errorf("minimum port number (%d) is greater than maximum port number (%d) in port range", minPort, maxPort)
	}
	return port, nil
}

// The port expressions are compiled on first use: most processes (the CNI plugin, say) never
// parse a port, and the {1,128} repetition alone costs a thousand allocations.
var (
	portAllDigits = lazyregexp.New(`^\d+$`)
	portRangeRE   = lazyregexp.New(`^(\d+):(\d+)$`)
	portNameRegex = lazyregexp.New(`^[a-zA-Z0-9_.-]{1,128}$`)
)

// PortFromString parses "1234", "100:200" or a port name. As in Calico, a reversed range such as
// "10:1" is rejected here, at decode time.
func PortFromString(s string) (Port, error) {
	if portAllDigits.MatchString(s) {
		num, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return Port{}, fmt.Errorf("invalid port format (%s)", s)
		}
		return SinglePort(uint16(num)), nil
	}
	if groups := portRangeRE.FindStringSubmatch(s); groups != nil {
		pmin, err := strconv.ParseUint(groups[1], 10, 16)
		if err != nil {
			return Port{}, fmt.Errorf("invalid minimum port number in range (%s)", s)
		}
		pmax, err := strconv.ParseUint(groups[2], 10, 16)
		if err != nil {
			return Port{}, fmt.Errorf("invalid maximum port number in range (%s)", s)
		}
		return PortFromRange(uint16(pmin), uint16(pmax))
	}
	return NamedPort(s)
}

// UnmarshalJSON accepts a number 0-65535 or a string for PortFromString.
func (p *Port) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := PortFromString(s)
		if err != nil {
			return err
		}
		*p = v
		return nil
	}
	var n uint16
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*p = SinglePort(n)
	return nil
}

// MarshalJSON writes a name as a string, a single port as a number and a range as "min:max".
func (p Port) MarshalJSON() ([]byte, error) {
	if p.PortName == "" && p.MinPort == p.MaxPort {
		return json.Marshal(p.MinPort)
	}
	return json.Marshal(p.String())
}

func (p Port) String() string {
	switch {
	case p.PortName != "":
		return p.PortName
	case p.MinPort == p.MaxPort:
		return strconv.FormatUint(uint64(p.MinPort), 10)
	default:
		return fmt.Sprintf("%d:%d", p.MinPort, p.MaxPort)
	}
}

// AllPortsAreNamed reports whether every port is a named port (true for an empty list).
func AllPortsAreNamed(ports []Port) bool {
	for _, p := range ports {
		if p.PortName == "" {
			return false
		}
	}
	return true
}
