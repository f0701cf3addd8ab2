import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { GitHubOidcStack } from '../../lib/github-oidc-stack';
import { buildStack } from '../helpers/stack';

type Resource = { Type: string; Properties?: Record<string, unknown> & { Code?: { S3Key?: unknown } } };
type CfnTemplate = { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };

const root = join(__dirname, '..', '..');

/** Our Lambdas: one directory under lambdas/ with a handler.ts each. */
const HANDLERS = readdirSync(join(root, 'lambdas')).filter((name) => existsSync(join(root, 'lambdas', name, 'handler.ts')));

describe('synthesis with bundling and CloudFormation validation on', () => {
  it('bundles every asset-backed function and writes a template the built-in validation accepts', () => {
    const { app, stack } = buildStack({}, { bundling: true, cfnValidation: true });

    const assembly = app.synth({ force: true });

    const template = JSON.parse(readFileSync(join(assembly.directory, stack.templateFile), 'utf8')) as CfnTemplate;
    const resources = Object.values(template.Resources);
    expect(resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    // The data bucket and its access-log bucket (lib/storage.ts).
    expect(resources.filter((r) => r.Type === 'AWS::S3::Bucket')).toHaveLength(2);
    // An asset's S3Key is "<hash>.zip"; the assets manifest maps the hash to its directory in the assembly.
    const manifest = JSON.parse(readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const bundled = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties?.Code?.S3Key === 'string');
    expect(bundled).toHaveLength(HANDLERS.length);
    for (const fn of bundled) {
      const asset = manifest.files[(fn.Properties!.Code!.S3Key as string).replace(/\.zip$/, '')];
      const dir = join(assembly.directory, asset.source.path);
      expect({ packaging: asset.source.packaging, handler: fn.Properties!.Handler, bundle: existsSync(join(dir, 'index.js')) }).toEqual({
        packaging: 'zip',
        handler: 'index.handler',
        bundle: true,
      });
    }
  });
});

// ----- The CloudFormation resource specification -----

/**
 * The CloudFormation resource specification as aws-cdk ships it: @aws-cdk/aws-service-spec
 * (installed with @aws-cdk/integ-runner, version pinned in package-lock.json) is built from
 * the CloudFormation registry schemas of every region and generates aws-cdk-lib's L1 classes.
 * Read as plain JSON (db.json.gz: schema.resource.entities), so no API of it is relied on.
 */
interface SpecResource {
  readonly cloudFormationType: string;
  readonly properties: Record<string, { readonly required?: boolean }>;
  readonly attributes: Record<string, unknown>;
}

/**
 * Properties CloudFormation gained after the specification copy above was built, each with the
 * CloudFormation Template Reference page that lists it. aws-cdk-lib, generated from a newer
 * specification, already emits them. A test fails once the copy has one, so the list only shrinks.
 */
const NEWER_THAN_SPEC: Readonly<Record<string, readonly string[]>> = {
  // TemplateReference/aws-resource-cloudwatch-dashboard: "Tags : [ Tag, ... ]" (aws-cdk-lib CfnDashboardProps.tags since v2.257.0).
  'AWS::CloudWatch::Dashboard': ['Tags'],
};

function loadResourceSpec(): { version: string; types: Map<string, SpecResource> } {
  const dir = dirname(require.resolve('@aws-cdk/aws-service-spec/package.json', { paths: [root] }));
  const db = JSON.parse(gunzipSync(readFileSync(join(dir, 'db.json.gz'))).toString('utf8')) as {
    schema: { resource: { entities: Record<string, SpecResource> } };
  };
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { version, types: new Map(Object.values(db.schema.resource.entities).map((r) => [r.cloudFormationType, r])) };
}

/** Every way a template departs from the specification, one line each; none means it conforms. */
function specProblems(name: string, template: CfnTemplate, spec: Map<string, SpecResource>): string[] {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    // CloudFormation takes any "Custom::<name>" type as a custom resource (AWS::CloudFormation::CustomResource docs).
    if (resource.Type.startsWith('Custom::')) continue;
    const type = spec.get(resource.Type);
    if (!type) {
      problems.push(`${name}: ${id}: no resource type ${resource.Type} in the CloudFormation specification`);
      continue;
    }
    const given = Object.keys(resource.Properties ?? {});
    for (const property of given) {
      if (!(property in type.properties) && !NEWER_THAN_SPEC[resource.Type]?.includes(property)) problems.push(`${name}: ${id}: ${resource.Type} has no property ${property}`);
    }
    for (const [property, definition] of Object.entries(type.properties)) {
      if (definition.required && !given.includes(property)) problems.push(`${name}: ${id}: ${resource.Type} requires ${property}`);
    }
  }
  for (const [target, attribute, where] of getAtts(template)) {
    const resource = template.Resources[target];
    if (!resource) {
      problems.push(`${name}: ${where}: Fn::GetAtt of ${target}, which is not a resource of the template`);
    } else if (!resource.Type.startsWith('Custom::') && spec.has(resource.Type) && !(attribute in spec.get(resource.Type)!.attributes)) {
      problems.push(`${name}: ${where}: Fn::GetAtt ${target}.${attribute}: ${resource.Type} has no attribute ${attribute}`);
    }
  }
  return problems;
}

