/**
 * `npm test`: everything a change must pass, in one command.
 *
 *   1. makes sure the development stack (Kafka, OpenSearch, Redis) runs —
 *      `scripts/stack.ts up`, a no-op when it already does;
 *   2. lint (Biome) and type-check (tsc), each counted as one check;
 *   3. the unit and integration test projects (vitest).
 *
 * It ends with one summary line, `N passed, N failed`, counting every test
 * and check. Skipped or todo tests count as failed: nothing is passed by
 * not running. Set VIGIL_TEST_NO_STACK=1 to leave the stack alone, and pass
 * vitest arguments after `--` (e.g. `npm test -- --project unit`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const node = process.execPath;
const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function check(title: string, command: string, args: string[]): void {
  if (step(title, command, args) === 0) passed += 1;
  else {
    failed += 1;
    process.stdout.write(`${title} failed.\n`);
  }
}

if (process.env.VIGIL_TEST_NO_STACK !== '1' && !extra.includes('unit')) {
  if (step('Development stack', node, [join(root, 'scripts', 'stack.ts'), 'up']) !== 0) {
    process.stdout.write('The development stack did not start; integration tests will fail.\n');
  }
}

check('Lint (Biome)', bin('biome'), ['check', '.']);
check('Type-check (tsc)', bin('tsc'), ['-p', '.']);

const reportDir = join(root, 'test-results');
const report = join(reportDir, 'vitest.json');
mkdirSync(reportDir, { recursive: true });
rmSync(report, { force: true });
// Run vitest on this same Node (24), not whatever `node` the shell finds first.
const vitestStatus = step(
  'Tests (vitest: unit and integration)',
  node,
  [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...extra],
  {
    VIGIL_TEST_REPORT: report,
  },
);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numPendingTests + r.numTodoTests;
  if (r.numPendingTests + r.numTodoTests > 0) {
    process.stdout.write(
      `${r.numPendingTests + r.numTodoTests} skipped or todo tests are counted as failed.\n`,
    );
  }
  if (vitestStatus !== 0 && r.numFailedTests === 0) {
    failed += 1;
    process.stdout.write(
      'vitest failed outside any test (setup or unhandled error); counted as one failure.\n',
    );
  }
} else {
  failed += 1;
  process.stdout.write('vitest wrote no report; counted as one failure.\n');
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
