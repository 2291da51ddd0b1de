import { Address, Cell } from '@ton/core';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AadFields, openResponse, sealRequest } from '../../crypto/hpke';
import { newEd25519KeyPair, Ed25519KeyPair } from '../../wrappers/formats/ed25519';
import { Receipt, ZERO_HASH } from '../../wrappers/formats/receipt';
import { signRequest, SignedRequestFields } from '../../wrappers/formats/request';
import { NETWORK_ID } from '../../wrappers/networks';
import { buildTinyModel } from '../../worker/inference/tinyModel';
import type { ServeInput } from '../../worker/enclave/enclave';

export const NETWORK = NETWORK_ID.localnet;

export function addr(n: number): Address {
    return new Address(0, Buffer.alloc(32, n));
}

/** Writes the tiny model to a fresh temp dir (tests never touch models/). */
export function writeTinyModel(options: Parameters<typeof buildTinyModel>[0] = {}, name = 'tiny.gguf'): string {
    const dir = mkdtempSync(join(tmpdir(), 'cocoon-worker-'));
    const path = join(dir, name);
    writeFileSync(path, buildTinyModel(options));
    return path;
}

/** A test double for the TEE: the "quote" is a marker followed by the report data. */
export const fakeTee = {
    kind: 'simulated' as const,
    getQuote: async (reportData: Buffer) => Buffer.concat([Buffer.from('fake-quote:'), reportData]),
};

export interface LastReceipt {
    cell: Cell;
    signature: Buffer;
    fields: Receipt;
}

/** What a client does: seal the payload, sign the request over the next seqno and the last receipt. */
export class TestClient {
    readonly key: Ed25519KeyPair = newEd25519KeyPair();

    constructor(
        public enclaveX25519: Buffer,
        public terms: { order: Address; model: Buffer; priceIn: bigint; priceOut: bigint },
    ) {}

    async request(opts: {
        payload: object | Buffer;
        last?: LastReceipt;
        maxTokens?: number;
        maxSpend?: bigint;
        override?: Partial<SignedRequestFields>;
        aadOverride?: Partial<AadFields>;
        sealTo?: Buffer;
        signWith?: Buffer;
    }) {
        const seqno = opts.override?.seqno ?? (opts.last ? opts.last.fields.seqno + 1 : 1);
        const order = opts.override?.order ?? this.terms.order;
        const aad: AadFields = { network: NETWORK, order, seqno, ...opts.aadOverride };
        const plaintext = Buffer.isBuffer(opts.payload) ? opts.payload : Buffer.from(JSON.stringify(opts.payload));
        const sealed = await sealRequest(opts.sealTo ?? this.enclaveX25519, aad, plaintext);
        const fields: SignedRequestFields = {
            network: NETWORK,
            order,
            seqno,
            maxTokens: opts.maxTokens ?? 16,
            model: this.terms.model,
            priceIn: this.terms.priceIn,
            priceOut: this.terms.priceOut,
            maxSpend: opts.maxSpend ?? 10n ** 12n,
            prevTranscript: opts.last?.fields.transcript ?? ZERO_HASH,
            lastReceiptHash: opts.last ? opts.last.cell.hash() : ZERO_HASH,
            payloadHash: sealed.payloadHash,
            ...opts.override,
        };
        const signed = signRequest(fields, opts.signWith ?? this.key.secretKey);
        return {
            fields,
            responseKey: sealed.responseKey,
            input: {
                requestCell: signed.cell.toBoc(),
                clientSignature: signed.signature,
                payload: { enc: sealed.enc, ciphertext: sealed.ciphertext },
                lastReceipt: opts.last ? { cell: opts.last.cell.toBoc(), signature: opts.last.signature } : undefined,
            },
            open: (ct: Buffer) =>
                JSON.parse(openResponse(sealed.responseKey, { network: NETWORK, order, seqno }, ct).toString()),
        };
    }
}

export type RequestInput = Omit<ServeInput, 'order'>;
