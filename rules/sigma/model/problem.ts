/**
 * What loading rules can report. A problem makes a rule (or a whole file)
 * unusable; a note is information a rule writer should see but that changes
 * nothing (a correlation rule kept for the correlator, a log source the
 * mapping pipelines do not know). Both carry the file, and the line and
 * column when they point into it, so an editor can jump there.
 */
import type { ErrorCode } from '../../../core/errors.ts';

/** The error codes a rule problem can carry (documented in docs/errors.md). */
export type RuleProblemCode = Extract<
  ErrorCode,
  'RULE_INVALID' | 'RULE_UNSUPPORTED' | 'RULE_REGEX_UNSAFE' | 'RULE_PIPELINE_INVALID'
>;

export interface RuleProblem {
  code: RuleProblemCode;
  file: string;
  /** 1-based, when the problem points into the file. */
  line?: number;
  column?: number;
  /** Where in the document: `detection.selection.CommandLine|re`. */
  path?: string;
  /** The rule's id (or title) when the problem belongs to one rule. */
  rule?: string;
  message: string;
}

export interface RuleNote {
  file: string;
  line?: number;
  column?: number;
  rule?: string;
  message: string;
}

/** `file:line:col path: message (CODE)`, the form every tool prints. */
export function formatProblem(problem: RuleProblem): string {
  return `${formatWhere(problem)}${problem.path ? ` ${problem.path}` : ''}: ${problem.message} (${problem.code})`;
}

export function formatNote(note: RuleNote): string {
  return `${formatWhere(note)}: ${note.message}`;
}

function formatWhere(at: { file: string; line?: number; column?: number }): string {
  return at.line === undefined ? at.file : `${at.file}:${at.line}:${at.column ?? 1}`;
}
