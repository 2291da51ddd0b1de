/**
 * Full DCAP verification of a TDX quote, as the keeper's verifier role and the client run it.
 *
 * Three stages, in this order so each failure gets the most specific code:
 *   1. our strict parse (QUOTE_MALFORMED / QUOTE_UNSUPPORTED) and collateral shape (COLLATERAL_MALFORMED);
 *   2. @phala/dcap-qvl: quote signature, QE report signature and binding, QE identity, PCK chain to the trusted
 *      root, FMSPC, TCB info and QE identity signatures and dates, TCB level matching, debug / SEPT_VE_DISABLE;
 *   3. what dcap-qvl does not check (TOOLCHAIN.md): CRL signatures, issuers and freshness and revocation
 *      (crl.ts), QE vendor id, TDX module identity, and our TCB status policy. TD attribute rules are checked
 *      again here so they hold whatever the library version does.
 */
import { createHash } from 'crypto';
import { QuoteVerifier } from '@phala/dcap-qvl';
import type { Collateral } from './collateral';
import { normalizeCollateral } from './collateral';
import { checkRevocation } from './crl';
import { AttestationError, AttestationErrorCode } from './errors';
import { INTEL_SGX_ROOT_CA_DER } from './intelRoot';
import { computeMeasurement } from './measurement';
import { INTEL_QE_VENDOR_ID, ParsedQuote, parseQuote, QuoteFormatError, QuoteHeader, TD_ATTR, TdReport } from './quote';
import { ParsedCertificate, parseCertificate, pemToDerList } from './x509Parse';

