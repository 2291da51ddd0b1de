import { Address, beginCell, Cell } from '@ton/core';
import { REQUEST_TAG } from './tags';
import { bufferToUint256, signCell, uint256ToBuffer, verifyCellSignature } from './ed25519';

/**
 * A request as the client's session key signs it. The enclave serves a request only with this signature,
 * over the next seqno and the current transcript, so the provider's host can neither invent, replay nor
 * re-route requests (DESIGN.md). The payload itself (HPKE ciphertext) is bound through its sha256.
 *
 * TL-B (off-chain only; the cell hash is the request hash that receipts name):
 *   request_v1#db32a1e2 network:int32 order:MsgAddressInt seqno:uint32 max_tokens:uint32
 *     terms:^[model:uint256 price_in:Coins price_out:Coins max_spend:Coins]
 *     chain:^[prev_transcript:uint256 last_receipt_hash:uint256 payload_hash:uint256] = Request;
 * maxSpend is the cumulative spend cap for the session after this request.
 */
export interface SignedRequestFields {
    network: number;
    order: Address;
    seqno: number;
    maxTokens: number;
    model: Buffer;
    priceIn: bigint;
    priceOut: bigint;
    maxSpend: bigint;
    prevTranscript: Buffer;
    lastReceiptHash: Buffer; // hash of the last receipt cell the client accepted, zero for the first request
    payloadHash: Buffer;
}

export function requestToCell(r: SignedRequestFields): Cell {
    return beginCell()
        .storeUint(REQUEST_TAG, 32)
        .storeInt(r.network, 32)
        .storeAddress(r.order)
        .storeUint(r.seqno, 32)
        .storeUint(r.maxTokens, 32)
        .storeRef(
            beginCell()
                .storeUint(bufferToUint256(r.model), 256)
                .storeCoins(r.priceIn)
                .storeCoins(r.priceOut)
                .storeCoins(r.maxSpend)
                .endCell(),
        )
        .storeRef(
            beginCell()
                .storeUint(bufferToUint256(r.prevTranscript), 256)
                .storeUint(bufferToUint256(r.lastReceiptHash), 256)
                .storeUint(bufferToUint256(r.payloadHash), 256)
                .endCell(),
        )
        .endCell();
}

export function requestFromCell(cell: Cell): SignedRequestFields {
    const s = cell.beginParse();
    const tag = s.loadUint(32);
    if (tag !== REQUEST_TAG) throw new Error(`not a request: tag 0x${tag.toString(16)}`);
    const network = s.loadInt(32);
    const order = s.loadAddress();
    const seqno = s.loadUint(32);
    const maxTokens = s.loadUint(32);
    const t = s.loadRef().beginParse();
    const model = uint256ToBuffer(t.loadUintBig(256));
    const priceIn = t.loadCoins();
    const priceOut = t.loadCoins();
    const maxSpend = t.loadCoins();
    const c = s.loadRef().beginParse();
    const prevTranscript = uint256ToBuffer(c.loadUintBig(256));
    const lastReceiptHash = uint256ToBuffer(c.loadUintBig(256));
    const payloadHash = uint256ToBuffer(c.loadUintBig(256));
    return {
        network,
        order,
        seqno,
        maxTokens,
        model,
        priceIn,
        priceOut,
        maxSpend,
        prevTranscript,
        lastReceiptHash,
        payloadHash,
    };
}

export function signRequest(r: SignedRequestFields, clientSecretKey: Buffer): { cell: Cell; signature: Buffer } {
    const cell = requestToCell(r);
    return { cell, signature: signCell(cell, clientSecretKey) };
}

export function verifyRequest(cell: Cell, signature: Buffer, clientPublicKey: Buffer): boolean {
    return verifyCellSignature(cell, signature, clientPublicKey);
}
