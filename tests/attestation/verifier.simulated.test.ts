/**
 * Simulated quotes and dev collateral go through the same verifier: accepted with the machine's dev root,
 * rejected with Intel's, and every policy check (CRLs, module identity, TD attributes, TCB status) bites.
 */
import { QuoteVerifier } from '@phala/dcap-qvl';
import { Collateral } from '../../attestation/collateral';
import { devCollateral, DevCollateralOptions } from '../../attestation/devCollateral';
import { DevRoot } from '../../attestation/devRoot';
import { computeMeasurement } from '../../attestation/measurement';
import { parseQuote } from '../../attestation/quote';
import { buildSimulatedQuote, SimulatedQuoteOptions, simulatedTdFields } from '../../attestation/tee/simulatedBackend';
import { verifyQuote, VerifyPolicy } from '../../attestation/verifier';
import { parseCertificate } from '../../attestation/x509Parse';
import { codeOf, flip, flipHex, freshDevRoot, sampleCollateral } from './fixtures';

const NOW = new Date('2026-03-01T12:00:00Z');
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const REPORT_DATA = Buffer.alloc(64, 0x5a);

let root: DevRoot;
let good: Collateral;

beforeAll(async () => {
    root = await freshDevRoot('sim', NOW);
    good = await devCollateral(root, { now: NOW });
});

function quote(opts: SimulatedQuoteOptions = {}): Buffer {
    return buildSimulatedQuote(root, REPORT_DATA, opts);
}

function verify(q: Buffer, collateral: Collateral, policy?: VerifyPolicy, now = NOW) {
    return verifyQuote(q, { collateral, now, trustedRootDer: root.rootCertDer, policy });
}

/** dcap-qvl alone with the dev root: null when it accepts. */
function qvlAlone(q: Buffer, collateral: Collateral, now = NOW): string | null {
    try {
        QuoteVerifier.newWithRootCa(root.rootCertDer).verify(q, collateral, Math.floor(now.getTime() / 1000));
        return null;
    } catch (e) {
        return (e as Error).message;
    }
}

async function collateralWith(opts: DevCollateralOptions): Promise<Collateral> {
    return devCollateral(root, { now: NOW, ...opts });
}

describe('simulated quotes with the dev root', () => {
    it('verify UpToDate and carry the requested REPORTDATA and the default image measurement', () => {
        const r = verify(quote(), good);
        expect(r.tcbStatus).toBe('UpToDate');
        expect(r.reportData.equals(REPORT_DATA)).toBe(true);
        expect(r.measurement.equals(computeMeasurement(simulatedTdFields()))).toBe(true);
        expect(r.fmspc).toBe('C0C0A0000000');
        expect(r.tdxModuleId).toBe('TDX_01');
        expect(r.pckSerial).toBe(parseCertificate(root.pckLeafCertDer).serialHex);
    });

    it('are rejected with Intel root, and Intel collateral does not vouch for them', async () => {
        expect(codeOf(() => verifyQuote(quote(), { collateral: good, now: NOW }))).toBe('CERT_CHAIN');
        // A dev root valid in the sample window: Intel's TCB signing chain does not lead to it.
        const july = new Date('2025-07-01T00:00:00Z');
        const r2 = await freshDevRoot('sim-2025', new Date('2025-06-01T00:00:00Z'));
        const q2 = buildSimulatedQuote(r2, REPORT_DATA);
        expect(
            verifyQuote(q2, {
                collateral: await devCollateral(r2, { now: july }),
                now: july,
                trustedRootDer: r2.rootCertDer,
            }).tcbStatus,
        ).toBe('UpToDate');
        expect(
            codeOf(() =>
                verifyQuote(q2, { collateral: sampleCollateral(), now: july, trustedRootDer: r2.rootCertDer }),
            ),
        ).toBe('CERT_CHAIN');
    });

    it('a different image gives a different measurement, the same image the same one', () => {
        const a = verify(quote({ image: 'image-a' }), good).measurement;
        expect(verify(quote({ image: 'image-a' }), good).measurement.equals(a)).toBe(true);
        expect(verify(quote({ image: 'image-b' }), good).measurement.equals(a)).toBe(false);
    });

    it('are rejected when any signed byte changes', () => {
        const q = quote();
        expect(codeOf(() => verify(flip(q, 48 + 136), good))).toBe('QUOTE_SIGNATURE');
        expect(codeOf(() => verify(flip(q, 636 + 10), good))).toBe('QUOTE_SIGNATURE');
        expect(codeOf(() => verify(flip(q, 636 + 134 + 130), good))).toBe('QE_REPORT_SIGNATURE');
    });

    it('collateral outside its window is rejected', () => {
        expect(codeOf(() => verify(quote(), good, undefined, new Date(NOW.getTime() + 31 * DAY)))).toBe(
            'COLLATERAL_EXPIRED',
        );
        expect(codeOf(() => verify(quote(), good, undefined, new Date(NOW.getTime() - 2 * HOUR)))).toBe(
            'COLLATERAL_NOT_YET_VALID',
        );
    });
});

