/**
 * Resolves the CloudFormation intrinsics of the synthesized template (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Sub, Fn::FindInMap, Fn::Select, Fn::Split) to the values the resources have
 * in local mode: the local bucket name, function ARNs in a fake account, alarm names, ...
 */
import { InvalidInputError } from '../lambdas/core/errors';
import type { CfnTemplate } from './assembly';

export interface LocalEnvironment {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly stackName: string;
  /** Name local mode gives the data bucket (its Ref). */
  readonly bucketName: string;
}

export const LOCAL_ENVIRONMENT = { region: 'us-east-1', account: '000000000000', partition: 'aws' } as const;

export class Intrinsics {
  constructor(
    private readonly template: CfnTemplate,
    private readonly env: LocalEnvironment,
  ) {}

  /** Deep-resolves every intrinsic in a value. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt':
          return this.getAtt(...(Array.isArray(arg) ? (arg as [string, string]) : (String(arg).split('.') as [string, string])));
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolve(text)).split(sep);
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = this.resolve(arg) as [string, string, string];
          const found = this.template.Mappings?.[map]?.[top]?.[second];
          if (found === undefined) throw new InvalidInputError(`Fn::FindInMap: no ${map}.${top}.${second} in the template`);
          return found;
        }
        case 'Fn::Sub':
          return this.sub(arg);
        default:
          if (fn.startsWith('Fn::')) throw new InvalidInputError(`local mode cannot resolve ${fn}`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  /** Logical id of the first resource of a type whose properties contain the given values. */
  find(type: string, match: (properties: Record<string, unknown>) => boolean = () => true): string | undefined {
    return Object.entries(this.template.Resources).find(([, r]) => r.Type === type && match(r.Properties ?? {}))?.[0];
  }

  ref(name: string): unknown {
    const { region, account, partition, stackName } = this.env;
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::NoValue':
        return undefined;
    }
    const resource = this.template.Resources[name];
    if (!resource) throw new InvalidInputError(`Ref to ${name}: no such resource in the template`);
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
        return this.isDataBucket(name) ? this.env.bucketName : (p.BucketName ?? name.toLowerCase());
      case 'AWS::Lambda::Function':
        return this.resolve(p.FunctionName ?? name);
      case 'AWS::CloudWatch::Alarm':
        return this.resolve(p.AlarmName ?? name);
      case 'AWS::DynamoDB::Table':
        return this.resolve(p.TableName ?? name);
      case 'AWS::SNS::Topic':
        return this.arn('sns', String(this.resolve(p.TopicName ?? name)));
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${String(this.resolve(p.QueueName ?? name))}`;
      case 'AWS::StepFunctions::StateMachine':
        return this.arn('states', `stateMachine:${String(this.resolve(p.StateMachineName ?? name))}`);
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new InvalidInputError(`Fn::GetAtt ${logicalId}.${attribute}: no such resource in the template`);
    const p = resource.Properties ?? {};
    if (attribute !== 'Arn') return `${logicalId}.${attribute}`;
    const name = (prop: string) => String(this.resolve(p[prop] ?? logicalId));
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return this.arn('lambda', `function:${name('FunctionName')}`);
      case 'AWS::IAM::Role':
        return `arn:${this.env.partition}:iam::${this.env.account}:role/${name('RoleName')}`;
      case 'AWS::KMS::Key':
        return this.arn('kms', `key/${logicalId}`);
      case 'AWS::S3::Bucket':
        return `arn:${this.env.partition}:s3:::${String(this.ref(logicalId))}`;
      case 'AWS::CloudWatch::Alarm':
        return this.arn('cloudwatch', `alarm:${name('AlarmName')}`);
      case 'AWS::DynamoDB::Table':
        return this.arn('dynamodb', `table/${name('TableName')}`);
      case 'AWS::SQS::Queue':
        return this.arn('sqs', name('QueueName'));
      case 'AWS::Events::Rule':
        return this.arn('events', `rule/${name('Name')}`);
      default:
        return this.arn('local', `${resource.Type}/${logicalId}`);
    }
  }

  private arn(service: string, resource: string): string {
    return `arn:${this.env.partition}:${service}:${this.env.region}:${this.env.account}:${resource}`;
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (_m, ref: string) => {
      if (ref in vars) return String(this.resolve(vars[ref]));
      const [id, attr] = ref.split('.');
      return String(attr ? this.getAtt(id, attr) : this.ref(id));
    });
  }

  /** The bucket with versioning (the data bucket), not the access-log bucket. */
  private isDataBucket(logicalId: string): boolean {
    const p = this.template.Resources[logicalId]?.Properties ?? {};
    return (p.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled';
  }
}
