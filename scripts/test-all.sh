#!/usr/bin/env bash
# The whole test suite (`npm test`): static checks, build, then every test tier in order.
# A tier whose prerequisites are missing fails with a message naming them; none is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step 'typecheck' && npx tsc -p tsconfig.json --noEmit
step 'lint' && npx eslint .
step 'format' && npx prettier --check .
step 'build' && npm run build --silent

step 'tiers: unit, engine, cluster-sim'
npx vitest run --project unit --project engine --project cluster-sim

for tier in netns lab; do
  if compgen -G "test/$tier/*.test.ts" >/dev/null; then
    step "tier: $tier"
    npx vitest run --project "$tier" --no-file-parallelism
  fi
done
