/**
 * AWS size limits that a run can reach with its own data, and how AWS measures them. (Lambda's
 * 6 MB synchronous payload is not among them: every Lambda payload here is a Step Functions
 * state or an EventBridge event, bounded first by 256 KiB.) Local
 * mode enforces them so that a run that would break in the cloud breaks locally, the same way;
 * the adapters check the ones the cloud reports less readably.
 */

/** Step Functions: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string" (Step Functions Developer Guide, service quotas). */
export const STATE_PAYLOAD_BYTES = 256 * 1024;

/** DynamoDB: "The maximum item size in DynamoDB is 400 KB" (DynamoDB Developer Guide, service quotas: items). */
export const DYNAMODB_ITEM_BYTES = 400 * 1024;

/** EventBridge: "The total entry size must be less than 256KB" (EventBridge User Guide, "Calculating PutEvents event entry size"). */
export const EVENTBRIDGE_ENTRY_BYTES = 256 * 1024;

/** Bytes of a JSON value as the services count it: its UTF-8 encoding. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * A PutEvents entry's size as EventBridge calculates it: Time (14 bytes when given), and the
 * UTF-8 bytes of Source, DetailType, Detail and each Resources entry.
 */
export function eventBridgeEntryBytes(entry: { source: string; detailType: string; detail: string; resources?: readonly string[]; time?: boolean }): number {
  const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
  return (entry.time ? 14 : 0) + utf8(entry.source) + utf8(entry.detailType) + utf8(entry.detail) + (entry.resources ?? []).reduce((sum, r) => sum + utf8(r), 0);
}

/**
 * An item's size as DynamoDB counts it (DynamoDB Developer Guide, "Item sizes and formats"):
 * attribute names and strings by their UTF-8 bytes; a number by about one byte per two
 * significant digits plus one; true, false and null one byte; a map or list 3 bytes plus one
 * byte per element plus its elements (and, in a map, their names).
 */
export function dynamoDbItemBytes(attributes: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) size += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  return size;
}

function valueBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
    return Math.ceil(Math.max(digits, 1) / 2) + 1;
  }
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, element) => sum + 1 + valueBytes(element), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>).reduce<number>((sum, [k, v]) => (v === undefined ? sum : sum + 1 + Buffer.byteLength(k, 'utf8') + valueBytes(v)), 0);
  }
  return 0;
}
