/**
 * Promote: the endpoint serves the new model, so it becomes the champion (pointer in the
 * state table: package, model, config, metric, baseline, since). Then endpoint configs older
 * than the newest few are deleted — never the one in use.
 */
import type { Clock, ModelHosting, StateStore } from '../adapters/ports';
import { messageOf } from './errors';
import { RUN_ID_PATTERN } from './triggers';
import type { Champion } from './types';

export const CHAMPION_KEY = { pk: 'CHAMPION', sk: 'CURRENT' } as const;

export interface PromoteRequest {
  readonly runId: string;
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly modelName: string;
  readonly modelPackageArn: string;
  readonly metric: { readonly name: string; readonly value: number };
  readonly baselineUri: string;
  readonly schemaUri: string;
  readonly configPrefix: string;
  readonly keepConfigs: number;
}

export interface PromoteResult {
  readonly champion: Champion;
  readonly previousChampionRunId: string | null;
  readonly deletedConfigs: string[];
  /** Configs that could not be deleted (kept; the next run tries again). */
  readonly cleanupFailures: Array<{ name: string; error: string }>;
}

export async function promoteChampion(
  ports: { state: StateStore; hosting: ModelHosting; clock: Clock },
  request: PromoteRequest,
): Promise<PromoteResult> {
  const previous = await ports.state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk);
  const retried = previous?.data.runId === request.runId;
  const champion: Champion = retried ? previous.data : {
    runId: request.runId,
    modelPackageArn: request.modelPackageArn,
    modelName: request.modelName,
    endpointConfigName: request.endpointConfigName,
    metric: request.metric,
    baselineUri: request.baselineUri,
    schemaUri: request.schemaUri,
    since: ports.clock.now().toISOString(),
  };
  if (!retried) {
    await ports.state.put<Champion>({ ...CHAMPION_KEY, data: champion }, { always: true });
    await ports.state.put({ pk: 'CHAMPION_HISTORY', sk: `${champion.since}#${request.runId}`, data: champion }, { always: true });
  }

  const endpoint = await ports.hosting.describeEndpoint(request.endpointName);
  const inUse = new Set([request.endpointConfigName, endpoint?.endpointConfigName].filter((n): n is string => Boolean(n)));
  // Only configs this project created: `<project>-<runId>`. A prefix alone would also match
  // other projects whose names extend this one (retrain-staging-... for project retrain).
  const own = new RegExp(`^${escapeRegExp(request.configPrefix)}${RUN_ID_PATTERN}$`);
  const configs = (await ports.hosting.listEndpointConfigs(request.configPrefix)).filter((c) => own.test(c.name));
  const stale = configs.slice(request.keepConfigs).filter((c) => !inUse.has(c.name));
  const deletedConfigs: string[] = [];
  const cleanupFailures: PromoteResult['cleanupFailures'] = [];
  for (const config of stale) {
    try {
      await ports.hosting.deleteEndpointConfig(config.name);
      deletedConfigs.push(config.name);
    } catch (error) {
      cleanupFailures.push({ name: config.name, error: messageOf(error) });
    }
  }
  return { champion, previousChampionRunId: retried ? null : (previous?.data.runId ?? null), deletedConfigs, cleanupFailures };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
