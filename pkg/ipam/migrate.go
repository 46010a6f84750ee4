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

// Export is the IPAM section of `datastore migrate export`: every block, affinity and handle and
// the configuration, each as a key and Calico's stored value (the etcd model JSON), in the
// shape of Calico's own migration (lists of key/value pairs).
type Export struct {
	Blocks     []ExportedRecord `json:"ipam_blocks"`
	Affinities []ExportedRecord `json:"block_affinities"`
	Handles    []ExportedRecord `json:"ipam_handles"`
	Config     *ExportedRecord  `json:"ipam_config,omitempty"`
}

// ExportedRecord is one IPAM record: its key and Calico's value.
type ExportedRecord struct {
	Key   ExportedKey     `json:"Key"`
	Value json.RawMessage `json:"Value"`
}

// ExportedKey names a record: the block CIDR, the affinity's host and CIDR, the handle ID.
type ExportedKey struct {
	CIDR     string `json:"CIDR,omitempty"`
	Host     string `json:"Host,omitempty"`
	HandleID string `json:"HandleID,omitempty"`
}

// Empty reports whether there is nothing to import.
func (e *Export) Empty() bool {
	return e == nil || (len(e.Blocks) == 0 && len(e.Affinities) == 0 && len(e.Handles) == 0 && e.Config == nil)
}

// ExportAll reads every IPAM record. rename maps a node name to the name it takes in the
// target datastore (Kubernetes node names); affinities, block owners and owner attributes follow.
func ExportAll(ctx context.Context, store datastore.Store, rename func(string) string) (*Export, error) {
	c := New(store)
	out := &Export{Blocks: []ExportedRecord{}, Affinities: []ExportedRecord{}, Handles: []ExportedRecord{}}
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
		}
		v, err := blockKind.Storage.EtcdEncode(b)
		if err != nil {
			return nil, err
		}
		out.Blocks = append(out.Blocks, ExportedRecord{Key: ExportedKey{CIDR: b.Spec.CIDR}, Value: v})
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
		out.Affinities = append(out.Affinities, ExportedRecord{Key: ExportedKey{Host: rename(a.Spec.Node), CIDR: a.Spec.CIDR}, Value: v})
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
		out.Handles = append(out.Handles, ExportedRecord{Key: ExportedKey{HandleID: h.Name}, Value: v})
	}
	if _, stored, err := c.getConfig(ctx); err != nil {
		return nil, err
	} else if stored != nil {
		v, err := configKind.Storage.EtcdEncode(stored)
		if err != nil {
			return nil, err
		}
		out.Config = &ExportedRecord{Value: v}
	}
	return out, nil
}

// ImportCounts says what an import wrote.
type ImportCounts struct{ Blocks, Affinities, Handles int }

// ImportAll writes an export into store, which must hold no IPAM record yet (an existing one
// is an error naming it). Everything is decoded before anything is written.
func ImportAll(ctx context.Context, store datastore.Store, e *Export) (ImportCounts, error) {
	var objs []resources.Resource
	decode := func(kind *resources.Kind, name string, value []byte) error {
		obj := kind.NewObject()
		obj.SetName(name)
		if err := kind.Storage.EtcdDecode(value, obj); err != nil {
			return fmt.Errorf("IPAM data: %s %s: %w", kind.Kind, name, err)
		}
		obj.SetName(name)
		objs = append(objs, obj)
		return nil
	}
	var n ImportCounts
	for _, r := range e.Blocks {
		if err := decode(blockKind, kinds.BlockName(r.Key.CIDR), r.Value); err != nil {
			return n, err
		}
		if b := objs[len(objs)-1].(*api.IPAMBlock); b.Spec.Attributes == nil {
			b.Spec.Attributes = []api.AllocationAttribute{}
		}
	}
	for _, r := range e.Affinities {
		if r.Key.Host == "" || r.Key.CIDR == "" {
			return n, fmt.Errorf("IPAM data: a block affinity without host or CIDR")
		}
		if err := decode(affinityKind, kinds.AffinityName(r.Key.Host, r.Key.CIDR), r.Value); err != nil {
			return n, err
		}
		a := objs[len(objs)-1].(*api.BlockAffinity)
		if p, err := parsePrefix(r.Key.CIDR); err == nil {
			a.Labels = affinityLabels(r.Key.Host, p)
		}
	}
	for _, r := range e.Handles {
		if err := decode(handleKind, r.Key.HandleID, r.Value); err != nil {
			return n, err
		}
	}
	if e.Config != nil {
		if err := decode(configKind, "default", e.Config.Value); err != nil {
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
