/**
 * Two load-time checks on an expanded grok expression, both about keeping
 * one unlucky line from stalling a processor (see budget.ts for the runtime
 * side and the README for the whole picture).
 *
 * 1. `linearFallback`: whether V8 can hand the regex over to its linear-time
 *    engine when it backtracks too much. Node 24 has that engine
 *    (`--enable-experimental-regexp-engine-on-excessive-backtracks`, switched
 *    on by budget.ts), but it takes only regexes without look-ahead,
 *    back-references (so no emulated atomic groups or possessive
 *    quantifiers), captures inside look-behind, the `i`/`u`/`v` flags, and
 *    with little counted repetition. This mirrors V8's own test
 *    (`ExperimentalRegExp::CanBeHandled`, V8 13.6); a unit test checks the
 *    prediction against the real engine.
 *
 * 2. `ambiguousLoops`: repetitions that can match one string in exponentially
 *    many ways, the cause of catastrophic backtracking (`(a+)+`, `(a|a)*`,
 *    `(\w+\s?)*`). For each repetition it builds the position (Glushkov)
 *    automaton of the repeated part, keeping count of the distinct ways each
 *    transition arises, and looks in the automaton's square for a strongly
 *    connected component that holds both a state pair (q, q) and either a pair
 *    (p, p′) with p ≠ p′ or a transition that arises in two ways: two distinct
 *    cycles on the same input, which is exactly exponential ambiguity
 *    (Allauzen, Mohri and Rastogi, 2008; Weideman et al., 2016).
 *
 * Limits, deliberately on the cautious side:
 * - Counted repetitions up to 16 (`{1,4}`) are expanded into copies, exactly;
 *   larger ones (`{0,62}`) are treated as unbounded, so `(a|a){30}` is
 *   flagged (2^30 ways) and so is the harmless `(a|ab){0,20}`. A repetition
 *   of at most 16 is never flagged on its own: its cost is bounded.
 * - An atomic group or possessive repetition is one opaque step matching any
 *   of its characters; look-arounds, anchors and back-references match
 *   nothing. Ambiguity that depends on them can be missed or overstated.
 * - Polynomial blow-up (`.*.*.*x` on a long line) is not exponential and is
 *   not reported; the runtime budget handles it.
 * - Repetitions with more than 2,000 positions are not analysed.
 */
import { CharSet } from './charset.ts';
import { nullable, type OnigNode, type PatternOrigin } from './onig.ts';

export interface AmbiguousLoop {
  /** The repetition as written. */
  text: string;
  origin: PatternOrigin;
  start: number;
  end: number;
}

export interface SafetyReport {
  /** V8's linear-time engine can take over this regex. */
  linearFallback: boolean;
  /** Why it cannot, when it cannot. */
  linearFallbackBlocker?: string;
  ambiguousLoops: AmbiguousLoop[];
}

/** V8's `kMaxReplicationFactor`. */
const MAX_REPLICATION = 16;
const MAX_POSITIONS = 2_000;
/** Counted repetitions up to this are expanded into copies in the automaton. */
const EXPAND_LIMIT = 16;
const MAX_PAIRS = 500_000;

export function analyseSafety(root: OnigNode, origin: PatternOrigin): SafetyReport {
  const blocker = linearFallbackBlocker(root, 1, false);
  const ambiguousLoops: AmbiguousLoop[] = [];
  findAmbiguousLoops(root, origin, ambiguousLoops, false);
  return blocker === undefined
    ? { linearFallback: true, ambiguousLoops }
    : { linearFallback: false, linearFallbackBlocker: blocker, ambiguousLoops };
}

/** The first reason V8's linear engine would refuse the regex printed from `node`, or undefined. */
function linearFallbackBlocker(
  node: OnigNode,
  replication: number,
  inLookbehind: boolean,
): string | undefined {
  switch (node.type) {
    case 'seq':
      for (const item of node.items) {
        const reason = linearFallbackBlocker(item, replication, inLookbehind);
        if (reason) return reason;
      }
      return undefined;
    case 'alt':
      for (const branch of node.branches) {
        const reason = linearFallbackBlocker(branch, replication, inLookbehind);
        if (reason) return reason;
      }
      return undefined;
    case 'set':
      return undefined;
    case 'assert':
      return node.kind === 'end-or-final-newline' ? '\\Z (printed as a look-ahead)' : undefined;
    case 'backref':
      return 'a back-reference';
    case 'grok':
      return undefined;
    case 'capture':
      return inLookbehind
        ? 'a capture inside a look-behind'
        : linearFallbackBlocker(node.body, replication, false);
    case 'ref':
      if (inLookbehind && node.field !== undefined) return 'a capture inside a look-behind';
      return linearFallbackBlocker(node.body, replication, inLookbehind);
    case 'group':
      switch (node.kind) {
        case 'group':
          return linearFallbackBlocker(node.body, replication, inLookbehind);
        case 'atomic':
          return 'an atomic group (printed as a look-ahead and a back-reference)';
        case 'lookahead':
        case 'negative-lookahead':
          return 'a look-ahead';
        case 'lookbehind':
        case 'negative-lookbehind':
          if (inLookbehind) return 'a look-behind inside a look-behind';
          return linearFallbackBlocker(node.body, replication, true);
      }
      return undefined;
    case 'repeat': {
      if (node.mode === 'possessive')
        return 'a possessive quantifier (printed as a look-ahead and a back-reference)';
      if (node.min > MAX_REPLICATION || (Number.isFinite(node.max) && node.max > MAX_REPLICATION)) {
        return `a repetition count above ${MAX_REPLICATION} ({${node.min},${Number.isFinite(node.max) ? node.max : ''}})`;
      }
      let local: number;
      if (!Number.isFinite(node.max))
        local = node.min > 0 && !nullable(node.body) ? Math.max(node.min, 1) : node.min + 1;
      else local = node.max;
      const factor = replication * local;
      if (factor > MAX_REPLICATION)
        return `nested counted repetitions (replication ${factor} > ${MAX_REPLICATION})`;
      return linearFallbackBlocker(node.body, factor, inLookbehind);
    }
  }
}

