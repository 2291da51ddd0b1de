import type { Config } from 'jest';

const config: Config = {
    preset: 'ts-jest',
    testEnvironment: 'node',
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.bench\\.ts$', '\\.props\\.ts$'],
    testTimeout: 60000,
    // ts-jest type-checks each file; `npm test` already runs tsc --noEmit once for the whole tree.
    transform: { '^.+\\.tsx?$': ['ts-jest', { diagnostics: false, isolatedModules: true }] },
    reporters: ['default', '<rootDir>/tests/helpers/totalsReporter.js'],
};

export default config;
