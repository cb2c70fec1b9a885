# vmapsim: the two commands for a fresh machine are `make run` and `make test`.
NPM ?= npm
STAMP := node_modules/.install-stamp

.PHONY: all install build run test bench clean chromium

all: build

$(STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP)

build: install
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
