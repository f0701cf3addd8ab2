/**
 * CreateModel / DescribeModel / DeleteModel. A model is a record (image, model data, role); the
 * artifact is read when an endpoint or a transform job uses it, as in SageMaker.
 */
import type { CreateModelInput, CreateModelOutput, DescribeModelOutput } from '@aws-sdk/client-sagemaker';
import type { BackendContext } from './context';
import { SageMakerApiError } from './errors';
import { keyOfUri, required, validateName } from './names';

export class Models {
  constructor(private readonly ctx: BackendContext) {}

  async create(request: CreateModelInput): Promise<CreateModelOutput> {
    const name = validateName(request.ModelName, 'modelName');
    const container = request.PrimaryContainer ?? request.Containers?.[0];
    required(container, 'primaryContainer');
    required(container?.Image, 'primaryContainer.image');
    const modelDataUrl = required(container?.ModelDataUrl, 'primaryContainer.modelDataUrl');
    keyOfUri(modelDataUrl, this.ctx.bucket, 'PrimaryContainer.ModelDataUrl');
    const arn = this.ctx.arns.of('model', name);
    const record: DescribeModelOutput = {
      ModelName: name,
      ModelArn: arn,
      PrimaryContainer: request.PrimaryContainer ?? container,
      Containers: request.Containers,
      ExecutionRoleArn: request.ExecutionRoleArn,
      VpcConfig: request.VpcConfig,
      EnableNetworkIsolation: request.EnableNetworkIsolation ?? false,
      CreationTime: this.ctx.clock.now(),
    };
    if (!(await this.ctx.state.create('models', name, record))) {
      throw new SageMakerApiError('ValidationException', `Cannot create already existing model "${arn}".`, { modelName: name });
    }
    return { ModelArn: arn };
  }

  async describe(name: string): Promise<DescribeModelOutput> {
    const model = await this.ctx.state.get<DescribeModelOutput>('models', validateName(name, 'modelName'));
    if (!model) {
      throw new SageMakerApiError('ValidationException', `Could not find model "${this.ctx.arns.of('model', name)}".`, { modelName: name });
    }
    return model;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.ctx.state.delete('models', validateName(name, 'modelName')))) {
      throw new SageMakerApiError('ValidationException', `Could not find model "${this.ctx.arns.of('model', name)}".`, { modelName: name });
    }
  }

  /** The object key of the model's artifact. */
  async artifactKey(name: string): Promise<string> {
    const model = await this.describe(name);
    const container = model.PrimaryContainer ?? model.Containers?.[0];
    return keyOfUri(container?.ModelDataUrl, this.ctx.bucket, 'PrimaryContainer.ModelDataUrl');
  }
}
