/**
 * Names, ARNs and S3 URIs as SageMaker checks them.
 */
import { SageMakerApiError } from './errors';

/** SageMaker's pattern for job, model, endpoint, config and group names (1-63 characters). */
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Throws ValidationException in SageMaker's wording unless `value` is a valid resource name. */
export function validateName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new SageMakerApiError(
      'ValidationException',
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
      { field },
    );
  }
  return value;
}

/** Throws ValidationException naming the field when a required value is missing. */
export function required<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null) {
    throw new SageMakerApiError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`, {
      field,
    });
  }
  return value;
}

export type ArnKind =
  | 'training-job'
  | 'transform-job'
  | 'model'
  | 'endpoint-config'
  | 'endpoint'
  | 'model-package'
  | 'model-package-group';

export class Arns {
  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  /**
   * arn:aws:sagemaker:<region>:<account>:<kind>/<name>. SageMaker writes job, model, config and
   * endpoint names in lower case in their ARNs; model package (group) names are kept as given.
   */
  of(kind: ArnKind, name: string): string {
    const resource = kind === 'model-package' || kind === 'model-package-group' ? name : name.toLowerCase();
    return `arn:aws:sagemaker:${this.region}:${this.accountId}:${kind}/${resource}`;
  }

  /** The group and version of a model package ARN, or undefined when `value` is not one. */
  parseModelPackageArn(value: string): { group: string; version: number } | undefined {
    const match = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([^/]+)\/(\d+)$/.exec(value);
    return match ? { group: match[1], version: Number(match[2]) } : undefined;
  }
}

/**
 * The object key an s3:// URI points to in the local bucket. Local mode serves one bucket:
 * another bucket, or a URI that is not s3://, is a ValidationException naming the field.
 */
export function keyOfUri(uri: unknown, bucket: string, field: string): string {
  if (typeof uri !== 'string') {
    throw new SageMakerApiError('ValidationException', `${field}: expected an s3:// URI, got ${JSON.stringify(uri)}`, { field });
  }
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match) {
    throw new SageMakerApiError('ValidationException', `${field}: expected an s3://<bucket>/<key> URI, got "${uri}"`, { field, uri });
  }
  if (match[1] !== bucket) {
    throw new SageMakerApiError(
      'ValidationException',
      `${field}: local mode serves only the bucket "${bucket}", got "${uri}" (bucket "${match[1]}")`,
      { field, uri, bucket },
    );
  }
  return match[2] ?? '';
}

/** A key prefix joined with a relative part, with exactly one "/" between them. */
export function joinKey(prefix: string, ...parts: string[]): string {
  return [prefix.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((p) => p !== '').join('/');
}

export function uriOf(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
