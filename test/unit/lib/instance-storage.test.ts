import { hasInstanceStorage } from '../../../lib/private/instance-storage';
import { stateNamed, synthesizeDefinition } from '../../helpers/definition';

describe('instance storage: no KMS volume key where SageMaker refuses one', () => {
  it('recognizes the families the SageMaker API reference names (ml.p4d, ml.g4dn, ml.g5) and the "d" families', () => {
    expect(['ml.p4d.24xlarge', 'ml.g4dn.xlarge', 'ml.g5.2xlarge', 'ml.m5d.large', 'ml.c5d.xlarge', 'ml.r5dn.large'].filter(hasInstanceStorage)).toHaveLength(6);
    expect(['ml.m5.large', 'ml.c5.xlarge', 'ml.t3.medium', 'ml.inf2.xlarge', 'ml.g5g.xlarge'].filter(hasInstanceStorage)).toEqual([]);
  });

  it('leaves VolumeKmsKeyId out of training on ml.g5 and keeps it on ml.m5', () => {
    const gpu = stateNamed(synthesizeDefinition({ training: { instanceType: 'ml.g5.xlarge' } }).definition, 'Train').Parameters!;
    const cpu = stateNamed(synthesizeDefinition().definition, 'Train').Parameters!;

    expect(gpu.ResourceConfig).not.toHaveProperty('VolumeKmsKeyId');
    expect(cpu.ResourceConfig).toHaveProperty('VolumeKmsKeyId');
  });
});
