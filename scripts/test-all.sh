#!/usr/bin/env bash
# The whole test suite (`npm test`): static checks, build, then every test tier in order.
# A tier whose prerequisites are missing fails with a message naming them; none is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

results=.test-results
rm -rf "$results" && mkdir -p "$results"
step() { printf '\n=== %s\n' "$*"; }
# Each tier also writes vitest's JSON report, summed into one closing line at the end.
tier() {
  local name=$1 t0=$SECONDS
  shift
  npx vitest run "$@" --reporter=default --reporter=json --outputFile="$results/$name.json"
  printf '=== tier %s took %d s\n' "$name" $((SECONDS - t0))
}

step 'typecheck' && npx tsc -p tsconfig.json --noEmit
step 'lint' && npx eslint .
step 'format' && npx prettier --check .
step 'build' && npm run build --silent

step 'tiers: unit, engine, cluster-sim'
tier fast --project unit --project engine --project cluster-sim

# The chaos tier's bound: ~40 s a schedule on a 2-core machine, so 12 take ~8 min (docs/chaos-tests.md).
export CHAOS_SCHEDULES="${CHAOS_SCHEDULES:-12}"
for t in netns chaos lab; do
  if compgen -G "test/$t/*.test.ts" >/dev/null; then
    step "tier: $t"
    tier "$t" --project "$t" --no-file-parallelism
  fi
done

node -e '
const fs = require("fs");
let passed = 0, failed = 0;
for (const f of fs.readdirSync(process.argv[1])) {
  const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests;
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
' "$results"
