/**
 * Runs every DRBD capture scenario against the lab and writes test/fixtures/real/:
 * /proc/drbd snapshots, command outputs (stdout/stderr/rc), events2 streams, kernel messages and the
 * per-scenario capture records (records/<scenario>.json, the reference for the fidelity test).
 * Entry point of scripts/lab/capture-fixtures. Usage: capture-fixtures [scenario-name ...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DRBD_SCENARIOS } from '../scenarios/drbd-scenarios.js';
import { runScenario } from '../scenarios/scenario.js';
import { fixtureFiles } from './fixture-files.js';
import { Lab, PROJECT_ROOT } from './lab.js';
import { LabTarget } from './lab-target.js';

const outDir = path.join(PROJECT_ROOT, 'test/fixtures/real');
const wanted = process.argv.slice(2);
const scenarios = wanted.length ? DRBD_SCENARIOS.filter((s) => wanted.includes(s.name)) : DRBD_SCENARIOS;
if (scenarios.length === 0) throw new Error(`no scenario named ${wanted.join(', ')}`);

const started = Date.now();
const lab = await Lab.start({ share: false });
console.log(`lab booted in ${Date.now() - started} ms`);
let failed = false;
try {
  const target = new LabTarget(lab);
  mkdirSync(path.join(outDir, 'records'), { recursive: true });
  for (const scenario of scenarios) {
    const t0 = Date.now();
    const record = await runScenario(target, scenario, target);
    const files = fixtureFiles(record);
    for (const f of files) writeFileSync(path.join(outDir, f.name), f.text);
    const { extras: _extras, ...plain } = record;
    writeFileSync(
      path.join(outDir, 'records', `${scenario.name}.json`),
      `${JSON.stringify(plain, null, 2)}\n`,
    );
    console.log(
      `${scenario.name}: ${record.ok ? 'ok' : 'PROBLEMS'} (${files.length} files, ${Date.now() - t0} ms)`,
    );
    for (const s of record.steps)
      for (const p of s.problems) console.log(`  step ${s.index} '${s.label}': ${p}`);
    if (!record.ok) failed = true;
  }
} finally {
  await lab.stop({ keepLogs: failed });
}
console.log(`capture done in ${Date.now() - started} ms`);
if (failed) process.exitCode = 1;
