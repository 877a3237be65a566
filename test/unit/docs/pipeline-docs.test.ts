import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STEPS } from '../../../processor/pipeline/registry.ts';
import { PIPELINE_DOCS_FILE, renderPipelineDocs } from '../../../scripts/pipeline-docs.ts';

describe('docs/pipelines.md', () => {
  it('has the current step reference (run `npm run docs:pipelines` after changing a step)', () => {
    const current = readFileSync(PIPELINE_DOCS_FILE, 'utf8');
    expect(renderPipelineDocs(current)).toBe(current);
  });

  it('documents every step keyword', () => {
    const current = readFileSync(PIPELINE_DOCS_FILE, 'utf8');
    for (const keyword of Object.keys(STEPS)) expect(current).toContain(`### \`${keyword}\``);
  });
});
