/**
 * A TEE backend turns 64 bytes of REPORTDATA into a signed TDX quote. The worker does not care which one it
 * has: real TDX (tdxBackend.ts, inside a TD) or simulated (simulatedBackend.ts, anywhere, trusted only by
 * verifiers configured with the machine's development root).
 */
export interface TeeBackend {
    kind: 'tdx' | 'simulated';
    /** `reportData` must be exactly 64 bytes (computeReportData() in measurement.ts). */
    getQuote(reportData: Buffer): Promise<Buffer>;
}

/** The backend cannot run here (no TDX device, no configfs-tsm, ...). `message` says what is missing. */
export class TeeUnavailableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'TeeUnavailableError';
    }
}

export function assertReportData(reportData: Buffer): void {
    if (!Buffer.isBuffer(reportData) || reportData.length !== 64) {
        throw new Error(
            `reportData must be a 64-byte Buffer, got ${Buffer.isBuffer(reportData) ? reportData.length : typeof reportData}`,
        );
    }
}
