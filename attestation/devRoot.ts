/**
 * Development attestation root: a private PKI shaped like Intel's, so simulated TDX quotes go through the very
 * same verifier (dcap-qvl + our own checks) as real ones, only trusted through a different root certificate.
 *
 *   Cocoon Dev SGX Root CA            (self-signed, ECDSA P-256)       <- verifiers configured for localnet trust it
 *   ├── Cocoon Dev SGX PCK Platform CA (signs PCK leaves and the PCK CRL; "Platform" in the CN is how
 *   │   │                               dcap-qvl and the PCS API tell platform from processor CAs)
 *   │   └── Cocoon Dev SGX PCK Certificate  (carries Intel's SGX extension: PPID, TCB, PCEID, FMSPC, SGX type;
 *   │                                        its key is the "QE key" that signs the QE report, as on real hardware)
 *   └── Cocoon Dev SGX TCB Signing     (signs tcb_info and qe_identity)
 *   + an attestation key (P-256) that signs quotes; the QE report binds it.
 *
 * One root per machine: created on first use in `<dataDir>/dev-root/dev-root.json` (0600, folder 0700) and
 * reused afterwards, so every simulated worker and every localnet verifier on the machine agree on it.
 * Creation is race-safe: each process writes a complete temp file and publishes it with link(2), which fails
 * if the file already exists; the loser discards its own PKI and reads the winner's. Nobody ever reads a
 * half-written file and no root replaces another that a process is already using.
 */
import { createPrivateKey, createPublicKey, KeyObject, randomBytes, webcrypto } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeOctetString, encodeOid, encodeSequence, encodeUInt, TAG } from './der';
import { ECDSA_P256, ECDSA_SHA256, importSigningKey, x509 } from './x509Setup';

export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';
export const DEV_ROOT_FILE = 'dev-root.json';
const FORMAT_VERSION = 1;
const O = 'O=Cocoon-TON development (not Intel), C=ZZ';

/** What the simulated platform reports about itself; tcb_info in devCollateral() matches these. */
export interface DevPlatform {
    fmspc: Buffer; // 6 bytes
    pceId: Buffer; // 2 bytes
    pceSvn: number;
    cpuSvn: Buffer; // 16 bytes, also the 16 SGX TCB components
    ppid: Buffer; // 16 bytes
}

/**
 * Same TCB numbers as the real sample platform (testdata/tdx), so dev collateral has realistic levels; the FMSPC
 * is our own so a dev quote can never be matched with Intel's tcb_info for a real platform.
 */
export const DEV_PLATFORM_DEFAULTS = {
    fmspc: 'C0C0A0000000',
    pceId: '0000',
    pceSvn: 11,
    cpuSvn: '03030202040100050000000000000000',
} as const;

export interface DevRoot {
    dir: string;
    createdAt: Date;
    rootCertPem: string;
    rootCertDer: Buffer;
    rootKeyPem: string;
    pckCaCertPem: string;
    pckCaCertDer: Buffer;
    pckCaKeyPem: string;
    pckLeafCertPem: string;
    pckLeafCertDer: Buffer;
    /** The PCK key: signs QE reports (dcap-qvl checks that signature with the PCK leaf certificate). */
    pckLeafKey: KeyObject;
    tcbSigningCertPem: string;
    tcbSigningCertDer: Buffer;
    tcbSigningKey: KeyObject;
    /** Signs quotes (header + TD report). */
    attestationKey: KeyObject;
    /** Raw X||Y (64 bytes) of the attestation key, as it sits in the quote. */
    attestationPub: Buffer;
    platform: DevPlatform;
}

interface DevRootFile {
    version: number;
    createdAt: string;
    root: { certPem: string; keyPem: string };
    pckCa: { certPem: string; keyPem: string };
    pckLeaf: { certPem: string; keyPem: string };
    tcbSigning: { certPem: string; keyPem: string };
    attestationKeyPem: string;
    platform: { fmspc: string; pceId: string; pceSvn: number; cpuSvn: string; ppid: string };
}

/** `$COCOON_DATA_DIR`, else `~/.cocoon-ton`. */
export function defaultDataDir(): string {
    const env = process.env.COCOON_DATA_DIR;
    return env && env.trim() !== '' ? env : path.join(os.homedir(), '.cocoon-ton');
}