/** Intel TCB statuses, best first; the order decides which status wins when two are merged. */
export const TCB_STATUSES = [
    'UpToDate',
    'SWHardeningNeeded',
    'ConfigurationNeeded',
    'ConfigurationAndSWHardeningNeeded',
    'OutOfDate',
    'OutOfDateConfigurationNeeded',
    'Revoked',
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

export interface VerifyPolicy {
    /** TCB statuses accepted; default ['UpToDate']. 'Revoked' is refused even if listed. */
    allowedTcbStatuses?: readonly TcbStatus[];
}

export interface VerifyOptions {
    collateral: Collateral | Record<string, unknown>;
    /** Verification time; default now. Collateral, CRLs and certificates must all be valid at this instant. */
    now?: Date;
    /** DER of the root to trust; default Intel's SGX Root CA. Localnet verifiers pass the dev root. */
    trustedRootDer?: Buffer;
    policy?: VerifyPolicy;
}

export interface VerifiedQuote {
    /** sha256 over the measured TD report fields (measurement.ts), 32 bytes. */
    measurement: Buffer;
    /** The TD's 64-byte REPORTDATA; compare with reportDataMatches(). */
    reportData: Buffer;
    /** Platform, QE and TDX module statuses merged (worst wins). */
    tcbStatus: TcbStatus;
    advisoryIds: string[];
    /** sha256 of the whole quote, 32 bytes: the certificate names the quote by it. */
    quoteHash: Buffer;
    report: TdReport;
    header: QuoteHeader;
    /** FMSPC of the platform, upper-case hex. */
    fmspc: string;
    /** Serial of the PCK certificate, upper-case hex. */
    pckSerial: string;
    /** TDX module identity used ("TDX_01", ...), or "tdxModule" for the legacy single entry. */
    tdxModuleId: string;
}

const DEFAULT_ALLOWED: readonly TcbStatus[] = ['UpToDate'];

function severity(s: string): number {
    const i = (TCB_STATUSES as readonly string[]).indexOf(s);
    return i < 0 ? 100 : i;
}

/** dcap-qvl reports failures as plain Error messages; map each known message to our stable code. */
const QVL_ERRORS: Array<[RegExp, AttestationErrorCode]> = [
    [/^Failed to decode quote/, 'QUOTE_MALFORMED'],
    [/^Unsupported DCAP|TEE quote must have version/, 'QUOTE_UNSUPPORTED'],
    [/^Failed to decode (TcbInfo|QeIdentity)|non-TDX TCB info|Unsupported QE Identity id/, 'COLLATERAL_MALFORMED'],
    [/issue date is in the future/, 'COLLATERAL_NOT_YET_VALID'],
    [/^TCBInfo expired|^QE Identity expired/, 'COLLATERAL_EXPIRED'],
    [/^Signature is invalid for (tcb_info|qe_identity)/, 'COLLATERAL_SIGNATURE'],
    [/^Signature is invalid for qe_report/, 'QE_REPORT_SIGNATURE'],
    [/^QE report hash mismatch/, 'QE_REPORT_BINDING'],
    [/^QE (MRSIGNER|ISVPRODID|MISCSELECT|ATTRIBUTES|ISVSVN)|No TCB levels found in QE Identity/, 'QE_IDENTITY'],
    [/^ISV enclave report signature is invalid/, 'QUOTE_SIGNATURE'],
    [/expired or not yet valid/, 'CERT_EXPIRED'],
    [/^Certificate is revoked/, 'CERT_REVOKED'],
    [/certificate chain|Certificate chain is too short|CaUsedAsEndEntity|Failed to extract PCK/i, 'CERT_CHAIN'],
    [/Intel extension|OID .* is missing|Fmspc length|CpuSvn length|PceSvn length/, 'PCK_EXTENSION'],
    [/^Fmspc mismatch/, 'FMSPC_MISMATCH'],
    [/^No matching TCB level|^No (SGX|TDX) components/, 'TCB_NO_MATCH'],
    [/^TCB status is invalid/, 'TCB_STATUS'],
    [/^Debug mode is enabled/, 'DEBUG_TD'],
    [/^SEPT_VE_DISABLE/, 'SEPT_VE_DISABLED'],
    [/^Reserved bits in TD attributes/, 'TD_ATTRIBUTES'],
];

function fromQvl(e: unknown): AttestationError {
    const msg = e instanceof Error ? e.message : String(e);
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    for (const [re, code] of QVL_ERRORS) if (re.test(msg)) return new AttestationError(code, msg + cause, { cause: e });
    return new AttestationError('VERIFICATION_FAILED', `dcap-qvl: ${msg}${cause}`, { cause: e });
}

interface ModuleIdentity {
    id?: string;
    mrsigner: string;
    attributes: string;
    attributesMask: string;
    tcbLevels?: Array<{ tcb: { isvsvn: number }; tcbStatus: string; advisoryIDs?: string[] }>;
}

function isZero(b: Buffer): boolean {
    return b.every((x) => x === 0);
}

function hexField(v: unknown, bytes: number, what: string): Buffer {
    if (typeof v !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) {
        throw new AttestationError('COLLATERAL_MALFORMED', `tcb_info ${what} must be ${bytes} bytes of hex`);
    }
    return Buffer.from(v, 'hex');
}

/**
 * TDX module identity (Intel's TDX TCB evaluation): the SEAM module must be Intel's (MRSIGNERSEAM zero),
 * without SEAM attributes, and match tcb_info: TEE_TCB_SVN[1] (module major version) selects
 * tdxModuleIdentities "TDX_<vv>", whose mrsigner / masked attributes must match and whose TCB levels rate
 * TEE_TCB_SVN[0] (module SVN). Version 0 modules use the legacy single `tdxModule` entry.
 */
function checkModuleIdentity(
    report: TdReport,
    tcbInfo: Record<string, unknown>,
): { id: string; status: string; advisoryIds: string[] } {
    if (!isZero(report.mrSignerSeam)) {
        throw new AttestationError(
            'MODULE_IDENTITY',
            'MRSIGNERSEAM is not zero: the TDX module is not signed by Intel',
        );
    }
    if (!isZero(report.seamAttributes)) throw new AttestationError('MODULE_IDENTITY', 'SEAMATTRIBUTES is not zero');

    const major = report.teeTcbSvn[1];
    const minor = report.teeTcbSvn[0];
    const identities = tcbInfo.tdxModuleIdentities as ModuleIdentity[] | undefined;
    let ident: ModuleIdentity | undefined;
    let id: string;
    if (major !== 0 && Array.isArray(identities)) {
        id = `TDX_${major.toString(16).toUpperCase().padStart(2, '0')}`;
        ident = identities.find((m) => m && m.id === id);
        if (!ident) throw new AttestationError('MODULE_IDENTITY', `tcb_info has no TDX module identity ${id}`);
    } else {
        id = 'tdxModule';
        ident = tcbInfo.tdxModule as ModuleIdentity | undefined;
        if (!ident) throw new AttestationError('MODULE_IDENTITY', 'tcb_info carries no TDX module identity');
    }
    if (!hexField(ident.mrsigner, 48, `${id}.mrsigner`).equals(report.mrSignerSeam)) {
        throw new AttestationError('MODULE_IDENTITY', `MRSIGNERSEAM does not match ${id}.mrsigner`);
    }
    const attrs = hexField(ident.attributes, 8, `${id}.attributes`);
    const mask = hexField(ident.attributesMask, 8, `${id}.attributesMask`);
    for (let i = 0; i < 8; i++) {
        if ((report.seamAttributes[i] & mask[i]) !== (attrs[i] & mask[i])) {
            throw new AttestationError(
                'MODULE_IDENTITY',
                `SEAMATTRIBUTES do not match ${id}.attributes under its mask`,
            );
        }
    }
    if (!ident.tcbLevels) return { id, status: 'UpToDate', advisoryIds: [] };
    const level = ident.tcbLevels.find((l) => minor >= l.tcb.isvsvn);
    if (!level)
        throw new AttestationError('MODULE_IDENTITY', `TDX module SVN ${minor} is below every TCB level of ${id}`);
    return { id, status: level.tcbStatus, advisoryIds: level.advisoryIDs ?? [] };
}

function checkTdAttributes(attrs: Buffer): void {
    if (TD_ATTR.debug(attrs) || TD_ATTR.anyTud(attrs)) {
        throw new AttestationError('DEBUG_TD', `TD is debuggable (TDATTRIBUTES ${attrs.toString('hex')})`);
    }
    if (!TD_ATTR.septVeDisable(attrs)) {
        throw new AttestationError(
            'SEPT_VE_DISABLED',
            `SEPT_VE_DISABLE is off (TDATTRIBUTES ${attrs.toString('hex')})`,
        );
    }
}

function parseStrict(quote: Buffer): ParsedQuote {
    try {
        return parseQuote(quote);
    } catch (e) {
        if (e instanceof QuoteFormatError) {
            const code = /unsupported quote version|is not TDX|attestation key type/.test(e.message)
                ? 'QUOTE_UNSUPPORTED'
                : 'QUOTE_MALFORMED';
            throw new AttestationError(code, e.message, { cause: e });
        }
        throw e;
    }
}

function parseCerts(ders: Buffer[], what: string): ParsedCertificate[] {
    try {
        return ders.map((d) => parseCertificate(d));
    } catch (e) {
        throw new AttestationError('CERT_CHAIN', `${what} does not parse: ${(e as Error).message}`);
    }
}

/** Verifies `quote` completely; returns what a certificate needs, or throws AttestationError. */
export function verifyQuote(quote: Buffer | Uint8Array, opts: VerifyOptions): VerifiedQuote {
    const raw = Buffer.isBuffer(quote) ? quote : Buffer.from(quote);
    const now = opts.now ?? new Date();
    if (Number.isNaN(now.getTime())) throw new Error('verifyQuote: invalid `now`');
    const rootDer = opts.trustedRootDer ?? INTEL_SGX_ROOT_CA_DER;
    const allowed = opts.policy?.allowedTcbStatuses ?? DEFAULT_ALLOWED;

    // Stage 1
    const parsed = parseStrict(raw);
    const collateral = normalizeCollateral(opts.collateral);
    const [trustedRoot] = parseCerts([rootDer], 'trusted root');
    // dcap-qvl hands unparseable chains to OpenSSL and surfaces raw ASN.1 errors; name the field instead.
    for (const field of ['pck_crl_issuer_chain', 'tcb_info_issuer_chain', 'qe_identity_issuer_chain'] as const) {
        const ders = pemToDerList(collateral[field]);
        if (ders.length === 0) throw new AttestationError('COLLATERAL_MALFORMED', `${field} holds no certificate`);
        try {
            ders.forEach((d) => parseCertificate(d));
        } catch (e) {
            throw new AttestationError('COLLATERAL_MALFORMED', `${field} does not parse: ${(e as Error).message}`);
        }
    }

    // Stage 2. dcap-qvl takes seconds.
    let qvl;
    try {
        qvl = QuoteVerifier.newWithRootCa(rootDer).verify(raw, collateral, Math.floor(now.getTime() / 1000));
    } catch (e) {
        const err = fromQvl(e);
        if (err.code === 'CERT_REVOKED') {
            // dcap-qvl does not say which certificate; our CRL checks name it (PCK_REVOKED / CERT_REVOKED) or find
            // the CRL itself untrustworthy, which is the more useful report.
            checkRevocation({
                collateral,
                trustedRoot,
                now,
                pckChain: parseCerts(parsed.signatureData.pckCertChainDer, "quote's PCK chain"),
            });
        }
        throw err;
    }

    // Stage 3
    if (!parsed.header.qeVendorId.equals(INTEL_QE_VENDOR_ID)) {
        throw new AttestationError(
            'QE_VENDOR',
            `QE vendor id ${parsed.header.qeVendorId.toString('hex')} is not Intel's`,
        );
    }
    const pckChain = parseCerts(parsed.signatureData.pckCertChainDer, "quote's PCK chain");
    checkRevocation({ collateral, trustedRoot, now, pckChain });

    const report = parsed.report;
    checkTdAttributes(report.tdAttributes);
    const tcbInfo = JSON.parse(collateral.tcb_info) as Record<string, unknown>;
    const moduleIdentity = checkModuleIdentity(report, tcbInfo);

    let tcbStatus: string = qvl.status;
    const advisoryIds = [...qvl.advisory_ids];
    if (severity(moduleIdentity.status) > severity(tcbStatus)) tcbStatus = moduleIdentity.status;
    for (const a of moduleIdentity.advisoryIds) if (!advisoryIds.includes(a)) advisoryIds.push(a);
    if (severity(tcbStatus) >= severity('Revoked') || !(allowed as readonly string[]).includes(tcbStatus)) {
        throw new AttestationError(
            'TCB_STATUS',
            `TCB status ${tcbStatus} is not allowed (allowed: ${allowed.join(', ')})` +
                (advisoryIds.length ? `; advisories ${advisoryIds.join(', ')}` : ''),
        );
    }

    return {
        measurement: computeMeasurement(report),
        reportData: Buffer.from(report.reportData),
        tcbStatus: tcbStatus as TcbStatus,
        advisoryIds,
        quoteHash: createHash('sha256').update(raw).digest(),
        report,
        header: parsed.header,
        fmspc: String(tcbInfo.fmspc).toUpperCase(),
        pckSerial: pckChain[0].serialHex,
        tdxModuleId: moduleIdentity.id,
    };
}
