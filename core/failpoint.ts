/**
 * Fail points: named places where a process can be made to die on purpose,
 * so crash tests hit the exact moment they are about (for instance between
 * an OpenSearch bulk response and the Kafka offset commit) instead of hoping
 * a random SIGKILL lands there.
 *
 * Off unless `VIGIL_FAILPOINTS` is set, as `name=N[,name=N]`: the process
 * kills itself with SIGKILL the N-th time it passes `name`. Nothing else reads
 * it; an unset variable costs one property lookup per call.
 */
const armed = parse(process.env.VIGIL_FAILPOINTS);

function parse(value: string | undefined): Map<string, number> | undefined {
  if (!value) return undefined;
  const points = new Map<string, number>();
  for (const part of value.split(',')) {
    const [name, count] = part.split('=');
    const n = Number(count ?? '1');
    if (name && Number.isInteger(n) && n > 0) points.set(name.trim(), n);
  }
  return points.size > 0 ? points : undefined;
}

/** The names in use, so a typo in a test is visible in code review. */
export type FailPoint = 'processor.before_commit' | 'correlator.before_commit';

export function failPoint(name: FailPoint): void {
  if (armed === undefined) return;
  const left = armed.get(name);
  if (left === undefined) return;
  if (left > 1) {
    armed.set(name, left - 1);
    return;
  }
  process.stderr.write(`Fail point ${name} reached: killing this process with SIGKILL.\n`);
  process.kill(process.pid, 'SIGKILL');
}
