import { Address, Cell } from '@ton/core';
import { createHash } from 'crypto';
import { computeReportData } from '../../attestation/measurement';
import type { TeeBackend } from '../../attestation/tee/types';
import { verifyCellNative } from '../../crypto/ed25519Native';
import { AadFields, DecryptionError, payloadHash, sealResponse, sealResponseChunk } from '../../crypto/hpke';
import {
    nextTranscript,
    Receipt,
    receiptCost,
    receiptFromCell,
    receiptToCell,
    ZERO_HASH,
} from '../../wrappers/formats/receipt';
import { requestFromCell, SignedRequestFields } from '../../wrappers/formats/request';
import type { GenerationResult, InferenceEngine } from '../inference/engine';
import { EnclaveKeys } from './keys';
import { OwnReceipts } from './ownReceipts';
import { encodeResponsePayload, parseRequestPayload } from './payload';
import { EnclaveRefusal, RefusalCode } from './refusal';
import { ReplayGuard } from './replayGuard';

/**
 * The attested part of the worker (DESIGN.md "Requests and receipts", "Attestation", "Encryption"). It holds
 * the keys, opens client requests, runs inference, seals answers and signs cumulative receipts. Everything it
 * gets from the host (request, payload, last receipt, the order's on-chain terms, accepted previous keys) is
 * checked; prompts and answers leave this class only sealed to the client.
 */

export interface EnclaveConfig {
    network: number;
    registry: Address;
    /** The provider's wallet (owner of its Provider contract): bound into the attestation report data. */
    provider: Address;
    /** Loaded engines by model hash (sha256 of the GGUF file, hex); each engine's modelHash must match its key. */
    models: Map<string, InferenceEngine>;
    tee: Pick<TeeBackend, 'kind' | 'getQuote'>;
}

/** The order's terms as the host read them on-chain (the Order contract's getters). */
export interface OrderTerms {
    address: Address;
    clientKey: Buffer;
    model: Buffer;
    priceIn: bigint;
    priceOut: bigint;
    /** Total budget escrowed (initial + top-ups): the cap on the session's cumulative cost. */
    budget: bigint;
}

export interface ServeInput {
    /** The client-signed request cell (BOC bytes or a Cell). */
    requestCell: Buffer | Cell;
    clientSignature: Buffer;
    payload: { enc: Buffer; ciphertext: Buffer };
    /** The receipt the request continues from (its cell hash is request.lastReceiptHash); absent for seqno 1. */
    lastReceipt?: { cell: Buffer | Cell; signature: Buffer };
    order: OrderTerms;
    /**
     * Enclave keys other than this boot's that may have signed lastReceipt: after a restart the enclave has new
     * keys, and the host passes the keys recorded on-chain (the Provider's current and previous enclave keys,
     * which the Order also accepts for claims). Only the provider benefits from valid earlier receipts, and the
     * client cannot choose these keys, so taking them from the host gives the client nothing to exploit.
     */
    acceptedEnclaveKeys?: Buffer[];
}

export interface ServeOptions {
    /**
     * Streams the answer while it is generated, each chunk sealed to the client with the response key
     * (chunk index 1, 2, ..., last = false). The final sealed response (index 0, last = true) is authoritative
     * and is what the receipt's transcript hashes.
     */
    onSealedChunk?: (chunk: { index: number; ciphertext: Buffer }) => void;
}

export interface ServeResult {
    /** The sealed response payload (crypto/hpke openResponse with the client's response key). */
    responseCiphertext: Buffer;
    receipt: { cell: Cell; signature: Buffer; fields: Receipt };
    /** This request's tokens (the receipt carries the session's cumulative totals). */
    tokensIn: number;
    tokensOut: number;
    /**
     * Wall time in ms, for metrics and benchmarks: enclave work (parsing, signature and chain checks, HPKE open,
     * sealing, receipt signing), prompt tokenization for the spend check, and inference.
     */
    timings: { enclaveMs: number; tokenCountMs: number; inferenceMs: number };
}

export interface Attestation {
    quote: Buffer;
    reportData: Buffer;
    ed25519Pub: Buffer;
    x25519Pub: Buffer;
}

export class Enclave {
    private readonly guard = new ReplayGuard();
    private readonly ownReceipts = new OwnReceipts();

    private constructor(
        private readonly config: EnclaveConfig,
        private readonly keys: EnclaveKeys,
    ) {}

    /** Boots an enclave: fresh keys every time, held only in memory. */
    static async create(config: EnclaveConfig): Promise<Enclave> {
        for (const [hash, engine] of config.models) {
            if (engine.modelHash.toString('hex') !== hash.toLowerCase()) {
                throw new Error(`model ${hash}: engine loaded a file hashing to ${engine.modelHash.toString('hex')}`);
            }
        }
        const models = new Map([...config.models].map(([h, e]) => [h.toLowerCase(), e]));
        return new Enclave({ ...config, models }, await EnclaveKeys.generate());
    }

    publicKeys(): { ed25519Pub: Buffer; x25519Pub: Buffer } {
        return { ed25519Pub: this.keys.ed25519Pub, x25519Pub: this.keys.x25519Pub };
    }

