import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../lib/config';

/**
 * Checks of the GitHub Actions workflows, read as YAML. The actions runner is not
 * available here, so these assert what the workflows must say: triggers, steps,
 * permissions, credentials through OIDC only, and pinned actions.
 */

const root = join(__dirname, '..', '..');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}

interface Job {
  readonly name?: string;
  readonly uses?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly 'runs-on'?: string;
  readonly environment?: string | { readonly name: string };
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress'?: boolean };
  readonly env?: Record<string, string>;
  readonly steps?: Step[];
}

interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress'?: boolean };
  readonly jobs: Record<string, Job>;
}

const FILES = ['.github/workflows/ci.yml', '.github/workflows/deploy.yml'] as const;

function text(file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

/** Parses a workflow, failing with the file, line and reason of the first YAML error. */
function workflow(file: string): Workflow {
  const doc = parseDocument(text(file), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
  return doc.toJS() as Workflow;
}

/** Inputs and environment names that would carry long-lived AWS keys. */
const KEY_NAMES = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

function steps(job: Job): Step[] {
  return job.steps ?? [];
}

function allSteps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap(steps);
}

/** Index of the first step whose run script matches, or -1. */
function runIndex(job: Job, pattern: RegExp): number {
  return steps(job).findIndex((step) => step.run !== undefined && pattern.test(step.run));
}

function usesIndex(job: Job, action: string): number {
  return steps(job).findIndex((step) => step.uses?.startsWith(`${action}@`));
}

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : ([] as string[]).concat(job.needs);
}

function environmentOf(job: Job): string | undefined {
  return typeof job.environment === 'object' ? job.environment.name : job.environment;
}

describe('workflows: every file', () => {
  it.each(FILES)('%s parses as YAML with unique keys, into the keys and jobs its text declares', (file) => {
    const source = text(file);
    // Read off the text: top-level keys start a line; jobs are the two-space keys after "jobs:".
    const topLevel = [...source.matchAll(/^([\w-]+):/gm)].map((match) => match[1]);
    const jobs = [...source.slice(source.search(/^jobs:/m)).matchAll(/^ {2}([\w-]+):/gm)].map((match) => match[1]);

    const wf = workflow(file);

    expect({ keys: Object.keys(wf), name: wf.name, jobs: Object.keys(wf.jobs) }).toEqual({
      keys: topLevel,
      name: /^name: (.+)$/m.exec(source)?.[1],
      jobs,
    });
  });

  it.each(FILES)('%s holds no AWS access keys, only OIDC', (file) => {
    const source = text(file);

    for (const name of KEY_NAMES) expect(source.toLowerCase()).not.toContain(name.toLowerCase());
  });

  it.each(FILES)('%s pins every action to a version or a commit', (file) => {
    const wf = workflow(file);
    const uses = [...Object.values(wf.jobs), ...allSteps(wf)].flatMap((x) => (x.uses ? [x.uses] : []));

    expect(uses.length).toBeGreaterThan(0);
    for (const ref of uses) {
      if (ref.startsWith('./')) continue; // a workflow of this repository, at this commit
      expect(ref).toMatch(/^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@(?:v\d+(?:\.\d+){0,2}|[0-9a-f]{40})$/);
    }
  });

  it.each(FILES)('%s reads only the repository by default', (file) => {
    expect(workflow(file).permissions).toEqual({ contents: 'read' });
  });

  it.each(FILES)('%s passes values to scripts through env, never by expanding an expression inside run', (file) => {
    const scripts = allSteps(workflow(file)).flatMap((s) => (s.run ? [s.run] : []));

    for (const script of scripts) expect(script).not.toContain('${{');
  });

  it.each(FILES)('%s checks out without keeping the token in the working copy', (file) => {
    const checkouts = allSteps(workflow(file)).filter((s) => s.uses?.startsWith('actions/checkout@'));

    expect(checkouts.length).toBeGreaterThan(0);
    for (const checkout of checkouts) expect(checkout.with?.['persist-credentials']).toBe(false);
  });
});

