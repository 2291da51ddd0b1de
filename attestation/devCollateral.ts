/**
 * Collateral for simulated quotes, signed by the development root (devRoot.ts), in the same JSON shape as Intel's
 * (testdata/tdx/tdx_quote_collateral.json): CRLs as hex DER, issuer chains as PEM, tcb_info / qe_identity as the
 * exact signed JSON strings with hex raw r||s signatures. Verifiers configured with the dev root accept it;
 * nothing in it chains to Intel's root.
 *
 * Options let tests produce every bad case the verifier must catch (stale CRLs, revoked PCK, other statuses).
 */
import { DevRoot, devCaSigningKeys } from './devRoot';
import type { Collateral } from './collateral';
import { signRaw } from './tee/quoteBuilder';
import { SIMULATED_QE } from './tee/simulatedBackend';
import type { TcbStatus } from './verifier';
import { ECDSA_SHA256, x509 } from './x509Setup';

export interface DevCollateralOptions {
    /** Issue time; tcb_info / qe_identity / CRLs are valid from one hour before it. Default now. */
    now?: Date;
    /** How long everything stays valid after `now`; default 30 days (Intel's cadence). */
    validityDays?: number;
    /** Status of the single platform TCB level; default UpToDate. */
    tcbStatus?: TcbStatus;
    advisoryIds?: string[];
    /** Status of the TDX_01 module level; default UpToDate. */
    moduleTcbStatus?: TcbStatus;
    /** Override both CRLs' dates (tests: stale or not-yet-valid CRLs). */
    crlThisUpdate?: Date;
    crlNextUpdate?: Date;
    /** Hex serials the PCK CRL lists (e.g. the dev PCK leaf's, to test revocation). */
    revokedPckSerials?: string[];
    /** Hex serials the root CA CRL lists. */
    revokedRootIssuedSerials?: string[];
}

const DAY = 24 * 3600 * 1000;

function iso(d: Date): string {
    return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** TDX TCB components (16): module SVN 5 / 0, late microcode 2, as in Intel's tcb_info for the sample. */
const TDX_COMPONENTS = [5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

export async function devCollateral(root: DevRoot, opts: DevCollateralOptions = {}): Promise<Collateral> {
    const now = opts.now ?? new Date();
    const issue = new Date(now.getTime() - 3600 * 1000);
    const next = new Date(now.getTime() + (opts.validityDays ?? 30) * DAY);
    const p = root.platform;

    // Key order mirrors Intel's JSON; the string is signed as-is, so any byte change breaks the signature.
    const tcbInfo = JSON.stringify({
        id: 'TDX',
        version: 3,
        issueDate: iso(issue),
        nextUpdate: iso(next),
        fmspc: p.fmspc.toString('hex').toUpperCase(),
        pceId: p.pceId.toString('hex').toUpperCase(),
        tcbType: 0,
        tcbEvaluationDataNumber: 17,
        tdxModule: { mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
        tdxModuleIdentities: [
            {
                id: 'TDX_01',
                mrsigner: '00'.repeat(48),
                attributes: '0000000000000000',
                attributesMask: 'FFFFFFFFFFFFFFFF',
                tcbLevels: [
                    {
                        tcb: { isvsvn: 4 },
                        tcbDate: '2024-03-13T00:00:00Z',
                        tcbStatus: opts.moduleTcbStatus ?? 'UpToDate',
                    },
                ],
            },
        ],
        tcbLevels: [
            {
                tcb: {
                    sgxtcbcomponents: [...p.cpuSvn].map((svn) => ({ svn })),
                    pcesvn: p.pceSvn,
                    tdxtcbcomponents: TDX_COMPONENTS.map((svn) => ({ svn })),
                },
                tcbDate: '2024-03-13T00:00:00Z',
                tcbStatus: opts.tcbStatus ?? 'UpToDate',
                ...(opts.advisoryIds && opts.advisoryIds.length ? { advisoryIDs: opts.advisoryIds } : {}),
            },
        ],
    });

    const qeIdentity = JSON.stringify({
        id: 'TD_QE',
        version: 2,
        issueDate: iso(issue),
        nextUpdate: iso(next),
        tcbEvaluationDataNumber: 17,
        miscselect: '00000000',
        miscselectMask: 'FFFFFFFF',
        attributes: '11000000000000000000000000000000',
        attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
        mrsigner: SIMULATED_QE.mrSigner.toString('hex').toUpperCase(),
        isvprodid: SIMULATED_QE.isvProdId,
        tcbLevels: [{ tcb: { isvsvn: SIMULATED_QE.isvSvn }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' }],
    });

    const keys = await devCaSigningKeys(root);
    const rootCert = new x509.X509Certificate(root.rootCertDer);
    const pckCaCert = new x509.X509Certificate(root.pckCaCertDer);
    const crl = async (issuer: x509.X509Certificate, key: CryptoKeyLike, serials: string[] | undefined) =>
        Buffer.from(
            (
                await x509.X509CrlGenerator.create({
                    issuer: issuer.subjectName,
                    thisUpdate: opts.crlThisUpdate ?? issue,
                    nextUpdate: opts.crlNextUpdate ?? next,
                    entries: (serials ?? []).map((serialNumber) => ({ serialNumber, revocationDate: issue })),
                    signingAlgorithm: ECDSA_SHA256,
                    signingKey: key,
                })
            ).rawData,
        ).toString('hex');

    return {
        pck_crl_issuer_chain: root.pckCaCertPem + root.rootCertPem,
        root_ca_crl: await crl(rootCert, keys.root, opts.revokedRootIssuedSerials),
        pck_crl: await crl(pckCaCert, keys.pckCa, opts.revokedPckSerials),
        tcb_info_issuer_chain: root.tcbSigningCertPem + root.rootCertPem,
        tcb_info: tcbInfo,
        tcb_info_signature: signRaw(Buffer.from(tcbInfo, 'utf8'), root.tcbSigningKey).toString('hex'),
        qe_identity_issuer_chain: root.tcbSigningCertPem + root.rootCertPem,
        qe_identity: qeIdentity,
        qe_identity_signature: signRaw(Buffer.from(qeIdentity, 'utf8'), root.tcbSigningKey).toString('hex'),
    };
}

type CryptoKeyLike = Awaited<ReturnType<typeof devCaSigningKeys>>['root'];
