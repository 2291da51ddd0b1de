import { createHash } from 'crypto';

/**
 * 32-bit domain tags: the first four bytes of sha256 of the tag string. A signature made for one kind of
 * object can never be replayed as another, because every signed cell starts with its own tag.
 * contracts/constants.tact holds the same numbers; tests/constants.test.ts checks they match.
 */
export function domainTag(name: string): number {
    return createHash('sha256').update(name).digest().readUInt32BE(0);
}

export const RECEIPT_TAG = 0xf4b300d6; // domainTag('cocoon/receipt/v1')
export const ATTEST_TAG = 0xc8168b7b; // domainTag('cocoon/attest/v1')
export const REQUEST_TAG = 0xdb32a1e2; // domainTag('cocoon/request/v1')
export const CLOSE_TAG = 0x68e09e18; // domainTag('cocoon/close/v1')
