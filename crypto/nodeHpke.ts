import {
    AeadEncryptionContext,
    AeadId,
    AeadInterface,
    DeriveKeyPairError,
    DeserializeError,
    DhkemX25519HkdfSha256,
    NotSupportedError,
    SerializeError,
} from '@hpke/core';
import {
    createCipheriv,
    createDecipheriv,
    createPrivateKey,
    createPublicKey,
    diffieHellman,
    generateKeyPairSync,
    KeyObject,
    webcrypto,
} from 'crypto';
import { NodeHkdfSha256 } from './nodeHkdf';

// This project compiles without the DOM lib; these are the same WebCrypto types under Node's names.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type JsonWebKey = webcrypto.JsonWebKey;
type KeyUsage = webcrypto.KeyUsage;

/**
 * The two remaining pieces of the enclave's HPKE suite (RFC 9180 DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * ChaCha20-Poly1305) on Node's OpenSSL, synchronously: X25519 (the stock @hpke/core KEM goes through async
 * WebCrypto, five round trips per decapsulation, one of them on the libuv thread pool) and ChaCha20-Poly1305
 * (@hpke/chacha20poly1305 is pure JavaScript). They plug into @hpke/core's interfaces, so the key schedule,
 * labels, nonces and sequence numbers stay the library's. tests/worker/nodeHpke.test.ts checks byte equality
 * and interop in both directions with the stock @hpke/dhkem-x25519 and @hpke/chacha20poly1305 classes and
 * reproduces RFC 9180 A.2.1.
 */

type Bytes = ArrayBufferLike | ArrayBufferView;

function buf(b: Bytes): Buffer {
    return ArrayBuffer.isView(b) ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.from(b as ArrayBuffer);
}

