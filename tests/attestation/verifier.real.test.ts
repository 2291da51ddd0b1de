/**
 * verifyQuote() on the real Intel TDX sample: accepted inside its collateral window with Intel's root, and
 * rejected with a precise code for every kind of change to the quote, the collateral or the clock.
 */
import { createHash } from 'crypto';
import { QuoteVerifier } from '@phala/dcap-qvl';
import { Collateral } from '../../attestation/collateral';
import { INTEL_SGX_ROOT_CA_DER } from '../../attestation/intelRoot';
import { verifyQuote } from '../../attestation/verifier';
import { codeOf, flip, flipHex, freshDevRoot, SAMPLE_NOW, SAMPLE_QUOTE, sampleCollateral } from './fixtures';

const SAMPLE_MEASUREMENT = '2bf91d006b11712849eb88446f4a33ab5ff98c03353d3e6a6e1f387599f71a6d';

/** What dcap-qvl alone says (null = accepted): used to show which failures only our own checks catch. */
function qvlAlone(collateral: Collateral, now: Date): string | null {
    try {
        QuoteVerifier.newProd().verify(SAMPLE_QUOTE, collateral, Math.floor(now.getTime() / 1000));
        return null;
    } catch (e) {
        return (e as Error).message;
    }
}

describe('real Intel TDX sample', () => {
    it('verifies UpToDate at 2025-07-01 with Intel root and reports its fields', () => {
        const r = verifyQuote(SAMPLE_QUOTE, { collateral: sampleCollateral(), now: SAMPLE_NOW });
        expect(r.tcbStatus).toBe('UpToDate');
        expect(r.advisoryIds).toEqual([]);
        expect(r.quoteHash.toString('hex')).toBe(createHash('sha256').update(SAMPLE_QUOTE).digest('hex'));
        expect(r.measurement.toString('hex')).toBe(SAMPLE_MEASUREMENT);
        expect(r.fmspc).toBe('B0C06F000000');
        expect(r.tdxModuleId).toBe('TDX_01');
        expect(r.pckSerial).toBe('3C16ED54EACBB4CED072BE72630C85788CF46E36');
        expect(r.reportData.toString('hex')).toBe(
            '9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9' +
                'eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20',
        );
        expect(r.report.mrTd.toString('hex')).toBe(
            '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7',
        );
    });

    it('accepts number-array collateral fields exactly like hex ones', () => {
        const c = sampleCollateral();
        const arr = {
            ...c,
            pck_crl: [...Buffer.from(c.pck_crl, 'hex')],
            tcb_info_signature: [...Buffer.from(c.tcb_info_signature, 'hex')],
        };
        expect(verifyQuote(SAMPLE_QUOTE, { collateral: arr, now: SAMPLE_NOW }).tcbStatus).toBe('UpToDate');
    });

    it.each([
        ['2030-01-01T00:00:00Z', 'COLLATERAL_EXPIRED'],
        ['2025-07-19T10:20:00Z', 'COLLATERAL_EXPIRED'], // just after tcb_info nextUpdate 10:16:03
        ['2020-01-01T00:00:00Z', 'COLLATERAL_NOT_YET_VALID'],
        ['2025-06-19T10:05:00Z', 'COLLATERAL_NOT_YET_VALID'], // before tcb_info issueDate 10:16:03
        ['2025-06-19T10:20:00Z', 'COLLATERAL_NOT_YET_VALID'], // tcb_info valid, QE identity issued 10:32:27
    ])('rejects at %s with %s', (t, code) => {
        expect(codeOf(() => verifyQuote(SAMPLE_QUOTE, { collateral: sampleCollateral(), now: new Date(t) }))).toBe(
            code,
        );
    });

    it('rejects the expired PCK CRL (nextUpdate 2025-07-19T10:00:35Z) that dcap-qvl alone accepts', () => {
        const now = new Date('2025-07-19T10:10:00Z'); // tcb_info and QE identity still valid
        expect(qvlAlone(sampleCollateral(), now)).toBeNull();
        expect(codeOf(() => verifyQuote(SAMPLE_QUOTE, { collateral: sampleCollateral(), now }))).toBe('CRL_STALE');
    });

    // Quote offsets: header 0..47, TD report 48..631, signature data from 636.
    it.each([
        ['header.version', 0, 'QUOTE_UNSUPPORTED'],
        ['header.teeType', 4, 'QUOTE_UNSUPPORTED'],
        ['header.pceSvn', 10, 'QUOTE_SIGNATURE'],
        ['header.qeVendorId', 12, 'QUOTE_SIGNATURE'],
        ['header.userData', 30, 'QUOTE_SIGNATURE'],
        ['report.teeTcbSvn', 48, 'QUOTE_SIGNATURE'],
        ['report.mrSignerSeam', 48 + 64, 'QUOTE_SIGNATURE'],
        ['report.tdAttributes (debug bit)', 48 + 120, 'QUOTE_SIGNATURE'],
        ['report.mrTd', 48 + 136, 'QUOTE_SIGNATURE'],
        ['report.rtmr3', 48 + 472, 'QUOTE_SIGNATURE'],
        ['report.reportData last byte', 631, 'QUOTE_SIGNATURE'],
        ['signature data length', 632, 'QUOTE_MALFORMED'],
        ['quote signature', 641, 'QUOTE_SIGNATURE'],
        ['attestation key', 703, 'QE_REPORT_BINDING'],
        ['certification data type', 764, 'QUOTE_MALFORMED'],
        ['QE report', 870, 'QE_REPORT_SIGNATURE'],
        ['QE report signature', 1164, 'QE_REPORT_SIGNATURE'],
        ['QE auth data', 1225, 'QE_REPORT_BINDING'],
        ['PCK chain byte', 1558, 'CERT_CHAIN'],
        ['trailing zero padding', 4990, 'QUOTE_MALFORMED'],
    ])('rejects a changed byte in %s (offset %i) with %s', (_name, pos, code) => {
        const tampered = flip(SAMPLE_QUOTE, pos as number);
        expect(codeOf(() => verifyQuote(tampered, { collateral: sampleCollateral(), now: SAMPLE_NOW }))).toBe(code);
    });

    const collateralCases: Array<[string, string, boolean, (c: Collateral) => void]> = [
        // [name, our code, does dcap-qvl alone also reject?, change]
        [
            'tcb_info text',
            'COLLATERAL_SIGNATURE',
            true,
            (c) => (c.tcb_info = c.tcb_info.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18')),
        ],
        [
            'tcb_info_signature byte',
            'COLLATERAL_SIGNATURE',
            true,
            (c) => (c.tcb_info_signature = flipHex(c.tcb_info_signature, 3)),
        ],
        [
            'qe_identity text',
            'COLLATERAL_SIGNATURE',
            true,
            (c) => (c.qe_identity = c.qe_identity.replace('"isvprodid":2', '"isvprodid":3')),
        ],
        [
            'qe_identity_signature byte',
            'COLLATERAL_SIGNATURE',
            true,
            (c) => (c.qe_identity_signature = flipHex(c.qe_identity_signature, 40)),
        ],
        ['PCK CRL body byte', 'CRL_SIGNATURE', false, (c) => (c.pck_crl = flipHex(c.pck_crl, 300))],
        [
            'PCK CRL signature byte',
            'CRL_SIGNATURE',
            false,
            (c) => (c.pck_crl = flipHex(c.pck_crl, c.pck_crl.length / 2 - 3)),
        ],
        ['root CA CRL byte', 'CRL_SIGNATURE', false, (c) => (c.root_ca_crl = flipHex(c.root_ca_crl, 100))],
        ['root CA CRL replaced by garbage', 'CRL_MALFORMED', false, (c) => (c.root_ca_crl = 'deadbeef')],
        ['PCK CRL replaced by garbage', 'CRL_MALFORMED', false, (c) => (c.pck_crl = '00'.repeat(40))],
        ['PCK CRL replaced by the root CRL', 'CRL_SIGNATURE', false, (c) => (c.pck_crl = c.root_ca_crl)],
        [
            'pck_crl_issuer_chain unparseable',
            'COLLATERAL_MALFORMED',
            false,
            (c) => (c.pck_crl_issuer_chain = c.pck_crl_issuer_chain.replace('MIIC', 'MIID')),
        ],
    ];
    it.each(collateralCases)(
        'rejects collateral with %s: %s (dcap-qvl alone rejects: %s)',
        (_name, code, qvlRejects, change) => {
            const c = sampleCollateral();
            change(c);
            expect(qvlAlone(c, SAMPLE_NOW) !== null).toBe(qvlRejects);
            expect(codeOf(() => verifyQuote(SAMPLE_QUOTE, { collateral: c, now: SAMPLE_NOW }))).toBe(code);
        },
    );

    it('rejects a missing collateral field', () => {
        const c: Record<string, unknown> = { ...sampleCollateral() };
        delete c.qe_identity;
        expect(codeOf(() => verifyQuote(SAMPLE_QUOTE, { collateral: c, now: SAMPLE_NOW }))).toBe(
            'COLLATERAL_MALFORMED',
        );
    });

    it('rejects the real quote when trusting a dev root instead of Intel', async () => {
        const root = await freshDevRoot('real-devroot');
        expect(
            codeOf(() =>
                verifyQuote(SAMPLE_QUOTE, {
                    collateral: sampleCollateral(),
                    now: SAMPLE_NOW,
                    trustedRootDer: root.rootCertDer,
                }),
            ),
        ).toBe('CERT_CHAIN');
    });

    it('applies the TCB status policy: UpToDate refused when the policy allows only OutOfDate', () => {
        const opts = { collateral: sampleCollateral(), now: SAMPLE_NOW };
        expect(
            codeOf(() => verifyQuote(SAMPLE_QUOTE, { ...opts, policy: { allowedTcbStatuses: ['OutOfDate'] } })),
        ).toBe('TCB_STATUS');
        expect(
            verifyQuote(SAMPLE_QUOTE, { ...opts, policy: { allowedTcbStatuses: ['UpToDate', 'OutOfDate'] } }).tcbStatus,
        ).toBe('UpToDate');
    });

    it('uses the Intel root by default and takes it from dcap-qvl unchanged', () => {
        expect(INTEL_SGX_ROOT_CA_DER.length).toBe(659);
        const explicit = verifyQuote(SAMPLE_QUOTE, {
            collateral: sampleCollateral(),
            now: SAMPLE_NOW,
            trustedRootDer: INTEL_SGX_ROOT_CA_DER,
        });
        expect(explicit.tcbStatus).toBe('UpToDate');
    });
});
