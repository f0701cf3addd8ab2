/** Types and constants shared by the constructs, the Lambdas and local mode. */

/** Key prefixes of the data bucket (DESIGN.md section 3). */
export const DATA_PREFIXES = {
  raw: 'raw/',
  runs: 'runs/',
  quarantine: 'quarantine/',
  capture: 'capture/',
  groundTruth: 'ground-truth/',
  monitoring: 'monitoring/',
  driftReports: 'monitoring/drift/',
  qualityReports: 'monitoring/quality/',
} as const;

/** Attribute names of the state table. */
export const STATE_TABLE_KEYS = {
  partition: 'pk',
  sort: 'sk',
  ttl: 'expiresAt',
} as const;