// Node's small Buffers share one pool; the library gets an ArrayBuffer of its own.
function arrayBuffer(b: Buffer): ArrayBuffer {
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

const X25519_SIZE = 32;
// PKCS#8 prefix of a raw X25519 private key (RFC 8410). Node imports a private JWK only with its public
// half, which a raw private key does not come with.
const PKCS8_PREFIX_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const KEM_USAGES: KeyUsage[] = ['deriveBits'];
// RFC 9180 §7.1.3 DeriveKeyPair labels.
const LABEL_DKP_PRK = new Uint8Array(Buffer.from('dkp_prk'));
const LABEL_SK = new Uint8Array(Buffer.from('sk'));
const EMPTY = new Uint8Array(0);

/**
 * An X25519 key of the native KEM, shaped like a CryptoKey because @hpke/core's interfaces pass keys as
 * CryptoKeys (they are opaque to it: only the KEM's primitives look inside). The OpenSSL KeyObject is an ES
 * private field, so JSON.stringify and util.inspect never reach the secret.
 */
export class NodeX25519Key {
    readonly algorithm = { name: 'X25519' };
    readonly extractable = true;
    readonly usages: KeyUsage[];
    /** RFC 7748 encoding of the public key (for a private key, of its public key). */
    readonly publicBytes: Buffer;
    #object: KeyObject | undefined;

    private constructor(
        readonly type: 'public' | 'private',
        publicBytes: Buffer,
        object: KeyObject | undefined,
    ) {
        this.usages = type === 'private' ? [...KEM_USAGES] : [];
        this.publicBytes = publicBytes;
        this.#object = object;
    }

    static generate(): NodeX25519Key {
        return NodeX25519Key.fromPrivateObject(generateKeyPairSync('x25519').privateKey);
    }

    static fromPublicBytes(raw: Bytes): NodeX25519Key {
        const b = Buffer.from(buf(raw));
        if (b.length !== X25519_SIZE) throw new Error('Invalid length of the key');
        return new NodeX25519Key('public', b, undefined);
    }

    static fromPrivateBytes(raw: Bytes): NodeX25519Key {
        const b = buf(raw);
        if (b.length !== X25519_SIZE) throw new Error('Invalid length of the key');
        const der = Buffer.concat([PKCS8_PREFIX_X25519, b]);
        try {
            return NodeX25519Key.fromPrivateObject(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
        } finally {
            der.fill(0);
        }
    }

    private static fromPrivateObject(object: KeyObject): NodeX25519Key {
        return new NodeX25519Key('private', publicBytesOf(createPublicKey(object)), object);
    }

    /** The public key of a private key (or the key itself); no curve arithmetic, the bytes are kept. */
    publicKey(): NodeX25519Key {
        return this.type === 'public' ? this : new NodeX25519Key('public', this.publicBytes, undefined);
    }

    /** Raw private scalar, for the KEM's SerializePrivateKey only. */
    privateBytes(): Buffer {
        if (this.type !== 'private') throw new Error('Not private key');
        return Buffer.from(this.#object!.export({ format: 'jwk' }).d!, 'base64url');
    }

    /**
     * X25519(sk, pk). OpenSSL refuses an all-zero result (a small-order peer key), which RFC 9180 §7.1.4
     * requires the recipient to reject.
     */
    static dh(sk: NodeX25519Key, pk: NodeX25519Key): Buffer {
        if (sk.type !== 'private') throw new Error('dh needs a private key');
        return diffieHellman({ privateKey: sk.#object!, publicKey: pk.publicObject() });
    }

    // A peer's public key is imported only when a DH needs it, via JWK (~10 µs; DER SPKI takes ~100 µs).
    private publicObject(): KeyObject {
        if (this.type === 'private') return createPublicKey(this.#object!);
        this.#object ??= createPublicKey({
            key: { kty: 'OKP', crv: 'X25519', x: this.publicBytes.toString('base64url') },
            format: 'jwk',
        });
        return this.#object;
    }

    toJSON(): Record<string, string> {
        return { type: this.type, publicKey: this.publicBytes.toString('hex') };
    }
}

function publicBytesOf(publicKey: KeyObject): Buffer {
    return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
}

function asKey(key: CryptoKey): NodeX25519Key {
    if (!(key instanceof NodeX25519Key)) throw new Error('not a key of the native X25519 KEM');
    return key;
}

/**
 * @hpke/core's DhkemPrimitives for X25519 on OpenSSL (the interface is not exported, so it is matched by
 * shape). The methods are synchronous inside; they return promises only because the interface does.
 */
class NodeX25519Primitives {
    constructor(private readonly hkdf: NodeHkdfSha256) {}

    async serializePublicKey(key: CryptoKey): Promise<ArrayBuffer> {
        try {
            return arrayBuffer(asKey(key).publicBytes);
        } catch (e) {
            throw new SerializeError(e);
        }
    }

    async deserializePublicKey(key: Bytes): Promise<CryptoKey> {
        try {
            return NodeX25519Key.fromPublicBytes(key);
        } catch (e) {
            throw new DeserializeError(e);
        }
    }

    async serializePrivateKey(key: CryptoKey): Promise<ArrayBuffer> {
        try {
            return arrayBuffer(asKey(key).privateBytes());
        } catch (e) {
            throw new SerializeError(e);
        }
    }

    async deserializePrivateKey(key: Bytes): Promise<CryptoKey> {
        try {
            return NodeX25519Key.fromPrivateBytes(key);
        } catch (e) {
            throw new DeserializeError(e);
        }
    }

    async importKey(format: 'raw' | 'jwk', key: ArrayBuffer | JsonWebKey, isPublic: boolean): Promise<CryptoKey> {
        try {
            if (format === 'raw') {
                if (!(key instanceof ArrayBuffer)) throw new Error('Invalid raw key');
                return isPublic ? NodeX25519Key.fromPublicBytes(key) : NodeX25519Key.fromPrivateBytes(key);
            }
            if (key instanceof ArrayBuffer) throw new Error('Invalid jwk key format');
            if (key.kty !== 'OKP') throw new Error(`Invalid kty: ${key.kty}`);
            if (key.crv !== 'X25519') throw new Error(`Invalid crv: ${key.crv}`);
            if (isPublic) {
                if (key.d !== undefined) throw new Error('Invalid key: `d` should not be set');
                if (typeof key.x !== 'string') throw new Error('Invalid key: `x` not found');
                return NodeX25519Key.fromPublicBytes(Buffer.from(key.x, 'base64url'));
            }
            if (typeof key.d !== 'string') throw new Error('Invalid key: `d` not found');
            return NodeX25519Key.fromPrivateBytes(Buffer.from(key.d, 'base64url'));
        } catch (e) {
            throw new DeserializeError(e);
        }
    }

    async generateKeyPair(): Promise<CryptoKeyPair> {
        try {
            const sk = NodeX25519Key.generate();
            return { privateKey: sk, publicKey: sk.publicKey() };
        } catch (e) {
            throw new NotSupportedError(e);
        }
    }

    async deriveKeyPair(ikm: Bytes): Promise<CryptoKeyPair> {
        try {
            const dkpPrk = await this.hkdf.labeledExtract(EMPTY, LABEL_DKP_PRK, new Uint8Array(buf(ikm)));
            const rawSk = Buffer.from(await this.hkdf.labeledExpand(dkpPrk, LABEL_SK, EMPTY, X25519_SIZE));
            try {
                const sk = NodeX25519Key.fromPrivateBytes(rawSk);
                return { privateKey: sk, publicKey: sk.publicKey() };
            } finally {
                rawSk.fill(0);
            }
        } catch (e) {
            throw new DeriveKeyPairError(e);
        }
    }

    async derivePublicKey(key: CryptoKey): Promise<CryptoKey> {
        try {
            return asKey(key).publicKey();
        } catch (e) {
            throw new DeserializeError(e);
        }
    }

    async dh(sk: CryptoKey, pk: CryptoKey): Promise<ArrayBuffer> {
        try {
            return arrayBuffer(NodeX25519Key.dh(asKey(sk), asKey(pk)));
        } catch (e) {
            throw new SerializeError(e);
        }
    }
}

/** suite_id of the KEM (RFC 9180 §4.1): "KEM" || I2OSP(kem_id = 0x0020, 2). */
const KEM_SUITE_ID = new Uint8Array([0x4b, 0x45, 0x4d, 0x00, 0x20]);

/**
 * DHKEM(X25519, HKDF-SHA256): @hpke/core's Dhkem (Encap/Decap, ExtractAndExpand, kem_context) with X25519 and
 * HKDF on OpenSSL. Keys are NodeX25519Key; keys of another KEM class are refused, so a key crosses between
 * implementations as bytes (SerializePublicKey / DeserializePublicKey), as RFC 9180 defines it.
 */
export class NodeDhkemX25519HkdfSha256 extends DhkemX25519HkdfSha256 {
    constructor() {
        super();
        const kdf = new NodeHkdfSha256();
        kdf.init(KEM_SUITE_ID);
        this._kdf = kdf;
        this._prim = new NodeX25519Primitives(kdf);
    }
}

const TAG_SIZE = 16;

class NodeChacha20Poly1305Context implements AeadEncryptionContext {
    readonly #key: Buffer;

    constructor(key: Bytes) {
        const k = buf(key);
        if (k.length !== 32) throw new Error('ChaCha20-Poly1305 needs a 32-byte key');
        this.#key = Buffer.from(k); // a copy: the caller's buffer may be reused
    }

    async seal(iv: Bytes, data: Bytes, aad: Bytes): Promise<ArrayBuffer> {
        const pt = buf(data);
        const c = createCipheriv('chacha20-poly1305', this.#key, buf(iv), { authTagLength: TAG_SIZE });
        c.setAAD(buf(aad), { plaintextLength: pt.length });
        return arrayBuffer(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
    }

    async open(iv: Bytes, data: Bytes, aad: Bytes): Promise<ArrayBuffer> {
        const ct = buf(data);
        if (ct.length < TAG_SIZE) throw new Error('ciphertext shorter than the tag');
        const body = ct.subarray(0, ct.length - TAG_SIZE);
        const d = createDecipheriv('chacha20-poly1305', this.#key, buf(iv), { authTagLength: TAG_SIZE });
        d.setAAD(buf(aad), { plaintextLength: body.length });
        d.setAuthTag(ct.subarray(ct.length - TAG_SIZE));
        const pt = d.update(body);
        try {
            d.final(); // throws on a bad tag; the unauthenticated plaintext is wiped then
        } catch (e) {
            pt.fill(0);
            throw e;
        }
        return arrayBuffer(pt);
    }
}

/** ChaCha20-Poly1305 (RFC 8439, AEAD id 0x0003) for @hpke/core on OpenSSL; the same bytes as the stock class. */
export class NodeChacha20Poly1305 implements AeadInterface {
    readonly id = AeadId.Chacha20Poly1305;
    readonly keySize = 32;
    readonly nonceSize = 12;
    readonly tagSize = TAG_SIZE;

    createEncryptionContext(key: Bytes): AeadEncryptionContext {
        return new NodeChacha20Poly1305Context(key);
    }
}
