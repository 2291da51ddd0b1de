import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, DhkemX25519HkdfSha256 as CoreDhkemX25519 } from '@hpke/core';
import { DhkemX25519HkdfSha256 as JsDhkemX25519, HkdfSha256 as JsHkdfSha256 } from '@hpke/dhkem-x25519';
import { createHash } from 'crypto';
import { inspect } from 'util';
import { NodeHkdfSha256 } from '../../crypto/nodeHkdf';
import { NodeChacha20Poly1305, NodeDhkemX25519HkdfSha256, NodeX25519Key } from '../../crypto/nodeHpke';

// Seeded bytes: a failure replays exactly.
const bytes = (label: string, n: number) => {
    const out = Buffer.alloc(n);
    for (let i = 0, c = 0; i < n; c++) {
        i += createHash('sha256').update(`${label}:${c}`).digest().copy(out, i);
    }
    return out;
};
const hex = (s: string) => Buffer.from(s, 'hex');
const b = (x: ArrayBuffer) => Buffer.from(x);

// The production suite and the stock one made only of @hpke's own classes (pure JavaScript X25519, HKDF and
// ChaCha20-Poly1305); @hpke/core's WebCrypto X25519 KEM is checked as a third implementation where keys matter.
const ours = () =>
    new CipherSuite({
        kem: new NodeDhkemX25519HkdfSha256(),
        kdf: new NodeHkdfSha256(),
        aead: new NodeChacha20Poly1305(),
    });
const stock = () =>
    new CipherSuite({ kem: new JsDhkemX25519(), kdf: new JsHkdfSha256(), aead: new Chacha20Poly1305() });

describe('NodeChacha20Poly1305 equals @hpke/chacha20poly1305', () => {
    const oursAead = new NodeChacha20Poly1305();
    const stockAead = new Chacha20Poly1305();

    test('same id and sizes', () => {
        expect([oursAead.id, oursAead.keySize, oursAead.nonceSize, oursAead.tagSize]).toEqual([
            stockAead.id,
            stockAead.keySize,
            stockAead.nonceSize,
            stockAead.tagSize,
        ]);
    });

    it.each([0, 1, 15, 16, 17, 63, 64, 65, 256, 1000, 4100])(
        'seal is byte-equal and each opens the other (%i bytes)',
        async (n) => {
            const key = bytes(`key${n}`, 32);
            const iv = bytes(`iv${n}`, 12);
            const aad = bytes(`aad${n}`, n % 50);
            const pt = bytes(`pt${n}`, n);
            const a = oursAead.createEncryptionContext(key);
            const s = stockAead.createEncryptionContext(key);
            const ct = b(await a.seal(iv, pt, aad));
            expect(ct.length).toBe(n + 16);
            expect(ct).toEqual(b(await s.seal(iv, pt, aad)));
            expect(b(await a.open(iv, ct, aad))).toEqual(pt);
            expect(b(await s.open(iv, ct, aad))).toEqual(pt);
        },
    );

    test('rejects tampering: ciphertext, tag, AAD, nonce, key, truncation', async () => {
        const key = bytes('k', 32);
        const iv = bytes('n', 12);
        const aad = Buffer.from('aad');
        const ctx = oursAead.createEncryptionContext(key);
        const ct = b(await ctx.seal(iv, Buffer.from('the secret prompt'), aad));
        const flip = (buf: Buffer, i: number) => {
            const c = Buffer.from(buf);
            c[i] ^= 1;
            return c;
        };
        await expect(ctx.open(iv, flip(ct, 0), aad)).rejects.toThrow();
        await expect(ctx.open(iv, flip(ct, ct.length - 1), aad)).rejects.toThrow();
        await expect(ctx.open(iv, ct, Buffer.from('aae'))).rejects.toThrow();
        await expect(ctx.open(flip(iv, 11), ct, aad)).rejects.toThrow();
        await expect(oursAead.createEncryptionContext(flip(key, 0)).open(iv, ct, aad)).rejects.toThrow();
        await expect(ctx.open(iv, ct.subarray(0, ct.length - 1), aad)).rejects.toThrow();
        await expect(ctx.open(iv, ct.subarray(0, 15), aad)).rejects.toThrow();
        await expect(ctx.open(iv, Buffer.alloc(0), aad)).rejects.toThrow();
        expect(() => oursAead.createEncryptionContext(Buffer.alloc(16))).toThrow(/32-byte key/);
    });
});

