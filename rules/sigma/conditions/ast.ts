/**
 * The condition of a Sigma rule as a tree. `of` nodes keep the pattern as
 * written and the search identifiers it resolved to when the rule loaded.
 */
export type ConditionNode =
  | { type: 'and'; children: ConditionNode[] }
  | { type: 'or'; children: ConditionNode[] }
  | { type: 'not'; child: ConditionNode }
  | { type: 'ref'; name: string }
  | { type: 'of'; quantifier: 'one' | 'all'; pattern: string; names: string[] };

/** The search identifiers a condition uses. */
export function referencedNames(node: ConditionNode, out = new Set<string>()): Set<string> {
  switch (node.type) {
    case 'and':
    case 'or':
      for (const child of node.children) referencedNames(child, out);
      break;
    case 'not':
      referencedNames(node.child, out);
      break;
    case 'ref':
      out.add(node.name);
      break;
    case 'of':
      for (const name of node.names) out.add(name);
      break;
  }
  return out;
}

/** The condition written back as text, fully parenthesised, for messages and tests. */
export function formatCondition(node: ConditionNode): string {
  switch (node.type) {
    case 'and':
    case 'or':
      return `(${node.children.map(formatCondition).join(` ${node.type} `)})`;
    case 'not':
      return `not ${formatCondition(node.child)}`;
    case 'ref':
      return node.name;
    case 'of':
      return `${node.quantifier === 'one' ? '1' : 'all'} of ${node.pattern}`;
  }
}
