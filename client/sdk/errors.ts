import { describeExitCode, ExitCode } from '../../wrappers/Constants';

/**
 * Every failure the SDK reports, with a stable machine-readable code (CLIs and apps branch on it).
 * Codes are public API: add new ones, never rename.
 */
export const CLIENT_ERROR_CODES = [
    'CONFIG_INVALID', // options, flags or a config file fail validation
    'BUDGET_TOO_SMALL', // budget below the OrderBook's minimum, or the wallet cannot pay for the order
    'MODEL_NOT_ALLOWED', // the model is not (yet) on the allowlist
    'NO_PROVIDER', // not matched before the deadline: the order was closed and refunded
    'ATTESTATION_INVALID', // quote, measurement, REPORTDATA or on-chain keys do not check out
    'WORKER_UNREACHABLE', // the provider's worker did not answer: the order was closed so it refunds
    'WORKER_REFUSED', // the worker answered with an error (an enclave refusal code when it gives one)
    'RESPONSE_INVALID', // the sealed answer does not open or is malformed
    'RECEIPT_INVALID', // the receipt is not signed by the enclave or does not bind this session
    'ORDER_NOT_FOUND', // no session for the order in the data dir, or no contract on-chain
    'BAD_STATE', // the order is not in a state that allows the operation
    'CHAIN_REJECTED', // a transaction failed on-chain (exitCode set; see describeExitCode)
    'TIMEOUT', // the chain did not show the expected result in time
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export class ClientError extends Error {
    constructor(
        readonly code: ClientErrorCode,
        message: string,
        readonly details: { exitCode?: number; refusal?: string; cause?: unknown; [k: string]: unknown } = {},
    ) {
        super(`${code}: ${message}`);
        this.name = 'ClientError';
    }

    get exitCode(): number | undefined {
        return this.details.exitCode;
    }
}

/** A failed transaction as a ClientError; the contract's exit codes that have a closer meaning get their code. */
export function chainError(action: string, exitCode: number): ClientError {
    const text = `${action} failed on-chain: ${describeExitCode(exitCode)}`;
    if (exitCode === ExitCode.BUDGET_TOO_LOW || exitCode === ExitCode.LOW_VALUE) {
        return new ClientError('BUDGET_TOO_SMALL', text, { exitCode });
    }
    if (exitCode === ExitCode.MODEL_NOT_ALLOWED) return new ClientError('MODEL_NOT_ALLOWED', text, { exitCode });
    if (exitCode === ExitCode.BAD_STATE) return new ClientError('BAD_STATE', text, { exitCode });
    return new ClientError('CHAIN_REJECTED', text, { exitCode });
}
