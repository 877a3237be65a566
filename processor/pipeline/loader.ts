/**
 * Loads pipeline YAML files into a PipelineSet. Every problem of every file
 * is reported at once, each with file, line, column and key path
 * (`pipelines[0].steps[2].grok.patterns[1]`), so a user fixes a file in one
 * pass. User pipelines come first (they are tried first when routing); a user
 * pipeline with the id of a built-in one replaces it.
 *
 * File format:
 *
 *   pipelines:
 *     - id: linux.sshd
 *       description: …
 *       when: { dataset: [...], path: [...], app_name: [...], listener: [...] }
 *       steps:
 *         - grok: { patterns: [...] }
 *         - route: { pipeline: other, if: { process.name: sshd } }
 *
 * A step is a mapping with one step keyword; `if:` may sit next to the
 * keyword or inside the step's options.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { findOffset, formatKeyPath, type KeyPath } from '../../core/config/loader.ts';
import { isVigilError, VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { resourcePath } from '../../core/resources.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import { PatternLibrary } from '../parsers/grok/pattern-library.ts';
import { compileCondition, conditionSchema } from './condition.ts';
import {
  type CompiledPipeline,
  type CompiledStep,
  globToRegExp,
  PipelineSet,
  type RecordMatcher,
} from './pipeline-set.ts';
import { STEPS } from './registry.ts';

/** Vigil's built-in pipelines. */
export const BUILTIN_PIPELINES_DIR = resourcePath('processor/pipeline/builtin');
/** Vigil's built-in grok pattern files (base.grok and the vendor families). */
export const BUILTIN_PATTERNS_DIR = resourcePath('processor/parsers/grok/patterns');

const ID = /^[a-z0-9][a-z0-9._-]*$/;

const globList = z.array(z.string().min(1)).default([]);

const pipelineSchema = z.strictObject({
  id: z.string().regex(ID, 'use lowercase letters, digits, dots, underscores and dashes'),
  description: z.string().optional(),
  when: z
    .strictObject({
      dataset: globList,
      path: globList,
      app_name: globList,
      listener: globList,
    })
    .optional(),
  steps: z.array(z.record(z.string(), z.unknown())).default([]),
});

const fileSchema = z.strictObject({ pipelines: z.array(z.unknown()).default([]) });

export interface PipelineProblem {
  file: string;
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface LoadPipelinesOptions {
  /** The user's pipeline files (folders are read for *.yaml / *.yml). */
  userPaths?: readonly string[];
  /** Load Vigil's built-in pipelines (default true). */
  builtin?: boolean;
  /** The user's grok pattern folder, added after the built-in pattern files. */
  patternsDir?: string;
  metrics: Metrics;
  logger: Logger;
}

/** The YAML files of a folder (or the file itself), in name order. */
export function pipelineFiles(path: string): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new VigilError('CONFIG_INVALID', `Pipelines path ${path} cannot be read.`, { cause: error });
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.') && /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(path, name));
}

/** The grok pattern library pipelines use: base and vendor files, then the user's folder. */
export function pipelinePatterns(patternsDir?: string): PatternLibrary {
  const library = new PatternLibrary({ base: false }).addDirectory(BUILTIN_PATTERNS_DIR);
  if (patternsDir !== undefined) library.addDirectory(patternsDir);
  return library;
}

