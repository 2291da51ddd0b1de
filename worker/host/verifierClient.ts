/**
 * The verifier protocol (docs/WORKER-HOST.md "Verifier API"): the worker host sends its enclave's quote to
 * each verifier (keeper verifier role, POST /verify); a verifier runs full DCAP verification, checks that
 * REPORTDATA binds the keys to (network, registry, provider, nonce) and that the nonce is a recent masterchain
 * block, and signs the attestation certificate (wrappers/formats/certificate.ts).
 */
import { Address } from '@ton/core';
import { z } from 'zod';
import { AttestCert, certToCell } from '../../wrappers/formats/certificate';
import { verifyCellSignature } from '../../wrappers/formats/ed25519';

/** POST /verify request body. Every binary field is lowercase hex. */
export interface VerifyRequest {
    /** The TDX quote (v4), hex. */
    quote: string;
    /** The enclave's ed25519 key (receipts), 32 bytes hex. */
    ed25519Pub: string;
    /** The enclave's x25519 key (request encryption), 32 bytes hex. */
    x25519Pub: string;
    /** The provider's wallet address (owner of its Provider contract), any TON address form. */
    provider: string;
    /** The masterchain block root hash bound into REPORTDATA, 32 bytes hex. */
    nonce: string;
    /**
     * Requested certificate expiry, unix seconds. k verifiers must sign the same certificate, so the worker
     * proposes it; a verifier signs min(validUntil, now + its max attestation age) and the worker checks all
     * answers agree. Optional: absent = now + max attestation age.
     */
    validUntil?: number;
}

/** The certificate fields as a verifier returns them (hex for bytes, raw form `0:<hex>` for addresses). */
export interface CertJson {
    network: number;
    validUntil: number;
    tcbStatus: number;
    quoteHash: string;
    registry: string;
    provider: string;
    ed25519Pub: string;
    x25519Pub: string;
    measurement: string;
}

/** POST /verify 200 response body. */
export interface VerifyResponse {
    /** The verifier's slot in the Registry (its key is `getVerifier(index)`). */
    index: number;
    /** ed25519 signature over certToCell(cert).hash(), 64 bytes hex. */
    signature: string;
    cert: CertJson;
}

/** Error body of every non-2xx answer: { error: { code, message } }. */
export interface VerifyErrorBody {
    error: { code: string; message: string };
}

/** Anything that can certify a quote: an HTTP verifier, or LocalVerifier in-process. */
export interface Verifier {
    readonly name: string;
    verify(req: VerifyRequest): Promise<VerifyResponse>;
}

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`));

export const verifyRequestSchema = z.object({
    quote: z.string().regex(/^([0-9a-fA-F]{2})+$/),
    ed25519Pub: hex(32),
    x25519Pub: hex(32),
    provider: z.string().min(1),
    nonce: hex(32),
    validUntil: z.number().int().positive().optional(),
});

export const certJsonSchema = z.object({
    network: z.number().int(),
    validUntil: z.number().int().nonnegative(),
    tcbStatus: z.number().int().min(0).max(255),
    quoteHash: hex(32),
    registry: z.string(),
    provider: z.string(),
    ed25519Pub: hex(32),
    x25519Pub: hex(32),
    measurement: hex(32),
});

export const verifyResponseSchema = z.object({
    index: z.number().int().min(0).max(255),
    signature: hex(64),
    cert: certJsonSchema,
});

export function certToJson(c: AttestCert): CertJson {
    return {
        network: c.network,
        validUntil: c.validUntil,
        tcbStatus: c.tcbStatus,
        quoteHash: c.quoteHash.toString('hex'),
        registry: c.registry.toRawString(),
        provider: c.provider.toRawString(),
        ed25519Pub: c.ed25519Pub.toString('hex'),
        x25519Pub: c.x25519Pub.toString('hex'),
        measurement: c.measurement.toString('hex'),
    };
}

export function certFromJson(j: CertJson): AttestCert {
    return {
        network: j.network,
        validUntil: j.validUntil,
        tcbStatus: j.tcbStatus,
        quoteHash: Buffer.from(j.quoteHash, 'hex'),
        registry: Address.parse(j.registry),
        provider: Address.parse(j.provider),
        ed25519Pub: Buffer.from(j.ed25519Pub, 'hex'),
        x25519Pub: Buffer.from(j.x25519Pub, 'hex'),
        measurement: Buffer.from(j.measurement, 'hex'),
    };
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
