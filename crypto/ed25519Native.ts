import { Cell } from '@ton/core';
import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'crypto';

/**
 * ed25519 over a cell hash with Node's OpenSSL, for the enclave's hot path. @ton/crypto (tweetnacl) takes
 * ~4 ms to sign and ~8 ms to verify on this project's 2-core machines; OpenSSL takes a few microseconds.
 * ed25519 signatures are deterministic (RFC 8032), so signCellNative returns exactly the bytes
 * wrappers/formats signCell returns, and wrappers' verifyCellSignature / the contracts verify them
 * (tests/worker/ed25519Native.test.ts checks both). OpenSSL's verify is stricter than tweetnacl's (it rejects
 * non-canonical S), which only ever refuses more.
 */

// DER prefixes of PKCS#8 (private) and SPKI (public) ed25519 keys (RFC 8410); the raw 32 bytes follow.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** secretKey in @ton/crypto's layout: seed (32) || public key (32). */
export function ed25519PrivateKeyObject(secretKey: Buffer): KeyObject {
    if (secretKey.length !== 64 && secretKey.length !== 32)
        throw new Error('ed25519 secret key must be 32 or 64 bytes');
    return createPrivateKey({
        key: Buffer.concat([PKCS8_PREFIX, secretKey.subarray(0, 32)]),
        format: 'der',
        type: 'pkcs8',
    });
}

// Importing a public key costs ~0.4 ms, more than the verification itself; the same few keys (the enclave's,
// each order's client key) verify again and again, so recently used ones are kept.
const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_SIZE = 4096;

export function ed25519PublicKeyObject(publicKey: Buffer): KeyObject {
    if (publicKey.length !== 32) throw new Error('ed25519 public key must be 32 bytes');
    const id = publicKey.toString('hex');
    let key = publicKeyCache.get(id);
    if (key) {
        publicKeyCache.delete(id); // re-insert: most recently used last
    } else {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
        if (publicKeyCache.size >= PUBLIC_KEY_CACHE_SIZE)
            publicKeyCache.delete(publicKeyCache.keys().next().value as string);
    }
    publicKeyCache.set(id, key);
    return key;
}

export function signCellNative(cell: Cell, key: KeyObject): Buffer {
    return sign(null, cell.hash(), key);
}

/** Never throws: a malformed key or signature is simply not valid. */
export function verifyCellNative(cell: Cell, signature: Buffer, publicKey: Buffer | KeyObject): boolean {
    try {
        if (signature.length !== 64) return false;
        const key = Buffer.isBuffer(publicKey) ? ed25519PublicKeyObject(publicKey) : publicKey;
        return verify(null, cell.hash(), key, signature);
    } catch {
        return false;
    }
}
