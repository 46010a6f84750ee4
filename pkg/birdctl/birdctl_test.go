package birdctl

import (
	"strings"
	"testing"
)

func TestParsePeers(t *testing.T) {
	reply := []string{
		"2002-name     proto    table    state  since       info",
		"1002-static1  Static   master   up     2016-11-21  ",
		" kernel1  Kernel   master   up     2016-11-21  ",
		" Mesh_172_17_8_102 BGP      master   up     2016-11-21  Established   ",
		" Node_172_17_8_104 BGP      master   down   23:30:04    Failed Socket: error",
		" Global_10_0_0_1_port_179 BGP      master   start  23:30:04    Active",
		" Local_Workload_10_0_0_9 BGP      master   up     23:30:04    Established",
		" bgp1     BGP      master   up     23:30:04    Established",
		"0000 ",
	}
	peers, err := ParsePeers(reply, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range peers {
		got = append(got, strings.Join([]string{p.Address, p.Type, p.State, p.Since, p.BGPState, p.Info}, "|"))
	}
	want := []string{
		"172.17.8.102|node-to-node mesh|up|2016-11-21|Established|",
		"172.17.8.104|node specific|down|23:30:04|Failed|Socket: error",
		"10.0.0.1.port.179|global|start|23:30:04|Active|", // calicoctl's quirk, kept
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	v6, err := ParsePeers([]string{"1002-Mesh_fd80_24e2_f998_72d7__2 BGP master up 10:00:00 Established"}, true)
	if err != nil || len(v6) != 1 || v6[0].Address != "fd80:24e2:f998:72d7::2" {
		t.Errorf("IPv6: %v %v", v6, err)
	}
	for _, bad := range [][]string{{"2002-name proto table"}, {"9001 syntax error"}} {
		if _, err := ParsePeers(bad, false); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
