package lazyregexp

import (
	"slices"
	"sync"
	"testing"
)

func TestCompilesOnFirstUseAndMatchesAsRegexp(t *testing.T) {
	re := New(`^a(\d+)$`)
	if re.re != nil {
		t.Fatal("compiled before first use")
	}
	if re.String() != `^a(\d+)$` || re.re != nil {
		t.Fatalf("String() = %q, or it compiled", re.String())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !re.MatchString("a12") || re.MatchString("b12") {
				t.Error("MatchString")
			}
			if m := re.FindStringSubmatch("a12"); !slices.Equal(m, []string{"a12", "12"}) {
				t.Errorf("FindStringSubmatch = %q", m)
			}
		}()
	}
	wg.Wait()
}

func TestInvalidPatternPanicsOnUse(t *testing.T) {
	re := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	re.MatchString("")
}
