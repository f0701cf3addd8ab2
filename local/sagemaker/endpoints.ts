/**
 * Hosting: endpoint configurations, endpoints and InvokeEndpoint.
 *
 * Endpoints go through SageMaker's states, asynchronously (the call returns at once and a
 * describe right after it sees the transitional state; the transition completes within
 * milliseconds to a second; `waitForSettled()` waits for it):
 * - CreateEndpoint: Creating → InService, or Failed (with FailureReason) when the model cannot
 *   be loaded or its container fails the /ping health check;
 * - UpdateEndpoint: Updating (still served by the old configuration; PendingDeploymentSummary
 *   names the new one) → InService on the new configuration. When the new model fails its health
 *   check, or one of the AutoRollbackConfiguration alarms is in ALARM once it is up, the update
 *   is rolled back as a blue/green deployment does: InService on the OLD configuration, with a
 *   FailureReason saying why. UpdateEndpoint while Creating/Updating is refused with SageMaker's
 *   "Cannot update in-progress endpoint". DeploymentConfig (BlueGreenUpdatePolicy with any
 *   traffic routing, AutoRollbackConfiguration) is accepted and kept as LastDeploymentConfig;
 *   traffic moves all at once (there is one instance), so wait intervals are not waited for.
 * - DeleteEndpoint: the endpoint is gone when the call returns (SageMaker shows Deleting for a while).
 * - DeleteEndpointConfig: as in SageMaker, deleting a configuration an endpoint uses is allowed;
 *   the endpoint keeps serving, but a later update or rollback to it fails. retrain never does it.
 *
 * One production variant per configuration is supported (a model server per endpoint).
 *
 * Processes: a model server lives in the process that created or updated the endpoint; the
 * endpoint's state file records its URL and process id. Another process (`retrain local invoke`)
 * reads the URL from the state and POSTs to it, and captures the request itself (capture is
 * done by the runtime front end, as in SageMaker, so the capture files of that process are
 * written when it flushes or closes). When the owning process has exited, invocations fail with
 * ServiceUnavailable naming it, and `resumeEndpoints()` in a new process starts servers again
 * for the endpoints that are InService.
 */
import { Agent, request as httpRequest } from 'node:http';
import type {
  CreateEndpointConfigInput,
  CreateEndpointConfigOutput,
  CreateEndpointInput,
  CreateEndpointOutput,
  DataCaptureConfig,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  DeploymentConfig,
  EndpointConfigSummary,
  ListEndpointConfigsInput,
  ListEndpointConfigsOutput,
  UpdateEndpointInput,
  UpdateEndpointOutput,
} from '@aws-sdk/client-sagemaker';
import { seededRandom } from '../../lambdas/core/stats';
import { messageOf } from '../../lambdas/core/errors';
import { CaptureWriter } from './capture-writer';
import { faultApplies, type BackendContext } from './context';
import { InvocationError, SageMakerApiError } from './errors';
import { loadModel, type LoadedModel } from './inference';
import { startModelServer, type ModelServer } from './model-server';
import type { Models } from './models';
import { keyOfUri, required, validateName } from './names';
import { compareNames, paginate } from './paging';

/** CloudWatch alarm states, for AutoRollbackConfiguration (local mode's alarms). */
export interface AlarmStates {
  isInAlarm(alarmName: string): Promise<boolean>;
}

export interface InvokeOptions {
  /** @default "text/csv" */
  readonly contentType?: string;
  /** Accept header. @default "text/csv" */
  readonly accept?: string;
  /** Recorded in the capture (eventMetadata.inferenceId) to join ground truth. */
  readonly inferenceId?: string;
}

/** InvokeEndpoint's output (SageMaker Runtime InvokeEndpointOutput). */
export interface InvokeEndpointResult {
  readonly Body: Uint8Array;
  readonly ContentType: string;
  readonly InvokedProductionVariant: string;
}

interface ServerInfo {
  readonly pid: number;
  readonly url: string;
  readonly variantName: string;
  readonly modelName: string;
  readonly endpointConfigName: string;
}

/** What is stored per endpoint: SageMaker's description plus where its model server listens. */
interface EndpointRecord {
  readonly description: DescribeEndpointOutput;
  readonly server?: ServerInfo;
  /** The process running the current create or update (Creating / Updating). */
  readonly deployerPid?: number;
  /** Increases with every create and update, so a late deployment never overwrites a newer state. */
  readonly generation: number;
}

