package ipam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/calicoctl-go/calicoctl/pkg/client/datastore"
	"github.com/calicoctl-go/calicoctl/pkg/resources/api"
)

// sanitizeHandle cuts a handle at the first carriage return, as Calico does.
func sanitizeHandle(h string) string {
	if i := strings.IndexByte(h, '\r'); i >= 0 {
		return h[:i]
	}
	return h
}

// incrementHandle adds n addresses of block cidr to a handle, creating it if needed.
func (c *Client) incrementHandle(ctx context.Context, handle, cidr string, n int) error {
	obj := handleKind.NewObject().(*api.IPAMHandle)
	obj.Name = handle
	obj.Spec = api.IPAMHandleSpec{HandleID: handle, Block: map[string]int{cidr: n}}
	var stored *api.IPAMHandle
	_, err := c.store.Create(ctx, obj)
	if err == nil {
		return nil
	}
	var exists *datastore.AlreadyExistsError
	if !errors.As(err, &exists) {
		return fmt.Errorf("creating IPAM handle %s: %w", handle, err)
	}
	if h, ok := exists.Existing.(*api.IPAMHandle); ok {
		stored = h
	}
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		if stored == nil {
			got, err := c.store.Get(ctx, handleKind, "", handle)
			if datastore.IsDoesNotExist(err) {
				if _, err = c.store.Create(ctx, obj); err == nil {
					return nil
				} else if !datastore.IsAlreadyExists(err) {
					return fmt.Errorf("creating IPAM handle %s: %w", handle, err)
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("reading IPAM handle %s: %w", handle, err)
			}
			stored = got.(*api.IPAMHandle)
		}
		if stored.Spec.Block == nil {
			stored.Spec.Block = map[string]int{}
		}
		stored.Spec.Block[cidr] += n
		stored.Spec.Deleted = false
		if _, err := c.store.Update(ctx, stored); err == nil {
			return nil
		} else if !datastore.IsConflict(err) && !datastore.IsDoesNotExist(err) {
			return fmt.Errorf("updating IPAM handle %s: %w", handle, err)
		}
		stored = nil
	}
	return fmt.Errorf("updating IPAM handle %s: too many concurrent changes", handle)
}

// decrementHandle removes n addresses of block cidr from a handle, deleting it when it counts
// no address any more. A missing handle is not an error (Calico tolerates over-counting).
func (c *Client) decrementHandle(ctx context.Context, handle, cidr string, n int) error {
	for attempt := 0; attempt < datastoreRetries; attempt++ {
		got, err := c.store.Get(ctx, handleKind, "", handle)
		if datastore.IsDoesNotExist(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading IPAM handle %s: %w", handle, err)
		}
		h := got.(*api.IPAMHandle)
		if h.Spec.Block[cidr] <= n {
			delete(h.Spec.Block, cidr)
		} else {
			h.Spec.Block[cidr] -= n
		}
		if len(h.Spec.Block) == 0 {
			err = c.deleteHandle(ctx, h)
		} else {
			_, err = c.store.Update(ctx, h)
		}
		if err == nil || datastore.IsDoesNotExist(err) {
			return nil
		}
		if !datastore.IsConflict(err) {
			return fmt.Errorf("updating IPAM handle %s: %w", handle, err)
		}
	}
	return fmt.Errorf("updating IPAM handle %s: too many concurrent changes", handle)
}

func (c *Client) deleteHandle(ctx context.Context, h *api.IPAMHandle) error {
	if d, ok := c.store.(datastore.KnownDeleter); ok {
		_, err := d.DeleteKnown(ctx, h)
		return err
	}
	_, err := c.store.Delete(ctx, handleKind, "", h.Name, h.ResourceVersion)
	return err
}
