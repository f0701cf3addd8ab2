/**
 * A model container on loopback, following SageMaker's hosting contract
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html):
 * - GET /ping: 200 when the model is loaded and healthy, 500 otherwise;
 * - POST /invocations: a text/csv body of feature rows (no label) → 200 text/csv predictions in
 *   the built-in XGBoost format (see inference.ts); an empty body → 204; a content type other
 *   than text/csv or a value that is not a number → 415; rows of the wrong size → 400; a body
 *   over 6 MB → 413 (the container's MAX_CONTENT_LENGTH).
 * The server binds 127.0.0.1 on a free port and serves until close().
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidInputError, messageOf } from '../../lambdas/core/errors';
import { parseCsvPayload, type LoadedModel } from './inference';

export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface ModelServerOptions {
  /** The model, or why it could not be loaded (then /ping answers 500 with the reason). */
  readonly model: LoadedModel | { readonly loadError: string };
  /** false: /ping answers 500 although the model loaded (an injected fault). */
  readonly healthy: boolean;
  /** Batch transform mode (SAGEMAKER_BATCH): one prediction per line. */
  readonly batch?: boolean;
}

export interface ModelServer {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => send(response, 500, messageOf(error)));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: ModelServerOptions): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/ping') {
    if ('loadError' in options.model) return send(response, 500, `Unable to load model: ${options.model.loadError}`);
    if (!options.healthy) return send(response, 500, 'health check failed (faults.healthCheckFails)');
    return send(response, 200, '');
  }
  if (request.method === 'POST' && path === '/invocations') {
    const body = await readBody(request);
    if (body === undefined) return send(response, 413, `payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
    if (body.length === 0) return send(response, 204, '');
    const mediaType = (request.headers['content-type'] ?? 'text/csv').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'text/csv') {
      return send(response, 415, `Content-type ${mediaType} not supported. Supported content-type is text/csv, text/libsvm, application/x-recordio-protobuf`);
    }
    if ('loadError' in options.model) return send(response, 500, `Unable to load model: ${options.model.loadError}`);
    const model = options.model;
    let rows: Float64Array[];
    try {
      rows = parseCsvPayload(body.toString('utf8'), model.model.numFeatures);
    } catch (error) {
      const status = error instanceof InvalidInputError && error.message.startsWith('Feature size') ? 400 : 415;
      return send(response, status, status === 400 ? `Unable to evaluate payload provided: ${messageOf(error)}` : messageOf(error));
    }
    if (rows.length === 0) return send(response, 204, '');
    return send(response, 200, model.predictCsv(rows, options.batch ?? false), 'text/csv; charset=utf-8');
  }
  return send(response, 404, `no route ${request.method} ${path}`);
}

/** The body, or undefined when it is larger than MAX_PAYLOAD_BYTES. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
