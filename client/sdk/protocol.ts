import { Address, Cell } from '@ton/core';
import { createHash } from 'crypto';
import { AadFields, DecryptionError, openResponse, sealRequest } from '../../crypto/hpke';
import {
    nextTranscript,
    Receipt,
    receiptCost,
    receiptFromCell,
    verifyReceipt,
    ZERO_HASH,
} from '../../wrappers/formats/receipt';
import { signRequest, SignedRequestFields } from '../../wrappers/formats/request';
import { ClientError } from './errors';
import type { RequestBody, RequestReply } from './workerApi';

/**
 * One round of the session protocol (DESIGN.md "Requests and receipts", "Encryption"), client side:
 * seal the prompt to the enclave, sign the request over the next seqno and the transcript, then open the answer
 * and accept the receipt only if it is the enclave's and continues exactly this session.
 */
export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export interface PromptInput {
    messages?: ChatMessage[];
    prompt?: string;
    temperature?: number;
    topP?: number;
    seed?: number;
}

export interface SessionTerms {
    network: number;
    registry: Address;
    order: Address;
    clientKey: Buffer;
    clientSecretKey: Buffer;
    model: Buffer;
    priceIn: bigint;
    priceOut: bigint;
}

export interface AcceptedReceipt {
    cell: Cell;
    signature: Buffer;
    fields: Receipt;
}

export interface PreparedRequest {
    fields: SignedRequestFields;
    requestHash: Buffer;
    responseKey: Buffer;
    body: RequestBody;
}

export async function prepareRequest(
    terms: SessionTerms,
    enclaveX25519: Buffer,
    input: PromptInput,
    opts: { maxTokens: number; maxSpend: bigint; last?: AcceptedReceipt },
): Promise<PreparedRequest> {
    const seqno = (opts.last?.fields.seqno ?? 0) + 1;
    const payload: Record<string, unknown> = input.messages ? { messages: input.messages } : { prompt: input.prompt };
    if (input.temperature !== undefined) payload.temperature = input.temperature;
    if (input.topP !== undefined) payload.top_p = input.topP;
    if (input.seed !== undefined) payload.seed = input.seed;
    const aad: AadFields = { network: terms.network, order: terms.order, seqno };
    const sealed = await sealRequest(enclaveX25519, aad, Buffer.from(JSON.stringify(payload)));
    const fields: SignedRequestFields = {
        network: terms.network,
        order: terms.order,
        seqno,
        maxTokens: opts.maxTokens,
        model: terms.model,
        priceIn: terms.priceIn,
        priceOut: terms.priceOut,
        maxSpend: opts.maxSpend,
        prevTranscript: opts.last?.fields.transcript ?? ZERO_HASH,
        lastReceiptHash: opts.last ? opts.last.cell.hash() : ZERO_HASH,
        payloadHash: sealed.payloadHash,
    };
    const signed = signRequest(fields, terms.clientSecretKey);
    return {
        fields,
        requestHash: signed.cell.hash(),
        responseKey: sealed.responseKey,
        body: {
            requestBoc: signed.cell.toBoc().toString('base64'),
            clientSignature: signed.signature.toString('base64'),
            payload: { enc: sealed.enc.toString('base64'), ciphertext: sealed.ciphertext.toString('base64') },
            lastReceipt: opts.last
                ? { boc: opts.last.cell.toBoc().toString('base64'), signature: opts.last.signature.toString('base64') }
                : undefined,
        },
    };
}

export interface OpenedReply {
    text: string;
    finishReason: string;
    tokensIn: number;
    tokensOut: number;
    /** Cost of this request at the order's prices. */
    cost: bigint;
    /** Cumulative cost of the session, what the provider can claim with this receipt. */
    totalCost: bigint;
    receipt: AcceptedReceipt;
}

function bad(message: string): never {
    throw new ClientError('RECEIPT_INVALID', message);
}

/** Opens the answer and checks its receipt; throws RESPONSE_INVALID / RECEIPT_INVALID. */
export function openReply(
    terms: SessionTerms,
    prepared: PreparedRequest,
    reply: RequestReply,
    enclaveKeys: Buffer[],
    last?: AcceptedReceipt,
): OpenedReply {
    const { fields } = prepared;
    let answer: { text?: unknown; finishReason?: unknown; tokensIn?: unknown; tokensOut?: unknown };
    try {
        const plain = openResponse(
            prepared.responseKey,
            { network: terms.network, order: terms.order, seqno: fields.seqno },
            reply.responseCiphertext,
        );
        answer = JSON.parse(plain.toString('utf8'));
    } catch (e) {
        const why = e instanceof DecryptionError ? 'does not open with this request key' : (e as Error).message;
        throw new ClientError('RESPONSE_INVALID', `the sealed answer ${why}`);
    }
    if (
        typeof answer.text !== 'string' ||
        !Number.isInteger(answer.tokensIn) ||
        !Number.isInteger(answer.tokensOut) ||
        typeof answer.finishReason !== 'string'
    ) {
        throw new ClientError('RESPONSE_INVALID', 'the answer payload is malformed');
    }
    const tokensIn = answer.tokensIn as number;
    const tokensOut = answer.tokensOut as number;

    let cell: Cell;
    let r: Receipt;
    try {
        cell = Cell.fromBoc(reply.receipt.boc)[0];
        r = receiptFromCell(cell);
    } catch (e) {
        bad(`unparseable receipt: ${(e as Error).message}`);
    }
    if (!enclaveKeys.some((k) => verifyReceipt(cell, reply.receipt.signature, k))) {
        bad('receipt is not signed by the enclave key of this order');
    }
    if (r.network !== terms.network) bad(`receipt is for network ${r.network}`);
    if (!r.registry.equals(terms.registry)) bad('receipt binds another registry');
    if (!r.order.equals(terms.order)) bad('receipt binds another order');
    if (!r.clientKey.equals(terms.clientKey)) bad('receipt binds another client key');
    if (!r.model.equals(terms.model)) bad('receipt binds another model');
    if (r.seqno !== fields.seqno) bad(`receipt seqno ${r.seqno}, expected ${fields.seqno}`);
    if (!r.requestHash.equals(prepared.requestHash)) bad('receipt answers another request');
    if (tokensIn !== reply.tokensIn || tokensOut !== reply.tokensOut) {
        bad('token counts in the sealed answer differ from the host reply');
    }
    const prevIn = last?.fields.tokensIn ?? 0n;
    const prevOut = last?.fields.tokensOut ?? 0n;
    if (r.tokensIn !== prevIn + BigInt(tokensIn) || r.tokensOut !== prevOut + BigInt(tokensOut)) {
        bad(`cumulative tokens ${r.tokensIn}/${r.tokensOut} are not ${prevIn}+${tokensIn}/${prevOut}+${tokensOut}`);
    }
    const responseHash = createHash('sha256').update(reply.responseCiphertext).digest();
    if (!r.transcript.equals(nextTranscript(fields.prevTranscript, prepared.requestHash, responseHash))) {
        bad('receipt transcript does not continue this session');
    }
    const totalCost = receiptCost(r, terms.priceIn, terms.priceOut);
    if (totalCost > fields.maxSpend) bad(`receipt is worth ${totalCost}, above the signed cap ${fields.maxSpend}`);
    const before = last ? receiptCost(last.fields, terms.priceIn, terms.priceOut) : 0n;
    return {
        text: answer.text,
        finishReason: answer.finishReason,
        tokensIn,
        tokensOut,
        cost: totalCost - before,
        totalCost,
        receipt: { cell, signature: reply.receipt.signature, fields: r },
    };
}
