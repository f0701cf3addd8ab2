/**
 * Examples are quoted from the EventBridge User Guide, "Amazon EventBridge input transformation"
 * (eb-transform-target-input), section "Input transform examples", and from the EventBridge API
 * reference of InputTransformer.
 */
import { InvalidInputError } from '../../../lambdas/core/errors';
import { renderInputTransformer, resolvePath } from '../../../local/input-transformer';
import { s3ObjectCreated } from '../../helpers/sample-events';

/** The guide's "example Amazon EC2 event". */
const EC2_EVENT = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

/** The guide's Input Path. */
const INPUT_PATHS_MAP = {
  timestamp: '$.time',
  instance: '$.detail.instance-id',
  state: '$.detail.state',
  resource: '$.resources[0]',
};

const CONTEXT = { ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example', ruleName: 'example' };

function render(template: string, paths: Record<string, string> = INPUT_PATHS_MAP, event: object = EC2_EVENT) {
  return renderInputTransformer({ InputPathsMap: paths, InputTemplate: template }, event, CONTEXT);
}

describe('input transformer: the guide\'s "Input transform examples"', () => {
  it('"Simple string"', () => {
    expect(render('"instance <instance> is in <state>"')).toBe('instance i-0123456789 is in RUNNING');
  });

  it('"String with escaped quotes"', () => {
    expect(render('"instance \\"<instance>\\" is in <state>"')).toBe('instance "i-0123456789" is in RUNNING');
  });

  it('"Simple JSON": variables outside quotes become JSON strings', () => {
    expect(render('{\n  "instance" : <instance>,\n  "state": <state>\n}')).toEqual({ instance: 'i-0123456789', state: 'RUNNING' });
  });

  it('"JSON with strings and variables"', () => {
    const template = '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}';

    expect(render(template)).toEqual({ instance: 'i-0123456789', state: 'RUNNING', instanceStatus: 'instance "i-0123456789" is in RUNNING' });
  });

  it('"JSON with a mix of variables and static information"', () => {
    const template = '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}';

    expect(render(template)).toEqual({ instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' });
  });

  it('"Including reserved variables in JSON": rule ARN, rule name and the original event', () => {
    const template = `{
  "instance" : <instance>,
  "state": <state>,
  "ruleArn" : <aws.events.rule-arn>,
  "ruleName" : <aws.events.rule-name>,
  "originalEvent" : <aws.events.event.json>,
  "withoutDetail" : <aws.events.event>
}`;
    const { detail: _detail, ...withoutDetail } = EC2_EVENT;

    expect(render(template)).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
      ruleName: 'example',
      originalEvent: EC2_EVENT,
      withoutDetail,
    });
  });

  it('"Including reserved variables in a string"', () => {
    expect(render('"<aws.events.rule-name> triggered"')).toBe('example triggered');
  });

  it('reads an array element with the guide\'s "$.resources[0]" and the ingestion time', () => {
    expect(render('{"resource": <resource>, "at": <aws.events.event.ingestion-time>}')).toEqual({
      resource: 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111',
      at: '2015-11-11T21:29:54Z',
    });
    const context = { ...CONTEXT, ingestionTime: '2015-11-11T21:30:00Z' };
    expect(renderInputTransformer({ InputTemplate: '"<aws.events.event.ingestion-time>"' }, EC2_EVENT, context)).toBe('2015-11-11T21:30:00Z');
  });
});

describe('input transformer: the API reference examples', () => {
  const paths = { instance: '$.detail.instance', status: '$.detail.status' };
  const event = { detail: { instance: 'i-1', status: 'running' } };

  it('renders a template that is not JSON as text', () => {
    expect(render('<instance> is in state <status>', paths, event)).toBe('i-1 is in state running');
    expect(render('<instance> is in state "<status>"', paths, event)).toBe('i-1 is in state "running"');
  });

  it('renders "valid JSON with variables in quotes or out"', () => {
    expect(render('{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}', paths, event)).toEqual({
      myInstance: 'i-1',
      myStatus: 'i-1 is in state "running"',
    });
  });

  it('rejects a placeholder used as an object key', () => {
    expect(() => render('{<instance>: 1}', paths, event)).toThrow(InvalidInputError);
    expect(() => render('{"<instance>": 1}', paths, event)).toThrow(/cannot be used in an object key/);
  });
});

describe('input transformer: values of every type', () => {
  const event = { detail: { n: 3.5, flag: false, nothing: null, obj: { key1: 'value1' }, list: ['a', 'b'], quote: 'say "hi" \\ now' } };
  const paths = Object.fromEntries(Object.keys(event.detail).map((name) => [name, `$.detail.${name}`]));

  it('inserts numbers, booleans, null, objects and arrays as JSON outside strings', () => {
    expect(render('{"n": <n>, "flag": <flag>, "nothing": <nothing>, "obj": <obj>, "list": <list>}', paths, event)).toEqual({
      n: 3.5,
      flag: false,
      nothing: null,
      obj: { key1: 'value1' },
      list: ['a', 'b'],
    });
  });

  it('inserts values as text inside strings: objects lose their quotes, and quotes in strings are escaped', () => {
    expect(render('"Detail is <obj>"', paths, event)).toBe('Detail is {key1:value1}');
    expect(render('"<n> <flag> <nothing> <list>"', paths, event)).toBe('3.5 false null [a,b]');
    expect(render('{"message": "quote: <quote>"}', paths, event)).toEqual({ message: 'quote: say "hi" \\ now' });
  });

  it('rejects the whole event inside a string ("can only be used as a value for a JSON field")', () => {
    expect(() => render('"event: <aws.events.event.json>"')).toThrow(/<aws.events.event.json> can only be the value of a JSON field/);
  });

  it('renders a path that does not resolve as null in JSON and as nothing inside strings', () => {
    const missing = { gone: '$.detail.gone', item: '$.resources[5]' };

    expect(render('{"gone": <gone>, "item": <item>, "text": "[<gone>]"}', missing)).toEqual({ gone: null, item: null, text: '[]' });
  });

  it('leaves <name> as text when name is not a variable', () => {
    expect(render('"<b>bold</b> <state>"')).toBe('<b>bold</b> RUNNING');
  });

  it('returns a list for wildcard paths', () => {
    expect(resolvePath(EC2_EVENT, '$.resources[*]')).toEqual({ found: true, value: EC2_EVENT.resources });
    expect(resolvePath(EC2_EVENT, '$.detail.*')).toEqual({ found: true, value: ['i-0123456789', 'RUNNING'] });
    expect(resolvePath(EC2_EVENT, '$')).toEqual({ found: true, value: EC2_EVENT });
  });
});

describe('input transformer: the shape CDK synthesizes for retrain rules', () => {
  it('renders RuleTargetInput.fromObject with EventField paths into a state machine input', () => {
    // CDK renders EventField.fromPath('$.detail.object.key') as <detail-object-key> with that path.
    const transformer = {
      InputPathsMap: { 'detail-bucket-name': '$.detail.bucket.name', 'detail-object-key': '$.detail.object.key', id: '$.id', time: '$.time' },
      InputTemplate:
        '{"trigger":{"type":"new-data","eventId":<id>,"time":<time>,' +
        '"detail":{"bucket":<detail-bucket-name>,"key":<detail-object-key>}},' +
        '"source":"s3://<detail-bucket-name>/<detail-object-key>"}',
    };
    const event = s3ObjectCreated({ bucket: 'retrain-data', key: 'raw/2024/sales "q1".csv', id: 'e-1', time: '2024-05-01T10:00:00Z' });

    expect(renderInputTransformer(transformer, event, CONTEXT)).toEqual({
      trigger: {
        type: 'new-data',
        eventId: 'e-1',
        time: '2024-05-01T10:00:00Z',
        detail: { bucket: 'retrain-data', key: 'raw/2024/sales "q1".csv' },
      },
      source: 's3://retrain-data/raw/2024/sales "q1".csv',
    });
  });
});

describe('input transformer: validation', () => {
  it('rejects an empty or oversized template, bad variable names and unsupported paths', () => {
    expect(() => render('')).toThrow(/InputTemplate: expected 1 to 8192 characters/);
    expect(() => render('x'.repeat(8193))).toThrow(InvalidInputError);
    expect(() => render('"<a.b>"', { 'a.b': '$.id' })).toThrow(/variable name "a.b" must match/);
    expect(() => render('"<x>"', { x: 'detail.state' })).toThrow(/InputPathsMap.x: "detail.state" is not a supported JSON path \(it must start with "\$"\)/);
    expect(() => render('"<x>"', { x: "$['detail']" })).toThrow(/use dot notation, \[index\] or \*/);
  });

  it('allows at most 100 variables', () => {
    const paths = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, '$.id']));

    expect(() => render('"x"', paths)).toThrow(/at most 100 variables, got 101/);
  });
});
