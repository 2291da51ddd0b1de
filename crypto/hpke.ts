import { Address } from '@ton/core';
import { createCipheriv, createDecipheriv, createHash } from 'crypto';

/**
 * End-to-end encryption between the client and the enclave (DESIGN.md "Encryption"), shared by both sides.
 *
 * Request: RFC 9180 HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, sealed to the
 * enclave's X25519 key with a fresh ephemeral key (@hpke/core's protocol code over Node's OpenSSL primitives).
 * Response: a 32-byte key exported from the same HPKE context (so only the holder of the request's context can
 * read it), ChaCha20-Poly1305 with a STREAM-style nonce (chunk counter || last-chunk flag), so sealed chunk
 * streaming can be added without a format change. Today a response is one final chunk (counter 0).
 * Associated data binds every ciphertext to (network, order, seqno, direction): a ciphertext cannot be
 * replayed on another network, order or seqno, nor a response passed off as a request.
 * Plaintexts are padded to size buckets so the ciphertext length leaks only the bucket.
 */

// @hpke/* are dual packages; their CommonJS builds load with require() on Node 20 (TOOLCHAIN.md).
// @hpke/core runs the protocol (key schedule, nonces, export); X25519, HKDF and ChaCha20-Poly1305 are
// Node's synchronous OpenSSL (crypto/nodeHkdf.ts, crypto/nodeHpke.ts), byte-compatible with the stock
// @hpke/dhkem-x25519 and @hpke/chacha20poly1305 classes (tested); an enclave open takes ~0.4 ms, from ~0.9 ms.
import { CipherSuite } from '@hpke/core';
import { NodeHkdfSha256 } from './nodeHkdf';
import { NodeChacha20Poly1305, NodeDhkemX25519HkdfSha256 } from './nodeHpke';

export const HPKE_INFO = Buffer.from('cocoon/hpke/v1');
export const RESPONSE_EXPORT_CONTEXT = Buffer.from('cocoon/response/v1');
export const DIRECTION_REQUEST = 0;
export const DIRECTION_RESPONSE = 1;

export const suite = new CipherSuite({
    kem: new NodeDhkemX25519HkdfSha256(),
    kdf: new NodeHkdfSha256(),
    aead: new NodeChacha20Poly1305(),
});

export type X25519PrivateKey = Awaited<ReturnType<typeof suite.kem.generateKeyPair>>['privateKey'];

/** Thrown for every decryption or padding failure; deliberately carries no detail about which check failed. */
export class DecryptionError extends Error {
    constructor() {
        super('decryption failed');
        this.name = 'DecryptionError';
    }
}

export interface AadFields {
    network: number;
    order: Address;
    seqno: number;
}

/** AAD = network int32 BE || order address hash (32) || seqno uint32 BE || direction byte: 41 bytes. */
export function encodeAad(f: AadFields, direction: number): Buffer {
    const b = Buffer.alloc(41);
    b.writeInt32BE(f.network, 0);
    f.order.hash.copy(b, 4);
    b.writeUInt32BE(f.seqno, 36);
    b.writeUInt8(direction, 40);
    return b;
}

/** Padded sizes: 256 B, 1 KiB, 4 KiB, ... 16 MiB (powers of four). */
export const PAD_BUCKETS: readonly number[] = Array.from({ length: 9 }, (_, i) => 256 * 4 ** i);
export const MAX_PLAINTEXT = PAD_BUCKETS[PAD_BUCKETS.length - 1] - 4;

export function paddedSize(plaintextLength: number): number {
    const b = PAD_BUCKETS.find((s) => s >= plaintextLength + 4);
    if (b === undefined) throw new RangeError(`plaintext of ${plaintextLength} bytes exceeds ${MAX_PLAINTEXT}`);
    return b;
}

/** uint32 BE length || plaintext || zeros, to the smallest bucket that fits. */
export function pad(plaintext: Buffer): Buffer {
    const out = Buffer.alloc(paddedSize(plaintext.length));
    out.writeUInt32BE(plaintext.length, 0);
    plaintext.copy(out, 4);
    return out;
}

/** Strict inverse of pad: the size must be a bucket, the length must fit and the padding must be zeros. */
export function unpad(padded: Buffer): Buffer {
    if (!PAD_BUCKETS.includes(padded.length)) throw new DecryptionError();
    const len = padded.readUInt32BE(0);
    if (len > padded.length - 4) throw new DecryptionError();
    for (let i = 4 + len; i < padded.length; i++) if (padded[i] !== 0) throw new DecryptionError();
    return Buffer.from(padded.subarray(4, 4 + len));
}

/** The request's payloadHash that the client signs: sha256(enc || ciphertext). */
export function payloadHash(enc: Buffer, ciphertext: Buffer): Buffer {
    return createHash('sha256').update(enc).update(ciphertext).digest();
}

