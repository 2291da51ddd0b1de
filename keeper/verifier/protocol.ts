/**
 * POST /verify wire format, the same as the worker host's verifier client (worker/host/verifierClient.ts,
 * docs/KEEPER.md): every binary field lowercase hex, addresses in any TON form in and raw `0:<hex>` out.
 */
import { z } from 'zod';
import { AttestCert } from '../../wrappers/formats/certificate';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`));

export const verifyRequestSchema = z.object({
    quote: z.string().regex(/^([0-9a-fA-F]{2})+$/),
    ed25519Pub: hex(32),
    x25519Pub: hex(32),
    provider: z.string().min(1),
    nonce: hex(32),
    validUntil: z.number().int().positive().optional(),
});
export type VerifyRequest = z.infer<typeof verifyRequestSchema>;

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

export interface VerifyResponse {
    index: number;
    signature: string;
    cert: CertJson;
}

export interface VerifyErrorBody {
    error: { code: string; message: string };
}

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
