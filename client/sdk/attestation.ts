import { Address } from '@ton/core';
import { z } from 'zod';
import {
    AttestationError,
    Collateral,
    reportDataMatches,
    TcbStatus,
    verifyQuote,
    VerifyPolicy,
} from '../../attestation';
import type { OrderData } from '../../wrappers/Order';
import { bufferToUint256, uint256ToBuffer } from '../../wrappers/formats/ed25519';
import { ProviderStatus } from '../../wrappers/Constants';
import type { ChainAccess } from './chain';
import { ClientError } from './errors';

/**
 * The worker's attestation document (GET {endpoint}/v1/attestation) and the checks a client makes before it
 * sends a prompt to it (DESIGN.md "Attestation"): the quote verifies to the trusted root, its measurement is
 * active on the Registry's allowlist, REPORTDATA binds the keys to this network, registry, the order's provider
 * wallet and the nonce, and the keys are the ones recorded on-chain for the Provider and the Order.
 */
const hex = (bytes: number) =>
    z
        .string()
        .regex(new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`))
        .transform((s) => Buffer.from(s.replace(/^0x/, ''), 'hex'));

export const attestationDocSchema = z.object({
    quote: z
        .string()
        .regex(/^(0x)?([0-9a-fA-F]{2})+$/)
        .transform((s) => Buffer.from(s.replace(/^0x/, ''), 'hex')),
    ed25519Pub: hex(32),
    x25519Pub: hex(32),
    measurement: hex(32),
    // the worker host lists {sha256, priceIn, priceOut}; plain hashes are accepted too
    models: z.array(z.union([z.string(), z.object({ sha256: z.string() }).transform((m) => m.sha256)])),
    provider: z.string(),
    registry: z.string(),
    // The worker host (docs/WORKER-HOST.md) sends {name, id}; earlier documents carried the bare id. Both are
    // accepted so the SDK talks to the real host, not only to its test double.
    network: z.union([z.number().int(), z.object({ id: z.number().int() }).transform((n) => n.id)]),
    nonce: hex(32),
});
export type AttestationDoc = z.infer<typeof attestationDocSchema>;

/** Trust anchors: the root the quote chain must reach, the collateral (or how to get it) and the TCB policy. */
export interface TrustConfig {
    /** DER of the trusted root; default Intel's SGX Root CA. Localnet: the machine's dev root. */
    rootDer?: Buffer;
    collateral: Collateral | ((quote: Buffer) => Promise<Collateral>);
    policy?: VerifyPolicy;
}

export interface VerifiedProvider {
    owner: Address;
    endpoint: string;
    ed25519Pub: Buffer;
    x25519Pub: Buffer;
    measurement: Buffer;
    tcbStatus: TcbStatus;
    quoteHash: Buffer;
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
    throw new ClientError('ATTESTATION_INVALID', message, details);
}

export async function verifyAttestation(args: {
    doc: AttestationDoc;
    order: OrderData;
    chain: ChainAccess;
    trust: TrustConfig;
    network: number;
    registry: Address;
    now?: Date;
    /** The freshness challenge the client sent: the document must be bound to exactly this nonce. */
    expectedNonce?: Buffer;
}): Promise<VerifiedProvider> {
    const { doc, order, chain, trust, network, registry } = args;
    if (!order.matched) invalid('the order has no provider yet');
    if (args.expectedNonce && !args.expectedNonce.equals(doc.nonce)) invalid('the quote is not bound to our nonce');
    const collateral = typeof trust.collateral === 'function' ? await trust.collateral(doc.quote) : trust.collateral;
    let verified;
    try {
        verified = verifyQuote(doc.quote, {
            collateral,
            trustedRootDer: trust.rootDer,
            policy: trust.policy,
            now: args.now,
        });
    } catch (e) {
        if (e instanceof AttestationError) invalid(`quote rejected: ${e.message}`, { attestation: e.code });
        throw e;
    }
    if (!verified.measurement.equals(doc.measurement)) invalid('the document names another measurement than the quote');
    if (!(await chain.measurementActive(registry, bufferToUint256(verified.measurement)))) {
        invalid(`measurement ${verified.measurement.toString('hex')} is not active on the Registry allowlist`);
    }
    if (doc.network !== network) invalid(`attestation is for network ${doc.network}, not ${network}`);
    let docRegistry: Address;
    try {
        docRegistry = Address.parse(doc.registry);
    } catch {
        invalid('attestation names an unparseable registry');
    }
    if (!docRegistry.equals(registry)) invalid('attestation is for another registry');
    // REPORTDATA is recomputed from what the chain says (the order's provider wallet), not from the document.
    const bound = reportDataMatches(verified.reportData, {
        ed25519Pub: doc.ed25519Pub,
        x25519Pub: doc.x25519Pub,
        network,
        registry,
        provider: order.providerOwner,
        nonce: doc.nonce,
    });
    if (!bound) invalid('REPORTDATA does not bind these keys to this network, registry, provider and nonce');

    const provider = await chain.providerData(order.provider);
    if (!provider) invalid('the order names a Provider contract that does not exist');
    if (provider.status !== BigInt(ProviderStatus.ACTIVE)) invalid(`provider status is ${provider.status}, not active`);
    if (uint256ToBuffer(provider.enclaveKey).compare(doc.ed25519Pub) !== 0) {
        invalid('ed25519 key differs from the key recorded on the Provider contract');
    }
    if (uint256ToBuffer(provider.x25519Key).compare(doc.x25519Pub) !== 0) {
        invalid('x25519 key differs from the key recorded on the Provider contract');
    }
    if (uint256ToBuffer(provider.measurement).compare(verified.measurement) !== 0) {
        invalid('measurement differs from the one recorded on the Provider contract');
    }
    const key = bufferToUint256(doc.ed25519Pub);
    if (key !== order.enclaveKey && key !== order.prevEnclaveKey) {
        invalid('ed25519 key is not the enclave key the Order accepts');
    }
    const model = order.model.toString(16).padStart(64, '0');
    if (!doc.models.map((m) => m.toLowerCase().replace(/^0x/, '')).includes(model)) {
        invalid(`the worker does not list model ${model}`);
    }
    return {
        owner: order.providerOwner,
        endpoint: provider.endpoint,
        ed25519Pub: doc.ed25519Pub,
        x25519Pub: doc.x25519Pub,
        measurement: verified.measurement,
        tcbStatus: verified.tcbStatus,
        quoteHash: verified.quoteHash,
    };
}
