/**
 * Picks the worker's TEE backend: real TDX when configfs-tsm is present, otherwise the simulated one (unless
 * the caller insists on 'tdx', e.g. a mainnet worker that must never fall back to a simulated quote).
 */
import { createSimulatedBackend, SimulatedQuoteOptions } from './simulatedBackend';
import { TdxBackend, TdxBackendOptions, tdxUnavailableReason } from './tdxBackend';
import { TeeBackend, TeeUnavailableError } from './types';

export type TeeMode = 'auto' | 'tdx' | 'simulated';

export interface SelectTeeOptions extends TdxBackendOptions, SimulatedQuoteOptions {
    mode?: TeeMode;
    /** Where the simulated backend keeps the dev root; default $COCOON_DATA_DIR or ~/.cocoon-ton. */
    dataDir?: string;
}

export async function selectTeeBackend(opts: SelectTeeOptions = {}): Promise<TeeBackend> {
    const mode = opts.mode ?? 'auto';
    if (mode === 'tdx') return new TdxBackend(opts);
    if (mode === 'simulated') return createSimulatedBackend(opts);
    if (tdxUnavailableReason(opts) === null) return new TdxBackend(opts);
    return createSimulatedBackend(opts);
}

export { TeeUnavailableError };
