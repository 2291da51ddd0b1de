/**
 * The verifier protocol (docs/WORKER-HOST.md "Verifier API"): the worker host sends its enclave's quote to
 * each verifier (keeper verifier role, POST /verify); a verifier runs full DCAP verification, checks that
 * REPORTDATA binds the keys to (network, registry, provider, nonce) and that the nonce is a recent masterchain
 * block, and signs the attestation certificate (wrappers/formats/certificate.ts).
 */
import { AttestCert, certToCell } from '../../wrappers/formats/certificate';
import {
    certFromJson,
    VerifyRequest,
    VerifyResponse,
    VerifyErrorBody,
    verifyResponseSchema,
} from '../../wrappers/api/verifierApi';

import { verifyCellSignature } from '../../wrappers/formats/ed25519';

// The wire format is shared with the keeper's verifier (the server side).
export * from '../../wrappers/api/verifierApi';

/** Anything that can certify a quote: an HTTP verifier, or LocalVerifier in-process. */
export interface Verifier {
    readonly name: string;
    verify(req: VerifyRequest): Promise<VerifyResponse>;
}

export class VerifierError extends Error {
    constructor(
        readonly verifier: string,
        readonly code: string,
        message: string,
    ) {
        super(`verifier ${verifier}: ${code}: ${message}`);
        this.name = 'VerifierError';
    }
}

/** A verifier reached over HTTP: POST `url` (the full /verify URL) with a JSON VerifyRequest. */
export class HttpVerifier implements Verifier {
    constructor(
        readonly url: string,
        private readonly timeoutMs = 30_000,
    ) {}

    get name(): string {
        return this.url;
    }

    async verify(req: VerifyRequest): Promise<VerifyResponse> {
        let res: Response;
        try {
            res = await fetch(this.url, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(req),
                signal: AbortSignal.timeout(this.timeoutMs),
            });
        } catch (e) {
            throw new VerifierError(this.url, 'UNREACHABLE', (e as Error).message);
        }
        let body: unknown;
        try {
            body = await res.json();
        } catch {
            throw new VerifierError(this.url, 'BAD_RESPONSE', `HTTP ${res.status} with a non-JSON body`);
        }
        if (!res.ok) {
            const err = (body as Partial<VerifyErrorBody>)?.error;
            throw new VerifierError(this.url, err?.code ?? `HTTP_${res.status}`, err?.message ?? 'refused');
        }
        const parsed = verifyResponseSchema.safeParse(body);
        if (!parsed.success) throw new VerifierError(this.url, 'BAD_RESPONSE', parsed.error.message);
        return parsed.data;
    }
}

/**
 * Checks a verifier's answer: the certificate is exactly the one expected (our keys, network, registry,
 * provider; validUntil no later than asked) and the signature verifies with `verifierKey` (read on-chain; undefined = left to the Registry).
 */
export function checkVerifyResponse(
    res: VerifyResponse,
    expected: Omit<AttestCert, 'validUntil' | 'tcbStatus' | 'quoteHash' | 'measurement'>,
    verifierKey: Buffer | undefined,
    name: string,
): AttestCert {
    const cert = certFromJson(res.cert);
    const same =
        cert.network === expected.network &&
        cert.registry.equals(expected.registry) &&
        cert.provider.equals(expected.provider) &&
        cert.ed25519Pub.equals(expected.ed25519Pub) &&
        cert.x25519Pub.equals(expected.x25519Pub);
    if (!same) throw new VerifierError(name, 'WRONG_CERT', 'certificate does not describe this enclave and provider');
    if (verifierKey && !verifyCellSignature(certToCell(cert), Buffer.from(res.signature, 'hex'), verifierKey)) {
        throw new VerifierError(name, 'BAD_SIGNATURE', `signature does not verify with verifier ${res.index}'s key`);
    }
    return cert;
}
