/**
 * Parser for Intel TDX DCAP quotes, version 4 (the format TDX 1.0/1.5 platforms emit through the QGS).
 *
 * Layout (all integers little-endian; offsets in bytes from the start of the quote):
 *
 *   0     header (48)
 *           0  u16 version (4)            2  u16 attestation key type (2 = ECDSA-256 P-256)
 *           4  u32 TEE type (0x81 = TDX)  8  u16 QE SVN   10  u16 PCE SVN
 *          12  QE vendor id (16)         28  user data (20; QE id in the first 16)
 *   48    TD report body (584), see TD_REPORT_FIELDS below
 *   632   u32 signature data length; after the signature data only zero padding may follow (QGS buffers)
 *   636   signature data
 *           0   ECDSA signature over quote[0..632) (64, raw r||s)
 *          64   attestation public key (64, raw X||Y on P-256)
 *         128   u16 certification data type (6 = QE report certification data)
 *         130   u32 certification data size
 *         134   QE report certification data:
 *                 0  QE report (384, an SGX enclave report; see QE_REPORT_FIELDS)
 *               384  QE report signature by the PCK key (64, raw r||s)
 *               448  u16 QE auth data size, then the auth data
 *                    u16 certification data type (5 = PCK cert chain, PEM), u32 size, then the PEM chain
 *                    (PCK leaf, PCK CA, root CA)
 *
 * The parser is strict: every inner length must match the bytes present exactly and only zero padding may trail
 * the signature data, so a quote has exactly one reading.
 */

export const HEADER_LEN = 48;
export const TD_REPORT_LEN = 584;
export const QE_REPORT_LEN = 384;
/** The ECDSA quote signature covers the header and the TD report: bytes [0, SIGNED_LEN). */
export const SIGNED_LEN = HEADER_LEN + TD_REPORT_LEN;
export const QUOTE_VERSION_4 = 4;
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
export const TEE_TYPE_TDX = 0x81;
export const CERT_TYPE_PCK_CHAIN = 5;
export const CERT_TYPE_QE_REPORT = 6;
/** Intel's QE vendor id (939A7233-F79C-4CA9-940A-0DB3957F0607): the only quoting enclave we accept. */
export const INTEL_QE_VENDOR_ID = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

export class QuoteFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'QuoteFormatError';
    }
}

export interface QuoteHeader {
    version: number;
    attestationKeyType: number;
    teeType: number;
    qeSvn: number;
    pceSvn: number;
    qeVendorId: Buffer;
    userData: Buffer;
}

/** TD report body fields (TDX module ABI, TDREPORT's TDINFO + TEE_TCB_INFO subset that quotes carry). */
export interface TdReport {
    teeTcbSvn: Buffer;
    mrSeam: Buffer;
    mrSignerSeam: Buffer;
    seamAttributes: Buffer;
    tdAttributes: Buffer;
    xfam: Buffer;
    mrTd: Buffer;
    mrConfigId: Buffer;
    mrOwner: Buffer;
    mrOwnerConfig: Buffer;
    rtmr0: Buffer;
    rtmr1: Buffer;
    rtmr2: Buffer;
    rtmr3: Buffer;
    reportData: Buffer;
}

/** [field, size] in TD report order; offsets follow by accumulation (TEE_TCB_SVN at 0 ... REPORTDATA at 520). */
export const TD_REPORT_FIELDS: ReadonlyArray<readonly [keyof TdReport, number]> = [
    ['teeTcbSvn', 16],
    ['mrSeam', 48],
    ['mrSignerSeam', 48],
    ['seamAttributes', 8],
    ['tdAttributes', 8],
    ['xfam', 8],
    ['mrTd', 48],
    ['mrConfigId', 48],
    ['mrOwner', 48],
    ['mrOwnerConfig', 48],
    ['rtmr0', 48],
    ['rtmr1', 48],
    ['rtmr2', 48],
    ['rtmr3', 48],
    ['reportData', 64],
];

/** Offset of each TD report field inside the 584-byte body (add HEADER_LEN for the offset in the quote). */
export const TD_REPORT_OFFSETS: Readonly<Record<keyof TdReport, number>> = (() => {
    const out: Partial<Record<keyof TdReport, number>> = {};
    let off = 0;
    for (const [name, size] of TD_REPORT_FIELDS) {
        out[name] = off;
        off += size;
    }
    if (off !== TD_REPORT_LEN) throw new Error(`TD report layout sums to ${off}, expected ${TD_REPORT_LEN}`);
    return out as Record<keyof TdReport, number>;
})();

