// Command calico-ipam is a CNI IPAM plugin that allocates addresses from Calico IP pools,
// compatible with Calico's own calico-ipam (same network configuration, same datastore records).
package main

import (
	"log/slog"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/calicoctl-go/calicoctl/pkg/ipam/cniplugin"
	_ "github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
	v "github.com/calicoctl-go/calicoctl/pkg/version"
)

func main() {
	// stdout carries the CNI result alone; the libraries' log lines go nowhere.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	skel.PluginMainFuncs(skel.CNIFuncs{Add: cniplugin.Add, Del: cniplugin.Del, Check: cniplugin.Check},
		version.All, "Calico CNI IPAM "+v.Version)
}
