/**
 * Examples are quoted from, and named after:
 * - [filtering] EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns"
 * - [operators] EventBridge User Guide, "Comparison operators for use in event patterns"
 * - [arrays] EventBridge User Guide, "Arrays in Amazon EventBridge event patterns"
 * - [null] EventBridge User Guide, "Matching events on null values and empty strings"
 * - [ruler] README of aws/event-ruler, the matching library behind EventBridge
 */
import { InvalidInputError } from '../../../lambdas/core/errors';
import { compileEventPattern, matchesEventPattern, validateEventPattern } from '../../../local/event-pattern';
import {
  CLOUDWATCH_ALARM_STATE_CHANGE_TO_ALARM,
  CLOUDWATCH_ALARM_STATE_CHANGE_TO_OK,
  cloudWatchAlarmStateChange,
  S3_OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD,
  S3_OBJECT_CREATED_COPY_OBJECT,
  S3_OBJECT_CREATED_PUT_OBJECT,
  S3_OBJECT_DELETED,
  s3ObjectCreated,
  SAGEMAKER_MODEL_PACKAGE_STATE_CHANGE,
  sageMakerModelPackageStateChange,
  SCHEDULED_EVENT,
  scheduledEvent,
} from '../../helpers/sample-events';

/** [ruler] "Ruler by Example" event. */
const RULER_EVENT = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...RULER_EVENT, detail });

describe('event patterns: exact values and structure', () => {
  it('[ruler] "Simple matching": every field must match, any listed value will do, arrays intersect', () => {
    const pattern = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      detail: { state: ['initializing', 'running'] },
    };

    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
  });

  it('[arrays] matches when the pattern array and the event array share a value', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };

    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] })).toBe(false);
  });

  it('[null] matches "" and null as distinct values', () => {
    const event = {
      version: '0',
      id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
      'detail-type': 'EC2 Instance Launch Successful',
      source: 'aws.autoscaling',
      account: '123456789012',
      time: '2015-11-11T21:31:47Z',
      region: 'us-east-1',
      resources: [],
      detail: { eventVersion: '', responseElements: null },
    };

    expect(matchesEventPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    // "Null values and empty strings are not interchangeable in pattern matching."
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
  });

  it('compares numbers as numbers and never a number with a string', () => {
    expect(matchesEventPattern({ detail: { 'x-limit': [301.8] } }, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [5] } }, JSON.parse('{"detail":{"c-count":5.0}}'))).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': ['5'] } }, RULER_EVENT)).toBe(false);
    expect(matchesEventPattern({ detail: { 'c-count': [5] } }, withDetail({ 'c-count': '5' }))).toBe(false);
    expect(matchesEventPattern({ detail: { flag: [true] } }, withDetail({ flag: true }))).toBe(true);
    expect(matchesEventPattern({ detail: { flag: [true] } }, withDetail({ flag: 'true' }))).toBe(false);
  });

  it('does not match a field the event lacks, nor a leaf where the event has an object', () => {
    expect(matchesEventPattern({ detail: { missing: ['x'] } }, RULER_EVENT)).toBe(false);
    expect(matchesEventPattern({ detail: { state: { name: ['running'] } } }, RULER_EVENT)).toBe(false);
    expect(matchesEventPattern({ detail: ['running'] }, RULER_EVENT)).toBe(false);
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': 'stopped' }] } }, withDetail({}))).toBe(false);
  });

  it('[ruler] "JSON Array Matching": values must come from the same element of an array of objects', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    const nested = { employees: [[event.employees[0], event.employees[1]], [event.employees[2]]] };

    expect(matchesEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Anna'] } }, nested)).toBe(true);
    // rulesForJSONEvent "will not match the Anna/Jones rule"
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
  });
});