describe('NodeDhkemX25519HkdfSha256 equals the stock X25519 KEMs', () => {
    test('DeriveKeyPair gives the same key bytes as @hpke/dhkem-x25519 and @hpke/core', async () => {
        const kems = [new NodeDhkemX25519HkdfSha256(), new JsDhkemX25519(), new CoreDhkemX25519()];
        for (let i = 0; i < 4; i++) {
            const ikm = bytes(`ikm${i}`, 32);
            const keys = await Promise.all(
                kems.map(async (k) => {
                    const kp = await k.deriveKeyPair(ikm);
                    return [b(await k.serializePublicKey(kp.publicKey)), b(await k.serializePrivateKey(kp.privateKey))];
                }),
            );
            expect(keys[0]).toEqual(keys[1]);
            expect(keys[0]).toEqual(keys[2]);
        }
    });

    test('with the same ephemeral key, ours and stock senders produce the same enc, ciphertext and export', async () => {
        const recipient = await stock().kem.deriveKeyPair(bytes('r', 32));
        const pkR = b(await stock().kem.serializePublicKey(recipient.publicKey));
        const info = Buffer.from('cocoon/hpke/v1');
        const out = [];
        for (const suite of [ours(), stock()]) {
            const sender = await suite.createSenderContext({
                recipientPublicKey: await suite.kem.deserializePublicKey(pkR),
                info,
                ekm: bytes('e', 32), // test-only: DeriveKeyPair(ekm) as the ephemeral key
            });
            out.push([
                b(sender.enc),
                b(await sender.seal(bytes('pt', 300), Buffer.from('aad'))),
                b(await sender.seal(Buffer.alloc(0), Buffer.alloc(0))),
                b(await sender.export(Buffer.from('cocoon/response/v1'), 32)),
            ]);
        }
        expect(out[0]).toEqual(out[1]);
    });

    // Keys cross between implementations as bytes, as RFC 9180 serializes them.
    it.each([
        ['ours -> stock', ours, stock],
        ['stock -> ours', stock, ours],
    ])('interoperates %s: fresh keys, seal, open, export', async (_name, senderSuite, recipientSuite) => {
        const s = senderSuite();
        const r = recipientSuite();
        const kp = await r.kem.generateKeyPair();
        const pkR = b(await r.kem.serializePublicKey(kp.publicKey));
        const info = Buffer.from('cocoon/hpke/v1');
        const sender = await s.createSenderContext({
            recipientPublicKey: await s.kem.deserializePublicKey(pkR),
            info,
        });
        const cts = [];
        for (let i = 0; i < 3; i++) cts.push(b(await sender.seal(bytes(`m${i}`, 100 * i), Buffer.from([i]))));
        const recipient = await r.createRecipientContext({ recipientKey: kp.privateKey, enc: sender.enc, info });
        for (let i = 0; i < 3; i++) {
            expect(b(await recipient.open(cts[i], Buffer.from([i])))).toEqual(bytes(`m${i}`, 100 * i));
        }
        expect(b(await recipient.export(Buffer.from('x'), 32))).toEqual(b(await sender.export(Buffer.from('x'), 32)));

        // The recipient's private key survives a trip through the other implementation's bytes too.
        const skR = b(await r.kem.serializePrivateKey(kp.privateKey));
        const again = await s.createRecipientContext({
            recipientKey: await s.kem.deserializePrivateKey(skR),
            enc: sender.enc,
            info,
        });
        expect(b(await again.open(cts[0], Buffer.from([0])))).toEqual(bytes('m0', 0));
    });

    test('decapsulation refuses what the stock KEM refuses: wrong key, tampered enc, small-order enc', async () => {
        const info = Buffer.from('i');
        for (const [senderSuite, recipientSuite] of [
            [stock(), ours()],
            [ours(), ours()],
        ]) {
            const kp = await recipientSuite.kem.generateKeyPair();
            const pkR = b(await recipientSuite.kem.serializePublicKey(kp.publicKey));
            const sender = await senderSuite.createSenderContext({
                recipientPublicKey: await senderSuite.kem.deserializePublicKey(pkR),
                info,
            });
            const ct = b(await sender.seal(Buffer.from('secret'), Buffer.alloc(0)));
            const open = async (recipientKey: typeof kp.privateKey, enc: Buffer, inf = info, c = ct) =>
                (await recipientSuite.createRecipientContext({ recipientKey, enc, info: inf })).open(
                    c,
                    Buffer.alloc(0),
                );
            const enc = b(sender.enc);
            expect(b(await open(kp.privateKey, enc))).toEqual(Buffer.from('secret'));
            const other = await recipientSuite.kem.generateKeyPair();
            await expect(open(other.privateKey, enc)).rejects.toThrow();
            const badEnc = Buffer.from(enc);
            badEnc[5] ^= 1;
            await expect(open(kp.privateKey, badEnc)).rejects.toThrow();
            await expect(open(kp.privateKey, enc, Buffer.from('j'))).rejects.toThrow();
            const badCt = Buffer.from(ct);
            badCt[0] ^= 1;
            await expect(open(kp.privateKey, enc, info, badCt)).rejects.toThrow();
            // u = 0 and u = 1 are small-order points: the DH result is all zeros (RFC 9180 §7.1.4).
            await expect(open(kp.privateKey, Buffer.alloc(32))).rejects.toThrow();
            await expect(open(kp.privateKey, Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]))).rejects.toThrow();
            await expect(open(kp.privateKey, enc.subarray(1))).rejects.toThrow();
        }
        // The stock KEM refuses the small-order point as well: same behaviour, not a stricter or looser one.
        const s = stock();
        const kp = await s.kem.generateKeyPair();
        await expect(
            s.createRecipientContext({ recipientKey: kp.privateKey, enc: Buffer.alloc(32) }),
        ).rejects.toThrow();
    });

    test('keys are opaque: no secret in JSON or inspect, foreign key objects refused', async () => {
        const kem = new NodeDhkemX25519HkdfSha256();
        const kp = await kem.generateKeyPair();
        expect(kp.privateKey).toBeInstanceOf(NodeX25519Key);
        const sk = b(await kem.serializePrivateKey(kp.privateKey)).toString('hex');
        const pk = b(await kem.serializePublicKey(kp.publicKey)).toString('hex');
        for (const shown of [JSON.stringify(kp.privateKey), inspect(kp.privateKey, { depth: 10, showHidden: true })]) {
            expect(shown).not.toContain(sk);
            expect(shown).not.toContain(Buffer.from(sk, 'hex').toString('base64url'));
        }
        expect(JSON.stringify(kp.privateKey)).toContain(pk);
        const foreign = await new CoreDhkemX25519().generateKeyPair();
        await expect(
            ours().createRecipientContext({ recipientKey: foreign.privateKey, enc: Buffer.alloc(32, 9) }),
        ).rejects.toThrow();
        await expect(kem.serializePublicKey(foreign.publicKey)).rejects.toThrow();
    });
});