describe('CRL checks that dcap-qvl leaves out', () => {
    it('stale CRL (nextUpdate passed): dcap-qvl accepts, we refuse', async () => {
        const c = await collateralWith({
            crlThisUpdate: new Date(NOW.getTime() - 10 * DAY),
            crlNextUpdate: new Date(NOW.getTime() - DAY),
        });
        expect(qvlAlone(quote(), c)).toBeNull();
        expect(codeOf(() => verify(quote(), c))).toBe('CRL_STALE');
    });

    it('CRL issued in the future: dcap-qvl accepts, we refuse', async () => {
        const c = await collateralWith({
            crlThisUpdate: new Date(NOW.getTime() + DAY),
            crlNextUpdate: new Date(NOW.getTime() + 30 * DAY),
        });
        expect(qvlAlone(quote(), c)).toBeNull();
        expect(codeOf(() => verify(quote(), c))).toBe('CRL_STALE');
    });

    it('tampered CRL signature: dcap-qvl accepts, we refuse', () => {
        const c = { ...good, pck_crl: flipHex(good.pck_crl, good.pck_crl.length / 2 - 2) };
        expect(qvlAlone(quote(), c)).toBeNull();
        expect(codeOf(() => verify(quote(), c))).toBe('CRL_SIGNATURE');
    });

    it('garbage CRL: dcap-qvl accepts, we refuse', () => {
        const c = { ...good, root_ca_crl: 'ff'.repeat(32) };
        expect(qvlAlone(quote(), c)).toBeNull();
        expect(codeOf(() => verify(quote(), c))).toBe('CRL_MALFORMED');
    });

    it('PCK CRL signed by the root instead of the PCK CA: dcap-qvl accepts, we refuse', () => {
        const c = { ...good, pck_crl: good.root_ca_crl };
        expect(qvlAlone(quote(), c)).toBeNull();
        expect(codeOf(() => verify(quote(), c))).toBe('CRL_SIGNATURE');
    });

    it('a CRL from another dev root (valid signature, foreign issuer) is refused', async () => {
        const other = await freshDevRoot('sim-other', NOW);
        const foreign = await devCollateral(other, { now: NOW });
        const c = { ...good, pck_crl: foreign.pck_crl, pck_crl_issuer_chain: foreign.pck_crl_issuer_chain };
        expect(qvlAlone(quote(), c)).toBeNull();
        expect(codeOf(() => verify(quote(), c))).toBe('CRL_ISSUER');
    });

    it('revoked PCK certificate is refused as PCK_REVOKED', async () => {
        const serial = parseCertificate(root.pckLeafCertDer).serialHex;
        const c = await collateralWith({ revokedPckSerials: [serial] });
        expect(qvlAlone(quote(), c)).toBe('Certificate is revoked');
        expect(codeOf(() => verify(quote(), c))).toBe('PCK_REVOKED');
    });

    it('revoked PCK CA is refused as CERT_REVOKED', async () => {
        const c = await collateralWith({ revokedRootIssuedSerials: [parseCertificate(root.pckCaCertDer).serialHex] });
        expect(codeOf(() => verify(quote(), c))).toBe('CERT_REVOKED');
    });

    it('a CRL listing unrelated serials changes nothing', async () => {
        const c = await collateralWith({ revokedPckSerials: ['1234567890ABCDEF'], revokedRootIssuedSerials: ['42'] });
        expect(verify(quote(), c).tcbStatus).toBe('UpToDate');
    });
});