describe('workflows: ci.yml', () => {
  const ci = () => workflow('.github/workflows/ci.yml');
  const build = () => {
    const jobs = Object.values(ci().jobs);
    expect(jobs).toHaveLength(1);
    return jobs[0];
  };

  it('runs on pull requests and pushes, and can be called by the deploy workflow', () => {
    expect(Object.keys(ci().on)).toEqual(expect.arrayContaining(['pull_request', 'push', 'workflow_call']));
  });

  it('cancels an older run of the same ref', () => {
    const { concurrency } = ci();

    expect(concurrency?.group).toContain('${{ github.ref }}');
    expect(concurrency?.['cancel-in-progress']).toBe(true);
  });

  it('uses Node.js 22 on ubuntu-latest with the npm cache', () => {
    const job = build();
    const setupNode = steps(job)[usesIndex(job, 'actions/setup-node')];

    expect(job['runs-on']).toBe('ubuntu-latest');
    expect(String(setupNode?.with?.['node-version'])).toBe('22');
    expect(setupNode?.with?.cache).toBe('npm');
  });

  it('installs, type-checks, lints, tests and synthesizes, in that order', () => {
    const job = build();
    const order = [
      runIndex(job, /^npm ci\b/m),
      runIndex(job, /\bnpm run build\b/),
      runIndex(job, /\bnpm run lint\b/),
      runIndex(job, /\bnpm test\b|\bnpx jest\b/),
      runIndex(job, /^npx cdk synth\b(?!.*-a )/m),
    ];

    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('synthesizes the production and staging configurations too', () => {
    const job = build();

    expect(runIndex(job, /npx cdk synth .*-c config=retrain\.\$stage\.json/)).toBeGreaterThan(-1);
    expect(runIndex(job, /for stage in staging prod\b/)).toBeGreaterThan(-1);
  });

  it('uploads the synthesized templates as an artifact after the synth', () => {
    const job = build();
    const upload = usesIndex(job, 'actions/upload-artifact');

    expect(upload).toBeGreaterThan(runIndex(job, /^npx cdk synth\b/m));
    expect(String(steps(job)[upload].with?.path)).toContain('cdk.out/*.template.json');
    expect(steps(job)[upload].with?.['if-no-files-found']).toBe('error');
  });

  it('never asks for an OIDC token', () => {
    expect(text('.github/workflows/ci.yml')).not.toContain('id-token');
  });
});

describe('workflows: deploy.yml', () => {
  const deploy = () => workflow('.github/workflows/deploy.yml');
  const STAGES = [
    { job: 'staging', environment: 'staging', config: 'retrain.staging.json' },
    { job: 'production', environment: 'production', config: 'retrain.prod.json' },
  ] as const;

  it('runs on pushes to main and by hand', () => {
    const { on } = deploy();

    expect(on.push).toEqual({ branches: ['main'] });
    expect(on).toHaveProperty('workflow_dispatch');
  });

  it('tests the commit with ci.yml, then deploys staging, then production', () => {
    const { jobs } = deploy();

    expect(jobs.verify.uses).toBe('./.github/workflows/ci.yml');
    expect(needsOf(jobs.staging)).toEqual(['verify']);
    expect(needsOf(jobs.production)).toEqual(['staging']);
  });

  it('leaves concurrency to its jobs, so that the called ci.yml can never deadlock on a shared group', () => {
    const { concurrency, jobs } = deploy();
    const ciGroup = workflow('.github/workflows/ci.yml').concurrency?.group;

    expect(concurrency).toBeUndefined();
    expect(jobs.verify.concurrency).toBeUndefined();
    expect(ciGroup).toMatch(/^ci-/);
  });

  it('never asks for an OIDC token outside the deploy jobs', () => {
    const { permissions, jobs } = deploy();

    expect(permissions).not.toHaveProperty('id-token');
    expect(jobs.verify.permissions).toBeUndefined();
  });

  describe.each(STAGES)('the $job job', ({ job: name, environment, config }) => {
    const job = () => deploy().jobs[name];

    it(`runs in the ${environment} environment, from main only`, () => {
      expect(environmentOf(job())).toBe(environment);
      expect(job().if).toBe("github.ref == 'refs/heads/main'");
    });

    it('may request an OIDC token and read the repository, nothing else', () => {
      expect(job().permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    });

    it('never overlaps another deploy of the same stage and is never cancelled by one', () => {
      const { concurrency } = job();

      expect(concurrency?.group).toContain(environment);
      expect(concurrency?.['cancel-in-progress']).toBe(false);
    });

    it("assumes the environment's deploy role through OIDC, for the expected account only", () => {
      const credentials = steps(job()).filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));

      expect(credentials).toHaveLength(1);
      expect(credentials[0].uses).toMatch(/@v\d+$/);
      expect(credentials[0].with).toMatchObject({
        'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
        'aws-region': '${{ vars.AWS_REGION }}',
        'allowed-account-ids': '${{ vars.AWS_ACCOUNT_ID }}',
      });
    });

    it('installs dependencies before any credentials exist', () => {
      expect(runIndex(job(), /^npm ci\b/m)).toBeGreaterThan(-1);
      expect(runIndex(job(), /^npm ci\b/m)).toBeLessThan(usesIndex(job(), 'aws-actions/configure-aws-credentials'));
    });

    it('takes the account and region of the synth from the variables', () => {
      expect(job().env).toMatchObject({ CDK_DEFAULT_ACCOUNT: '${{ vars.AWS_ACCOUNT_ID }}', CDK_DEFAULT_REGION: '${{ vars.AWS_REGION }}' });
    });

    it(`diffs, then deploys the stack named in ${config} without a prompt`, () => {
      const env = job().env ?? {};
      const diff = runIndex(job(), /^npx cdk diff "\$STACK" -c config="\$STAGE_CONFIG"$/m);
      const deployStep = runIndex(job(), /^npx cdk deploy "\$STACK" -c config="\$STAGE_CONFIG" --require-approval never\b/m);

      expect(env.STAGE_CONFIG).toBe(config);
      expect(env.STACK).toBe(loadConfig(join(root, config)).project.name);
      expect(diff).toBeGreaterThan(usesIndex(job(), 'aws-actions/configure-aws-credentials'));
      expect(deployStep).toBeGreaterThan(diff);
    });
  });

  it('keeps staging and production in separate concurrency groups', () => {
    const { jobs } = deploy();

    expect(jobs.staging.concurrency?.group).not.toBe(jobs.production.concurrency?.group);
  });
});