/** Every Fn::GetAtt in the template's resources and outputs: [logical id, attribute, where]. */
function getAtts(template: CfnTemplate): Array<[string, string, string]> {
  const found: Array<[string, string, string]> = [];
  const visit = (value: unknown, where: string): void => {
    if (Array.isArray(value)) value.forEach((item) => visit(item, where));
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Fn::GetAtt') {
          const [target, attribute] = typeof inner === 'string' ? (inner.split(/\.(.*)/) as [string, string]) : (inner as [string, string]);
          found.push([target, attribute, where]);
        } else visit(inner, where);
      }
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) visit(resource.Properties, id);
  for (const [id, output] of Object.entries(template.Outputs ?? {})) visit(output, `Outputs.${id}`);
  return found;
}

function oidcTemplate(providerArn?: string): CfnTemplate {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new GitHubOidcStack(app, 'retrain-github-oidc', {
    repository: 'octo-org/retrain',
    environments: ['production'],
    providerArn,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

describe('synthesized templates against the CloudFormation resource specification', () => {
  const spec = loadResourceSpec();

  it('reads a specification that has the types it is checked with', () => {
    expect(spec.types.size).toBeGreaterThan(1000);
    expect(Object.keys(spec.types.get('AWS::StepFunctions::StateMachine')!.attributes)).toContain('Arn');
    expect(spec.types.has('AWS::StateMachine')).toBe(false);
  });

  it('lists as newer only properties the specification copy still lacks', () => {
    const present = Object.entries(NEWER_THAN_SPEC).flatMap(([type, properties]) =>
      properties.filter((property) => property in (spec.types.get(type)?.properties ?? {})).map((property) => `${type}.${property}`),
    );

    expect({ spec: spec.version, present }).toEqual({ spec: spec.version, present: [] });
  });

  it('finds a misspelt type, an unknown property, a missing required property and an unknown attribute', () => {
    const broken: CfnTemplate = {
      Resources: {
        Machine: { Type: 'AWS::StateMachine', Properties: {} },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { RetentionPeriod: 60 } },
        Group: { Type: 'AWS::SageMaker::ModelPackageGroup', Properties: {} },
        Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::GetAtt': ['Queue', 'Url'] } } },
      },
    };

    expect(specProblems('broken', broken, spec.types)).toEqual([
      'broken: Machine: no resource type AWS::StateMachine in the CloudFormation specification',
      'broken: Queue: AWS::SQS::Queue has no property RetentionPeriod',
      'broken: Group: AWS::SageMaker::ModelPackageGroup requires ModelPackageGroupName',
      'broken: Topic: Fn::GetAtt Queue.Url: AWS::SQS::Queue has no attribute Url',
    ]);
  });

  it.each([
    ['the default stack', () => Template.fromStack(buildStack().stack).toJSON() as CfnTemplate],
    [
      'a stack with every optional resource (email, manual approval, VPC jobs, disposable buckets)',
      () =>
        Template.fromStack(
          buildStack(
            {
              notifications: { email: 'ml-ops@example.com' },
              deployment: { manualApproval: true },
              training: { vpc: { subnetIds: ['subnet-0abc'], securityGroupIds: ['sg-0abc'] } },
              retention: { removalPolicy: 'destroy' },
            },
            { disposable: true },
          ).stack,
        ).toJSON() as CfnTemplate,
    ],
    ['a stack with a serverless endpoint', () => Template.fromStack(buildStack({ deployment: { serverless: { memorySizeMb: 2048, maxConcurrency: 5 } } }).stack).toJSON() as CfnTemplate],
    ['the GitHub OIDC stack that creates the provider', () => oidcTemplate()],
    ['the GitHub OIDC stack that imports the provider', () => oidcTemplate('arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com')],
  ])('%s uses only resource types, properties and attributes of the specification', (name, synthesize) => {
    const template = synthesize();

    expect(specProblems(name, template, spec.types)).toEqual([]);
  });
});
