/**
 * parseQuote() on the real sample, cross-checked field by field against dcap-qvl's independent parser, and its
 * refusal of truncated or inconsistent input.
 */
import { createHash } from 'crypto';
import { Quote as QvlQuote } from '@phala/dcap-qvl';
import { INTEL_SGX_ROOT_CA_DER, INTEL_SGX_ROOT_CA_SHA256 } from '../../attestation/intelRoot';
import {
    INTEL_QE_VENDOR_ID,
    parseQuote,
    QuoteFormatError,
    SIGNED_LEN,
    TD_REPORT_FIELDS,
    TD_REPORT_OFFSETS,
    TdReport,
} from '../../attestation/quote';
import { verifyQuote } from '../../attestation/verifier';
import { parseCertificate } from '../../attestation/x509Parse';
import { codeOf, SAMPLE_NOW, SAMPLE_QUOTE, sampleCollateral } from './fixtures';

const QVL_NAMES: Record<keyof TdReport, string> = {
    teeTcbSvn: 'teeTcbSvn',
    mrSeam: 'mrSeam',
    mrSignerSeam: 'mrSignerSeam',
    seamAttributes: 'seamAttributes',
    tdAttributes: 'tdAttributes',
    xfam: 'xfam',
    mrTd: 'mrTd',
    mrConfigId: 'mrConfigId',
    mrOwner: 'mrOwner',
    mrOwnerConfig: 'mrOwnerConfig',
    rtmr0: 'rtMr0',
    rtmr1: 'rtMr1',
    rtmr2: 'rtMr2',
    rtmr3: 'rtMr3',
    reportData: 'reportData',
};

