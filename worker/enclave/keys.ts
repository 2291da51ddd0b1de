import { Cell } from '@ton/core';
import { KeyObject } from 'crypto';
import { inspect } from 'util';
import { newEd25519KeyPair } from '../../wrappers/formats/ed25519';
import { ed25519PrivateKeyObject, signCellNative } from '../../crypto/ed25519Native';
import { AadFields, generateX25519KeyPair, openRequest, X25519PrivateKey } from '../../crypto/hpke';

/**
 * The enclave's keys: a fresh ed25519 signing key (receipts) and X25519 key (request decryption) on every boot,
 * held only in this process's memory. There is no export, serialization or logging path for the secrets: they
 * are ES private fields (invisible to JSON.stringify, util.inspect and Object.keys), and toJSON/inspect print
 * only the public keys. A restarted enclave therefore has new keys and must renew its registration.
 */
export class EnclaveKeys {
    readonly ed25519Pub: Buffer;
    readonly x25519Pub: Buffer;
    #signingKey: KeyObject;
    #x25519Private: X25519PrivateKey;

    private constructor(ed25519Pub: Buffer, signingKey: KeyObject, x25519Pub: Buffer, x25519Private: X25519PrivateKey) {
        this.ed25519Pub = ed25519Pub;
        this.x25519Pub = x25519Pub;
        this.#signingKey = signingKey;
        this.#x25519Private = x25519Private;
    }

    static async generate(): Promise<EnclaveKeys> {
        const ed = newEd25519KeyPair();
        const signingKey = ed25519PrivateKeyObject(ed.secretKey);
        ed.secretKey.fill(0); // the KeyObject holds its own copy
        const x = await generateX25519KeyPair();
        return new EnclaveKeys(ed.publicKey, signingKey, x.publicKey, x.privateKey);
    }

    /** ed25519 over the cell hash, byte-identical to wrappers/formats signCell (deterministic signatures). */
    signCell(cell: Cell): Buffer {
        return signCellNative(cell, this.#signingKey);
    }

    /** Opens an HPKE request sealed to this enclave; throws DecryptionError. */
    openRequest(enc: Buffer, ciphertext: Buffer, aad: AadFields): Promise<{ plaintext: Buffer; responseKey: Buffer }> {
        return openRequest(this.#x25519Private, enc, ciphertext, aad);
    }

    toJSON(): Record<string, string> {
        return {
            ed25519Pub: this.ed25519Pub.toString('hex'),
            x25519Pub: this.x25519Pub.toString('hex'),
            secrets: '[redacted]',
        };
    }

    [inspect.custom](): string {
        return `EnclaveKeys ${JSON.stringify(this.toJSON())}`;
    }
}