const HEALTH_CHECK_FAILED = (variant: string) =>
  `The primary container for production variant ${variant} did not pass the ping health check. Please check CloudWatch logs for this endpoint.`;

export class Hosting {
  /** Model servers this process runs, by endpoint name. */
  private readonly servers = new Map<string, ModelServer>();
  private readonly pending = new Set<Promise<void>>();
  private backgroundError: unknown;
  private readonly capture: CaptureWriter;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private readonly sample: () => number;
  private closed = false;

  constructor(
    private readonly ctx: BackendContext,
    private readonly models: Models,
    private readonly options: { readonly alarms?: AlarmStates; readonly captureMaxRecords?: number; readonly seed?: number } = {},
  ) {
    this.capture = new CaptureWriter(ctx.store, options.captureMaxRecords);
    this.sample = seededRandom(options.seed ?? 0);
  }

  // ----- endpoint configurations -----

  async createEndpointConfig(request: CreateEndpointConfigInput): Promise<CreateEndpointConfigOutput> {
    const name = validateName(request.EndpointConfigName, 'endpointConfigName');
    const variants = required(request.ProductionVariants, 'productionVariants');
    if (variants.length !== 1) {
      throw new SageMakerApiError('ValidationException', `local mode supports exactly one production variant, got ${variants.length}`, { name });
    }
    variants.forEach((variant, i) => {
      validateName(variant.VariantName, `productionVariants.${i + 1}.member.variantName`);
      validateName(variant.ModelName, `productionVariants.${i + 1}.member.modelName`);
    });
    for (const variant of variants) await this.models.describe(variant.ModelName as string);
    if (request.DataCaptureConfig) validateCapture(request.DataCaptureConfig, this.ctx.bucket);
    const arn = this.ctx.arns.of('endpoint-config', name);
    const record: DescribeEndpointConfigOutput = {
      EndpointConfigName: name,
      EndpointConfigArn: arn,
      ProductionVariants: variants,
      DataCaptureConfig: request.DataCaptureConfig,
      KmsKeyId: request.KmsKeyId,
      AsyncInferenceConfig: request.AsyncInferenceConfig,
      ExecutionRoleArn: request.ExecutionRoleArn,
      VpcConfig: request.VpcConfig,
      EnableNetworkIsolation: request.EnableNetworkIsolation,
      CreationTime: this.ctx.clock.now(),
    };
    if (!(await this.ctx.state.create('endpoint-configs', name, record))) {
      throw new SageMakerApiError('ValidationException', `Cannot create already existing endpoint configuration "${arn}".`, { name });
    }
    return { EndpointConfigArn: arn };
  }

  async describeEndpointConfig(name: string): Promise<DescribeEndpointConfigOutput> {
    const config = await this.ctx.state.get<DescribeEndpointConfigOutput>('endpoint-configs', validateName(name, 'endpointConfigName'));
    if (!config) {
      throw new SageMakerApiError('ValidationException', `Could not find endpoint configuration "${this.ctx.arns.of('endpoint-config', name)}".`, {
        name,
      });
    }
    return config;
  }

  /** ListEndpointConfigs: NameContains, CreationTime bounds, SortBy (default CreationTime), SortOrder (default Descending), MaxResults (default 10), NextToken. */
  async listEndpointConfigs(request: ListEndpointConfigsInput = {}): Promise<ListEndpointConfigsOutput> {
    const all = await this.ctx.state.list<DescribeEndpointConfigOutput>('endpoint-configs');
    const filtered = all.filter(
      (c) =>
        (request.NameContains === undefined || (c.EndpointConfigName ?? '').includes(request.NameContains)) &&
        // "creation time greater than or equal to the specified time" (API Reference, ListEndpointConfigs)
        (request.CreationTimeAfter === undefined || (c.CreationTime as Date) >= request.CreationTimeAfter) &&
        (request.CreationTimeBefore === undefined || (c.CreationTime as Date) < request.CreationTimeBefore),
    );
    const byName = request.SortBy === 'Name';
    const descending = (request.SortOrder ?? 'Descending') === 'Descending';
    filtered.sort((a, b) => {
      const order = byName
        ? compareNames(a.EndpointConfigName as string, b.EndpointConfigName as string)
        : (a.CreationTime as Date).getTime() - (b.CreationTime as Date).getTime() ||
          compareNames(a.EndpointConfigName as string, b.EndpointConfigName as string);
      return descending ? -order : order;
    });
    return paginate(filtered, request.MaxResults, request.NextToken, (c): EndpointConfigSummary => ({
      EndpointConfigName: c.EndpointConfigName,
      EndpointConfigArn: c.EndpointConfigArn,
      CreationTime: c.CreationTime,
    }), 'EndpointConfigs');
  }

