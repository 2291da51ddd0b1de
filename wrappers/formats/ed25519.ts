import { Cell } from '@ton/core';
import { keyPairFromSeed, sign, signVerify } from '@ton/crypto';
import { randomBytes } from 'crypto';

/** An ed25519 key pair as @ton/crypto represents it (secretKey = seed || publicKey, 64 bytes). */
export interface Ed25519KeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
}

export function newEd25519KeyPair(seed: Buffer = randomBytes(32)): Ed25519KeyPair {
    return keyPairFromSeed(seed);
}

/** Everything on-chain signs the cell's representation hash, which is what `checkSignature` verifies in TVM. */
export function signCell(cell: Cell, secretKey: Buffer): Buffer {
    return sign(cell.hash(), secretKey);
}

export function verifyCellSignature(cell: Cell, signature: Buffer, publicKey: Buffer): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    return signVerify(cell.hash(), signature, publicKey);
}

export function bufferToUint256(b: Buffer): bigint {
    if (b.length !== 32) throw new Error(`expected 32 bytes, got ${b.length}`);
    return BigInt('0x' + b.toString('hex'));
}

export function uint256ToBuffer(v: bigint): Buffer {
    return Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
}
