/** Public API of the attestation library (worker: produce quotes; verifiers and clients: verify them). */
export * from './errors';
export * from './quote';
export * from './measurement';
export * from './collateral';
export * from './verifier';
export * from './intelRoot';
export type { DevRoot, DevPlatform } from './devRoot';
export { defaultDataDir, loadOrCreateDevRoot, DEV_PLATFORM_DEFAULTS } from './devRoot';
export { devCollateral } from './devCollateral';
export type { DevCollateralOptions } from './devCollateral';
export * from './tee/types';
export * from './tee/tdxBackend';
export * from './tee/select';
export {
    SimulatedTdxBackend,
    createSimulatedBackend,
    buildSimulatedQuote,
    simulatedTdFields,
    DEFAULT_SIMULATED_IMAGE,
} from './tee/simulatedBackend';
export type { SimulatedQuoteOptions } from './tee/simulatedBackend';
