import { DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { createHmac, hkdfSync } from 'crypto';

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
 * primitives change. tests/worker/hpke.test.ts checks byte equality with the stock class.
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

    override async extractAndExpand(salt: Bytes, ikm: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
        return hkdfSync('sha256', buf(ikm), buf(salt), buf(info), len);
    }
}

/** suite_id of the KEM (RFC 9180 §4.1): "KEM" || I2OSP(kem_id = 0x0020, 2). */
const KEM_SUITE_ID = new Uint8Array([0x4b, 0x45, 0x4d, 0x00, 0x20]);

/**
 * DHKEM(X25519, HKDF-SHA256) from @hpke/core (X25519 through WebCrypto) whose ExtractAndExpand runs on
 * NodeHkdfSha256 too: the same KEM, two fewer rounds of async WebCrypto per decapsulation.
 */
export class NodeDhkemX25519HkdfSha256 extends DhkemX25519HkdfSha256 {
    constructor() {
        super();
        const kdf = new NodeHkdfSha256();
        kdf.init(KEM_SUITE_ID);
        this._kdf = kdf;
    }
}
