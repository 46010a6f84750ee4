# Two commands do all the set-up on a fresh machine with Go:
#   make run    builds calicoctl, starts its embedded etcd, applies testdata/quickstart/ and shows it
#   make test   builds what the tests need (including a real kube-apiserver, cached in bin/) and runs them

GO        ?= go
BIN       := bin
VERSION   ?= v3.32.0
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X github.com/calicoctl-go/calicoctl/pkg/version.Version=$(VERSION) -X github.com/calicoctl-go/calicoctl/pkg/version.GitCommit=$(COMMIT)
FUZZTIME  ?= 10s

.PHONY: all build run test unit fuzz bench kube-apiserver vet generate clean

all: build

# calicoctl carries the etcd of `datastore serve` as an embedded program, so that its own start-up
# does not pay for linking etcd's server.
build:
	$(GO) build -trimpath -ldflags '-s -w' -o $(BIN)/calicoctl-etcd ./cmd/calicoctl-etcd
	gzip -c $(BIN)/calicoctl-etcd > internal/etcdpayload/bin/calicoctl-etcd.gz
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/calicoctl ./cmd/calicoctl
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/calico-ipam ./cmd/calico-ipam

run: build
	hack/quickstart.sh

kube-apiserver:
	hack/build-kube-apiserver.sh

# The CRD manifests of the Kubernetes datastore, generated from pkg/resources/api (a test checks
# that the committed ones are current).
generate:
	$(GO) run ./hack/gencrds -out manifests/crds

vet:
	$(GO) vet ./...

unit: build kube-apiserver
	$(GO) test -count=1 ./...

# Short runs of the fuzz targets: the manifest decoder and the selector parser.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./pkg/manifest
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/resources/selector

test: vet unit fuzz

bench: build kube-apiserver
	$(GO) run ./hack/bench -out docs/performance.md

clean:
	rm -rf $(BIN) .data internal/etcdpayload/bin/calicoctl-etcd.gz
