import { Address, beginCell, Cell } from '@ton/core';
import { createHash } from 'crypto';
import { RECEIPT_TAG } from './tags';
import { bufferToUint256, signCell, uint256ToBuffer, verifyCellSignature } from './ed25519';

/**
 * The cumulative receipt an enclave signs after every response (DESIGN.md "Requests and receipts").
 * tokensIn/tokensOut are totals for the whole session so far, so the Order pays only the delta of the
 * newest receipt and its cost on-chain does not grow with the number of requests.
 *
 * TL-B (the Order contract parses exactly this):
 *   receipt_v1#f4b300d6 network:int32 order:MsgAddressInt seqno:uint32 tokens_in:uint64 tokens_out:uint64
 *     binding:^[registry:MsgAddressInt client_key:uint256 model:uint256]
 *     proof:^[request_hash:uint256 transcript:uint256] = Receipt;
 * The binding cell is identical for every receipt of an order, so the Order stores only its hash and
 * compares one 256-bit number instead of parsing three fields.
 */
export interface Receipt {
    network: number;
    registry: Address;
    order: Address;
    clientKey: Buffer; // 32 bytes, the order's client session key
    model: Buffer; // 32 bytes, sha256 of the GGUF file
    seqno: number;
    requestHash: Buffer; // 32 bytes, hash of the client-signed request cell this receipt answers
    tokensIn: bigint;
    tokensOut: bigint;
    transcript: Buffer; // 32 bytes
}

export function receiptBindingCell(registry: Address, clientKey: Buffer, model: Buffer): Cell {
    return beginCell()
        .storeAddress(registry)
        .storeUint(bufferToUint256(clientKey), 256)
        .storeUint(bufferToUint256(model), 256)
        .endCell();
}

export function receiptToCell(r: Receipt): Cell {
    return beginCell()
        .storeUint(RECEIPT_TAG, 32)
        .storeInt(r.network, 32)
        .storeAddress(r.order)
        .storeUint(r.seqno, 32)
        .storeUint(r.tokensIn, 64)
        .storeUint(r.tokensOut, 64)
        .storeRef(receiptBindingCell(r.registry, r.clientKey, r.model))
        .storeRef(
            beginCell()
                .storeUint(bufferToUint256(r.requestHash), 256)
                .storeUint(bufferToUint256(r.transcript), 256)
                .endCell(),
        )
        .endCell();
}

export function receiptFromCell(cell: Cell): Receipt {
    const s = cell.beginParse();
    const tag = s.loadUint(32);
    if (tag !== RECEIPT_TAG) throw new Error(`not a receipt: tag 0x${tag.toString(16)}`);
    const network = s.loadInt(32);
    const order = s.loadAddress();
    const seqno = s.loadUint(32);
    const tokensIn = s.loadUintBig(64);
    const tokensOut = s.loadUintBig(64);
    const b = s.loadRef().beginParse();
    const registry = b.loadAddress();
    const clientKey = uint256ToBuffer(b.loadUintBig(256));
    const model = uint256ToBuffer(b.loadUintBig(256));
    const p = s.loadRef().beginParse();
    const requestHash = uint256ToBuffer(p.loadUintBig(256));
    const transcript = uint256ToBuffer(p.loadUintBig(256));
    return { network, registry, order, clientKey, model, seqno, requestHash, tokensIn, tokensOut, transcript };
}

export function signReceipt(r: Receipt, enclaveSecretKey: Buffer): { cell: Cell; signature: Buffer } {
    const cell = receiptToCell(r);
    return { cell, signature: signCell(cell, enclaveSecretKey) };
}

export function verifyReceipt(cell: Cell, signature: Buffer, enclavePublicKey: Buffer): boolean {
    return verifyCellSignature(cell, signature, enclavePublicKey);
}

/** What the receipt is worth at the order's prices: the same formula the Order contract applies. */
export function receiptCost(r: Pick<Receipt, 'tokensIn' | 'tokensOut'>, priceIn: bigint, priceOut: bigint): bigint {
    return r.tokensIn * priceIn + r.tokensOut * priceOut;
}

/** transcript_n = sha256(transcript_{n-1} || sha256(request) || sha256(response)); request hash = its cell hash. */
export function nextTranscript(prev: Buffer, requestHash: Buffer, responseHash: Buffer): Buffer {
    return createHash('sha256').update(prev).update(requestHash).update(responseHash).digest();
}

export const ZERO_HASH = Buffer.alloc(32);
