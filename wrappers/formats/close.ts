import { Address, beginCell, Cell } from '@ton/core';
import { CLOSE_TAG } from './tags';
import { signCell } from './ed25519';

/**
 * A close request as the client's session key signs it: the client closes its Order with an external message
 * (ExternalClose) instead of a transaction from its wallet. The Order checks the signature against the session
 * key in its terms (contracts/order.tolk, onExternalClose).
 *
 * TL-B (the cell hash is what is signed):
 *   close_request#68e09e18 valid_until:uint32 order:uint256 = CloseRequest;
 * order is the Order's account hash (workchain 0); valid_until bounds when the signature can be used.
 */
export function closeRequestCell(order: Address, validUntil: number): Cell {
    if (order.workChain !== 0) throw new Error('an Order lives in workchain 0');
    return beginCell().storeUint(CLOSE_TAG, 32).storeUint(validUntil, 32).storeBuffer(order.hash).endCell();
}

/** The ed25519 signature (64 bytes) of the close request's cell hash by the client's session key. */
export function signCloseRequest(order: Address, validUntil: number, secretKey: Buffer): Buffer {
    return signCell(closeRequestCell(order, validUntil), secretKey);
}
