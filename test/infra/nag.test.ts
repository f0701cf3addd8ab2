import { buildStack } from '../helpers/stack';
import { nagFindings } from '../helpers/nag';

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding with the default configuration', () => {
    const { app } = buildStack();

    expect(nagFindings(app)).toEqual([]);
  });

  it('has no unacknowledged finding with every optional feature on', () => {
    const { app } = buildStack({
      notifications: { email: 'ops@example.com' },
      training: { spot: { enabled: true, maxWaitSeconds: 7200 }, vpc: { subnetIds: ['subnet-0abc'], securityGroupIds: ['sg-0abc'] } },
      deployment: { manualApproval: true, instanceCount: 2, strategy: { type: 'canary', canaryPercent: 50 } },
      triggers: { extraAlarmArns: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency'], newData: { suffix: '_SUCCESS' } },
    });

    expect(nagFindings(app)).toEqual([]);
  });
});
