package etcdv3

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// MigratePolicyNames moves policies that Calico up to 3.28 stored under "default.<name>" keys to
// the key of their v3 name, so that they can be read, updated and deleted by that name. Each
// move is one transaction: the new key is written only if absent and the old one deleted only if
// unchanged, so that a concurrent writer is never overwritten and a second run finds nothing to
// do. It returns how many policies were moved.
func (s *Store) MigratePolicyNames(ctx context.Context) (int, error) {
	moved := 0
	for _, name := range []string{"NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy"} {
		kind, _ := resources.ByKind(name)
		prefix := Root + kind.Plural + "/"
		var resp *clientv3.GetResponse
		err := s.do(ctx, "list", prefix, func(ctx context.Context) error {
			var err error
			resp, err = s.cli.Get(ctx, prefix, clientv3.WithPrefix())
			return err
		})
		if err != nil {
			return moved, err
		}
		for _, kv := range resp.Kvs {
			key := string(kv.Key)
			stored := key[strings.LastIndexByte(key, '/')+1:]
			obj, err := decode(kind, kv)
			if err != nil {
				return moved, err
			}
			if obj.GetName() == stored {
				continue
			}
			newKey := Key(kind, obj.GetNamespace(), obj.GetName())
			value, err := encode(kind, obj)
			if err != nil {
				return moved, err
			}
			var txn *clientv3.TxnResponse
			err = s.do(ctx, "move", key, func(ctx context.Context) error {
				var err error
				txn, err = s.cli.Txn(ctx).
					If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision), clientv3.Compare(clientv3.Version(newKey), "=", 0)).
					Then(clientv3.OpPut(newKey, string(value)), clientv3.OpDelete(key)).
					Commit()
				return err
			})
			if err != nil {
				return moved, err
			}
			if !txn.Succeeded {
				return moved, fmt.Errorf("cannot move %s to %s: the new key already exists or the policy changed meanwhile; delete one of the two and run the migration again",
					key, kind.ID(obj.GetNamespace(), obj.GetName()))
			}
			moved++
		}
	}
	return moved, nil
}