/** SGX enclave report of the quoting enclave (384 bytes). */
export interface QeReport {
    cpuSvn: Buffer;
    miscSelect: number;
    attributes: Buffer;
    mrEnclave: Buffer;
    mrSigner: Buffer;
    isvProdId: number;
    isvSvn: number;
    reportData: Buffer;
}

export interface QuoteSignatureData {
    /** Raw r||s over quote bytes [0, SIGNED_LEN). */
    signature: Buffer;
    /** Raw X||Y of the P-256 attestation key. */
    attestationKey: Buffer;
    qeReport: QeReport;
    /** The 384 QE report bytes as signed by the PCK key. */
    qeReportRaw: Buffer;
    qeReportSignature: Buffer;
    qeAuthData: Buffer;
    /** PEM chain as carried in the quote: PCK leaf, PCK CA, root. */
    pckCertChainPem: string;
    /** The same chain decoded to DER, leaf first. */
    pckCertChainDer: Buffer[];
}

export interface ParsedQuote {
    header: QuoteHeader;
    report: TdReport;
    signatureData: QuoteSignatureData;
    /** The header + TD report bytes the attestation key signed. */
    signedBytes: Buffer;
}

/** Bounds-checked little-endian cursor; every read names the field so truncation errors say what is missing. */
class Cursor {
    private off = 0;
    constructor(
        private readonly buf: Buffer,
        private readonly base: number,
        private readonly where: string,
    ) {}

    get offset(): number {
        return this.off;
    }

    remaining(): number {
        return this.buf.length - this.off;
    }

    private need(n: number, field: string): void {
        if (this.off + n > this.buf.length) {
            throw new QuoteFormatError(
                `truncated quote: ${field} needs ${n} bytes at offset ${this.base + this.off} of ${this.where}, ` +
                    `only ${this.buf.length - this.off} left`,
            );
        }
    }

    u16(field: string): number {
        this.need(2, field);
        const v = this.buf.readUInt16LE(this.off);
        this.off += 2;
        return v;
    }

    u32(field: string): number {
        this.need(4, field);
        const v = this.buf.readUInt32LE(this.off);
        this.off += 4;
        return v;
    }

    bytes(n: number, field: string): Buffer {
        this.need(n, field);
        // Copy: parsed fields must not alias the caller's buffer (callers may reuse or mutate it).
        const v = Buffer.from(this.buf.subarray(this.off, this.off + n));
        this.off += n;
        return v;
    }

    end(what: string): void {
        if (this.off !== this.buf.length) {
            throw new QuoteFormatError(`${this.buf.length - this.off} unexpected trailing bytes after ${what}`);
        }
    }
}

function parseHeader(c: Cursor): QuoteHeader {
    return {
        version: c.u16('header.version'),
        attestationKeyType: c.u16('header.attestationKeyType'),
        teeType: c.u32('header.teeType'),
        qeSvn: c.u16('header.qeSvn'),
        pceSvn: c.u16('header.pceSvn'),
        qeVendorId: c.bytes(16, 'header.qeVendorId'),
        userData: c.bytes(20, 'header.userData'),
    };
}

function parseTdReport(c: Cursor): TdReport {
    const out: Partial<TdReport> = {};
    for (const [name, size] of TD_REPORT_FIELDS) out[name] = c.bytes(size, `tdReport.${name}`);
    return out as TdReport;
}

/** Decodes a 384-byte SGX enclave report (the QE report). Offsets: Intel SGX SDM, REPORT structure. */
export function parseQeReport(raw: Buffer): QeReport {
    if (raw.length !== QE_REPORT_LEN) throw new QuoteFormatError(`QE report must be ${QE_REPORT_LEN} bytes`);
    return {
        cpuSvn: Buffer.from(raw.subarray(0, 16)),
        miscSelect: raw.readUInt32LE(16),
        attributes: Buffer.from(raw.subarray(48, 64)),
        mrEnclave: Buffer.from(raw.subarray(64, 96)),
        mrSigner: Buffer.from(raw.subarray(128, 160)),
        isvProdId: raw.readUInt16LE(256),
        isvSvn: raw.readUInt16LE(258),
        reportData: Buffer.from(raw.subarray(320, 384)),
    };
}

/** Splits a PEM bundle into DER certificates; anything else in the bundle is an error. */
export function pemChainToDer(pem: string): Buffer[] {
    const re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;
    const out: Buffer[] = [];
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(pem)) !== null) {
        if (pem.slice(last, m.index).replace(/\0/g, '').trim() !== '') {
            throw new QuoteFormatError('unexpected text between PEM certificates');
        }
        out.push(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
        last = re.lastIndex;
    }
    // Real quotes end the chain with a NUL terminator; tolerate NULs and whitespace only.
    if (pem.slice(last).replace(/\0/g, '').trim() !== '') throw new QuoteFormatError('unexpected text after PEM chain');
    return out;
}

