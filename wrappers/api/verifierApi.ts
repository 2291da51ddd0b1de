/**
 * The verifier protocol's wire format (POST /verify), shared by the keeper's verifier role
 * (keeper/verifier/, the server) and the worker host (worker/host/verifierClient.ts, the client): the worker
 * sends its enclave's quote; a verifier runs full DCAP verification, checks that REPORTDATA binds the keys to
 * (network, registry, provider, nonce), and signs the attestation certificate (wrappers/formats/certificate.ts).
 * Every binary field is lowercase hex; addresses go in in any TON form and come back raw (`0:<hex>`).
 */
import { Address } from '@ton/core';
import { z } from 'zod';
import { AttestCert } from '../formats/certificate';

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