export function loadPipelines(options: LoadPipelinesOptions): PipelineSet {
  const patterns = pipelinePatterns(options.patternsDir);
  const files = [
    ...(options.userPaths ?? []).flatMap((p) => pipelineFiles(p).map((file) => ({ file, builtin: false }))),
    ...(options.builtin === false || !existsSync(BUILTIN_PIPELINES_DIR)
      ? []
      : pipelineFiles(BUILTIN_PIPELINES_DIR).map((file) => ({ file, builtin: true }))),
  ];
  const problems: PipelineProblem[] = [];
  const pipelines: CompiledPipeline[] = [];
  const userIds = new Set<string>();
  const seen = new Map<string, string>();
  const routeTargets: Array<{ target: string; report: (message: string) => void }> = [];

  for (const { file, builtin } of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ file, path: '', message: `cannot be read (${(error as Error).message})` });
      continue;
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const pos = lineCounter.linePos(error.pos[0]);
        problems.push({
          file,
          path: '',
          message: error.message.split('\n')[0] ?? error.message,
          line: pos.line,
          column: pos.col,
        });
      }
      continue;
    }
    const report = (path: KeyPath, message: string): void => {
      const offset = findOffset(doc.contents, path);
      const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
      problems.push({
        file,
        path: formatKeyPath(path),
        message,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      });
    };
    const parsed = fileSchema.safeParse(doc.toJS() ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report(issuePath([], issue), issue.message);
      continue;
    }
    parsed.data.pipelines.forEach((raw, i) => {
      const at: KeyPath = ['pipelines', i];
      const result = pipelineSchema.safeParse(raw);
      if (!result.success) {
        for (const issue of result.error.issues) report(issuePath(at, issue), issue.message);
        return;
      }
      const definition = result.data;
      if (builtin && userIds.has(definition.id)) return; // replaced by the user's pipeline
      const earlier = seen.get(definition.id);
      if (earlier !== undefined) {
        report([...at, 'id'], `pipeline id "${definition.id}" is already used in ${earlier}`);
        return;
      }
      seen.set(definition.id, file);
      if (!builtin) userIds.add(definition.id);
      const steps: CompiledStep[] = [];
      definition.steps.forEach((entry, j) => {
        const stepAt: KeyPath = [...at, 'steps', j];
        const compiled = compileStep(entry, j, definition.id, stepAt, report, {
          patterns,
          metrics: options.metrics,
          logger: options.logger,
        });
        if (compiled === undefined) return;
        steps.push(compiled.step);
        if (compiled.route !== undefined) {
          routeTargets.push({
            target: compiled.route,
            report: (message) => report([...stepAt, 'route', 'pipeline'], message),
          });
        }
      });
      pipelines.push({
        id: definition.id,
        description: definition.description,
        source: file,
        when: definition.when ? compileWhen(definition.when) : undefined,
        steps,
      });
    });
  }
  for (const { target, report } of routeTargets) {
    if (!seen.has(target)) report(`no pipeline has the id "${target}"`);
  }
  if (problems.length > 0) {
    throw new VigilError(
      'CONFIG_INVALID',
      `Pipelines have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`,
      { details: { problems } },
    );
  }
  return new PipelineSet(pipelines, options.metrics, options.logger);
}

function formatProblem(problem: PipelineProblem): string {
  const where =
    problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column}`;
  return `  ${where}${problem.path ? ` ${problem.path}` : ''}: ${problem.message}`;
}

function issuePath(base: KeyPath, issue: z.core.$ZodIssue): KeyPath {
  const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0] as string);
  return path;
}

function compileStep(
  entry: Record<string, unknown>,
  index: number,
  pipeline: string,
  at: KeyPath,
  report: (path: KeyPath, message: string) => void,
  context: { patterns: PatternLibrary; metrics: Metrics; logger: Logger },
): { step: CompiledStep; route?: string } | undefined {
  const keywords = Object.keys(entry).filter((k) => k !== 'if');
  if (keywords.length !== 1) {
    report(
      at,
      keywords.length === 0
        ? `a step needs one of: ${Object.keys(STEPS).join(', ')}`
        : `a step has exactly one keyword, found ${keywords.join(', ')}`,
    );
    return undefined;
  }
  const type = keywords[0] as string;
  const definition = STEPS[type];
  if (definition === undefined) {
    report([...at, type], `unknown step "${type}"; steps are: ${Object.keys(STEPS).join(', ')}`);
    return undefined;
  }
  let options = entry[type] ?? {};
  let condition = entry.if;
  let conditionAt: KeyPath = [...at, 'if'];
  if (typeof options === 'object' && options !== null && !Array.isArray(options) && 'if' in options) {
    const { if: inner, ...rest } = options as Record<string, unknown>;
    condition = inner;
    conditionAt = [...at, type, 'if'];
    options = rest;
  }
  let compiledCondition: CompiledStep['condition'];
  if (condition !== undefined) {
    const parsed = conditionSchema.safeParse(condition);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report(issuePath(conditionAt, issue), issue.message);
      return undefined;
    }
    try {
      compiledCondition = compileCondition(parsed.data);
    } catch (error) {
      report(conditionAt, (error as Error).message);
      return undefined;
    }
  }
  const parsed = definition.schema.safeParse(options);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(issuePath([...at, type], issue), issue.message);
    return undefined;
  }
  try {
    const step = definition.create(parsed.data, { pipeline, index, ...context });
    return {
      step: {
        step,
        condition: compiledCondition,
        type,
        index,
        failureTag: type === 'grok' ? 'vigil.parse_failure' : `vigil.${type}_failure`,
      },
      ...(type === 'route' ? { route: (parsed.data as { pipeline: string }).pipeline } : {}),
    };
  } catch (error) {
    if (!isVigilError(error) && !(error instanceof Error)) throw error;
    report([...at, type], (error as Error).message);
    return undefined;
  }
}

function compileWhen(when: {
  dataset: string[];
  path: string[];
  app_name: string[];
  listener: string[];
}): RecordMatcher {
  return {
    dataset: when.dataset.map(globToRegExp),
    path: when.path.map(globToRegExp),
    app_name: when.app_name.map(globToRegExp),
    listener: when.listener.map(globToRegExp),
  };
}
