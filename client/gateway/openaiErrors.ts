import { ClientError } from '../sdk/errors';

/**
 * Errors in OpenAI's JSON shape (`{error: {message, type, param, code}}`) with the HTTP status an OpenAI
 * SDK expects, so apps handle market failures with the error handling they already have.
 */
export class GatewayError extends Error {
    constructor(
        readonly status: number,
        readonly type: string,
        readonly code: string,
        message: string,
        readonly param: string | null = null,
    ) {
        super(message);
    }

    toJSON() {
        return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
    }
}

export const badRequest = (message: string, param: string | null = null) =>
    new GatewayError(400, 'invalid_request_error', 'invalid_request', message, param);
export const unknownModel = (model: string) =>
    new GatewayError(
        404,
        'invalid_request_error',
        'model_not_found',
        `The model '${model}' does not exist or is not allowlisted`,
        'model',
    );
export const noProvider = (message: string) => new GatewayError(503, 'server_error', 'no_provider', message);
export const spendCapReached = (message: string) =>
    new GatewayError(402, 'insufficient_quota', 'spend_cap_reached', message);
export const attestationFailed = (message: string) =>
    new GatewayError(502, 'server_error', 'attestation_failed', message);

/** Maps an SDK failure to the OpenAI-shaped error a caller should see. */
export function fromClientError(e: ClientError): GatewayError {
    switch (e.code) {
        case 'MODEL_NOT_ALLOWED':
            return new GatewayError(404, 'invalid_request_error', 'model_not_found', e.message, 'model');
        case 'NO_PROVIDER':
            return noProvider(e.message);
        case 'ATTESTATION_INVALID':
            return attestationFailed(e.message);
        case 'BUDGET_TOO_SMALL':
            return spendCapReached(e.message);
        case 'WORKER_UNREACHABLE':
        case 'WORKER_REFUSED':
        case 'RESPONSE_INVALID':
        case 'RECEIPT_INVALID':
            return new GatewayError(502, 'server_error', e.code.toLowerCase(), e.message);
        case 'CONFIG_INVALID':
            return badRequest(e.message);
        default:
            return new GatewayError(500, 'server_error', e.code.toLowerCase(), e.message);
    }
}
