import { dynamoDbItemBytes, eventBridgeEntryBytes, jsonBytes } from '../../../lambdas/core/aws-limits';

describe('aws-limits: sizes as the services count them', () => {
  it('counts a PutEvents entry as its UTF-8 Source, DetailType, Detail and Resources, plus 14 bytes for Time (EventBridge User Guide)', () => {
    expect(eventBridgeEntryBytes({ source: 'retrain', detailType: 'Model Deployed', detail: '{"runId":"r"}' })).toBe(7 + 14 + 13);
    expect(eventBridgeEntryBytes({ source: 'retrain', detailType: 'é', detail: '{}', resources: ['arn:x'], time: true })).toBe(14 + 7 + 2 + 2 + 5);
  });

  it('counts a DynamoDB item as names plus values: strings by UTF-8 bytes, numbers by significant digits, maps and lists with 3 bytes and 1 per element (DynamoDB Developer Guide)', () => {
    expect(dynamoDbItemBytes({ pk: 'LOCK' })).toBe(2 + 4);
    expect(dynamoDbItemBytes({ n: 12345 })).toBe(1 + 4); // 5 significant digits: ceil(5/2) + 1
    expect(dynamoDbItemBytes({ ok: true, none: null })).toBe(2 + 1 + 4 + 1);
    expect(dynamoDbItemBytes({ data: { a: 'xy' } })).toBe(4 + 3 + 1 + 1 + 2);
    expect(dynamoDbItemBytes({ list: ['a', 'b'] })).toBe(4 + 3 + 2 * (1 + 1));
  });

  it('measures JSON payloads in UTF-8 bytes, as Step Functions does', () => {
    expect(jsonBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
  });
});
