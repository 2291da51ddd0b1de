/**
 * Assembles TDX v4 quotes byte for byte in the layout quote.ts parses (and Intel's QGS emits), signing them with
 * development keys. Only the simulated backend uses it: real quotes come from the TDX quoting enclave.
 */
import { createHash, KeyObject, sign } from 'crypto';
import {
    ATTESTATION_KEY_TYPE_ECDSA_P256,
    CERT_TYPE_PCK_CHAIN,
    CERT_TYPE_QE_REPORT,
    HEADER_LEN,
    INTEL_QE_VENDOR_ID,
    QE_REPORT_LEN,
    QUOTE_VERSION_4,
    TD_REPORT_FIELDS,
    TD_REPORT_LEN,
    TdReport,
    TEE_TYPE_TDX,
} from '../quote';

export interface HeaderInput {
    qeSvn: number;
    pceSvn: number;
    qeVendorId: Buffer;
    userData: Buffer; // 20 bytes
}

export function encodeHeader(h: HeaderInput): Buffer {
    const b = Buffer.alloc(HEADER_LEN);
    b.writeUInt16LE(QUOTE_VERSION_4, 0);
    b.writeUInt16LE(ATTESTATION_KEY_TYPE_ECDSA_P256, 2);
    b.writeUInt32LE(TEE_TYPE_TDX, 4);
    b.writeUInt16LE(h.qeSvn, 8);
    b.writeUInt16LE(h.pceSvn, 10);
    fixed(h.qeVendorId, 16, 'qeVendorId').copy(b, 12);
    fixed(h.userData, 20, 'userData').copy(b, 28);
    return b;
}

function fixed(v: Buffer, len: number, name: string): Buffer {
    if (!Buffer.isBuffer(v) || v.length !== len) throw new Error(`${name} must be ${len} bytes, got ${v?.length}`);
    return v;
}

export function encodeTdReport(r: TdReport): Buffer {
    const parts = TD_REPORT_FIELDS.map(([name, size]) => fixed(r[name], size, `tdReport.${name}`));
    const out = Buffer.concat(parts);
    if (out.length !== TD_REPORT_LEN) throw new Error('TD report encoding length mismatch');
    return out;
}

export interface QeReportInput {
    cpuSvn: Buffer; // 16
    miscSelect: number;
    attributes: Buffer; // 16
    mrEnclave: Buffer; // 32
    mrSigner: Buffer; // 32
    isvProdId: number;
    isvSvn: number;
    reportData: Buffer; // 64
}

/** SGX REPORT body, 384 bytes; reserved ranges stay zero. */
export function encodeQeReport(r: QeReportInput): Buffer {
    const b = Buffer.alloc(QE_REPORT_LEN);
    fixed(r.cpuSvn, 16, 'qe.cpuSvn').copy(b, 0);
    b.writeUInt32LE(r.miscSelect, 16);
    fixed(r.attributes, 16, 'qe.attributes').copy(b, 48);
    fixed(r.mrEnclave, 32, 'qe.mrEnclave').copy(b, 64);
    fixed(r.mrSigner, 32, 'qe.mrSigner').copy(b, 128);
    b.writeUInt16LE(r.isvProdId, 256);
    b.writeUInt16LE(r.isvSvn, 258);
    fixed(r.reportData, 64, 'qe.reportData').copy(b, 320);
    return b;
}

/** P-256 ECDSA over SHA-256 with the raw r||s encoding quotes use. */
export function signRaw(data: Buffer, key: KeyObject): Buffer {
    return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}

/**
 * The QE binds the attestation key: QE REPORTDATA = sha256(attestation key (64) || QE auth data) || 32 zero bytes.
 * dcap-qvl always hashes 64 + 32 bytes, so auth data must be exactly 32 bytes.
 */
export function qeReportDataFor(attestationPub: Buffer, qeAuthData: Buffer): Buffer {
    return Buffer.concat([createHash('sha256').update(attestationPub).update(qeAuthData).digest(), Buffer.alloc(32)]);
}

export interface AssembleInput {
    header: HeaderInput;
    report: TdReport;
    attestationKey: KeyObject;
    attestationPub: Buffer; // 64, raw X||Y
    qe: Omit<QeReportInput, 'reportData'>;
    qeAuthData: Buffer; // 32
    /** Signs the QE report: the PCK leaf's private key. */
    pckKey: KeyObject;
    /** Leaf, PCK CA, root. */
    pckChainPem: string;
}

export function assembleQuote(i: AssembleInput): Buffer {
    if (i.qeAuthData.length !== 32) throw new Error('QE auth data must be 32 bytes');
    const signed = Buffer.concat([encodeHeader(i.header), encodeTdReport(i.report)]);
    const signature = signRaw(signed, i.attestationKey);
    const qeReport = encodeQeReport({ ...i.qe, reportData: qeReportDataFor(i.attestationPub, i.qeAuthData) });
    const qeReportSig = signRaw(qeReport, i.pckKey);

    const chain = Buffer.from(i.pckChainPem, 'latin1');
    const u16 = (v: number) => {
        const b = Buffer.alloc(2);
        b.writeUInt16LE(v, 0);
        return b;
    };
    const u32 = (v: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v, 0);
        return b;
    };
    const qeCertData = Buffer.concat([
        qeReport,
        qeReportSig,
        u16(i.qeAuthData.length),
        i.qeAuthData,
        u16(CERT_TYPE_PCK_CHAIN),
        u32(chain.length),
        chain,
    ]);
    const sigData = Buffer.concat([
        signature,
        fixed(i.attestationPub, 64, 'attestationPub'),
        u16(CERT_TYPE_QE_REPORT),
        u32(qeCertData.length),
        qeCertData,
    ]);
    return Buffer.concat([signed, u32(sigData.length), sigData]);
}

export { INTEL_QE_VENDOR_ID };