// RFC 9180 Appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode.
describe('RFC 9180 A.2.1 test vector', () => {
    const v = {
        info: hex('4f6465206f6e2061204772656369616e2055726e'),
        ikmE: hex('909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b'),
        pkEm: hex('1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a'),
        skEm: hex('f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600'),
        ikmR: hex('1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df'),
        pkRm: hex('4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a'),
        skRm: hex('8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb'),
        enc: hex('1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a'),
        pt: hex('4265617574792069732074727574682c20747275746820626561757479'),
        encryptions: new Map<number, Buffer>([
            [0, hex('1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28')],
            [1, hex('6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c')],
            [2, hex('71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b')],
            [4, hex('63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16')],
            [255, hex('18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c')],
            [256, hex('7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b')],
        ]),
        exports: [
            [hex(''), hex('4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e')],
            [hex('00'), hex('8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69')],
            [hex('54657374436f6e74657874'), hex('5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53')],
        ],
    };
    const aad = (seq: number) => Buffer.from(`Count-${seq}`);

    // The stock suite passing too shows the vector is transcribed right.
    it.each([
        ['ours', ours],
        ['stock', stock],
    ])('%s: keys, enc, encryptions at sequence 0..256, exports, and the recipient side', async (_n, mk) => {
        const suite = mk();
        const e = await suite.kem.deriveKeyPair(v.ikmE);
        const r = await suite.kem.deriveKeyPair(v.ikmR);
        expect(b(await suite.kem.serializePublicKey(e.publicKey))).toEqual(v.pkEm);
        expect(b(await suite.kem.serializePrivateKey(e.privateKey))).toEqual(v.skEm);
        expect(b(await suite.kem.serializePublicKey(r.publicKey))).toEqual(v.pkRm);
        expect(b(await suite.kem.serializePrivateKey(r.privateKey))).toEqual(v.skRm);

        const sender = await suite.createSenderContext({
            recipientPublicKey: await suite.kem.deserializePublicKey(v.pkRm),
            info: v.info,
            ekm: v.ikmE,
        });
        expect(b(sender.enc)).toEqual(v.enc);
        const recipient = await suite.createRecipientContext({
            recipientKey: await suite.kem.deserializePrivateKey(v.skRm),
            enc: v.enc,
            info: v.info,
        });
        for (let seq = 0; seq <= 256; seq++) {
            const ct = b(await sender.seal(v.pt, aad(seq)));
            const expected = v.encryptions.get(seq);
            if (expected) expect(ct).toEqual(expected);
            expect(b(await recipient.open(ct, aad(seq)))).toEqual(v.pt);
        }
        for (const [context, value] of v.exports) {
            expect(b(await sender.export(context, 32))).toEqual(value);
            expect(b(await recipient.export(context, 32))).toEqual(value);
        }
    });
});