describe('event patterns: string operators', () => {
  it('[filtering] "Prefix matching": "time" starting with "2017-10-02"', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };

    expect(matchesEventPattern(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matchesEventPattern(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    expect(matchesEventPattern({ n: [{ prefix: '1' }] }, { n: 12 })).toBe(false); // strings only
  });

  it('[filtering] "Prefix matching while ignoring case": EventB, EVENTB, eventb', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };

    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge']) {
      expect(matchesEventPattern(pattern, { detail: { service } })).toBe(true);
    }
    expect(matchesEventPattern(pattern, { detail: { service: 'Events' } })).toBe(false);
  });

  it('[filtering] "Suffix matching" and "Suffix matching while ignoring case": FileName ending in .png', () => {
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
    const ignoreCase = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesEventPattern(ignoreCase, { detail: { FileName: 'image.PNG' } })).toBe(true);
  });

  it('[ruler] "Equals-ignore-case matching": source EC2', () => {
    expect(matchesEventPattern({ source: [{ 'equals-ignore-case': 'EC2' }] }, { source: 'ec2' })).toBe(true);
    expect(matchesEventPattern({ source: [{ 'equals-ignore-case': 'EC2' }] }, RULER_EVENT)).toBe(false);
  });

  it('[ruler] "Wildcard matching": Simple*Service, and [operators] "dir/*.png"', () => {
    expect(matchesEventPattern({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' })).toBe(true);
    expect(matchesEventPattern({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleService' })).toBe(true);
    expect(matchesEventPattern({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueServices' })).toBe(false);
    expect(matchesEventPattern({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/a/b.png' })).toBe(true);
    expect(matchesEventPattern({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'other/b.png' })).toBe(false);
    expect(matchesEventPattern({ FileName: [{ wildcard: 'a.c' }] }, { FileName: 'abc' })).toBe(false); // "." is literal
  });

  it('[ruler] escapes a literal star as \\* and a backslash as \\\\ in wildcards', () => {
    expect(matchesEventPattern({ v: [{ wildcard: 'a\\*b' }] }, { v: 'a*b' })).toBe(true);
    expect(matchesEventPattern({ v: [{ wildcard: 'a\\*b' }] }, { v: 'axb' })).toBe(false);
    expect(matchesEventPattern({ v: [{ wildcard: 'a\\\\*' }] }, { v: 'a\\anything' })).toBe(true);
  });
});

describe('event patterns: anything-but', () => {
  it('[filtering] matches anything except a string, a number, or a list of either', () => {
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': 'running' }] } }, RULER_EVENT)).toBe(false);
    expect(matchesEventPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, withDetail({ state: 'stopped' }))).toBe(false);
    expect(matchesEventPattern({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, withDetail({ 'x-limit': 200 }))).toBe(false);
    expect(matchesEventPattern({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, RULER_EVENT)).toBe(true);
  });

  it('[filtering] "anything-but prefix": state not starting with "init"', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };

    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
  });

  it('[operators] "Anything-but (ends with)", "(ignore case)" and "using a wildcard"', () => {
    expect(matchesEventPattern({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.txt' })).toBe(true);
    expect(matchesEventPattern({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' })).toBe(false);
    const ignoreCase = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matchesEventPattern(ignoreCase, { state: 'INITIALIZING' })).toBe(false);
    expect(matchesEventPattern(ignoreCase, { state: 'running' })).toBe(true);
    const ignoreCaseList = { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OVERLOADED'] } }] };
    expect(matchesEventPattern(ignoreCaseList, { state: 'overloaded' })).toBe(false);
    const wildcard = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matchesEventPattern(wildcard, { FilePath: 'src/lib/a.ts' })).toBe(false);
    expect(matchesEventPattern(wildcard, { FilePath: 'src/bin/a.ts' })).toBe(true);
    expect(matchesEventPattern({ Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, { Region: 'eu-west-1' })).toBe(false);
  });

  it('matches values of another type, needs the field to be present, and passes arrays with one allowed element', () => {
    expect(matchesEventPattern({ v: [{ 'anything-but': 'x' }] }, { v: 5 })).toBe(true);
    expect(matchesEventPattern({ v: [{ 'anything-but': 5 }] }, { v: '5' })).toBe(true);
    expect(matchesEventPattern({ v: [{ 'anything-but': 'x' }] }, { w: 'y' })).toBe(false);
    expect(matchesEventPattern({ v: [{ 'anything-but': 'x' }] }, { v: ['x'] })).toBe(false);
    expect(matchesEventPattern({ v: [{ 'anything-but': 'x' }] }, { v: ['x', 'y'] })).toBe(true);
  });
});

describe('event patterns: numeric, cidr and exists', () => {
  it('[filtering] "Numeric matching": c-count in (0, 5], d-count < 10, x-limit = 3.018e2', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };

    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ ...RULER_EVENT.detail, 'c-count': 0 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...RULER_EVENT.detail, 'c-count': 6 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...RULER_EVENT.detail, 'd-count': 10 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...RULER_EVENT.detail, 'c-count': '5' }))).toBe(false); // JSON numbers only
    expect(matchesEventPattern({ n: [{ numeric: ['>=', 1, '<', 2] }] }, { n: 1 })).toBe(true);
    expect(matchesEventPattern({ n: [{ numeric: ['>=', 1, '<', 2] }] }, { n: 2 })).toBe(false);
  });

  it('[filtering] "IP address matching": sourceIPAddress in 10.0.0.0/24, IPv4 and IPv6', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

    expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: '10.0.0.33' } })).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: '10.0.1.5' } })).toBe(false);
    expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: 'not an ip' } })).toBe(false);
    expect(matchesEventPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:0:1::5' })).toBe(true);
    expect(matchesEventPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::5' })).toBe(false);
  });

  it('[filtering] "Exists matching": exists:false matches a missing field and a non-leaf one', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const missing = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    // "The preceding event pattern also matches the following event because c-count isn't a leaf node."
    const notLeaf = { ...missing, detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } };

    expect(matchesEventPattern(pattern, missing)).toBe(true);
    expect(matchesEventPattern(pattern, notLeaf)).toBe(true);
    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(false);
  });

  it('[ruler] exists:true matches any present value, null included, and exists:false treats an empty array as absent', () => {
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, withDetail({}))).toBe(false);
    expect(matchesEventPattern({ v: [{ exists: true }] }, { v: null })).toBe(true);
    expect(matchesEventPattern({ v: [{ exists: false }] }, { v: null })).toBe(false);
    expect(matchesEventPattern({ v: [{ exists: false }] }, { v: [] })).toBe(true);
    expect(matchesEventPattern({ v: [{ exists: false }] }, { v: [1, 2] })).toBe(false);
    expect(matchesEventPattern({ v: [{ exists: true }] }, { v: [] })).toBe(false);
  });

  it('combines exists:false with a value: absent, or present with that value', () => {
    const pattern = { v: ['a', { exists: false }] };

    expect(matchesEventPattern(pattern, {})).toBe(true);
    expect(matchesEventPattern(pattern, { v: 'a' })).toBe(true);
    expect(matchesEventPattern(pattern, { v: 'b' })).toBe(false);
  });

  it('[filtering] "Complex example with multiple matching" and the [ruler] version with cidr', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };

    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, { ...RULER_EVENT, time: '2017-10-03T00:00:00Z' })).toBe(false);
  });
});

