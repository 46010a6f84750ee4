package client

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// bootstrap are the objects Calico creates in a new datastore: the cluster's identity and the
// three protected tiers.
var bootstrap = []struct{ kind, json string }{
	{"ClusterInformation", `{"metadata":{"name":"default"},"spec":{"clusterGUID":"%s","datastoreReady":true}}`},
	{"Tier", `{"metadata":{"name":"default"},"spec":{"order":1000000,"defaultAction":"Deny"}}`},
	{"Tier", `{"metadata":{"name":"kube-admin"},"spec":{"order":1000,"defaultAction":"Pass"}}`},
	{"Tier", `{"metadata":{"name":"kube-baseline"},"spec":{"order":10000000,"defaultAction":"Pass"}}`},
}

// EnsureInitialized creates whichever bootstrap objects are missing. Like Calico's, it is best
// effort for the caller: an object that already exists is left alone.
func (c *Client) EnsureInitialized(ctx context.Context) error {
	errs := make([]error, len(bootstrap))
	var wg sync.WaitGroup
	for i, b := range bootstrap {
		kind, ok := resources.ByKind(b.kind)
		if !ok {
			continue
		}
		doc := b.json
		if strings.Contains(doc, "%s") {
			doc = fmt.Sprintf(doc, strings.ReplaceAll(uuid.NewString(), "-", ""))
		}
		obj := kind.NewObject()
		if err := json.Unmarshal([]byte(doc), obj); err != nil {
			return fmt.Errorf("built-in %s does not decode: %w", b.kind, err)
		}
		if kind.SetDefaults != nil {
			kind.SetDefaults(obj)
		}
		prepareForCreate(obj)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := c.store.Create(ctx, obj); err != nil && !datastore.IsAlreadyExists(err) {
				errs[i] = err
			}
		}(i)
		if b.kind == "Tier" {
			c.tiersMu.Lock()
			c.tiers[obj.GetName()] = true
			c.tiersMu.Unlock()
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