describe('parseQuote on the real sample', () => {
    const q = parseQuote(SAMPLE_QUOTE);

    it('reads the header', () => {
        expect(q.header.version).toBe(4);
        expect(q.header.attestationKeyType).toBe(2);
        expect(q.header.teeType).toBe(0x81);
        expect(q.header.qeVendorId.equals(INTEL_QE_VENDOR_ID)).toBe(true);
        expect(q.header.userData.toString('hex')).toBe('889b7d6ff9df2405b240a830e73faf3d00000000');
    });

    it('reads every TD report field exactly as dcap-qvl does', () => {
        const ref = QvlQuote.parse(SAMPLE_QUOTE).report.asTd10() as unknown as Record<string, Uint8Array>;
        for (const [name] of TD_REPORT_FIELDS) {
            expect([name, q.report[name].toString('hex')]).toEqual([
                name,
                Buffer.from(ref[QVL_NAMES[name]]).toString('hex'),
            ]);
        }
        expect(q.report.teeTcbSvn.toString('hex')).toBe('06010300000000000000000000000000');
        expect(q.report.tdAttributes.toString('hex')).toBe('0000001000000000');
        expect(q.report.xfam.toString('hex')).toBe('e702060000000000');
    });

    it('places fields at their documented offsets', () => {
        expect(TD_REPORT_OFFSETS.teeTcbSvn).toBe(0);
        expect(TD_REPORT_OFFSETS.seamAttributes).toBe(112);
        expect(TD_REPORT_OFFSETS.tdAttributes).toBe(120);
        expect(TD_REPORT_OFFSETS.mrTd).toBe(136);
        expect(TD_REPORT_OFFSETS.rtmr0).toBe(328);
        expect(TD_REPORT_OFFSETS.reportData).toBe(520);
        for (const [name, size] of TD_REPORT_FIELDS) {
            const at = 48 + TD_REPORT_OFFSETS[name];
            expect(SAMPLE_QUOTE.subarray(at, at + size).equals(q.report[name])).toBe(true);
        }
        expect(q.signedBytes.equals(SAMPLE_QUOTE.subarray(0, SIGNED_LEN))).toBe(true);
    });

    it('reads the signature data, QE report and PCK chain', () => {
        const ref = QvlQuote.parse(SAMPLE_QUOTE).authData.intoV3();
        const s = q.signatureData;
        expect(s.signature.equals(Buffer.from(ref.ecdsaSignature))).toBe(true);
        expect(s.attestationKey.equals(Buffer.from(ref.ecdsaAttestationKey))).toBe(true);
        expect(s.qeReportRaw.equals(Buffer.from(ref.qeReport))).toBe(true);
        expect(s.qeReportSignature.equals(Buffer.from(ref.qeReportSignature))).toBe(true);
        expect(s.qeAuthData.toString('hex')).toBe('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
        expect(s.qeReport.isvProdId).toBe(2);
        expect(s.qeReport.mrSigner.toString('hex')).toBe(
            'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5',
        );
        expect(s.qeReport.reportData.subarray(0, 32)).toEqual(
            createHash('sha256').update(s.attestationKey).update(s.qeAuthData).digest(),
        );
        expect(s.pckCertChainDer.map((d) => parseCertificate(d).subjectCn)).toEqual([
            'Intel SGX PCK Certificate',
            'Intel SGX PCK Platform CA',
            'Intel SGX Root CA',
        ]);
    });

    it("ends the PCK chain with Intel's SGX root CA, the verifier's default anchor", () => {
        const root = q.signatureData.pckCertChainDer[2];
        expect(createHash('sha256').update(root).digest('hex')).toBe(INTEL_SGX_ROOT_CA_SHA256);
        expect(root.equals(INTEL_SGX_ROOT_CA_DER)).toBe(true);
        expect(INTEL_SGX_ROOT_CA_SHA256).toBe('44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3');
    });
});

describe('malformed quotes', () => {
    const verifyCode = (b: Buffer) => codeOf(() => verifyQuote(b, { collateral: sampleCollateral(), now: SAMPLE_NOW }));

    it.each([0, 1, 47, 48, 100, 631, 632, 635, 636, 700, 764, 1000, 1253, 4935])(
        'refuses the sample truncated to %i bytes',
        (len) => {
            const t = SAMPLE_QUOTE.subarray(0, len);
            expect(() => parseQuote(t)).toThrow(QuoteFormatError);
            expect(verifyCode(Buffer.from(t))).toBe('QUOTE_MALFORMED');
        },
    );

    it('names the missing field when truncated', () => {
        expect(() => parseQuote(SAMPLE_QUOTE.subarray(0, 100))).toThrow(
            /tdReport\.mrSeam needs 48 bytes at offset 64 of the quote, only 36 left/,
        );
    });

    it('refuses non-zero bytes after the signature data but accepts zero padding', () => {
        const extra = Buffer.concat([SAMPLE_QUOTE, Buffer.from([0x00, 0x07])]);
        expect(() => parseQuote(extra)).toThrow(/not zero padding/);
        expect(verifyCode(extra)).toBe('QUOTE_MALFORMED');
        expect(
            parseQuote(Buffer.concat([SAMPLE_QUOTE, Buffer.alloc(16)])).report.mrTd.equals(
                parseQuote(SAMPLE_QUOTE).report.mrTd,
            ),
        ).toBe(true);
    });

    it('refuses inconsistent inner lengths', () => {
        const bad = Buffer.from(SAMPLE_QUOTE);
        bad.writeUInt32LE(bad.readUInt32LE(632) + 1, 632); // signature data longer than the quote
        expect(() => parseQuote(bad)).toThrow(QuoteFormatError);
        const bad2 = Buffer.from(SAMPLE_QUOTE);
        bad2.writeUInt16LE(33, 636 + 134 + 448); // QE auth data size
        expect(() => parseQuote(bad2)).toThrow(QuoteFormatError);
    });

    it('refuses other versions and TEE types as QUOTE_UNSUPPORTED', () => {
        const v3 = Buffer.from(SAMPLE_QUOTE);
        v3.writeUInt16LE(3, 0);
        expect(() => parseQuote(v3)).toThrow(/unsupported quote version 3/);
        expect(verifyCode(v3)).toBe('QUOTE_UNSUPPORTED');
        const sgx = Buffer.from(SAMPLE_QUOTE);
        sgx.writeUInt32LE(0, 4);
        expect(verifyCode(sgx)).toBe('QUOTE_UNSUPPORTED');
    });

    it('does not alias the input buffer', () => {
        const copy = Buffer.from(SAMPLE_QUOTE);
        const parsed = parseQuote(copy);
        const before = parsed.report.mrTd.toString('hex');
        copy.fill(0);
        expect(parsed.report.mrTd.toString('hex')).toBe(before);
    });
});