  /** Allowed for a configuration an endpoint uses, as in SageMaker (see the file comment). */
  async deleteEndpointConfig(name: string): Promise<void> {
    if (!(await this.ctx.state.delete('endpoint-configs', validateName(name, 'endpointConfigName')))) {
      throw new SageMakerApiError('ValidationException', `Could not find endpoint configuration "${this.ctx.arns.of('endpoint-config', name)}".`, {
        name,
      });
    }
  }

  // ----- endpoints -----

  async createEndpoint(request: CreateEndpointInput): Promise<CreateEndpointOutput> {
    this.checkOpen();
    const name = validateName(request.EndpointName, 'endpointName');
    const configName = validateName(request.EndpointConfigName, 'endpointConfigName');
    const config = await this.describeEndpointConfig(configName);
    const arn = this.ctx.arns.of('endpoint', name);
    const now = this.ctx.clock.now();
    const record: EndpointRecord = {
      description: {
        EndpointName: name,
        EndpointArn: arn,
        EndpointConfigName: configName,
        EndpointStatus: 'Creating',
        CreationTime: now,
        LastModifiedTime: now,
        ...(request.DeploymentConfig ? { LastDeploymentConfig: request.DeploymentConfig } : {}),
        PendingDeploymentSummary: { EndpointConfigName: configName, StartTime: now },
        DataCaptureConfig: captureSummary(config.DataCaptureConfig),
      },
      deployerPid: process.pid,
      generation: 1,
    };
    if (!(await this.ctx.state.create('endpoints', name, record))) {
      throw new SageMakerApiError('ValidationException', `Cannot create already existing endpoint "${arn}".`, { endpointName: name });
    }
    this.launch(() => this.deploy(name, record.generation, configName, undefined));
    return { EndpointArn: arn };
  }

  async updateEndpoint(request: UpdateEndpointInput): Promise<UpdateEndpointOutput> {
    this.checkOpen();
    const name = validateName(request.EndpointName, 'endpointName');
    const configName = validateName(request.EndpointConfigName, 'endpointConfigName');
    const current = await this.record(name);
    const arn = current.description.EndpointArn as string;
    const status = current.description.EndpointStatus;
    if (status === 'Creating' || status === 'Updating' || status === 'RollingBack' || status === 'SystemUpdating' || status === 'Deleting') {
      throw new SageMakerApiError('ValidationException', `Cannot update in-progress endpoint "${arn}".`, { endpointName: name, status });
    }
    if (status === 'Failed') {
      throw new SageMakerApiError('ValidationException', `Cannot update failed endpoint "${arn}"; delete it and create it again.`, { endpointName: name });
    }
    await this.describeEndpointConfig(configName);
    const deployment = request.DeploymentConfig ?? (request.RetainDeploymentConfig ? current.description.LastDeploymentConfig : undefined);
    const now = this.ctx.clock.now();
    const next: EndpointRecord = {
      ...current,
      description: {
        ...current.description,
        EndpointStatus: 'Updating',
        FailureReason: undefined,
        LastModifiedTime: now,
        LastDeploymentConfig: deployment,
        PendingDeploymentSummary: { EndpointConfigName: configName, StartTime: now },
      },
      deployerPid: process.pid,
      generation: current.generation + 1,
    };
    await this.ctx.state.put('endpoints', name, next);
    this.launch(() => this.deploy(name, next.generation, configName, deployment));
    return { EndpointArn: arn };
  }

  /** DescribeEndpoint; an unknown endpoint is ValidationException "Could not find endpoint ...". */
  async describeEndpoint(name: string): Promise<DescribeEndpointOutput> {
    return (await this.record(validateName(name, 'endpointName'))).description;
  }

  async deleteEndpoint(name: string): Promise<void> {
    await this.record(validateName(name, 'endpointName'));
    await this.ctx.state.delete('endpoints', name);
    const server = this.servers.get(name);
    this.servers.delete(name);
    await server?.close();
  }

