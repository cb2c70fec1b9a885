# vmapsim: the two commands for a fresh machine are `make run` and `make test`.
NPM ?= npm
STAMP := node_modules/.install-stamp

.PHONY: all install build wasm run test bench clean chromium

all: build

$(STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP)

# The wasm cores (AssemblyScript, docs/wasm.md): one module per version with a
# core, rebuilt when any AssemblyScript source changes (the binding also
# rebuilds a stale core at load). asc, then binaryen's wasm-opt with the
# inlining of kernel/mm/vmalloc/wasm/build.ts (WASM_OPT_FLAGS; docs/wasm.md,
# "The build: inlining").
AS_SRC := $(wildcard kernel/include/linux/as/*.ts kernel/lib/rbtree/as/*.ts kernel/mm/vmalloc/as/*.ts)
WASM_OPT_FLAGS := --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int \
  -O3 --always-inline-max-function-size 3000 --flexible-inline-max-function-size 3000 \
  --one-caller-inline-max-function-size 5000 --inline-functions-with-loops
WASM_CORES := $(patsubst kernel/mm/vmalloc/as/%.exports.ts,dist/wasm/%.wasm,$(wildcard kernel/mm/vmalloc/as/*.exports.ts))

dist/wasm/%.wasm: kernel/mm/vmalloc/as/%.exports.ts $(AS_SRC) $(STAMP)
	@mkdir -p dist/wasm
	npx asc $< -o $@.asc.wasm --runtime stub -O3 --noAssert --disableWarning
	node node_modules/binaryen/bin/wasm-opt $@.asc.wasm -o $@ $(WASM_OPT_FLAGS)
	@rm -f $@.asc.wasm

wasm: $(WASM_CORES)

build: install $(WASM_CORES)
	npx tsc -p tsconfig.json
	@chmod +x dist/scripts/vmapsim.js
	@ln -sf ../../dist/scripts/vmapsim.js node_modules/.bin/vmapsim

run: build
	node dist/scripts/vmapsim.js main --html out/vmapsim-report.html

test: build chromium
	npx mocha 'test/**/*.test.ts'

# The allocator-only bench, then the floor (the same search loops in C and JS) from the same host.
bench: build
	node dist/scripts/vmapsim.js bench
	node dist/scripts/vmapsim.js bench floor

# The HTML report test drives Debian's chromium headless (playwright-core).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the HTML report test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf dist
