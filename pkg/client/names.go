package client

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// Names returns the names of the objects of a kind that start with prefix, in namespace (all
// namespaces when empty), sorted; shell completion offers them.
func (c *Client) Names(ctx context.Context, kind *resources.Kind, namespace, prefix string) ([]string, error) {
	l, err := c.List(ctx, kind, datastore.ListOptions{Namespace: namespace, Name: prefix, Prefix: prefix != ""})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(l.Items))
	for _, item := range l.Items {
		names = append(names, item.GetName())
	}
	sort.Strings(names)
	return names, nil
}

// namespaceSources are the kinds whose objects show which namespaces are in use: the namespaced
// kinds, and on Kubernetes the profiles Calico derives from namespaces (kns.<namespace>).
var namespaceSources = []string{"NetworkPolicy", "NetworkSet", "WorkloadEndpoint", "StagedNetworkPolicy", "Profile"}

// Namespaces returns the namespaces that hold Calico objects, sorted. An etcd datastore has no
// namespace objects of its own, so they are read from the namespaced objects stored; on
// Kubernetes every namespace has its profile.
func (c *Client) Namespaces(ctx context.Context) ([]string, error) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		seen     = map[string]bool{}
		firstErr error
	)
	for _, name := range namespaceSources {
		kind, ok := resources.ByKind(name)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.store.List(ctx, kind, datastore.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			for _, item := range l.Items {
				if kind.Namespaced {
					seen[item.GetNamespace()] = true
				} else if ns, ok := strings.CutPrefix(item.GetName(), "kns."); ok {
					seen[ns] = true
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) == 0 && firstErr != nil {
		return nil, firstErr
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		if ns != "" {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out, nil
}
