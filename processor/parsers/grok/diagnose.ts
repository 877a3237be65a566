/**
 * Why a line does not match an expression: the expression is cut into its
 * top-level parts (`%{IP:client}`, ` - `, `%{USER:ident}`, …) and ever
 * shorter prefixes are tried until one matches. The answer is the last part
 * that still matched, the part that did not, and where in the line that was.
 * For `vigil grok test`; too slow for the pipeline, by design.
 */
import { type CompiledExpression, compileExpression, type GrokAnchor } from './compiler.ts';
import { type OnigNode, parseOnig } from './onig.ts';
import type { PatternLibrary } from './pattern-library.ts';

export interface MismatchDiagnosis {
  /** How many top-level parts of the expression matched, in order. */
  matchedParts: number;
  totalParts: number;
  /** The longest prefix of the expression that matched, as written. */
  matchedPrefix?: string;
  /** The last part that matched, as written. */
  lastMatched?: string;
  /** The first part that did not match, as written. */
  failedPart?: string;
  /** Where the matching prefix starts and ends in the line (offsets). */
  matchStart?: number;
  matchEnd?: number;
}

export interface DiagnoseOptions {
  library: PatternLibrary;
  anchor?: GrokAnchor;
}

interface Part {
  start: number;
  end: number;
}

export function diagnoseMismatch(
  expression: string,
  line: string,
  options: DiagnoseOptions,
): MismatchDiagnosis {
  let tree: OnigNode;
  try {
    tree = parseOnig(expression);
  } catch {
    return { matchedParts: 0, totalParts: 0 };
  }
  // An expression that is one group, e.g. after `(?x)`, is cut inside the group.
  while (tree.type === 'group' && tree.kind === 'group' && tree.end === expression.length) tree = tree.body;
  const branches = tree.type === 'alt' ? tree.branches : [tree];
  let best: MismatchDiagnosis | undefined;
  for (const branch of branches) {
    const prefixStart = branches.length === 1 ? 0 : branch.start;
    const result = diagnoseBranch(expression, prefixStart, parts(branch), line, options);
    if (!best || result.matchedParts > best.matchedParts) best = result;
  }
  return best ?? { matchedParts: 0, totalParts: 0 };
}

/** The top-level parts of a branch, with runs of single characters and assertions kept together. */
function parts(branch: OnigNode): Part[] {
  const items = branch.type === 'seq' ? branch.items : [branch];
  const out: Part[] = [];
  let previousWasSimple = false;
  for (const item of items) {
    const simple = (item.type === 'set' && item.set.single !== undefined) || item.type === 'assert';
    const last = out[out.length - 1];
    if (simple && previousWasSimple && last) last.end = item.end;
    else out.push({ start: item.start, end: item.end });
    previousWasSimple = simple;
  }
  return out;
}

function diagnoseBranch(
  expression: string,
  prefixStart: number,
  branchParts: Part[],
  line: string,
  options: DiagnoseOptions,
): MismatchDiagnosis {
  const total = branchParts.length;
  for (let count = total - 1; count >= 1; count--) {
    const prefix = expression.slice(prefixStart, (branchParts[count - 1] as Part).end);
    let compiled: CompiledExpression;
    try {
      compiled = compileExpression(prefix, {
        library: options.library,
        anchor: options.anchor ?? 'none',
        unsafe: 'allow',
      });
    } catch {
      continue;
    }
    const m = compiled.regex.exec(line);
    if (m === null) continue;
    const lastPart = branchParts[count - 1] as Part;
    const failed = branchParts[count] as Part;
    return {
      matchedParts: count,
      totalParts: total,
      matchedPrefix: prefix,
      lastMatched: expression.slice(lastPart.start, lastPart.end),
      failedPart: expression.slice(failed.start, failed.end),
      matchStart: m.index,
      matchEnd: m.index + m[0].length,
    };
  }
  const first = branchParts[0];
  return first
    ? { matchedParts: 0, totalParts: total, failedPart: expression.slice(first.start, first.end) }
    : { matchedParts: 0, totalParts: 0 };
}
