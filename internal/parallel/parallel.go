// Package parallel spreads independent per-item work (decoding, validating) over all cores.
package parallel

import (
	"runtime"
	"sync"
)

// For calls f(i) for every i in [0, n), on all cores when n is at least minParallel and on the
// calling goroutine otherwise (starting goroutines costs more than a few items of work). f must
// only touch what belongs to item i.
func For(n, minParallel int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < minParallel || workers < 2 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(i)
			}
		}()
	}
	wg.Wait()
}
