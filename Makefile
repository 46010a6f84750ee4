# Two commands do all the set-up on a fresh machine with Go:
#   make run    builds everything, starts the embedded etcd and walks through testdata/quickstart/,
#               IPAM, policy trace and (as root) three node agents
#   make test   builds what the tests need (including a real kube-apiserver, cached in bin/) and runs them

GO        ?= go
BIN       := bin
VERSION   ?= v3.32.0
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X github.com/calicoctl-go/calicoctl/pkg/version.Version=$(VERSION) -X github.com/calicoctl-go/calicoctl/pkg/version.GitCommit=$(COMMIT)
FUZZTIME  ?= 10s
# The node agent and the CNI plugin are static (no libc mapped) and built without gRPC's
# x/net/trace, whose html/template import stops the linker from dropping unused methods (agent:
# 32 MB -> 27 MB of binary, most of which is resident: docs/performance.md, Node agent).
NODE_TAGS ?= grpcnotrace

.PHONY: all build run test unit fuzz bench kube-apiserver vet generate clean test-tools test-deps node-test-packages install-kubectl-plugin dcos-plugin docs

all: build

# calicoctl carries the etcd of `datastore serve` as an embedded program, so that its own start-up
# does not pay for linking etcd's server.
build:
	$(GO) build -trimpath -ldflags '-s -w' -o $(BIN)/calicoctl-etcd ./cmd/calicoctl-etcd
	gzip -c $(BIN)/calicoctl-etcd > internal/etcdpayload/bin/calicoctl-etcd.gz
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/calicoctl ./cmd/calicoctl
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(NODE_TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/calico-node ./cmd/calico-node
	# The CNI plugin runs once per container: a static binary starts without the dynamic loader,
	# and without x/net/trace it is 5 MB smaller (fewer pages to fault in at every start).
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(NODE_TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/calico-ipam ./cmd/calico-ipam

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

unit: build kube-apiserver test-tools test-deps node-test-packages
	CALICOCTL_REQUIRE_ETCD=1 $(GO) test -count=1 ./...

# Debian's etcd, which the fault tests run as a process.
test-deps:
	hack/test-deps.sh

# The node agent's tests run Debian's BIRD as a BGP peer in network namespaces (ip).
node-test-packages:
	hack/ensure-node-test-packages.sh

# Short runs of the fuzz targets: the manifest decoder, the selector parser and the v1 converter.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./pkg/manifest
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/resources/selector
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./pkg/convert

test: vet unit fuzz

bench: build kube-apiserver
	$(GO) run ./hack/bench -out docs/performance.md

# kubectl and bash-completion for the plugin and completion tests (Debian packages, when missing).
test-tools:
	hack/install-test-tools.sh

# `kubectl calico ...`: kubectl runs any kubectl-<name> on PATH as a plugin.
PREFIX ?= /usr/local
# kubectl 1.26 and later complete `kubectl calico ...` through kubectl_complete-calico.
install-kubectl-plugin: build
	install -D -m 0755 $(BIN)/calicoctl $(DESTDIR)$(PREFIX)/bin/kubectl-calico
	ln -sf kubectl-calico $(DESTDIR)$(PREFIX)/bin/kubectl_complete-calico

# `dcos calico ...`: the DC/OS CLI plugin package (env/plugin.toml, env/bin/dcos-calico, bash
# completion), installed with `dcos plugin add bin/dcos-calico.zip`.
dcos-plugin: build
	$(GO) run ./hack/dcosplugin -bin $(BIN)/calicoctl -out $(BIN)/dcos-calico.zip

# The command reference, docs/commands/, generated from the command tree (a test fails when stale).
docs:
	$(GO) run ./hack/gendocs -out docs/commands

clean:
	rm -rf $(BIN) .data internal/etcdpayload/bin/calicoctl-etcd.gz