describe('event patterns: $or', () => {
  const base = { source: 'aws.cloudwatch', metricName: 'NetworkIn', namespace: 'AWS/EC2' };

  it('[ruler] "Normal Or": source AND (metricName OR namespace)', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };

    expect(matchesEventPattern(pattern, base)).toBe(true);
    expect(matchesEventPattern(pattern, { ...base, namespace: 'AWS/S3' })).toBe(false);
    expect(matchesEventPattern(pattern, { ...base, namespace: 'AWS/S3', metricName: 'ReadLatency' })).toBe(true);
    expect(matchesEventPattern(pattern, { ...base, source: 'aws.ec2' })).toBe(false);
  });

  it('[ruler] "Nested Or and And"', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    };

    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1000 })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' })).toBe(false);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  it('[ruler] "Parallel Or" inside a nested object', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };

    expect(matchesEventPattern(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } })).toBe(true);
    expect(matchesEventPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.s3' } })).toBe(false);
  });
});

describe('event patterns: validation', () => {
  const invalid: Array<[string, unknown, RegExp]> = [
    ['a pattern that is not an object', ['source'], /event pattern: expected an object, got \["source"\]/],
    ['an empty pattern', {}, /empty objects are not allowed/],
    ['a value that is neither an array nor an object', { source: 'aws.s3' }, /at source: "source" must be an object or an array, got "aws.s3"/],
    ['an empty array', { source: [] }, /at source: empty arrays are not allowed/],
    ['an empty nested object', { detail: {} }, /at detail: empty objects are not allowed/],
    ['a nested array value', { source: [['a']] }, /at source\[0\]: a value must be a string, number, boolean, null or an object/],
    ['an unknown operator', { source: [{ contains: 'x' }] }, /at source\[0\]: unrecognized match type "contains"/],
    ['two operators in one object', { n: [{ prefix: 'a', suffix: 'b' }] }, /exactly one operator/],
    ['a prefix that is not a string', { n: [{ prefix: 5 }] }, /at n\[0\].prefix: expected a string or \{"equals-ignore-case": string\}/],
    ['exists that is not a boolean', { n: [{ exists: 'yes' }] }, /at n\[0\].exists: expected true or false/],
    ['an anything-but list mixing types', { n: [{ 'anything-but': ['a', 1] }] }, /only strings or only numbers/],
    ['an empty anything-but list', { n: [{ 'anything-but': [] }] }, /non-empty list/],
    ['anything-but with null', { n: [{ 'anything-but': null }] }, /anything-but: expected a string, a number/],
    ['anything-but with an unknown operator', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }, /one of prefix, suffix, equals-ignore-case, wildcard/],
    ['an empty anything-but prefix', { n: [{ 'anything-but': { prefix: '' } }] }, /an empty prefix is not allowed/],
    ['a numeric range upside down', { n: [{ numeric: ['>', 5, '<', 1] }] }, /lower bound 5 must be below the upper bound 1/],
    ['a numeric operator that does not exist', { n: [{ numeric: ['!=', 1] }] }, /unrecognized numeric operator "!="/],
    ['a numeric value that is a string', { n: [{ numeric: ['>', '1'] }] }, /the value after ">" must be a number, got "1"/],
    ['a numeric range closing with ">"', { n: [{ numeric: ['>', 1, '>', 2] }] }, /a range ends with "<" or "<="/],
    ['consecutive wildcards', { n: [{ wildcard: 'a**b' }] }, /consecutive wildcard characters at position 1/],
    ['an invalid wildcard escape', { n: [{ wildcard: 'a\\b' }] }, /invalid escape at position 1/],
    ['an invalid CIDR block', { n: [{ cidr: '10.0.0.0/33' }] }, /expected a CIDR block/],
    ['$or with one alternative', { $or: [{ a: ['x'] }] }, /"\$or" must be an array of at least 2 objects/],
    ['$or with a non-object', { $or: [{ a: ['x'] }, 'b'] }, /at \$or\[1\]: each "\$or" alternative must be an object/],
    ['an operator name as a field inside $or', { $or: [{ numeric: [1] }, { prefix: ['a'] }] }, /"numeric" is an operator and cannot be a field name inside "\$or"/],
  ];

  it.each(invalid)('rejects %s', (_name, pattern, message) => {
    expect(() => validateEventPattern(pattern)).toThrow(InvalidInputError);
    expect(() => validateEventPattern(pattern)).toThrow(message);
  });

  it('accepts a pattern given as JSON text, and rejects JSON that does not parse', () => {
    expect(matchesEventPattern('{"source":["aws.ec2"]}', RULER_EVENT)).toBe(true);
    expect(() => validateEventPattern('{"source": [')).toThrow(/event pattern is not valid JSON/);
  });

  it('rejects an event that is not an object', () => {
    expect(() => matchesEventPattern({ source: ['x'] }, ['x'])).toThrow(/event: expected a JSON object/);
  });

  it('compiles once and matches many events', () => {
    const compiled = compileEventPattern({ source: ['aws.ec2'] });

    expect([RULER_EVENT, SCHEDULED_EVENT].map((event) => compiled.matches(event))).toEqual([true, false]);
  });
});

