/**
 * DCAP collateral: what a verifier needs besides the quote (TCB info, QE identity, CRLs and the chains that sign
 * them). Loaded from a JSON file (the shape of testdata/tdx/tdx_quote_collateral.json, which is also what
 * @phala/dcap-qvl takes) or fetched from a PCCS / Intel PCS with the v4 API.
 */
import * as fs from 'fs';
import { AttestationError } from './errors';
import { parseQuote, QuoteFormatError } from './quote';
import { parseCertificate, readSgxExtension } from './x509Parse';

/** Collateral with every binary field as hex (dcap-qvl also accepts number arrays; we normalize them away). */
export interface Collateral {
    /** PEM: PCK CA (Platform or Processor), root. */
    pck_crl_issuer_chain: string;
    /** Hex DER of the root CA's CRL. */
    root_ca_crl: string;
    /** Hex DER of the PCK CA's CRL. */
    pck_crl: string;
    /** PEM: TCB signing certificate, root. */
    tcb_info_issuer_chain: string;
    /** The exact signed JSON text of the tcbInfo object. */
    tcb_info: string;
    /** Hex raw r||s (64 bytes). */
    tcb_info_signature: string;
    qe_identity_issuer_chain: string;
    /** The exact signed JSON text of the enclaveIdentity object. */
    qe_identity: string;
    qe_identity_signature: string;
}

const STRING_FIELDS = [
    'pck_crl_issuer_chain',
    'tcb_info_issuer_chain',
    'tcb_info',
    'qe_identity_issuer_chain',
    'qe_identity',
] as const;
const BINARY_FIELDS = ['root_ca_crl', 'pck_crl', 'tcb_info_signature', 'qe_identity_signature'] as const;

function malformed(reason: string): AttestationError {
    return new AttestationError('COLLATERAL_MALFORMED', reason);
}

/** Validates the shape and turns byte arrays into lower-case hex. Throws COLLATERAL_MALFORMED. */
export function normalizeCollateral(raw: unknown): Collateral {
    if (typeof raw !== 'object' || raw === null) throw malformed('collateral must be an object');
    const r = raw as Record<string, unknown>;
    const out: Partial<Collateral> = {};
    for (const k of STRING_FIELDS) {
        if (typeof r[k] !== 'string' || (r[k] as string).length === 0)
            throw malformed(`${k} must be a non-empty string`);
        out[k] = r[k] as string;
    }
    for (const k of BINARY_FIELDS) {
        const v = r[k];
        if (typeof v === 'string') {
            if (!/^([0-9a-fA-F]{2})+$/.test(v)) throw malformed(`${k} must be hex`);
            out[k] = v.toLowerCase();
        } else if (Array.isArray(v) && v.length > 0 && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
            out[k] = Buffer.from(v as number[]).toString('hex');
        } else {
            throw malformed(`${k} must be hex or a byte array`);
        }
    }
    return out as Collateral;
}

