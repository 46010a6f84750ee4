package ipam

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
	"github.com/calicoctl-go/calicoctl/pkg/resources/kinds"
)

// Export is the IPAM section of `datastore migrate export`, in Calico's own shape, so that
// either tool imports what the other exported: every affinity, block and handle and the
// configuration, each as its etcd key, Calico's stored value and a TTL (always 0).
type Export struct {
	Affinities []ExportedRecord `json:"block_affinities,omitempty"`
	Blocks     []ExportedRecord `json:"blocks,omitempty"`
	Handles    []ExportedRecord `json:"handles,omitempty"`
	Config     *ExportedRecord  `json:"config,omitempty"`
}

// ExportedRecord is one IPAM record: its etcd key (the node names in it already changed to the
// target's), Calico's value, and a TTL in nanoseconds (Calico's IPAM records have none).
type ExportedRecord struct {
	Key   string          `json:"Key"`
	Value json.RawMessage `json:"Value"`
	TTL   int64           `json:"TTL"`
}

// Empty reports whether there is nothing to import.
func (e *Export) Empty() bool {
	return e == nil || (len(e.Blocks) == 0 && len(e.Affinities) == 0 && len(e.Handles) == 0 && e.Config == nil)
}

// ExportAll reads every IPAM record. rename maps a node name to the name it takes in the
// target datastore (Kubernetes node names); affinities, block owners and owner attributes follow.
func ExportAll(ctx context.Context, store datastore.Store, rename func(string) string) (*Export, error) {
	c := New(store)
	out := &Export{}
	blocks, err := c.ListBlocks(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if b.Spec.Affinity != nil {
			if host, ok := strings.CutPrefix(*b.Spec.Affinity, "host:"); ok {
				a := "host:" + rename(host)
				b.Spec.Affinity = &a
			}
		}
		for i := range b.Spec.Attributes {
			if n, ok := b.Spec.Attributes[i].ActiveOwnerAttrs[AttrNode]; ok {
				b.Spec.Attributes[i].ActiveOwnerAttrs[AttrNode] = rename(n)
			}
			if h := b.Spec.Attributes[i].HandleID; h != nil {
				renamed := renameTunnelHandle(*h, rename)
				b.Spec.Attributes[i].HandleID = &renamed
			}
		}
		v, err := blockKind.Storage.EtcdEncode(b)
		if err != nil {
			return nil, err
		}
		out.Blocks = append(out.Blocks, ExportedRecord{Key: blockKind.Storage.EtcdKey(b.Name), Value: v})
	}
	affs, err := c.ListAffinities(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, a := range affs {
		v, err := affinityKind.Storage.EtcdEncode(a)
		if err != nil {
			return nil, err
		}
		name := kinds.AffinityName(rename(a.Spec.Node), a.Spec.CIDR)
		out.Affinities = append(out.Affinities, ExportedRecord{Key: affinityKind.Storage.EtcdKey(name), Value: v})
	}
	handles, err := c.ListHandles(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range handles {
		v, err := handleKind.Storage.EtcdEncode(h)
		if err != nil {
			return nil, err
		}
		out.Handles = append(out.Handles, ExportedRecord{Key: handleKind.Storage.EtcdKey(renameTunnelHandle(h.Name, rename)), Value: v})
	}
	if _, stored, err := c.getConfig(ctx); err != nil {
		return nil, err
	} else if stored != nil {
		v, err := configKind.Storage.EtcdEncode(stored)
		if err != nil {
			return nil, err
		}
		out.Config = &ExportedRecord{Key: configKind.Storage.EtcdKey("default"), Value: v}
	}
	return out, nil
}

// tunnelHandlePrefixes begin the handles of node tunnel addresses, which end in the node name.
var tunnelHandlePrefixes = []string{"ipip-tunnel-addr-", "vxlan-tunnel-addr-", "wireguard-tunnel-addr-"}

// renameTunnelHandle gives a tunnel address's handle the node's new name, as Calico's export does.
func renameTunnelHandle(handle string, rename func(string) string) string {
	for _, p := range tunnelHandlePrefixes {
		if node, ok := strings.CutPrefix(handle, p); ok {
			return p + rename(node)
		}
	}
	return handle
}

// exampleName names an object of each IPAM kind, for the example key of an error.
var exampleName = map[string]string{"IPAMBlock": "10.0.0.0-26", "BlockAffinity": "node1/10.0.0.0-26", "IPAMHandle": "k8s-pod-network.ID", "IPAMConfig": "default"}

// ImportCounts says what an import wrote.
type ImportCounts struct{ Blocks, Affinities, Handles int }

// ImportAll writes an export into store, which must hold no IPAM record yet (an existing one
// is an error naming it). Everything is decoded before anything is written.
func ImportAll(ctx context.Context, store datastore.Store, e *Export) (ImportCounts, error) {
	var objs []resources.Resource
	decode := func(kind *resources.Kind, r ExportedRecord) (resources.Resource, error) {
		name, ok := kind.Storage.EtcdName(r.Key)
		if !ok {
			return nil, fmt.Errorf("IPAM data: %q is not the key of a %s (e.g. %s)", r.Key, kind.Kind, kind.Storage.EtcdKey(exampleName[kind.Kind]))
		}
		obj := kind.NewObject()
		obj.SetName(name)
		if err := kind.Storage.EtcdDecode(r.Value, obj); err != nil {
			return nil, fmt.Errorf("IPAM data: %s %s: %w", kind.Kind, name, err)
		}
		obj.SetName(name)
		objs = append(objs, obj)
		return obj, nil
	}
	var n ImportCounts
	for _, r := range e.Blocks {
		obj, err := decode(blockKind, r)
		if err != nil {
			return n, err
		}
		if b := obj.(*api.IPAMBlock); b.Spec.Attributes == nil {
			b.Spec.Attributes = []api.AllocationAttribute{}
		}
	}
	for _, r := range e.Affinities {
		obj, err := decode(affinityKind, r)
		if err != nil {
			return n, err
		}
		a := obj.(*api.BlockAffinity)
		if p, err := parsePrefix(a.Spec.CIDR); err == nil {
			a.Labels = affinityLabels(a.Spec.Node, p)
		}
	}
	for _, r := range e.Handles {
		if _, err := decode(handleKind, r); err != nil {
			return n, err
		}
	}
	if e.Config != nil {
		if _, err := decode(configKind, *e.Config); err != nil {
			return n, err
		}
	}
	progress := progressOf(ctx)
	progress.Start(len(objs), "importing IPAM")
	defer progress.Done()
	for _, obj := range objs {
		progress.Add(1)
		_, err := store.Create(ctx, obj)
		if cfg, ok := obj.(*api.IPAMConfig); ok && datastore.IsAlreadyExists(err) {
			// In Kubernetes the v3 IPAMConfiguration imported with the resources is the same
			// custom resource: the library's configuration wins, as it did in etcd.
			err = updateConfig(ctx, store, cfg)
		}
		if err != nil {
			return n, fmt.Errorf("importing %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		switch obj.(type) {
		case *api.IPAMBlock:
			n.Blocks++
		case *api.BlockAffinity:
			n.Affinities++
		case *api.IPAMHandle:
			n.Handles++
		}
	}
	return n, nil
}

func updateConfig(ctx context.Context, store datastore.Store, cfg *api.IPAMConfig) error {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		got, err := store.Get(ctx, configKind, "", "default")
		if err != nil {
			return err
		}
		stored := got.(*api.IPAMConfig)
		stored.Spec = cfg.Spec
		if _, err = store.Update(ctx, stored); !datastore.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("updating the IPAM configuration: too many concurrent changes")
}