    /** A quote whose REPORTDATA binds this boot's keys to (network, registry, provider, nonce). */
    async attest(nonce: Buffer): Promise<Attestation> {
        const reportData = computeReportData({
            ed25519Pub: this.keys.ed25519Pub,
            x25519Pub: this.keys.x25519Pub,
            network: this.config.network,
            registry: this.config.registry,
            provider: this.config.provider,
            nonce,
        });
        const quote = await this.config.tee.getQuote(reportData);
        return { quote, reportData, ...this.publicKeys() };
    }

    /**
     * Serves one client request and returns the sealed answer with a signed cumulative receipt, or throws
     * EnclaveRefusal (no receipt) when any check fails. The spend checks run before inference.
     */
    async serve(input: ServeInput, options: ServeOptions = {}): Promise<ServeResult> {
        const t0 = performance.now();
        const { order } = input;
        const { cell, req } = this.parseRequest(input.requestCell);
        if (!verifyCellNative(cell, input.clientSignature, order.clientKey)) {
            refuse('BAD_CLIENT_SIGNATURE', 'request is not signed by the order client key');
        }
        if (req.network !== this.config.network) refuse('WRONG_NETWORK', `request is for network ${req.network}`);
        if (!req.order.equals(order.address)) refuse('WRONG_ORDER', 'request names another order');
        if (!req.model.equals(order.model)) refuse('WRONG_MODEL', 'request model differs from the order model');
        const engine = this.config.models.get(req.model.toString('hex'));
        if (!engine) refuse('MODEL_NOT_LOADED', `model ${req.model.toString('hex')} is not served here`);
        if (req.priceIn !== order.priceIn || req.priceOut !== order.priceOut) {
            refuse('WRONG_PRICES', 'signed prices differ from the order prices');
        }
        if (req.maxTokens < 1) refuse('BAD_REQUEST', 'maxTokens must be at least 1');
        const last = this.checkChain(req, input, order);
        if (!payloadHash(input.payload.enc, input.payload.ciphertext).equals(req.payloadHash)) {
            refuse('PAYLOAD_HASH_MISMATCH', 'payload does not hash to the signed payloadHash');
        }

        const orderKey = order.address.toRawString();
        const blocked = this.guard.reserve(orderKey, req.seqno);
        if (blocked) refuse(blocked, `seqno ${req.seqno} of this order was already served or is being served`);
        try {
            return await this.answer(cell, req, input, engine!, last, options, t0);
        } catch (e) {
            this.guard.release(orderKey);
            throw e;
        }
    }

    private parseRequest(boc: Buffer | Cell): { cell: Cell; req: SignedRequestFields } {
        try {
            const cell = Buffer.isBuffer(boc) ? Cell.fromBoc(boc)[0] : boc;
            return { cell, req: requestFromCell(cell) };
        } catch (e) {
            refuse('BAD_REQUEST', `request cell: ${(e as Error).message}`);
        }
    }

    /** seqno, transcript and last-receipt checks; returns the last receipt's fields (undefined for seqno 1). */
    private checkChain(req: SignedRequestFields, input: ServeInput, order: OrderTerms): Receipt | undefined {
        if (!input.lastReceipt) {
            if (!req.lastReceiptHash.equals(ZERO_HASH)) refuse('LAST_RECEIPT_REQUIRED', 'request continues a receipt');
            if (req.seqno !== 1) refuse('BAD_SEQNO', `seqno ${req.seqno} without a last receipt`);
            if (!req.prevTranscript.equals(ZERO_HASH))
                refuse('BAD_TRANSCRIPT', 'first request needs a zero transcript');
            return undefined;
        }
        const { signature } = input.lastReceipt;
        // The receipt this boot signed last for the order, byte for byte and with its signature: it needs no
        // parsing and no second verification of our own signature (see OwnReceipts).
        const found = this.ownReceipts.find(order.address.toRawString(), input.lastReceipt.cell);
        const own = found?.signature.equals(signature) ? found : undefined;
        let cell: Cell | undefined;
        let last: Receipt;
        if (own) {
            last = own.fields;
        } else {
            try {
                cell = Buffer.isBuffer(input.lastReceipt.cell)
                    ? Cell.fromBoc(input.lastReceipt.cell)[0]
                    : input.lastReceipt.cell;
                last = receiptFromCell(cell);
            } catch (e) {
                refuse('BAD_REQUEST', `last receipt cell: ${(e as Error).message}`);
            }
        }
        if (!(own ? own.hash : cell!.hash()).equals(req.lastReceiptHash)) {
            refuse('LAST_RECEIPT_HASH_MISMATCH', 'last receipt is not the one the client signed');
        }
        const signers = [this.keys.ed25519Pub, ...(input.acceptedEnclaveKeys ?? [])];
        if (!own && !signers.some((k) => verifyCellNative(cell!, signature, k))) {
            refuse('LAST_RECEIPT_FORGED', 'last receipt is not signed by this or an accepted enclave key');
        }
        if (
            last.network !== this.config.network ||
            !last.registry.equals(this.config.registry) ||
            !last.order.equals(order.address) ||
            !last.clientKey.equals(order.clientKey) ||
            !last.model.equals(order.model)
        ) {
            refuse('LAST_RECEIPT_MISMATCH', 'last receipt belongs to another session');
        }
        if (req.seqno !== last.seqno + 1) refuse('BAD_SEQNO', `seqno ${req.seqno} after receipt ${last.seqno}`);
        if (!req.prevTranscript.equals(last.transcript))
            refuse('BAD_TRANSCRIPT', 'prevTranscript is not the receipt transcript');
        return last;
    }

