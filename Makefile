# Dozor's developer commands. `make help` lists them.

GO       ?= go
BIN      := bin/dozor
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 10s
# golangci-lint, pinned; `make lint` installs it into bin/tools (see .golangci.yml).
GOLANGCI_VERSION := v2.15.0
GOLANGCI := bin/tools/golangci-lint-$(GOLANGCI_VERSION)

.PHONY: help build demo test test-go fuzz lint docs bench bench-vuln bench-access bench-cluster bench-images clean cluster

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/dozor
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dozor

DEMODB = $(CURDIR)/bin/demo-vuln.db

demo: build ## start a seeded test cluster, take its inventory, match its components against vulnerability data, and scan it (builds the cluster's components the first time)
	@if [ -d ../shared/data/osv ]; then $(BIN) db import --db $(DEMODB) ../shared/data >/dev/null; \
	  else $(BIN) db update --db $(DEMODB) --partial >/dev/null || echo "demo: no vulnerability data could be fetched: components are not checked"; fi
	cd test/cluster && $(GO) run ./cmd/testcluster run -seed -- \
	  sh -c '$(CURDIR)/$(BIN) inventory && { $(CURDIR)/$(BIN) components --db $(DEMODB); $(CURDIR)/$(BIN) access paths; $(CURDIR)/$(BIN) scan cluster --fail-on none --db $(DEMODB); }'

test: lint test-go fuzz ## run every test: lint, unit and integration tests, a short fuzz run

# Live-cluster tests build etcd and the control plane the first time (about
# ten minutes on two cores, cached after): hence the long timeout.
test-go:
	$(GO) test -count=1 -timeout 40m ./...
	cd test/cluster && $(GO) vet ./... && $(GO) test -count=1 ./...

# Each run of FuzzSnapshot writes a file: minimizing its new inputs (60 s
# each by default) would take the whole run, and fail it when time is up.
fuzz: ## fuzz the decoder, the fast YAML parser and locator against yaml.v3, the snapshot reader, the vulnerability sources and version order, image layers, dpkg control files, SBOM documents, lockfiles and archives of each ecosystem, FUZZTIME each (default 10s)
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzDecode ./k8s/manifest
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzFastParse ./k8s/manifest
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzWalkLocate ./k8s/manifest
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzSnapshot ./snapshot -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzSources ./vuln -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzCompare ./vuln -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzWalk ./image -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzStanzas ./sbom/os/dpkg -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzRead ./sbom/format -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzCheck ./sbom/os/rpm/internal/guard -fuzzminimizetime 1s
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzRead ./sbom/os/rpm/internal/guard -fuzzminimizetime 1s
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzNPM ./sbom/lang/nodelock -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzYarn ./sbom/lang/nodelock -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzPnpm ./sbom/lang/nodelock -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzCargoLock ./sbom/lang/rust -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzAuditJSON ./sbom/lang/rust -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzSniff ./sbom/lang/rust -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzArchive ./sbom/lang/java -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzMetadata ./sbom/lang/python -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzRequirements ./sbom/lang/python -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzTOMLPackages ./sbom/lang/python -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzGemspec ./sbom/lang/ruby -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzGemfileLock ./sbom/lang/ruby -fuzzminimizetime 1x
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash test/fuzz.sh FuzzManifest ./sbom/lang/java -fuzzminimizetime 1x

lint: $(GOLANGCI) ## gofmt, go vet and golangci-lint
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI) run ./...

$(GOLANGCI):
	mkdir -p bin/tools
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv bin/tools/golangci-lint $@

docs: ## regenerate docs/checks.md from the check registry
	$(GO) run ./cmd/dozor checks -o markdown > docs/checks.md

bench: ## measure scan speed and memory on a 22,000-object corpus (needs ../shared)
	bash bench/run.sh

bench-vuln: ## measure db import of ../shared/data and component matching of a 1,000-node inventory
	bash bench/vuln.sh

bench-images: ## Dozor, Syft and Trivy side by side: SBOM time, memory and coverage on Debian 12 root file systems and an OCI layout (builds Syft and Trivy the first time; docs/benchmarks.md)
	bash bench/images/compare.sh

bench-access: ## measure the access analysis (who-can, risks, escalation paths) on 10,000 roles and bindings and 5,000 service accounts
	bash bench/access.sh

bench-cluster: ## measure inventory and scan of a real test cluster of 50,000 more objects against kubectl
	bash bench/cluster.sh

cluster: ## start a seeded test cluster (real etcd and control plane, built from source the first time)
	cd test/cluster && $(GO) run ./cmd/testcluster up -seed

clean: ## remove build output
	rm -rf bin