  /**
   * InvokeEndpoint: POSTs the body to the endpoint's model server and captures the request and
   * the response per the endpoint configuration's DataCaptureConfig.
   */
  async invokeEndpoint(name: string, body: string | Uint8Array, options: InvokeOptions = {}): Promise<InvokeEndpointResult> {
    const contentType = options.contentType ?? 'text/csv';
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    let record = await this.invocable(name);
    let response: { status: number; contentType: string; body: Buffer };
    try {
      response = await this.post(record.server as ServerInfo, payload, contentType, options.accept ?? 'text/csv');
    } catch {
      // A kept-alive connection may have been closed by the server, or an update may just have
      // replaced the server: try once more, on a new connection, with the current state.
      record = await this.invocable(name);
      try {
        response = await this.post(record.server as ServerInfo, payload, contentType, options.accept ?? 'text/csv', false);
      } catch (error) {
        throw this.unavailable(name, record.server as ServerInfo, error);
      }
    }
    const server = record.server as ServerInfo;
    if (response.status !== 200 && response.status !== 204) {
      throw new InvocationError(
        'ModelError',
        `Received ${response.status >= 500 ? 'server' : 'client'} error (${response.status}) from primary with message "${response.body.toString('utf8')}".`,
        { endpointName: name, originalStatusCode: response.status },
      );
    }
    await this.captureInvocation(name, server, { contentType, data: payload }, { contentType: response.contentType, data: response.body }, options.inferenceId);
    return { Body: new Uint8Array(response.body), ContentType: response.contentType, InvokedProductionVariant: server.variantName };
  }

  /** Writes every buffered capture record; resolves with the number of capture files written so far. */
  flushCapture(): Promise<number> {
    return this.capture.flush();
  }

