/**
 * One place that prepares @peculiar/x509 for Node: it needs reflect-metadata loaded before it (its ASN.1
 * schemas use decorators) and a WebCrypto provider, which Node only exposes as crypto.webcrypto.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** PKCS#8 PEM private key -> WebCrypto signing key (what the x509 generators take). */
export async function importSigningKey(pkcs8Pem: string): Promise<webcrypto.CryptoKey> {
    const der = Buffer.from(pkcs8Pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return webcrypto.subtle.importKey('pkcs8', der, ECDSA_P256, false, ['sign']);
}
