/**
 * Whether a SageMaker ML instance type has local (NVMe) instance storage. Such instances
 * encrypt that storage with a hardware module, and SageMaker refuses a KMS key for it:
 * SageMaker API Reference, ResourceConfig.VolumeKmsKeyId and TransformResources.VolumeKmsKeyId
 * ("You can't request a VolumeKmsKeyId when using an instance type with local storage") and
 * CreateEndpointConfig.KmsKeyId ("If you specify a value for KmsKeyId when using any nitro-based
 * instances with local storage, the call to CreateEndpointConfig fails"). ResourceConfig's
 * VolumeSizeInGB names ml.p4d, ml.g4dn and ml.g5 as families with NVMe instance storage; EC2's
 * naming marks instance storage with a "d" after the generation (c5d, m5dn, r6id, p3dn, x2iedn).
 * Only g5 breaks that rule in the documentation; another family that does gets a clear
 * ValidationException from SageMaker at once rather than a volume left without the project key.
 */
const NVME_FAMILIES_WITHOUT_D = new Set(['g5']);

export function hasInstanceStorage(instanceType: string): boolean {
  const family = /^ml\.([a-z0-9-]+)\./.exec(instanceType)?.[1];
  if (family === undefined) return false;
  return NVME_FAMILIES_WITHOUT_D.has(family) || /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family);
}