  /** Resolves when every create/update started by this process has reached its next state. */
  async waitForSettled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.backgroundError !== undefined) {
      const error = this.backgroundError;
      this.backgroundError = undefined;
      throw error;
    }
  }

  /**
   * Takes over, in this process, the endpoints whose process has exited: InService endpoints
   * get a model server again; a create or update that process left half done (Creating or
   * Updating) is started again. Returns the names of the endpoints it took over.
   */
  async resumeEndpoints(): Promise<string[]> {
    this.checkOpen();
    const resumed: string[] = [];
    for (const record of await this.ctx.state.list<EndpointRecord>('endpoints')) {
      const name = record.description.EndpointName as string;
      const status = record.description.EndpointStatus;
      if ((status === 'Creating' || status === 'Updating') && record.deployerPid !== undefined && !isAlive(record.deployerPid)) {
        const configName = record.description.PendingDeploymentSummary?.EndpointConfigName ?? (record.description.EndpointConfigName as string);
        const next: EndpointRecord = { ...record, deployerPid: process.pid, generation: record.generation + 1 };
        await this.ctx.state.put('endpoints', name, next);
        this.launch(() => this.deploy(name, next.generation, configName, record.description.LastDeploymentConfig));
        resumed.push(name);
        continue;
      }
      const server = record.server;
      if (status !== 'InService' || !server || this.servers.has(name)) continue;
      if (server.pid !== process.pid && isAlive(server.pid)) continue;
      const started = await this.startServer(server.endpointConfigName);
      if ('failure' in started) {
        await this.ctx.state.put('endpoints', name, {
          ...record,
          description: { ...record.description, EndpointStatus: 'Failed', FailureReason: started.failure, LastModifiedTime: this.ctx.clock.now() },
        });
        continue;
      }
      this.servers.set(name, started.server);
      await this.ctx.state.put('endpoints', name, { ...record, server: { ...server, pid: process.pid, url: started.server.url } });
      resumed.push(name);
    }
    return resumed;
  }

  /** Stops every model server of this process and writes the buffered capture. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(servers.map((s) => s.close()));
    this.agent.destroy();
    await this.capture.flush();
  }

  // ----- internals -----

  private checkOpen(): void {
    if (this.closed) throw new SageMakerApiError('ValidationException', 'the local SageMaker backend is closed');
  }

  private async record(name: string): Promise<EndpointRecord> {
    const record = await this.ctx.state.get<EndpointRecord>('endpoints', name);
    if (!record) {
      throw new SageMakerApiError('ValidationException', `Could not find endpoint "${this.ctx.arns.of('endpoint', name)}".`, { endpointName: name });
    }
    return record;
  }

  private async invocable(name: string): Promise<EndpointRecord> {
    const record = await this.ctx.state.get<EndpointRecord>('endpoints', name);
    if (!record) {
      throw new InvocationError('ValidationError', `Endpoint ${name} of account ${this.ctx.arns.accountId} not found.`, { endpointName: name });
    }
    if (!record.server || (record.description.EndpointStatus !== 'InService' && record.description.EndpointStatus !== 'Updating')) {
      throw new InvocationError(
        'ValidationError',
        `Endpoint ${name} is not in service (status ${record.description.EndpointStatus}${record.description.FailureReason ? `: ${record.description.FailureReason}` : ''}).`,
        { endpointName: name, status: record.description.EndpointStatus },
      );
    }
    return record;
  }

  private unavailable(name: string, server: ServerInfo, error: unknown): InvocationError {
    const owner = server.pid === process.pid ? 'this process' : `process ${server.pid}${isAlive(server.pid) ? '' : ', which is no longer running'}`;
    return new InvocationError(
      'ServiceUnavailable',
      `The model server of endpoint ${name} (${server.url}, started by ${owner}) does not answer: ${messageOf(error)}. ` +
        'resumeEndpoints() in a running process serves it again.',
      { endpointName: name, url: server.url, pid: server.pid },
    );
  }

  private launch(task: () => Promise<void>): void {
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        this.backgroundError ??= error;
      })
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  /** Brings an endpoint to `configName`: the create or update that was just recorded as `generation`. */
  private async deploy(name: string, generation: number, configName: string, deployment: DeploymentConfig | undefined): Promise<void> {
    const started = await this.startServer(configName);
    let failure = 'failure' in started ? started.failure : undefined;
    if (!failure && 'server' in started) failure = await this.alarmFailure(deployment);
    const current = await this.ctx.state.get<EndpointRecord>('endpoints', name);
    if (!current || current.generation !== generation || this.closed) {
      if ('server' in started) await started.server.close();
      return;
    }
    const now = this.ctx.clock.now();
    const creating = current.description.EndpointStatus === 'Creating';
    if (failure !== undefined || !('server' in started)) {
      if ('server' in started) await started.server.close();
      const reason = failure ?? 'the model server did not start';
      const description: DescribeEndpointOutput = creating
        ? { ...current.description, EndpointStatus: 'Failed', FailureReason: reason, LastModifiedTime: now, PendingDeploymentSummary: undefined }
        : {
            ...current.description,
            EndpointStatus: 'InService',
            FailureReason: `${reason} The update to endpoint configuration ${configName} was rolled back; the endpoint serves ${current.description.EndpointConfigName}.`,
            LastModifiedTime: now,
            PendingDeploymentSummary: undefined,
          };
      await this.ctx.state.put('endpoints', name, { ...current, description });
      return;
    }
    const config = await this.describeEndpointConfig(configName);
    const variant = config.ProductionVariants?.[0];
    const model = await this.models.describe(started.modelName);
    const description: DescribeEndpointOutput = {
      ...current.description,
      EndpointConfigName: configName,
      EndpointStatus: 'InService',
      FailureReason: undefined,
      LastModifiedTime: now,
      PendingDeploymentSummary: undefined,
      DataCaptureConfig: captureSummary(config.DataCaptureConfig),
      ProductionVariants: [
        {
          VariantName: started.variantName,
          DeployedImages: [{ SpecifiedImage: model.PrimaryContainer?.Image, ResolvedImage: model.PrimaryContainer?.Image, ResolutionTime: now }],
          CurrentWeight: variant?.InitialVariantWeight ?? 1,
          DesiredWeight: variant?.InitialVariantWeight ?? 1,
          CurrentInstanceCount: variant?.ServerlessConfig ? undefined : (variant?.InitialInstanceCount ?? 1),
          DesiredInstanceCount: variant?.ServerlessConfig ? undefined : (variant?.InitialInstanceCount ?? 1),
          CurrentServerlessConfig: variant?.ServerlessConfig,
          DesiredServerlessConfig: variant?.ServerlessConfig,
        },
      ],
    };
    const server: ServerInfo = {
      pid: process.pid,
      url: started.server.url,
      variantName: started.variantName,
      modelName: started.modelName,
      endpointConfigName: configName,
    };
    const previous = this.servers.get(name);
    this.servers.set(name, started.server);
    await this.ctx.state.put('endpoints', name, { ...current, description, server });
    await previous?.close();
  }

  /** Loads the configuration's model into a new server and health-checks it. */
  private async startServer(
    configName: string,
  ): Promise<{ server: ModelServer; variantName: string; modelName: string } | { failure: string }> {
    let config: DescribeEndpointConfigOutput;
    try {
      config = await this.describeEndpointConfig(configName);
    } catch (error) {
      return { failure: messageOf(error) };
    }
    const variant = config.ProductionVariants?.[0];
    const variantName = variant?.VariantName ?? 'AllTraffic';
    const modelName = variant?.ModelName as string;
    let model: LoadedModel | { loadError: string };
    try {
      model = await loadModel(this.ctx.store, await this.models.artifactKey(modelName));
    } catch (error) {
      model = { loadError: messageOf(error) };
    }
    const server = await startModelServer({ model, healthy: !faultApplies(this.ctx.faults.healthCheckFails, modelName) });
    const ping = await this.ping(server.url);
    if (!ping.ok) {
      await server.close();
      return { failure: `${HEALTH_CHECK_FAILED(variantName)} (local: ${ping.detail})` };
    }
    return { server, variantName, modelName };
  }

  private async alarmFailure(deployment: DeploymentConfig | undefined): Promise<string | undefined> {
    const alarms = deployment?.AutoRollbackConfiguration?.Alarms ?? [];
    if (!this.options.alarms) return undefined;
    for (const alarm of alarms) {
      if (alarm.AlarmName && (await this.options.alarms.isInAlarm(alarm.AlarmName))) {
        return `Alarm ${alarm.AlarmName} was in ALARM state during the deployment (AutoRollbackConfiguration).`;
      }
    }
    return undefined;
  }

  private ping(url: string): Promise<{ ok: boolean; detail: string }> {
    return new Promise((resolve) => {
      const req = httpRequest(`${url}/ping`, { method: 'GET', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ ok: res.statusCode === 200, detail: `GET /ping answered ${res.statusCode} ${Buffer.concat(chunks).toString('utf8')}`.trim() }));
      });
      req.on('error', (error) => resolve({ ok: false, detail: `GET /ping failed: ${error.message}` }));
      req.end();
    });
  }

  private post(
    server: ServerInfo,
    body: Buffer,
    contentType: string,
    accept: string,
    keepAlive = true,
  ): Promise<{ status: number; contentType: string; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/invocations`,
        { method: 'POST', agent: keepAlive && !this.closed ? this.agent : false, headers: { 'Content-Type': contentType, Accept: accept, 'Content-Length': body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? 'text/csv'), body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private async captureInvocation(
    name: string,
    server: ServerInfo,
    input: { contentType: string; data: Buffer },
    output: { contentType: string; data: Buffer },
    inferenceId: string | undefined,
  ): Promise<void> {
    const config = await this.ctx.state.get<DescribeEndpointConfigOutput>('endpoint-configs', server.endpointConfigName);
    const capture = config?.DataCaptureConfig;
    if (!capture || capture.EnableCapture === false) return;
    if (this.sample() * 100 >= (capture.InitialSamplingPercentage ?? 0)) return;
    const modes = new Set((capture.CaptureOptions ?? []).map((o) => o.CaptureMode));
    this.capture.add({
      destinationPrefix: keyOfUri(capture.DestinationS3Uri, this.ctx.bucket, 'DataCaptureConfig.DestinationS3Uri'),
      endpointName: name,
      variantName: server.variantName,
      inferenceTime: this.ctx.clock.now(),
      inferenceId,
      input: modes.has('Input') || modes.has('InputAndOutput') ? input : undefined,
      output: modes.has('Output') || modes.has('InputAndOutput') ? output : undefined,
      contentTypeHeader: capture.CaptureContentTypeHeader,
    });
  }
}

function validateCapture(capture: DataCaptureConfig, bucket: string): void {
  keyOfUri(required(capture.DestinationS3Uri, 'dataCaptureConfig.destinationS3Uri'), bucket, 'DataCaptureConfig.DestinationS3Uri');
  const percent = required(capture.InitialSamplingPercentage, 'dataCaptureConfig.initialSamplingPercentage');
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new SageMakerApiError('ValidationException', `DataCaptureConfig.InitialSamplingPercentage must be an integer in [0, 100], got ${percent}`);
  }
  if (!capture.CaptureOptions || capture.CaptureOptions.length === 0) {
    throw new SageMakerApiError('ValidationException', 'DataCaptureConfig.CaptureOptions must have at least 1 item');
  }
}

function captureSummary(capture: DataCaptureConfig | undefined): DescribeEndpointOutput['DataCaptureConfig'] {
  if (!capture) return undefined;
  const enabled = capture.EnableCapture !== false;
  return {
    EnableCapture: enabled,
    CaptureStatus: enabled ? 'Started' : 'Stopped',
    CurrentSamplingPercentage: capture.InitialSamplingPercentage,
    DestinationS3Uri: capture.DestinationS3Uri,
    KmsKeyId: capture.KmsKeyId,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
