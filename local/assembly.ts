/**
 * The synthesized stack local mode runs: read from the Cloud Assembly (cdk.out) when it was
 * synthesized from the same configuration, otherwise synthesized in-process (no bundling, no
 * cdk-nag: only the template is needed). Local mode never re-declares the state machine, the
 * rules or the alarms: it reads them from this template.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { configHash, type RetrainConfig } from '../lib/config';
import { addRetrainStack } from '../lib/retrain-app';
import { CONFIG_HASH_METADATA } from '../lib/types';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Metadata?: Record<string, unknown>;
}

export interface LocalAssembly {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** Where the template came from: "cdk.out" or "synthesized". */
  readonly source: string;
}

const REPO_ROOT = join(__dirname, '..');

/** The template of the project's stack for this configuration. */
export function loadAssembly(
  config: RetrainConfig,
  options: {
    /** A Cloud Assembly to try first. @default the repository's cdk.out */
    cdkOut?: string;
    /** Where templates synthesized here are kept, one folder per configuration hash. */
    cacheDir: string;
  },
): LocalAssembly {
  const stackName = config.project.name;
  const hash = configHash(config);
  // Synthesized templates are cached per configuration hash and per version of the constructs
  // that synthesize them (a template synthesized by older code is not this code's template).
  const cached = join(options.cacheDir, `${hash}-${constructsFingerprint()}`);
  for (const dir of [options.cdkOut ?? join(REPO_ROOT, 'cdk.out'), cached]) {
    const path = join(dir, `${stackName}.template.json`);
    if (!existsSync(path)) continue;
    const template = JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
    if (template.Metadata?.[CONFIG_HASH_METADATA] === hash) return { stackName, template, source: path };
  }
  return synthesize(config, cached);
}

/** Synthesizes into a private folder, then renames it into place: parallel readers never see half a template. */
function synthesize(config: RetrainConfig, target: string): LocalAssembly {
  const outdir = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(outdir, { recursive: true });
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = addRetrainStack(app, config, { nag: false });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  try {
    renameSync(outdir, target);
  } catch {
    rmSync(outdir, { recursive: true, force: true }); // another process put the same template there first
  }
  return { stackName: stack.stackName, template, source: join(target, `${stack.stackName}.template.json`) };
}

let fingerprint: string | undefined;

/** A short hash of the CDK app's sources (lib/), so a cached template changes with them. */
function constructsFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) hash.update(path).update(readFileSync(path));
    }
  };
  visit(join(REPO_ROOT, 'lib'));
  fingerprint = hash.digest('hex').slice(0, 12);
  return fingerprint;
}
