// Package version holds the build's version, set at link time.
package version

import (
	"strings"
)

var (
	// Version is the Calico API level this build implements; `make` sets it with -ldflags.
	Version = "v3.32.0"
	// GitCommit is the commit the binary was built from.
	GitCommit = "unknown"
)

// MajorMinor returns "3.32" for "v3.32.0", "3.32.1-5-gabc" or "3.32": the part of a version that
// must agree between client and cluster.
func MajorMinor(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	v, _, _ = strings.Cut(v, "-")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}
