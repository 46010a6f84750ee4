package client

import (
	"context"
	"hash/fnv"
	"sync"

	"github.com/calicoctl-go/calicoctl/pkg/resources"
)

// Concurrency is how many requests a batch keeps in flight. A local etcd serves about twice as
// many writes a second at 8-64 concurrent requests as one at a time.
const Concurrency = 32

// serialKinds are kinds whose writes check their siblings (an IP pool must not overlap another),
// so a batch writes them one at a time.
var serialKinds = map[string]bool{"IPPool": true}

// Batch runs op on every object and returns the per-object errors, index for index. The outcome
// is the one a one-at-a-time run in file order would give:
//   - consecutive objects of one kind run concurrently, but the run of one kind finishes before
//     the next kind starts (a Tier is created before the policies that follow it);
//   - objects with the same kind, namespace and name go to the same worker, in order.
func Batch(ctx context.Context, objs []resources.Resource, op func(ctx context.Context, obj resources.Resource) error) []error {
	errs := make([]error, len(objs))
	for start := 0; start < len(objs); {
		kind := objs[start].GetObjectKind().GroupVersionKind().Kind
		end := start + 1
		for end < len(objs) && objs[end].GetObjectKind().GroupVersionKind().Kind == kind {
			end++
		}
		workers := Concurrency
		if serialKinds[kind] {
			workers = 1
		}
		runGroup(ctx, objs[start:end], errs[start:end], workers, op)
		start = end
	}
	return errs
}

func runGroup(ctx context.Context, objs []resources.Resource, errs []error, workers int, op func(context.Context, resources.Resource) error) {
	if workers > len(objs) {
		workers = len(objs)
	}
	if workers <= 1 {
		for i, obj := range objs {
			errs[i] = op(ctx, obj)
		}
		return
	}
	queues := make([]chan int, workers)
	var wg sync.WaitGroup
	for w := range queues {
		queues[w] = make(chan int, 64)
		wg.Add(1)
		go func(q chan int) {
			defer wg.Done()
			for i := range q {
				errs[i] = op(ctx, objs[i])
			}
		}(queues[w])
	}
	for i, obj := range objs {
		h := fnv.New32a()
		h.Write([]byte(obj.GetNamespace()))
		h.Write([]byte{0})
		h.Write([]byte(obj.GetName()))
		queues[h.Sum32()%uint32(workers)] <- i
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
}
