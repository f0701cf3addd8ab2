import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XGBOOST_IMAGE_ACCOUNTS, xgboostImageUri } from '../../lib/private/xgboost-images';
import { definitionOf, fakeEnvironment, stateNamed, synthesizeDefinition, type AslDefinition, type SynthesizedDefinition } from '../helpers/definition';
import { buildStack } from '../helpers/stack';

/** The images the pipeline uses: training, the candidate model, and the registered package. */
function images(definition: AslDefinition): string[] {
  const parameters = (name: string) => stateNamed(definition, name).Parameters as Record<string, never>;
  return [
    (parameters('Train').AlgorithmSpecification as { TrainingImage: string }).TrainingImage,
    (parameters('CreateModel').PrimaryContainer as { Image: string }).Image,
    (parameters('Register').InferenceSpecification as { Containers: Array<{ Image: string }> }).Containers[0].Image,
  ];
}

describe('built-in XGBoost image: environment-agnostic stack', () => {
  let synthesized: SynthesizedDefinition;
  beforeAll(() => {
    synthesized = synthesizeDefinition();
  });

  it('maps every region that hosts the image to its account, in one CfnMapping', () => {
    const mappings = synthesized.template.toJSON().Mappings as Record<string, Record<string, { account: string }>>;

    expect(mappings.XgboostImageAccounts).toEqual(
      Object.fromEntries(Object.entries(XGBOOST_IMAGE_ACCOUNTS).map(([region, account]) => [region, { account }])),
    );
  });

  it('resolves, in every mapped region, to the image URI of that region for training, the model and the package', () => {
    for (const region of Object.keys(XGBOOST_IMAGE_ACCOUNTS)) {
      const { definition } = definitionOf(synthesized.template, fakeEnvironment(region));

      expect({ region, images: images(definition) }).toEqual({ region, images: Array(3).fill(xgboostImageUri(region, '1.7-1')) });
    }
  });

  it('uses the configured XGBoost version', () => {
    const { definition } = synthesizeDefinition({ training: { xgboostVersion: '1.5-1' } });

    expect(images(definition)).toEqual(Array(3).fill(xgboostImageUri('us-east-1', '1.5-1')));
  });
});

describe('built-in XGBoost image: stack in a concrete region', () => {
  it('uses the image of the stack region', () => {
    const { definition } = synthesizeDefinition({}, { env: { account: '123456789012', region: 'eu-west-1' } });

    expect(images(definition)).toEqual(Array(3).fill('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'));
  });

  it('throws for a region without the built-in image, asking for training.imageUri', () => {
    expect(() => buildStack({}, { env: { account: '123456789012', region: 'mx-central-1' } })).toThrow(
      /training\.imageUri: the built-in XGBoost image is not available in mx-central-1; set training\.imageUri/,
    );
  });

  it('uses training.imageUri instead, in any region, without the mapping', () => {
    const imageUri = '123456789012.dkr.ecr.mx-central-1.amazonaws.com/churn-xgboost:2024-06';

    const synthesized = synthesizeDefinition({ training: { imageUri } }, { env: { account: '123456789012', region: 'mx-central-1' } });

    expect(images(synthesized.definition)).toEqual([imageUri, imageUri, imageUri]);
    expect(synthesized.template.toJSON().Mappings?.XgboostImageAccounts).toBeUndefined();
  });
});

describe('xgboostImageUri', () => {
  it('builds the URI of a commercial region', () => {
    expect(xgboostImageUri('us-west-2', '1.7-1')).toBe('246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1');
  });

  it('uses the amazonaws.com.cn suffix in China regions', () => {
    expect(xgboostImageUri('cn-north-1', '1.7-1')).toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1');
  });

  it('throws for a region without the image, naming it and asking for training.imageUri', () => {
    expect(() => xgboostImageUri('mx-central-1', '1.7-1')).toThrow(/not available in mx-central-1; set training\.imageUri/);
  });
});

/**
 * The SageMaker Python SDK's image-URI table, an independent record of where the built-in
 * images live: aws/sagemaker-python-sdk v2.257.6 (commit fc582aaa46faf7b7e16ab1e13840869712174cd0),
 * src/sagemaker/image_uri_config/xgboost.json (the training and inference entries of the versions
 * we offer) and src/sagemaker/utils.py ALTERNATE_DOMAINS, copied unchanged into
 * test/fixtures/sagemaker-python-sdk-xgboost.json.
 */
type SdkEntry = { registries: Record<string, string>; repository: string };
const SDK = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'sagemaker-python-sdk-xgboost.json'), 'utf8')) as Record<
  'training' | 'inference',
  { versions: Record<string, SdkEntry> }
> & { alternateDomains: Record<string, string> };
/** The versions training.xgboostVersion accepts, as the published configuration schema lists them. */
const VERSIONS = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'retrain.config.schema.json'), 'utf8')) as {
    properties: { training: { properties: { xgboostVersion: { enum: string[] } } } };
  }
).properties.training.properties.xgboostVersion.enum;
const SDK_ENTRIES = (['training', 'inference'] as const).flatMap((scope) => VERSIONS.map((version) => [scope, version] as const));

/** The URI the SDK builds (image_uris.py ECR_URI_TEMPLATE "{registry}.dkr.{hostname}/{repository}", tag = version). */
function sdkImageUri(entry: SdkEntry, region: string, version: string): string {
  const domain = SDK.alternateDomains[region] ?? 'amazonaws.com';
  return `${entry.registries[region]}.dkr.ecr.${region}.${domain}/${entry.repository}:${version}`;
}

describe('built-in XGBoost image accounts against the SageMaker Python SDK', () => {
  it('has an SDK entry for every version the configuration accepts', () => {
    expect(SDK_ENTRIES.map(([scope, version]) => [scope, version, SDK[scope].versions[version]?.repository])).toEqual(
      SDK_ENTRIES.map(([scope, version]) => [scope, version, 'sagemaker-xgboost']),
    );
  });

  it.each(SDK_ENTRIES)('builds the URI the SDK builds, in every region both list (%s image %s)', (scope, version) => {
    const entry = SDK[scope].versions[version];
    const shared = Object.keys(XGBOOST_IMAGE_ACCOUNTS).filter((region) => region in entry.registries);

    expect(shared.map((region) => xgboostImageUri(region, version))).toEqual(shared.map((region) => sdkImageUri(entry, region, version)));
  });

  it.each(SDK_ENTRIES)('lists every region the SDK lists but the isolated partitions (%s image %s)', (scope, version) => {
    const sdk = Object.keys(SDK[scope].versions[version].registries);

    // Left out on purpose: the ISO partitions, whose ECR hosts are not under amazonaws.com
    // (the fixture's alternateDomains) and which our partition-agnostic template does not serve.
    expect({
      onlyOurs: Object.keys(XGBOOST_IMAGE_ACCOUNTS).filter((region) => !sdk.includes(region)),
      onlySdk: sdk.filter((region) => !(region in XGBOOST_IMAGE_ACCOUNTS)),
    }).toEqual({ onlyOurs: [], onlySdk: ['us-iso-east-1', 'us-isob-east-1', 'us-isof-east-1', 'us-isof-south-1'] });
  });
});
