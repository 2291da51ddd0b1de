import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { createHash } from 'crypto';
import { NodeHkdfSha256 } from '../../crypto/nodeHkdf';
import { NodeDhkemX25519HkdfSha256 } from '../../crypto/nodeHpke';

// Seeded bytes: a failure replays exactly.
const bytes = (label: string, n: number) => {
    const out = Buffer.alloc(n);
    for (let i = 0, c = 0; i < n; c++) {
        i += createHash('sha256').update(`${label}:${c}`).digest().copy(out, i);
    }
    return out;
};

describe('NodeHkdfSha256 equals the stock HKDF-SHA256', () => {
    const stock = new HkdfSha256();
    const ours = new NodeHkdfSha256();

    it.each([0, 1, 31, 32, 33, 64, 100, 255])('extract, expand, extractAndExpand (len %i)', async (len) => {
        const salt = len === 0 ? Buffer.alloc(0) : bytes(`salt${len}`, 32);
        const ikm = bytes(`ikm${len}`, 1 + len);
        const info = bytes(`info${len}`, len % 50);
        const outLen = Math.max(1, len * 3);
        expect(Buffer.from(await ours.extract(salt, ikm))).toEqual(Buffer.from(await stock.extract(salt, ikm)));
        const prk = bytes(`prk${len}`, 32);
        expect(Buffer.from(await ours.expand(prk, info, outLen))).toEqual(
            Buffer.from(await stock.expand(prk, info, outLen)),
        );
        expect(Buffer.from(await ours.extractAndExpand(salt, ikm, info, outLen))).toEqual(
            Buffer.from(await stock.extractAndExpand(salt, ikm, info, outLen)),
        );
    });

    it('extractAndExpand takes any salt length, as the stock class does', async () => {
        for (const n of [1, 5, 31, 33, 64, 65, 100]) {
            const salt = bytes(`s${n}`, n);
            expect(Buffer.from(await ours.extractAndExpand(salt, bytes('i', 20), bytes('f', 9), 42))).toEqual(
                Buffer.from(await stock.extractAndExpand(salt, bytes('i', 20), bytes('f', 9), 42)),
            );
        }
    });

    it('refuses a salt of the wrong size, as the stock class does', async () => {
        await expect(ours.extract(Buffer.alloc(5), Buffer.alloc(5))).rejects.toThrow(/salt length/);
    });

    it('interoperates: sealed with the stock suite, opened with ours, and back', async () => {
        const mk = (kdf: HkdfSha256, kem = new DhkemX25519HkdfSha256()) =>
            new CipherSuite({ kem, kdf, aead: new Chacha20Poly1305() });
        const a = mk(stock);
        const b = mk(ours, new NodeDhkemX25519HkdfSha256());
        const kp = await b.kem.generateKeyPair();
        // Keys cross between the two KEM implementations as bytes (RFC 9180 SerializePublicKey).
        const recipientPublicKey = await a.kem.deserializePublicKey(await b.kem.serializePublicKey(kp.publicKey));
        const sender = await a.createSenderContext({ recipientPublicKey, info: Buffer.from('x') });
        const ct = await sender.seal(Buffer.from('hello enclave'), Buffer.from('aad'));
        const recipient = await b.createRecipientContext({
            recipientKey: kp.privateKey,
            enc: sender.enc,
            info: Buffer.from('x'),
        });
        expect(Buffer.from(await recipient.open(ct, Buffer.from('aad'))).toString()).toBe('hello enclave');
        expect(Buffer.from(await recipient.export(Buffer.from('k'), 32))).toEqual(
            Buffer.from(await sender.export(Buffer.from('k'), 32)),
        );
    });
});