/**
 * Finds the ambiguous repetitions. A repetition is analysed as a whole
 * (repetitions nested in it are part of its automaton); atomic groups,
 * possessive repetitions and look-arounds inside it are opaque there, so
 * their insides are searched separately.
 */
function findAmbiguousLoops(
  node: OnigNode,
  origin: PatternOrigin,
  out: AmbiguousLoop[],
  inLoop: boolean,
): void {
  switch (node.type) {
    case 'seq':
      for (const item of node.items) findAmbiguousLoops(item, origin, out, inLoop);
      return;
    case 'alt':
      for (const branch of node.branches) findAmbiguousLoops(branch, origin, out, inLoop);
      return;
    case 'capture':
      findAmbiguousLoops(node.body, origin, out, inLoop);
      return;
    case 'ref':
      findAmbiguousLoops(node.body, node.origin, out, inLoop);
      return;
    case 'group':
      // Opaque inside an analysed loop: its inside is a fresh context.
      findAmbiguousLoops(node.body, origin, out, node.kind === 'group' ? inLoop : false);
      return;
    case 'repeat':
      if (node.mode === 'possessive') {
        findAmbiguousLoops(node.body, origin, out, false);
        return;
      }
      if (node.max > EXPAND_LIMIT && !inLoop) {
        if (isAmbiguousLoop(node.body)) {
          out.push({
            text: origin.text.slice(node.start, node.end),
            origin,
            start: node.start,
            end: node.end,
          });
        }
        findAmbiguousLoops(node.body, origin, out, true);
        return;
      }
      findAmbiguousLoops(node.body, origin, out, inLoop);
      return;
    default:
      return;
  }
}

interface Built {
  nullable: boolean;
  first: number[];
  last: number[];
}

const EMPTY: Built = { nullable: true, first: [], last: [] };

class PositionAutomaton {
  readonly sets: CharSet[] = [];
  /** follow[p]: next position → in how many distinct ways the transition arises. */
  readonly follow: Map<number, number>[] = [];
  tooLarge = false;

  private position(set: CharSet): number {
    if (this.sets.length >= MAX_POSITIONS) this.tooLarge = true;
    this.sets.push(set);
    this.follow.push(new Map());
    return this.sets.length - 1;
  }

  link(from: readonly number[], to: readonly number[]): void {
    for (const p of from) {
      const next = this.follow[p] as Map<number, number>;
      for (const q of to) next.set(q, (next.get(q) ?? 0) + 1);
    }
  }

  build(node: OnigNode): Built {
    switch (node.type) {
      case 'set': {
        const p = this.position(node.set);
        return { nullable: false, first: [p], last: [p] };
      }
      case 'assert':
      case 'backref':
      case 'grok':
        return { nullable: true, first: [], last: [] };
      case 'seq': {
        let acc = EMPTY;
        for (const item of node.items) acc = this.concat(acc, this.build(item));
        return acc;
      }
      case 'alt': {
        const built = node.branches.map((branch) => this.build(branch));
        return {
          nullable: built.some((b) => b.nullable),
          first: built.flatMap((b) => b.first),
          last: built.flatMap((b) => b.last),
        };
      }
      case 'capture':
      case 'ref':
        return this.build(node.body);
      case 'group':
        if (node.kind === 'group') return this.build(node.body);
        if (node.kind === 'atomic') return this.opaque(node.body, nullable(node.body));
        return { nullable: true, first: [], last: [] };
      case 'repeat': {
        if (node.mode === 'possessive') return this.opaque(node.body, node.min === 0 || nullable(node.body));
        if (node.max === 0) return EMPTY;
        if (node.max <= EXPAND_LIMIT) {
          // `x{2,4}` as `x x (?:x (?:x)?)?`: the same strings, each in exactly one way.
          let acc = EMPTY;
          for (let i = 0; i < node.min; i++) acc = this.concat(acc, this.build(node.body));
          return this.concat(acc, this.optionalCopies(node.body, node.max - node.min));
        }
        const body = this.build(node.body);
        this.link(body.last, body.first);
        return { nullable: body.nullable || node.min === 0, first: body.first, last: body.last };
      }
    }
  }

