/**
 * Every rejection carries a stable machine-readable code (callers branch on it, logs and metrics group by it)
 * and a human reason. Codes are part of the public API: add new ones, never rename.
 */
export const ATTESTATION_ERROR_CODES = [
    // The quote itself
    'QUOTE_MALFORMED', // bytes do not parse as a TDX v4 quote (truncated, bad lengths, trailing data)
    'QUOTE_UNSUPPORTED', // parses, but version / TEE type / key type is not TDX v4 ECDSA-P256
    'QUOTE_SIGNATURE', // attestation key signature over header + TD report is invalid
    'QE_REPORT_SIGNATURE', // QE report not signed by the PCK key
    'QE_REPORT_BINDING', // QE report does not bind the attestation key (sha256(key || auth data))
    'QE_IDENTITY', // QE mrsigner / prodid / attributes / miscselect / svn do not match the QE identity
    'QE_VENDOR', // QE vendor id is not Intel's
    // Certificates
    'CERT_CHAIN', // PCK or collateral signing chain does not lead to the trusted root
    'CERT_EXPIRED', // a certificate in a chain is outside its validity at `now`
    'CERT_REVOKED', // a CA or signing certificate is listed in a CRL
    'PCK_REVOKED', // the quote's PCK certificate is listed in the PCK CRL
    'PCK_EXTENSION', // PCK certificate lacks a well-formed SGX extension
    // Collateral
    'COLLATERAL_MALFORMED', // missing field, bad JSON, wrong id/version, bad hex
    'COLLATERAL_SIGNATURE', // tcb_info or qe_identity signature invalid
    'COLLATERAL_EXPIRED', // tcb_info / qe_identity nextUpdate is before `now`
    'COLLATERAL_NOT_YET_VALID', // tcb_info / qe_identity issueDate is after `now`
    'COLLATERAL_FETCH', // PCCS unreachable, HTTP error or timeout
    'FMSPC_MISMATCH', // tcb_info is for another platform than the PCK certificate
    'CRL_MALFORMED', // a CRL does not parse
    'CRL_SIGNATURE', // a CRL is not signed by its issuer
    'CRL_ISSUER', // a CRL's issuer is not the CA it must come from (or its chain does not reach the root)
    'CRL_STALE', // a CRL's thisUpdate is after `now`, or its nextUpdate is before `now` or missing
    // Policy
    'TCB_NO_MATCH', // no TCB level in tcb_info matches the platform
    'TCB_STATUS', // TCB status not allowed by the policy (default: UpToDate only)
    'MODULE_IDENTITY', // TDX module (MRSIGNERSEAM / SEAMATTRIBUTES / module SVN) not accepted
    'DEBUG_TD', // TD debug bit (or any TUD bit) set
    'SEPT_VE_DISABLED', // SEPT_VE_DISABLE is off in TDATTRIBUTES
    'TD_ATTRIBUTES', // reserved TDATTRIBUTES bits set
    'VERIFICATION_FAILED', // any other failure inside dcap-qvl (the reason carries its message)
] as const;

export type AttestationErrorCode = (typeof ATTESTATION_ERROR_CODES)[number];

export class AttestationError extends Error {
    constructor(
        readonly code: AttestationErrorCode,
        readonly reason: string,
        options?: { cause?: unknown },
    ) {
        super(`${code}: ${reason}`, options);
        this.name = 'AttestationError';
    }
}