/** Intel's SGX PCK extension (OID 1.2.840.113741.1.13.1) as its DER value: a SEQUENCE of (OID, value) pairs. */
export function encodeSgxExtension(p: DevPlatform): Buffer {
    const oid = (suffix: string) => encodeOid(`${SGX_EXTENSION_OID}.${suffix}`);
    const tcbComponents: Buffer[] = [];
    for (let i = 0; i < 16; i++) tcbComponents.push(encodeSequence([oid(`2.${i + 1}`), encodeUInt(p.cpuSvn[i])]));
    tcbComponents.push(encodeSequence([oid('2.17'), encodeUInt(p.pceSvn)]));
    tcbComponents.push(encodeSequence([oid('2.18'), encodeOctetString(p.cpuSvn)]));
    return encodeSequence([
        encodeSequence([oid('1'), encodeOctetString(p.ppid)]),
        encodeSequence([oid('2'), encodeSequence(tcbComponents)]),
        encodeSequence([oid('3'), encodeOctetString(p.pceId)]),
        encodeSequence([oid('4'), encodeOctetString(p.fmspc)]),
        // SGX type: 0 = Standard.
        encodeSequence([oid('5'), encodeUInt(0, TAG.ENUMERATED)]),
    ]);
}

function serial(): string {
    const b = randomBytes(16);
    b[0] &= 0x7f; // positive INTEGER
    b[0] |= 0x10; // no leading zero byte, so its hex form is canonical
    return b.toString('hex');
}

async function newKeyPair(): Promise<{ keys: webcrypto.CryptoKeyPair; pem: string }> {
    const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const pem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
    return { keys, pem: pem.replace(/\n\n/g, '\n') };
}

async function generate(now: Date): Promise<DevRootFile> {
    const notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
    const notAfter = new Date(now.getTime() + 20 * 365 * 24 * 3600 * 1000);
    const caExt = async (pathLen: number, pub: webcrypto.CryptoKey) => [
        new x509.BasicConstraintsExtension(true, pathLen, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(pub),
    ];

    const root = await newKeyPair();
    const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: `CN=Cocoon Dev SGX Root CA, ${O}`,
        notBefore,
        notAfter,
        keys: root.keys,
        signingAlgorithm: ECDSA_SHA256,
        extensions: await caExt(1, root.keys.publicKey),
    });

    const issued = async (
        subject: string,
        issuer: x509.X509Certificate,
        issuerKey: webcrypto.CryptoKey,
        pub: webcrypto.CryptoKey,
        extensions: x509.Extension[],
    ) =>
        x509.X509CertificateGenerator.create({
            serialNumber: serial(),
            subject,
            issuer: issuer.subjectName,
            notBefore,
            notAfter,
            publicKey: pub,
            signingKey: issuerKey,
            signingAlgorithm: ECDSA_SHA256,
            extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(issuer)],
        });

    const pckCa = await newKeyPair();
    const pckCaCert = await issued(
        `CN=Cocoon Dev SGX PCK Platform CA, ${O}`,
        rootCert,
        root.keys.privateKey,
        pckCa.keys.publicKey,
        await caExt(0, pckCa.keys.publicKey),
    );

    const platform: DevPlatform = {
        fmspc: Buffer.from(DEV_PLATFORM_DEFAULTS.fmspc, 'hex'),
        pceId: Buffer.from(DEV_PLATFORM_DEFAULTS.pceId, 'hex'),
        pceSvn: DEV_PLATFORM_DEFAULTS.pceSvn,
        cpuSvn: Buffer.from(DEV_PLATFORM_DEFAULTS.cpuSvn, 'hex'),
        ppid: randomBytes(16),
    };
    const leafUsage = new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
        true,
    );
    const pckLeaf = await newKeyPair();
    const pckLeafCert = await issued(
        `CN=Cocoon Dev SGX PCK Certificate, ${O}`,
        pckCaCert,
        pckCa.keys.privateKey,
        pckLeaf.keys.publicKey,
        [
            new x509.BasicConstraintsExtension(false, undefined, true),
            leafUsage,
            new x509.Extension(SGX_EXTENSION_OID, false, encodeSgxExtension(platform)),
        ],
    );

    const tcb = await newKeyPair();
    const tcbCert = await issued(
        `CN=Cocoon Dev SGX TCB Signing, ${O}`,
        rootCert,
        root.keys.privateKey,
        tcb.keys.publicKey,
        [new x509.BasicConstraintsExtension(false, undefined, true), leafUsage],
    );

    const att = await newKeyPair();
    return {
        version: FORMAT_VERSION,
        createdAt: now.toISOString(),
        root: { certPem: rootCert.toString('pem'), keyPem: root.pem },
        pckCa: { certPem: pckCaCert.toString('pem'), keyPem: pckCa.pem },
        pckLeaf: { certPem: pckLeafCert.toString('pem'), keyPem: pckLeaf.pem },
        tcbSigning: { certPem: tcbCert.toString('pem'), keyPem: tcb.pem },
        attestationKeyPem: att.pem,
        platform: {
            fmspc: platform.fmspc.toString('hex').toUpperCase(),
            pceId: platform.pceId.toString('hex').toUpperCase(),
            pceSvn: platform.pceSvn,
            cpuSvn: platform.cpuSvn.toString('hex'),
            ppid: platform.ppid.toString('hex'),
        },
    };
}