export function loadCollateralFile(file: string): Collateral {
    let text: string;
    try {
        text = fs.readFileSync(file, 'utf8');
    } catch (e) {
        throw malformed(`cannot read collateral file ${file}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        throw malformed(`collateral file ${file} is not JSON: ${(e as Error).message}`);
    }
    return normalizeCollateral(parsed);
}

export function saveCollateralFile(file: string, c: Collateral): void {
    fs.writeFileSync(file, JSON.stringify(c, null, 2) + '\n');
}

// ---- PCCS / PCS fetch ---------------------------------------------------------------------------------

export type PckCa = 'platform' | 'processor';

export interface FetchCollateralOptions {
    /** PCCS or PCS base, e.g. https://api.trustedservices.intel.com or https://pccs.example:8081 (any /sgx|tdx/certification/v4 suffix is stripped). */
    pccsUrl: string;
    /** 6-byte FMSPC of the platform (hex or Buffer). */
    fmspc: string | Buffer;
    ca: PckCa;
    /** Per request; default 10 s. */
    timeoutMs?: number;
    /** Root CA CRL location. Default `<base>/sgx/certification/v4/rootcacrl` (PCCS). Intel PCS users pass the
     * root's CRL distribution point, https://certificates.trustedservices.intel.com/IntelSGXRootCA.der. */
    rootCaCrlUrl?: string;
}

async function get(url: string, timeoutMs: number): Promise<{ body: Buffer; headers: Headers }> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    try {
        const res = await fetch(url, { signal: ctrl.signal });
        const body = Buffer.from(await res.arrayBuffer());
        if (!res.ok) {
            throw new AttestationError(
                'COLLATERAL_FETCH',
                `GET ${url} answered HTTP ${res.status}: ${body.toString('utf8').slice(0, 200)}`,
            );
        }
        return { body, headers: res.headers };
    } catch (e) {
        if (e instanceof AttestationError) throw e;
        if (ctrl.signal.aborted)
            throw new AttestationError('COLLATERAL_FETCH', `GET ${url} timed out after ${timeoutMs} ms`);
        throw new AttestationError('COLLATERAL_FETCH', `GET ${url} failed: ${(e as Error).message}`, { cause: e });
    } finally {
        clearTimeout(timer);
    }
}

function header(h: Headers, url: string, ...names: string[]): string {
    for (const n of names) {
        const v = h.get(n);
        if (v) return decodeURIComponent(v);
    }
    throw new AttestationError('COLLATERAL_FETCH', `GET ${url}: response lacks header ${names.join(' / ')}`);
}

/** CRLs come as DER (PCS with encoding=der), PEM, or hex text (PCCS rootcacrl): accept all three. */
function crlBytes(body: Buffer, url: string): Buffer {
    const text = body.toString('latin1').trim();
    if (text.startsWith('-----BEGIN X509 CRL-----')) {
        return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    }
    if (/^([0-9a-fA-F]{2})+$/.test(text)) return Buffer.from(text, 'hex');
    if (body[0] === 0x30) return body;
    throw new AttestationError('COLLATERAL_FETCH', `GET ${url}: body is not a CRL (DER, PEM or hex)`);
}

/**
 * The exact text of `"<key>": { ... }` inside a PCS JSON answer. Intel signs those bytes as served, so we cut
 * them out instead of re-serializing a parsed object (which could reorder or re-escape anything).
 */
export function extractSignedObject(json: string, key: string): string {
    const m = new RegExp(`"${key}"\\s*:\\s*\\{`).exec(json);
    if (!m) throw new AttestationError('COLLATERAL_MALFORMED', `PCS answer has no "${key}" object`);
    const start = m.index + m[0].length - 1;
    let depth = 0;
    let inString = false;
    for (let i = start; i < json.length; i++) {
        const ch = json[i];
        if (inString) {
            if (ch === '\\') i++;
            else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '{') depth++;
        else if (ch === '}' && --depth === 0) return json.slice(start, i + 1);
    }
    throw new AttestationError('COLLATERAL_MALFORMED', `PCS answer: unterminated "${key}" object`);
}

function signatureHex(json: string, url: string): string {
    let sig: unknown;
    try {
        sig = (JSON.parse(json) as { signature?: unknown }).signature;
    } catch (e) {
        throw new AttestationError('COLLATERAL_MALFORMED', `GET ${url}: body is not JSON: ${(e as Error).message}`);
    }
    if (typeof sig !== 'string' || !/^[0-9a-fA-F]{128}$/.test(sig)) {
        throw new AttestationError('COLLATERAL_MALFORMED', `GET ${url}: "signature" is not 64 bytes of hex`);
    }
    return sig.toLowerCase();
}

/** Fetches TDX collateral with the Intel PCS v4 API (also served by PCCS). Throws COLLATERAL_FETCH / _MALFORMED. */
export async function fetchCollateral(opts: FetchCollateralOptions): Promise<Collateral> {
    const base = opts.pccsUrl.replace(/\/+$/, '').replace(/\/(sgx|tdx)\/certification\/v4$/, '');
    const fmspc = (Buffer.isBuffer(opts.fmspc) ? opts.fmspc.toString('hex') : opts.fmspc).toUpperCase();
    if (!/^[0-9A-F]{12}$/.test(fmspc))
        throw new AttestationError('COLLATERAL_MALFORMED', `FMSPC ${fmspc} is not 6 bytes of hex`);
    if (opts.ca !== 'platform' && opts.ca !== 'processor')
        throw new AttestationError('COLLATERAL_MALFORMED', `unknown PCK CA ${opts.ca}`);
    const t = opts.timeoutMs ?? 10_000;

    const pckCrlUrl = `${base}/sgx/certification/v4/pckcrl?ca=${opts.ca}&encoding=der`;
    const tcbUrl = `${base}/tdx/certification/v4/tcb?fmspc=${fmspc}`;
    const qeUrl = `${base}/tdx/certification/v4/qe/identity`;
    const rootCrlUrl = opts.rootCaCrlUrl ?? `${base}/sgx/certification/v4/rootcacrl`;

    const [pck, tcb, qe, root] = await Promise.all([
        get(pckCrlUrl, t),
        get(tcbUrl, t),
        get(qeUrl, t),
        get(rootCrlUrl, t),
    ]);
    const tcbText = tcb.body.toString('utf8');
    const qeText = qe.body.toString('utf8');
    return normalizeCollateral({
        pck_crl_issuer_chain: header(pck.headers, pckCrlUrl, 'SGX-PCK-CRL-Issuer-Chain'),
        root_ca_crl: crlBytes(root.body, rootCrlUrl).toString('hex'),
        pck_crl: crlBytes(pck.body, pckCrlUrl).toString('hex'),
        tcb_info_issuer_chain: header(tcb.headers, tcbUrl, 'TCB-Info-Issuer-Chain', 'SGX-TCB-Info-Issuer-Chain'),
        tcb_info: extractSignedObject(tcbText, 'tcbInfo'),
        tcb_info_signature: signatureHex(tcbText, tcbUrl),
        qe_identity_issuer_chain: header(qe.headers, qeUrl, 'SGX-Enclave-Identity-Issuer-Chain'),
        qe_identity: extractSignedObject(qeText, 'enclaveIdentity'),
        qe_identity_signature: signatureHex(qeText, qeUrl),
    });
}

/** FMSPC and PCK CA kind of the platform that produced `quote`, read from its PCK certificate. */
export function quotePlatform(quote: Buffer): { fmspc: string; ca: PckCa } {
    let leaf;
    try {
        leaf = parseCertificate(parseQuote(quote).signatureData.pckCertChainDer[0]);
    } catch (e) {
        if (e instanceof QuoteFormatError) throw new AttestationError('QUOTE_MALFORMED', e.message);
        throw new AttestationError('PCK_EXTENSION', `cannot read the quote's PCK certificate: ${(e as Error).message}`);
    }
    const issuer = leaf.issuerCn ?? '';
    const ca: PckCa | null = issuer.includes('Platform')
        ? 'platform'
        : issuer.includes('Processor')
          ? 'processor'
          : null;
    if (!ca)
        throw new AttestationError('PCK_EXTENSION', `PCK issuer "${issuer}" is neither a Platform nor a Processor CA`);
    let fmspc: Buffer;
    try {
        fmspc = readSgxExtension(leaf).fmspc;
    } catch (e) {
        throw new AttestationError('PCK_EXTENSION', (e as Error).message);
    }
    return { fmspc: fmspc.toString('hex').toUpperCase(), ca };
}

/** fetchCollateral() for the platform that produced `quote`. */
export async function fetchCollateralForQuote(
    quote: Buffer,
    opts: Omit<FetchCollateralOptions, 'fmspc' | 'ca'>,
): Promise<Collateral> {
    return fetchCollateral({ ...opts, ...quotePlatform(quote) });
}
