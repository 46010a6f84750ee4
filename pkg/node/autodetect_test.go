package node

import (
	"net/netip"
	"strings"
	"testing"
)

func ifc(name string, index int, addrs ...string) Interface {
	i := Interface{Name: name, Index: index}
	for _, a := range addrs {
		i.Addrs = append(i.Addrs, netip.MustParsePrefix(a))
	}
	return i
}

func TestAutodetectMethods(t *testing.T) {
	host := []Interface{
		ifc("lo", 1, "127.0.0.1/8", "::1/128"),
		ifc("eth0", 2, "10.0.0.5/24", "fe80::1/64", "2001:db8::5/64"),
		ifc("eth1", 3, "192.168.7.9/24"),
		ifc("docker0", 4, "172.17.0.1/16"),
		ifc("cali123", 5, "169.254.1.1/32"),
	}
	cases := []struct {
		method  string
		version int
		want    string // the detected CIDR and interface
		msg     string
		err     string
	}{
		{"first-found", 4, "192.168.7.9/24 eth1", "Using autodetected IPv4 address on interface eth1: 192.168.7.9/24", ""},
		{"", 4, "192.168.7.9/24 eth1", "", ""},
		{"first-found", 6, "2001:db8::5/64 eth0", "Using autodetected IPv6 address on interface eth0: 2001:db8::5/64", ""},
		{"interface=eth0", 4, "10.0.0.5/24 eth0", "Using autodetected IPv4 address 10.0.0.5/24 on matching interface eth0", ""},
		{"interface=docker.*, eth9", 4, "172.17.0.1/16 docker0", "", ""},
		{"skip-interface=eth1", 4, "10.0.0.5/24 eth0", "Using autodetected IPv4 address on interface eth0: 10.0.0.5/24 while skipping matching interfaces", ""},
		{"cidr=10.0.0.0/8", 4, "10.0.0.5/24 eth0", "Using autodetected IPv4 address 10.0.0.5/24 on interface eth0 matching cidrs [10.0.0.0/8]", ""},
		{"cidr=203.0.113.0/24", 4, "", "", "no valid IPv4 addresses found on the host interfaces"},
		{"interface=nosuch", 4, "", "", "no valid host interfaces found"},
		{"interface=(", 4, "", "", `invalid IP autodetection method "interface=(": "(" is not a regular expression`},
		{"cidr=10.0.0.0", 4, "", "", `"10.0.0.0" is not a CIDR`},
		{"magic", 4, "", "", "invalid IP autodetection method: magic (expected first-found, can-reach=DEST"},
		{"can-reach=", 4, "", "", "can-reach= needs an address"},
		{"can-reach=127.0.0.1", 4, "127.0.0.1/8 lo", "Using autodetected IPv4 address 127.0.0.1/8, detected by connecting to 127.0.0.1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			d, err := Autodetect(tc.method, tc.version, host)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want error %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.CIDR.String() + " " + d.Interface; got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if tc.msg != "" && d.Message != tc.msg {
				t.Errorf("message %q, want %q", d.Message, tc.msg)
			}
		})
	}
}

func TestDefaultIPv4PoolAvoidsHostAddresses(t *testing.T) {
	cases := []struct {
		addrs []string
		want  string
	}{
		{[]string{"10.0.0.5/24"}, "192.168.0.0/16"},
		{[]string{"192.168.40.2/24"}, "172.16.0.0/16"},
		{[]string{"192.168.40.2/24", "172.16.3.4/16", "172.17.0.1/16"}, "172.18.0.0/16"},
	}
	for _, tc := range cases {
		if got := DefaultIPv4Pool([]Interface{ifc("eth0", 2, tc.addrs...)}).String(); got != tc.want {
			t.Errorf("host %v: pool %s, want %s", tc.addrs, got, tc.want)
		}
	}
}
