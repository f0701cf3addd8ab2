import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStack } from '../helpers/stack';

type Resource = { Type: string; Properties?: { Code?: { S3Key?: unknown } }; Metadata?: Record<string, string> };

describe('synthesis with bundling and CloudFormation validation on', () => {
  it('bundles every asset-backed function and writes a template the built-in validation accepts', () => {
    const { app, stack } = buildStack({}, { bundling: true, cfnValidation: true });

    const assembly = app.synth({ force: true });

    const resources = (JSON.parse(readFileSync(join(assembly.directory, stack.templateFile), 'utf8')) as { Resources: Record<string, Resource> })
      .Resources;
    expect(Object.values(resources).some((r) => r.Type === 'AWS::StateMachine' || r.Type === 'AWS::S3::Bucket')).toBe(true);
    const bundled = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path']);
    for (const fn of bundled) {
      const dir = join(assembly.directory, fn.Metadata!['aws:asset:path']);
      expect(existsSync(join(dir, 'index.js')) || existsSync(join(dir, 'index.mjs'))).toBe(true);
    }
  });
});
