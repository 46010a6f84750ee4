#!/usr/bin/env bash
# Builds a real kube-apiserver for tests into bin/kube-apiserver, from the separate Go module in
# test/kube-apiserver (k8s.io/kubernetes from the Go module proxy). Skips the build when the binary
# is newer than that module's go.mod, go.sum and main.go. The first build takes a few minutes;
# later ones come from the Go build cache.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/kube-apiserver"
out="$root/bin/kube-apiserver"

if [[ -x "$out" && "$out" -nt "$src/go.mod" && "$out" -nt "$src/go.sum" && "$out" -nt "$src/main.go" ]]; then
	echo "kube-apiserver: up to date ($out)"
	exit 0
fi

mkdir -p "$root/bin"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$SECONDS
# Build to a temporary name so that an interrupted build never leaves a half-written binary
# that looks up to date.
# Stamp the upstream version so that `kube-apiserver --version` and /version tell the truth.
version="$(cd "$src" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
if ! (cd "$src" && go build -trimpath -ldflags="$ldflags" -o "$out.tmp" .) >"$log" 2>&1; then
	echo "kube-apiserver: build FAILED in $src:" >&2
	cat "$log" >&2
	rm -f "$out.tmp"
	exit 1
fi
mv -f "$out.tmp" "$out"
echo "kube-apiserver: built $out in $((SECONDS - start))s"