export interface X25519KeyPair {
    publicKey: Buffer; // 32 bytes, goes into the attestation report data and the certificate
    privateKey: X25519PrivateKey; // a non-extractable-by-design object; never serialize it
}

export async function generateX25519KeyPair(): Promise<X25519KeyPair> {
    const kp = await suite.kem.generateKeyPair();
    return { publicKey: Buffer.from(await suite.kem.serializePublicKey(kp.publicKey)), privateKey: kp.privateKey };
}

export interface SealedRequest {
    enc: Buffer; // 32-byte ephemeral public key
    ciphertext: Buffer;
    payloadHash: Buffer;
    /** Keep this to open the response; it never leaves the client. */
    responseKey: Buffer;
}

/** Client side: seal a request plaintext to the enclave's X25519 public key. */
export async function sealRequest(enclaveX25519Pub: Buffer, aad: AadFields, plaintext: Buffer): Promise<SealedRequest> {
    const recipientPublicKey = await suite.kem.deserializePublicKey(toArrayBuffer(enclaveX25519Pub));
    const ctx = await suite.createSenderContext({ recipientPublicKey, info: toArrayBuffer(HPKE_INFO) });
    const ciphertext = Buffer.from(
        await ctx.seal(toArrayBuffer(pad(plaintext)), toArrayBuffer(encodeAad(aad, DIRECTION_REQUEST))),
    );
    const enc = Buffer.from(ctx.enc);
    const responseKey = Buffer.from(await ctx.export(toArrayBuffer(RESPONSE_EXPORT_CONTEXT), 32));
    return { enc, ciphertext, payloadHash: payloadHash(enc, ciphertext), responseKey };
}

/** Enclave side: open a request; throws DecryptionError on any failure (wrong key, AAD, tampering, padding). */
export async function openRequest(
    privateKey: X25519PrivateKey,
    enc: Buffer,
    ciphertext: Buffer,
    aad: AadFields,
): Promise<{ plaintext: Buffer; responseKey: Buffer }> {
    try {
        if (enc.length !== 32) throw new DecryptionError();
        const ctx = await suite.createRecipientContext({
            recipientKey: privateKey,
            enc: toArrayBuffer(enc),
            info: toArrayBuffer(HPKE_INFO),
        });
        const padded = Buffer.from(
            await ctx.open(toArrayBuffer(ciphertext), toArrayBuffer(encodeAad(aad, DIRECTION_REQUEST))),
        );
        const responseKey = Buffer.from(await ctx.export(toArrayBuffer(RESPONSE_EXPORT_CONTEXT), 32));
        return { plaintext: unpad(padded), responseKey };
    } catch {
        throw new DecryptionError();
    }
}

const TAG_LENGTH = 16;

/** 96-bit nonce: 7 zero bytes || uint32 BE chunk index || 1 if this is the last chunk else 0. */
export function chunkNonce(index: number, last: boolean): Buffer {
    const n = Buffer.alloc(12);
    n.writeUInt32BE(index, 7);
    n.writeUInt8(last ? 1 : 0, 11);
    return n;
}

/**
 * Seals one response chunk (ChaCha20-Poly1305 from Node's OpenSSL: the key is already an HPKE export, so this
 * is plain AEAD use). A whole response is chunk 0 with last = true. Output: ciphertext || 16-byte tag.
 */
export function sealResponseChunk(
    responseKey: Buffer,
    aad: AadFields,
    index: number,
    last: boolean,
    plaintext: Buffer,
): Buffer {
    const c = createCipheriv('chacha20-poly1305', responseKey, chunkNonce(index, last), { authTagLength: TAG_LENGTH });
    const padded = pad(plaintext);
    c.setAAD(encodeAad(aad, DIRECTION_RESPONSE), { plaintextLength: padded.length });
    const body = Buffer.concat([c.update(padded), c.final()]);
    return Buffer.concat([body, c.getAuthTag()]);
}

export function openResponseChunk(
    responseKey: Buffer,
    aad: AadFields,
    index: number,
    last: boolean,
    sealed: Buffer,
): Buffer {
    try {
        if (sealed.length < TAG_LENGTH) throw new DecryptionError();
        const d = createDecipheriv('chacha20-poly1305', responseKey, chunkNonce(index, last), {
            authTagLength: TAG_LENGTH,
        });
        d.setAAD(encodeAad(aad, DIRECTION_RESPONSE), { plaintextLength: sealed.length - TAG_LENGTH });
        d.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
        const padded = Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_LENGTH)), d.final()]);
        return unpad(padded);
    } catch {
        throw new DecryptionError();
    }
}

export function sealResponse(responseKey: Buffer, aad: AadFields, plaintext: Buffer): Buffer {
    return sealResponseChunk(responseKey, aad, 0, true, plaintext);
}

export function openResponse(responseKey: Buffer, aad: AadFields, sealed: Buffer): Buffer {
    return openResponseChunk(responseKey, aad, 0, true, sealed);
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