    private async answer(
        cell: Cell,
        req: SignedRequestFields,
        input: ServeInput,
        engine: InferenceEngine,
        last: Receipt | undefined,
        options: ServeOptions,
        t0: number,
    ): Promise<ServeResult> {
        const { order } = input;
        const aad: AadFields = { network: this.config.network, order: order.address, seqno: req.seqno };
        let opened: { plaintext: Buffer; responseKey: Buffer };
        try {
            opened = await this.keys.openRequest(input.payload.enc, input.payload.ciphertext, aad);
        } catch (e) {
            if (e instanceof DecryptionError) refuse('DECRYPTION_FAILED', 'the payload does not open');
            throw e;
        }
        let request;
        try {
            request = parseRequestPayload(opened.plaintext);
        } catch (e) {
            refuse('BAD_PAYLOAD', (e as Error).message);
        } finally {
            opened.plaintext.fill(0);
        }

        // Worst case before running anything: exact prompt tokens, and maxTokens generated.
        let promptTokens: number;
        const tCount = performance.now();
        try {
            promptTokens = await engine.countInputTokens(request);
        } catch (e) {
            refuse('INFERENCE_FAILED', `tokenizer: ${(e as Error).message}`);
        }
        const tokenCountMs = performance.now() - tCount;
        const soFar = last ? receiptCost(last, order.priceIn, order.priceOut) : 0n;
        const worst = soFar + BigInt(promptTokens) * order.priceIn + BigInt(req.maxTokens) * order.priceOut;
        if (worst > req.maxSpend) refuse('SPEND_CAP_EXCEEDED', `worst case ${worst} > maxSpend ${req.maxSpend}`);
        if (worst > order.budget) refuse('BUDGET_EXCEEDED', `worst case ${worst} > budget ${order.budget}`);

        const tInfer = performance.now();
        let chunkIndex = 0;
        const onToken = options.onSealedChunk
            ? (text: string) =>
                  options.onSealedChunk!({
                      index: ++chunkIndex,
                      ciphertext: sealResponseChunk(opened.responseKey, aad, chunkIndex, false, Buffer.from(text)),
                  })
            : undefined;
        let result: GenerationResult;
        try {
            result = await engine.generate({ ...request, maxTokens: req.maxTokens }, onToken);
        } catch (e) {
            const msg = (e as Error).message;
            refuse(/exceeds the context/.test(msg) ? 'CONTEXT_OVERFLOW' : 'INFERENCE_FAILED', msg);
        }
        const inferenceMs = performance.now() - tInfer;
        // The engine must stay inside what was checked; never sign more than the client allowed.
        if (result.tokensOut > req.maxTokens || result.tokensIn !== promptTokens) {
            refuse('INFERENCE_FAILED', `engine counted ${result.tokensIn}/${result.tokensOut} tokens`);
        }

        const responseCiphertext = sealResponse(
            opened.responseKey,
            aad,
            encodeResponsePayload({
                text: result.text,
                finishReason: result.finishReason,
                tokensIn: result.tokensIn,
                tokensOut: result.tokensOut,
            }),
        );
        opened.responseKey.fill(0);
        const requestHash = cell.hash();
        const fields: Receipt = {
            network: this.config.network,
            registry: this.config.registry,
            order: order.address,
            clientKey: order.clientKey,
            model: req.model,
            seqno: req.seqno,
            requestHash,
            tokensIn: (last?.tokensIn ?? 0n) + BigInt(result.tokensIn),
            tokensOut: (last?.tokensOut ?? 0n) + BigInt(result.tokensOut),
            transcript: nextTranscript(
                last?.transcript ?? ZERO_HASH,
                requestHash,
                createHash('sha256').update(responseCiphertext).digest(),
            ),
        };
        const receiptCell = receiptToCell(fields);
        const signature = this.keys.signCell(receiptCell);
        const orderKey = order.address.toRawString();
        this.ownReceipts.record(orderKey, receiptCell, signature, fields);
        this.guard.commit(orderKey, req.seqno);
        const total = performance.now() - t0;
        return {
            responseCiphertext,
            receipt: { cell: receiptCell, signature, fields },
            tokensIn: result.tokensIn,
            tokensOut: result.tokensOut,
            timings: { enclaveMs: total - inferenceMs - tokenCountMs, tokenCountMs, inferenceMs },
        };
    }

    toJSON(): Record<string, unknown> {
        return { network: this.config.network, keys: this.keys.toJSON(), models: [...this.config.models.keys()] };
    }
}

function refuse(code: RefusalCode, message: string): never {
    throw new EnclaveRefusal(code, message);
}
