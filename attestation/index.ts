/** Public API of the attestation library (worker: produce quotes; verifiers and clients: verify them). */
export * from './errors';
export * from './quote';
export * from './measurement';
export * from './collateral';
export * from './verifier';
export * from './intelRoot';
export { DevRoot, DevPlatform, defaultDataDir, loadOrCreateDevRoot, DEV_PLATFORM_DEFAULTS } from './devRoot';
export { devCollateral, DevCollateralOptions } from './devCollateral';
export * from './tee/types';
export * from './tee/tdxBackend';
export * from './tee/select';
export {
    SimulatedTdxBackend,
    createSimulatedBackend,
    buildSimulatedQuote,
    simulatedTdFields,
    SimulatedQuoteOptions,
    DEFAULT_SIMULATED_IMAGE,
} from './tee/simulatedBackend';
