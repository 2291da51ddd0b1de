/**
 * Every reason the enclave refuses a request. A refusal issues no receipt, so the client is never charged for
 * it. Codes are stable strings: the host maps them to HTTP errors and clients match on them
 * (docs/WORKER-ENCLAVE.md lists what each means).
 */
export const REFUSAL_CODES = [
    'BAD_REQUEST', // request cell, payload or lastReceipt cell cannot be parsed, or maxTokens is 0
    'BAD_CLIENT_SIGNATURE', // not signed by the order's client session key
    'WRONG_NETWORK', // request.network is not this enclave's network
    'WRONG_ORDER', // request names another order: a re-routed request
    'WRONG_MODEL', // request.model differs from the order's model
    'MODEL_NOT_LOADED', // this enclave serves no model with that sha256
    'WRONG_PRICES', // signed prices differ from the order's prices
    'BAD_SEQNO', // seqno is not lastReceipt.seqno + 1 (or 1 for the first request)
    'BAD_TRANSCRIPT', // prevTranscript is not lastReceipt.transcript (zero for the first request)
    'LAST_RECEIPT_REQUIRED', // the request names a last receipt but none was passed
    'LAST_RECEIPT_HASH_MISMATCH', // the passed lastReceipt is not the one the client signed
    'LAST_RECEIPT_FORGED', // lastReceipt is not signed by this enclave or an accepted previous enclave key
    'LAST_RECEIPT_MISMATCH', // lastReceipt binds another network, registry, order, client key or model
    'REPLAYED_REQUEST', // this enclave already served this seqno (or a later one) for the order
    'REQUEST_IN_FLIGHT', // another request of the same order is being served right now
    'PAYLOAD_HASH_MISMATCH', // sha256(enc || ciphertext) is not the signed payloadHash
    'DECRYPTION_FAILED', // HPKE open failed: wrong key, wrong AAD, tampered, bad padding
    'BAD_PAYLOAD', // decrypted plaintext is not a valid request JSON
    'CONTEXT_OVERFLOW', // prompt tokens + maxTokens do not fit the model's context window
    'SPEND_CAP_EXCEEDED', // cost so far + worst case of this request > the client's signed maxSpend
    'BUDGET_EXCEEDED', // cost so far + worst case of this request > the order's budget
    'INFERENCE_FAILED', // the inference engine failed; nothing was billed
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];

export class EnclaveRefusal extends Error {
    constructor(
        readonly code: RefusalCode,
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'EnclaveRefusal';
    }
}
