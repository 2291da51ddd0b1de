import { HkdfSha256 } from '@hpke/core';
import { createHmac } from 'crypto';

type Bytes = ArrayBufferLike | ArrayBufferView;

const HASH_SIZE = 32;

function buf(b: Bytes): Buffer {
    return ArrayBuffer.isView(b) ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.from(b as ArrayBuffer);
}

function arrayBuffer(b: Buffer): ArrayBuffer {
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/**
 * HKDF-SHA256 (RFC 5869) on Node's OpenSSL HMAC, synchronously. The stock class makes an async WebCrypto
 * importKey + sign per step, several per HPKE context, which was most of the enclave's per-request work.
 * HPKE's labeled steps (LabeledExtract/LabeledExpand, the suite id) stay the library's; only the two
 * primitives change. tests/worker/nodeHkdf.test.ts checks byte equality with the stock class.
 */
export class NodeHkdfSha256 extends HkdfSha256 {
    override async extract(salt: Bytes, ikm: Bytes): Promise<ArrayBuffer> {
        const s = buf(salt);
        const key = s.length === 0 ? Buffer.alloc(HASH_SIZE) : s;
        if (key.length !== HASH_SIZE) throw new Error('The salt length must be the same as the hashSize');
        return arrayBuffer(createHmac('sha256', key).update(buf(ikm)).digest());
    }

    override async expand(prk: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
        if (len > 255 * HASH_SIZE) throw new Error('Entropy limit reached');
        const key = buf(prk);
        const infoBuf = buf(info);
        const out = Buffer.alloc(len);
        let prev = Buffer.alloc(0);
        for (let i = 1, cur = 0; cur < len; i++) {
            prev = createHmac('sha256', key)
                .update(prev)
                .update(infoBuf)
                .update(Buffer.from([i]))
                .digest();
            cur += prev.copy(out, cur, 0, Math.min(prev.length, len - cur));
        }
        return arrayBuffer(out);
    }

    // Two HMACs rather than crypto.hkdfSync, which fetches OpenSSL's KDF on every call and takes twice as long.
    // Any salt length, like the stock class (WebCrypto HKDF); an empty salt keys HMAC as HashLen zeros would.
    override async extractAndExpand(salt: Bytes, ikm: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
        const prk = createHmac('sha256', buf(salt)).update(buf(ikm)).digest();
        try {
            return await this.expand(prk, info, len);
        } finally {
            prk.fill(0);
        }
    }
}