  private concat(a: Built, b: Built): Built {
    this.link(a.last, b.first);
    return {
      nullable: a.nullable && b.nullable,
      first: a.nullable ? [...a.first, ...b.first] : a.first,
      last: b.nullable ? [...a.last, ...b.last] : b.last,
    };
  }

  /** `(?:x(?:x(?:x)?)?)?` with `count` copies of x. */
  private optionalCopies(body: OnigNode, count: number): Built {
    if (count === 0 || this.tooLarge) return EMPTY;
    const head = this.build(body);
    const rest = this.optionalCopies(body, count - 1);
    const both = this.concat(head, rest);
    return { nullable: true, first: both.first, last: both.last };
  }

  /** An atomic part: one step over any of its characters. */
  private opaque(body: OnigNode, isNullable: boolean): Built {
    const set = charactersOf(body);
    if (set.isEmpty) return { nullable: true, first: [], last: [] };
    const p = this.position(set);
    return { nullable: isNullable, first: [p], last: [p] };
  }
}

function charactersOf(node: OnigNode): CharSet {
  switch (node.type) {
    case 'set':
      return node.set;
    case 'seq':
      return node.items.reduce((acc, item) => acc.union(charactersOf(item)), CharSet.EMPTY);
    case 'alt':
      return node.branches.reduce((acc, branch) => acc.union(charactersOf(branch)), CharSet.EMPTY);
    case 'capture':
    case 'ref':
    case 'repeat':
      return charactersOf(node.body);
    case 'group':
      return node.kind === 'group' || node.kind === 'atomic' ? charactersOf(node.body) : CharSet.EMPTY;
    default:
      return CharSet.EMPTY;
  }
}

/** Whether repeating `body` is exponentially ambiguous (see the module comment). */
export function isAmbiguousLoop(body: OnigNode): boolean {
  const automaton = new PositionAutomaton();
  const built = automaton.build(body);
  automaton.link(built.last, built.first);
  if (automaton.tooLarge) return false;
  const n = automaton.sets.length;
  const sets = automaton.sets;
  const follow = automaton.follow;

  // The square of the automaton, restricted to pairs reachable on a common input.
  const index = new Map<number, number>();
  const pairs: number[] = [];
  const edges: { to: number; multiple: boolean }[][] = [];
  const queue: number[] = [];
  const visit = (p: number, q: number): number => {
    const key = p * n + q;
    let id = index.get(key);
    if (id === undefined) {
      id = pairs.length;
      index.set(key, id);
      pairs.push(key);
      edges.push([]);
      queue.push(id);
    }
    return id;
  };
  for (const p of built.first) {
    for (const q of built.first) if ((sets[p] as CharSet).overlaps(sets[q] as CharSet)) visit(p, q);
  }
  while (queue.length > 0) {
    if (pairs.length > MAX_PAIRS) return false;
    const id = queue.pop() as number;
    const key = pairs[id] as number;
    const p = Math.floor(key / n);
    const q = key % n;
    for (const [p2, mp] of follow[p] as Map<number, number>) {
      for (const [q2, mq] of follow[q] as Map<number, number>) {
        if (!(sets[p2] as CharSet).overlaps(sets[q2] as CharSet)) continue;
        const target = visit(p2, q2);
        // On the diagonal, a transition that arises in two ways is two distinct paths.
        (edges[id] as { to: number; multiple: boolean }[]).push({
          to: target,
          multiple: p === q && p2 === q2 && mp * mq > 1,
        });
      }
    }
  }

  // Tarjan's strongly connected components, iteratively.
  const count = pairs.length;
  const order = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const component = new Int32Array(count).fill(-1);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  for (let start = 0; start < count; start++) {
    if (order[start] !== -1) continue;
    const work: [number, number][] = [[start, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1] as [number, number];
      const [v, i] = frame;
      if (i === 0 && order[v] === -1) {
        order[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const out = edges[v] as { to: number }[];
      if (i < out.length) {
        frame[1] = i + 1;
        const w = (out[i] as { to: number }).to;
        if (order[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, order[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] === order[v]) {
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = 0;
          component[w] = components;
        } while (w !== v);
        components++;
      }
    }
  }

  const hasDiagonal = new Uint8Array(components);
  const hasOffDiagonal = new Uint8Array(components);
  const hasMultiple = new Uint8Array(components);
  for (let id = 0; id < count; id++) {
    const c = component[id] as number;
    const key = pairs[id] as number;
    if (Math.floor(key / n) === key % n) hasDiagonal[c] = 1;
    else hasOffDiagonal[c] = 1;
    for (const edge of edges[id] as { to: number; multiple: boolean }[]) {
      if (edge.multiple && component[edge.to] === c) hasMultiple[c] = 1;
    }
  }
  for (let c = 0; c < components; c++) {
    if (hasDiagonal[c] && (hasOffDiagonal[c] || hasMultiple[c])) return true;
  }
  return false;
}
