import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { beginCell } from '@ton/core';
import {
    chunkNonce,
    DecryptionError,
    generateX25519KeyPair,
    openRequest,
    openResponse,
    openResponseChunk,
    pad,
    PAD_BUCKETS,
    paddedSize,
    payloadHash,
    sealRequest,
    sealResponse,
    sealResponseChunk,
    unpad,
    encodeAad,
    DIRECTION_RESPONSE,
} from '../../crypto/hpke';
import { ed25519PrivateKeyObject, signCellNative, verifyCellNative } from '../../crypto/ed25519Native';
import { newEd25519KeyPair, signCell, verifyCellSignature } from '../../wrappers/formats/ed25519';
import { addr, NETWORK } from './helpers';

const aad = { network: NETWORK, order: addr(7), seqno: 3 };
const msg = Buffer.from('{"prompt":"the secret prompt"}');

describe('HPKE request/response', () => {
    test('round trip: client seals, enclave opens, both derive the same response key', async () => {
        const kp = await generateX25519KeyPair();
        expect(kp.publicKey.length).toBe(32);
        const s = await sealRequest(kp.publicKey, aad, msg);
        expect(s.enc.length).toBe(32);
        expect(s.ciphertext.length).toBe(256 + 16); // padded to the first bucket, plus the tag
        expect(s.payloadHash).toEqual(payloadHash(s.enc, s.ciphertext));
        const o = await openRequest(kp.privateKey, s.enc, s.ciphertext, aad);
        expect(o.plaintext).toEqual(msg);
        expect(o.responseKey).toEqual(s.responseKey);
        const answer = Buffer.from('{"text":"the secret answer"}');
        const r = sealResponse(o.responseKey, aad, answer);
        expect(openResponse(s.responseKey, aad, r)).toEqual(answer);
    });

    test('fresh ephemeral key per request', async () => {
        const kp = await generateX25519KeyPair();
        const a = await sealRequest(kp.publicKey, aad, msg);
        const b = await sealRequest(kp.publicKey, aad, msg);
        expect(a.enc).not.toEqual(b.enc);
        expect(a.responseKey).not.toEqual(b.responseKey);
    });

    test('tampered ciphertext, tampered enc, wrong AAD and wrong key all fail', async () => {
        const kp = await generateX25519KeyPair();
        const other = await generateX25519KeyPair();
        const s = await sealRequest(kp.publicKey, aad, msg);
        const flipped = Buffer.from(s.ciphertext);
        flipped[10] ^= 1;
        await expect(openRequest(kp.privateKey, s.enc, flipped, aad)).rejects.toThrow(DecryptionError);
        const enc = Buffer.from(s.enc);
        enc[0] ^= 1;
        await expect(openRequest(kp.privateKey, enc, s.ciphertext, aad)).rejects.toThrow(DecryptionError);
        await expect(openRequest(kp.privateKey, s.enc.subarray(1), s.ciphertext, aad)).rejects.toThrow(DecryptionError);
        for (const bad of [
            { ...aad, seqno: 4 },
            { ...aad, network: -239 },
            { ...aad, order: addr(8) },
        ]) {
            await expect(openRequest(kp.privateKey, s.enc, s.ciphertext, bad)).rejects.toThrow(DecryptionError);
        }
        await expect(openRequest(other.privateKey, s.enc, s.ciphertext, aad)).rejects.toThrow(DecryptionError);
    });

    test('response: wrong key, wrong AAD, tampering, request direction and chunk position all fail', async () => {
        const key = Buffer.alloc(32, 9);
        const r = sealResponse(key, aad, Buffer.from('answer'));
        expect(() => openResponse(Buffer.alloc(32, 8), aad, r)).toThrow(DecryptionError);
        expect(() => openResponse(key, { ...aad, seqno: 2 }, r)).toThrow(DecryptionError);
        const t = Buffer.from(r);
        t[t.length - 1] ^= 1;
        expect(() => openResponse(key, aad, t)).toThrow(DecryptionError);
        expect(() => openResponseChunk(key, aad, 0, false, r)).toThrow(DecryptionError); // truncation marker bound
        const c1 = sealResponseChunk(key, aad, 1, false, Buffer.from('tok'));
        expect(openResponseChunk(key, aad, 1, false, c1).toString()).toBe('tok');
        expect(() => openResponseChunk(key, aad, 2, false, c1)).toThrow(DecryptionError);
    });

    test('response AEAD interoperates with @hpke/chacha20poly1305 (same construction, direction byte 1)', async () => {
        const key = Buffer.alloc(32, 5);
        const sealed = sealResponse(key, aad, Buffer.from('x'));
        const ctx = new Chacha20Poly1305().createEncryptionContext(new Uint8Array(key).buffer);
        const ab = (b: Buffer) => new Uint8Array(b).buffer;
        const padded = Buffer.from(
            await ctx.open(ab(chunkNonce(0, true)), ab(sealed), ab(encodeAad(aad, DIRECTION_RESPONSE))),
        );
        expect(unpad(padded).toString()).toBe('x');
    });

    test('padding buckets: sizes, strict unpadding, limits', () => {
        expect(PAD_BUCKETS.slice(0, 5)).toEqual([256, 1024, 4096, 16384, 65536]);
        expect(paddedSize(0)).toBe(256);
        expect(paddedSize(252)).toBe(256);
        expect(paddedSize(253)).toBe(1024);
        expect(paddedSize(5000)).toBe(16384);
        expect(() => paddedSize(16 * 1024 * 1024)).toThrow(RangeError);
        for (const n of [0, 1, 252, 253, 1020, 1021, 70000]) {
            const p = pad(Buffer.alloc(n, 0xab));
            expect(p.length).toBe(paddedSize(n));
            expect(unpad(p)).toEqual(Buffer.alloc(n, 0xab));
        }
        const p = pad(Buffer.from('abc'));
        p[100] = 1; // non-zero padding
        expect(() => unpad(p)).toThrow(DecryptionError);
        const q = pad(Buffer.from('abc'));
        q.writeUInt32BE(253, 0); // length past the bucket
        expect(() => unpad(q)).toThrow(DecryptionError);
        expect(() => unpad(Buffer.alloc(300))).toThrow(DecryptionError); // not a bucket size
    });
});

describe('native ed25519', () => {
    test('signatures are byte-identical to wrappers signCell and verify both ways', () => {
        const kp = newEd25519KeyPair();
        const key = ed25519PrivateKeyObject(kp.secretKey);
        for (let i = 0; i < 5; i++) {
            const cell = beginCell()
                .storeUint(i, 32)
                .storeRef(beginCell().storeUint(i * 7, 64))
                .endCell();
            const native = signCellNative(cell, key);
            expect(native).toEqual(signCell(cell, kp.secretKey));
            expect(verifyCellSignature(cell, native, kp.publicKey)).toBe(true);
            expect(verifyCellNative(cell, native, kp.publicKey)).toBe(true);
            const bad = Buffer.from(native);
            bad[3] ^= 1;
            expect(verifyCellNative(cell, bad, kp.publicKey)).toBe(false);
            expect(verifyCellNative(cell, native, newEd25519KeyPair().publicKey)).toBe(false);
            expect(verifyCellNative(cell, native.subarray(1), kp.publicKey)).toBe(false);
            expect(verifyCellNative(cell, native, Buffer.alloc(5))).toBe(false);
        }
    });
});
