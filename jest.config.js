/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  // aws-local-stepfunctions and a few of its dependencies ship ESM only.
  transformIgnorePatterns: [],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
  testTimeout: 30000,
  // Both cores: the default (cores - 1) leaves one idle on a 2-core CI machine.
  maxWorkers: 2,
};