function pemToDer(pem: string): Buffer {
    return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Raw X||Y of a P-256 key (the quote's attestation key encoding). */
export function rawP256PublicKey(key: KeyObject): Buffer {
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('not a P-256 key');
    return Buffer.concat([Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

function fromFile(dir: string, f: DevRootFile): DevRoot {
    if (f.version !== FORMAT_VERSION)
        throw new Error(`dev root in ${dir} has format ${f.version}, expected ${FORMAT_VERSION}`);
    const attestationKey = createPrivateKey(f.attestationKeyPem);
    return {
        dir,
        createdAt: new Date(f.createdAt),
        rootCertPem: f.root.certPem,
        rootCertDer: pemToDer(f.root.certPem),
        rootKeyPem: f.root.keyPem,
        pckCaCertPem: f.pckCa.certPem,
        pckCaCertDer: pemToDer(f.pckCa.certPem),
        pckCaKeyPem: f.pckCa.keyPem,
        pckLeafCertPem: f.pckLeaf.certPem,
        pckLeafCertDer: pemToDer(f.pckLeaf.certPem),
        pckLeafKey: createPrivateKey(f.pckLeaf.keyPem),
        tcbSigningCertPem: f.tcbSigning.certPem,
        tcbSigningCertDer: pemToDer(f.tcbSigning.certPem),
        tcbSigningKey: createPrivateKey(f.tcbSigning.keyPem),
        attestationKey,
        attestationPub: rawP256PublicKey(attestationKey),
        platform: {
            fmspc: Buffer.from(f.platform.fmspc, 'hex'),
            pceId: Buffer.from(f.platform.pceId, 'hex'),
            pceSvn: f.platform.pceSvn,
            cpuSvn: Buffer.from(f.platform.cpuSvn, 'hex'),
            ppid: Buffer.from(f.platform.ppid, 'hex'),
        },
    };
}

function readDevRoot(dir: string, file: string): DevRoot {
    let parsed: DevRootFile;
    try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as DevRootFile;
    } catch (e) {
        // Never regenerate over an unreadable root: verifiers may already trust it. A human must look.
        throw new Error(`dev root ${file} exists but cannot be read (${(e as Error).message}); remove it to recreate`);
    }
    return fromFile(dir, parsed);
}

/** Loads the machine's development root from `<dataDir>/dev-root/`, creating it on first use. */
export async function loadOrCreateDevRoot(
    dataDir: string = defaultDataDir(),
    now: Date = new Date(),
): Promise<DevRoot> {
    const dir = path.join(dataDir, 'dev-root');
    const file = path.join(dir, DEV_ROOT_FILE);
    if (fs.existsSync(file)) return readDevRoot(dir, file);

    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const content = JSON.stringify(await generate(now), null, 2);
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    fs.writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    try {
        // link(2) publishes atomically and refuses to replace: exactly one creator wins.
        fs.linkSync(tmp, file);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
            // Filesystems without hard links: an exclusive copy still never replaces an existing root.
            try {
                fs.copyFileSync(tmp, file, fs.constants.COPYFILE_EXCL);
                fs.chmodSync(file, 0o600);
            } catch (e2) {
                if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
            }
        } else if (code !== 'EEXIST') throw e;
    } finally {
        fs.rmSync(tmp, { force: true });
    }
    return readDevRoot(dir, file);
}

/** WebCrypto signing keys for the CAs (the CRL generator needs them); kept out of DevRoot to stay sync. */
export async function devCaSigningKeys(
    root: DevRoot,
): Promise<{ root: webcrypto.CryptoKey; pckCa: webcrypto.CryptoKey }> {
    return { root: await importSigningKey(root.rootKeyPem), pckCa: await importSigningKey(root.pckCaKeyPem) };
}
