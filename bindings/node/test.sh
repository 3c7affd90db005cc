#!/usr/bin/env bash
# Builds the Node.js binding (npm install runs scripts/build.js: cargo build --release in the
# workspace target dir) and runs its tests with Node's test runner. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
npm test
