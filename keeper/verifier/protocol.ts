/**
 * POST /verify: the wire format is shared with the worker host's client (wrappers/api/verifierApi.ts,
 * docs/KEEPER.md); what is the keeper's own is how it refuses.
 */
export * from '../../wrappers/api/verifierApi';

/** A refusal with a stable code (HTTP 422 unless noted) and a human reason. */
export class VerifyRefusal extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly status = 422,
    ) {
        super(message);
        this.name = 'VerifyRefusal';
    }
}
