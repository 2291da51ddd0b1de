/**
 * Synchronous, byte-exact reading of the X.509 objects the verifier checks itself: certificates (serial, raw
 * names, validity, the SGX extension) and CRLs (raw TBS for the signature, issuer, dates, revoked serials).
 * Signatures are checked with node's crypto on the raw TBS bytes, never on a re-encoding.
 */
import { KeyObject, verify as cryptoVerify, X509Certificate } from 'crypto';
import { children, decodeOid, decodeOne, decodeTime, DerError, DerNode, expectTag, integerHex, TAG } from './der';

const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_CN = '2.5.4.3';
export const OID_SGX_EXTENSION = '1.2.840.113741.1.13.1';

export interface ParsedCertificate {
    der: Buffer;
    serialHex: string;
    issuerRaw: Buffer;
    subjectRaw: Buffer;
    issuerCn: string | null;
    subjectCn: string | null;
    notBefore: Date;
    notAfter: Date;
    publicKey: KeyObject;
    extensions: Map<string, Buffer>;
}

export interface ParsedCrl {
    der: Buffer;
    tbs: Buffer;
    signatureAlgorithm: string;
    /** DER-encoded ECDSA signature (the BIT STRING content minus its unused-bits byte). */
    signature: Buffer;
    issuerRaw: Buffer;
    issuerCn: string | null;
    thisUpdate: Date;
    nextUpdate: Date | null;
    revokedSerials: Set<string>;
}

/** First CN in a DER Name, or null. */
export function commonName(nameRaw: Buffer): string | null {
    const name = decodeOne(nameRaw);
    for (const rdn of children(name)) {
        for (const atv of children(rdn)) {
            const [oid, value] = children(atv);
            if (oid && oid.tag === TAG.OID && decodeOid(oid.content) === OID_CN && value) {
                return value.content.toString('utf8');
            }
        }
    }
    return null;
}