describe('TD and module policy', () => {
    it('debug TD is refused', () => {
        const q = quote({ td: { tdAttributes: Buffer.from('0100001000000000', 'hex') } });
        expect(parseQuote(q).report.tdAttributes[0]).toBe(1);
        expect(codeOf(() => verify(q, good))).toBe('DEBUG_TD');
    });

    it('SEPT_VE_DISABLE off is refused', () => {
        const q = quote({ td: { tdAttributes: Buffer.alloc(8) } });
        expect(codeOf(() => verify(q, good))).toBe('SEPT_VE_DISABLED');
    });

    it('non-zero MRSIGNERSEAM (non-Intel TDX module): dcap-qvl accepts, we refuse', () => {
        const q = quote({ td: { mrSignerSeam: Buffer.alloc(48, 1) } });
        expect(qvlAlone(q, good)).toBeNull();
        expect(codeOf(() => verify(q, good))).toBe('MODULE_IDENTITY');
    });

    it('non-zero SEAMATTRIBUTES: dcap-qvl accepts, we refuse', () => {
        const q = quote({ td: { seamAttributes: Buffer.from('0000000000000080', 'hex') } });
        expect(qvlAlone(q, good)).toBeNull();
        expect(codeOf(() => verify(q, good))).toBe('MODULE_IDENTITY');
    });

    it('TDX module version without an identity in tcb_info (TDX_02) is refused', () => {
        const q = quote({ td: { teeTcbSvn: Buffer.from('06020300000000000000000000000000', 'hex') } });
        expect(qvlAlone(q, good)).toBeNull();
        expect(codeOf(() => verify(q, good))).toBe('MODULE_IDENTITY');
    });

    it('foreign QE vendor id: dcap-qvl accepts, we refuse', () => {
        const q = quote({ qeVendorId: Buffer.alloc(16, 0xaa) });
        expect(qvlAlone(q, good)).toBeNull();
        expect(codeOf(() => verify(q, good))).toBe('QE_VENDOR');
    });
});

describe('TCB status policy', () => {
    it('SWHardeningNeeded is refused by default and accepted when allowed, with its advisories', async () => {
        const c = await collateralWith({ tcbStatus: 'SWHardeningNeeded', advisoryIds: ['INTEL-SA-00615'] });
        expect(codeOf(() => verify(quote(), c))).toBe('TCB_STATUS');
        const r = verify(quote(), c, { allowedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'] });
        expect(r.tcbStatus).toBe('SWHardeningNeeded');
        expect(r.advisoryIds).toEqual(['INTEL-SA-00615']);
    });

    it('an OutOfDate TDX module level degrades the merged status', async () => {
        const c = await collateralWith({ moduleTcbStatus: 'OutOfDate' });
        expect(codeOf(() => verify(quote(), c))).toBe('TCB_STATUS');
        expect(verify(quote(), c, { allowedTcbStatuses: ['UpToDate', 'OutOfDate'] }).tcbStatus).toBe('OutOfDate');
    });

    it('Revoked is refused even when the policy lists it', async () => {
        const c = await collateralWith({ tcbStatus: 'Revoked' });
        expect(codeOf(() => verify(quote(), c, { allowedTcbStatuses: ['UpToDate', 'Revoked'] }))).toBe('TCB_STATUS');
    });
});