describe('event patterns: AWS sample events and the rules retrain synthesizes', () => {
  const newData = {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: { bucket: { name: ['retrain-data'] }, object: { key: [{ prefix: 'raw/' }] } },
  };

  it('routes Object Created under raw/ for PutObject, CompleteMultipartUpload and CopyObject alike', () => {
    for (const sample of [S3_OBJECT_CREATED_PUT_OBJECT, S3_OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD, S3_OBJECT_CREATED_COPY_OBJECT]) {
      const reason = sample.detail.reason as 'PutObject' | 'CompleteMultipartUpload' | 'CopyObject';
      expect(matchesEventPattern(newData, s3ObjectCreated({ bucket: 'retrain-data', key: 'raw/2024/a.csv', reason }))).toBe(true);
    }
    expect(matchesEventPattern(newData, S3_OBJECT_CREATED_PUT_OBJECT)).toBe(false); // another bucket
    expect(matchesEventPattern(newData, s3ObjectCreated({ bucket: 'retrain-data', key: 'runs/r1/data/test.csv' }))).toBe(false);
    expect(matchesEventPattern({ ...newData, 'detail-type': ['Object Deleted'] }, S3_OBJECT_DELETED)).toBe(false);
  });

  it('routes an alarm going into ALARM, not the way back to OK', () => {
    const arn = 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:retrain-drift';
    const degradation = {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: [arn],
      detail: { state: { value: ['ALARM'] } },
    };

    expect(matchesEventPattern(degradation, cloudWatchAlarmStateChange({ alarmArn: arn }))).toBe(true);
    expect(matchesEventPattern(degradation, cloudWatchAlarmStateChange({ alarmArn: arn, state: 'OK', previousState: 'ALARM' }))).toBe(false);
    expect(matchesEventPattern(degradation, CLOUDWATCH_ALARM_STATE_CHANGE_TO_ALARM)).toBe(false); // another alarm
    const sampleAlarm = { ...degradation, resources: CLOUDWATCH_ALARM_STATE_CHANGE_TO_OK.resources };
    expect(matchesEventPattern(sampleAlarm, CLOUDWATCH_ALARM_STATE_CHANGE_TO_ALARM)).toBe(true);
    expect(matchesEventPattern(sampleAlarm, CLOUDWATCH_ALARM_STATE_CHANGE_TO_OK)).toBe(false);
  });

  it('routes approved model packages of one group and scheduled events of one rule', () => {
    const approved = {
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Package State Change'],
      detail: { ModelPackageGroupName: ['versionedmp-p-idy6c3e1fiqj'], ModelApprovalStatus: ['Approved'] },
    };
    const ruleArn = 'arn:aws:events:eu-west-1:111122223333:rule/retrain-schedule';

    expect(matchesEventPattern(approved, SAGEMAKER_MODEL_PACKAGE_STATE_CHANGE)).toBe(false); // documented one is Rejected
    expect(matchesEventPattern(approved, sageMakerModelPackageStateChange({ approvalStatus: 'Approved' }))).toBe(true);
    expect(matchesEventPattern(approved, sageMakerModelPackageStateChange({ approvalStatus: 'Approved', groupName: 'other' }))).toBe(false);
    const schedule = { source: ['aws.events'], 'detail-type': ['Scheduled Event'], resources: [ruleArn] };
    expect(matchesEventPattern(schedule, scheduledEvent({ ruleArn }))).toBe(true);
    expect(matchesEventPattern({ source: ['aws.events'], resources: [ruleArn] }, SCHEDULED_EVENT)).toBe(false);
  });
});