export function parseCertificate(der: Buffer): ParsedCertificate {
    const cert = expectTag(decodeOne(der), TAG.SEQUENCE, 'certificate');
    const [tbs] = children(cert);
    const f = children(expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate'));
    let i = 0;
    if (f[0]?.tag === 0xa0) i++; // [0] version
    const serial = expectTag(f[i++], TAG.INTEGER, 'serialNumber');
    i++; // signature algorithm
    const issuer = expectTag(f[i++], TAG.SEQUENCE, 'issuer');
    const validity = children(expectTag(f[i++], TAG.SEQUENCE, 'validity'));
    const subject = expectTag(f[i++], TAG.SEQUENCE, 'subject');
    i++; // subjectPublicKeyInfo
    const extensions = new Map<string, Buffer>();
    for (; i < f.length; i++) {
        if (f[i].tag !== 0xa3) continue;
        const list = children(f[i])[0];
        for (const ext of children(expectTag(list, TAG.SEQUENCE, 'extensions'))) {
            const parts = children(ext);
            const oid = decodeOid(expectTag(parts[0], TAG.OID, 'extnID').content);
            const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue').content;
            extensions.set(oid, Buffer.from(value));
        }
    }
    return {
        der: Buffer.from(der),
        serialHex: integerHex(serial.content),
        issuerRaw: Buffer.from(issuer.raw),
        subjectRaw: Buffer.from(subject.raw),
        issuerCn: commonName(issuer.raw),
        subjectCn: commonName(subject.raw),
        notBefore: decodeTime(validity[0]),
        notAfter: decodeTime(validity[1]),
        publicKey: new X509Certificate(der).publicKey,
        extensions,
    };
}

export function parseCrl(der: Buffer): ParsedCrl {
    const list = expectTag(decodeOne(der), TAG.SEQUENCE, 'CertificateList');
    const [tbs, algo, sig] = children(list);
    const algOid = decodeOid(
        expectTag(children(expectTag(algo, TAG.SEQUENCE, 'signatureAlgorithm'))[0], TAG.OID, 'algorithm').content,
    );
    const sigBits = expectTag(sig, TAG.BIT_STRING, 'signatureValue').content;
    if (sigBits.length < 2 || sigBits[0] !== 0) throw new DerError('CRL signature BIT STRING malformed');
    const f = children(expectTag(tbs, TAG.SEQUENCE, 'tbsCertList'));
    let i = 0;
    if (f[0]?.tag === TAG.INTEGER) i++; // version
    i++; // signature algorithm (inner)
    const issuer = expectTag(f[i++], TAG.SEQUENCE, 'issuer');
    const thisUpdate = decodeTime(f[i++]);
    let nextUpdate: Date | null = null;
    if (f[i] && (f[i].tag === TAG.UTC_TIME || f[i].tag === TAG.GENERALIZED_TIME)) nextUpdate = decodeTime(f[i++]);
    const revokedSerials = new Set<string>();
    if (f[i] && f[i].tag === TAG.SEQUENCE) {
        for (const entry of children(f[i])) {
            revokedSerials.add(integerHex(expectTag(children(entry)[0], TAG.INTEGER, 'userCertificate').content));
        }
        i++;
    }
    return {
        der: Buffer.from(der),
        tbs: Buffer.from(tbs.raw),
        signatureAlgorithm: algOid,
        signature: Buffer.from(sigBits.subarray(1)),
        issuerRaw: Buffer.from(issuer.raw),
        issuerCn: commonName(issuer.raw),
        thisUpdate,
        nextUpdate,
        revokedSerials,
    };
}

/** True when `crl` is signed (ECDSA P-256 / SHA-256, the only algorithm Intel's PKI uses) by `key`. */
export function crlSignedBy(crl: ParsedCrl, key: KeyObject): boolean {
    if (crl.signatureAlgorithm !== OID_ECDSA_SHA256) return false;
    try {
        return cryptoVerify('sha256', crl.tbs, key, crl.signature);
    } catch {
        return false;
    }
}

/** True when certificate `der` is signed by `issuerKey` (node checks the TBS signature). */
export function certSignedBy(der: Buffer, issuerKey: KeyObject): boolean {
    try {
        return new X509Certificate(der).verify(issuerKey);
    } catch {
        return false;
    }
}

export interface SgxExtension {
    fmspc: Buffer;
    pceSvn: number;
    cpuSvn: Buffer;
}

/** Reads FMSPC / PCESVN / CPUSVN out of a PCK certificate's SGX extension. */
export function readSgxExtension(cert: ParsedCertificate): SgxExtension {
    const ext = cert.extensions.get(OID_SGX_EXTENSION);
    if (!ext) throw new DerError('PCK certificate has no SGX extension (1.2.840.113741.1.13.1)');
    const items = new Map<string, DerNode>();
    const collect = (seq: DerNode) => {
        for (const pair of children(seq)) {
            const [oid, value] = children(pair);
            items.set(decodeOid(expectTag(oid, TAG.OID, 'SGX extension OID').content), value);
            if (value && value.tag === TAG.SEQUENCE) collect(value);
        }
    };
    collect(decodeOne(ext));
    const get = (suffix: string, tag: number) =>
        expectTag(items.get(`${OID_SGX_EXTENSION}.${suffix}`), tag, `SGX extension .${suffix}`).content;
    const fmspc = Buffer.from(get('4', TAG.OCTET_STRING));
    const cpuSvn = Buffer.from(get('2.18', TAG.OCTET_STRING));
    if (fmspc.length !== 6) throw new DerError('FMSPC must be 6 bytes');
    if (cpuSvn.length !== 16) throw new DerError('CPUSVN must be 16 bytes');
    const pce = get('2.17', TAG.INTEGER);
    let pceSvn = 0;
    for (const b of pce) pceSvn = pceSvn * 256 + b;
    return { fmspc, pceSvn, cpuSvn };
}

export function pemToDerList(pem: string): Buffer[] {
    const out: Buffer[] = [];
    const re = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]+?)-----END \1-----/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(pem)) !== null) out.push(Buffer.from(m[2].replace(/\s+/g, ''), 'base64'));
    return out;
}