export function parseQuote(quote: Buffer | Uint8Array): ParsedQuote {
    const buf = Buffer.isBuffer(quote) ? quote : Buffer.from(quote);
    const c = new Cursor(buf, 0, 'the quote');
    const header = parseHeader(c);
    if (header.version !== QUOTE_VERSION_4) {
        throw new QuoteFormatError(`unsupported quote version ${header.version} (only TDX v4 quotes are accepted)`);
    }
    if (header.teeType !== TEE_TYPE_TDX) {
        throw new QuoteFormatError(`TEE type 0x${header.teeType.toString(16)} is not TDX (0x81)`);
    }
    if (header.attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
        throw new QuoteFormatError(`attestation key type ${header.attestationKeyType} is not ECDSA-256 P-256 (2)`);
    }
    const report = parseTdReport(c);
    const sigLen = c.u32('signature data length');
    const sigBytes = c.bytes(sigLen, 'signature data');
    // Quotes from the QGS come in a fixed-size buffer: zero padding after the signature data is normal, and it is
    // the only thing we tolerate there (any non-zero byte would be unsigned data riding along).
    const padding = c.bytes(c.remaining(), 'padding');
    if (!padding.every((b) => b === 0)) {
        throw new QuoteFormatError(`${padding.length} bytes after the signature data are not zero padding`);
    }

    const s = new Cursor(sigBytes, SIGNED_LEN + 4, 'the signature data');
    const signature = s.bytes(64, 'quote signature');
    const attestationKey = s.bytes(64, 'attestation key');
    const certType = s.u16('certification data type');
    if (certType !== CERT_TYPE_QE_REPORT) {
        throw new QuoteFormatError(`certification data type ${certType} is not QE report certification data (6)`);
    }
    const certSize = s.u32('certification data size');
    if (certSize !== s.remaining()) {
        throw new QuoteFormatError(
            `certification data size ${certSize} does not match the ${s.remaining()} bytes left`,
        );
    }
    const q = new Cursor(s.bytes(certSize, 'certification data'), SIGNED_LEN + 4 + 134, 'the QE certification data');
    const qeReportRaw = q.bytes(QE_REPORT_LEN, 'QE report');
    const qeReportSignature = q.bytes(64, 'QE report signature');
    const authLen = q.u16('QE auth data size');
    const qeAuthData = q.bytes(authLen, 'QE auth data');
    const innerType = q.u16('PCK certification data type');
    if (innerType !== CERT_TYPE_PCK_CHAIN) {
        throw new QuoteFormatError(`inner certification data type ${innerType} is not a PCK certificate chain (5)`);
    }
    const chainLen = q.u32('PCK certificate chain size');
    if (chainLen !== q.remaining()) {
        throw new QuoteFormatError(`PCK chain size ${chainLen} does not match the ${q.remaining()} bytes left`);
    }
    const chainRaw = q.bytes(chainLen, 'PCK certificate chain');
    q.end('the PCK certificate chain');
    const pckCertChainPem = chainRaw.toString('latin1');
    const pckCertChainDer = pemChainToDer(pckCertChainPem);
    if (pckCertChainDer.length < 2) {
        throw new QuoteFormatError(`PCK chain holds ${pckCertChainDer.length} certificates, expected leaf + CA(s)`);
    }

    return {
        header,
        report,
        signatureData: {
            signature,
            attestationKey,
            qeReport: parseQeReport(qeReportRaw),
            qeReportRaw,
            qeReportSignature,
            qeAuthData,
            pckCertChainPem,
            pckCertChainDer,
        },
        signedBytes: Buffer.from(buf.subarray(0, SIGNED_LEN)),
    };
}

/** TDATTRIBUTES bits the policy reads (TDX module ABI: TUD in byte 0, SEC flags in bytes 1..3). */
export const TD_ATTR = {
    /** Bit 0: TD under debug (TUD.DEBUG). A debug TD's memory and registers are readable by the host. */
    debug: (attrs: Buffer): boolean => (attrs[0] & 0x01) !== 0,
    /** Any TUD bit (byte 0): every one of them weakens isolation. */
    anyTud: (attrs: Buffer): boolean => attrs[0] !== 0,
    /** Bit 28: SEPT_VE_DISABLE. Without it the host can inject #VE on EPT violations and steer the guest. */
    septVeDisable: (attrs: Buffer): boolean => (attrs[3] & 0x10) !== 0,
} as const;
