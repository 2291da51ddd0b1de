/**
 * Simulated TDX: produces quotes in the exact v4 layout, signed through the machine's development root
 * (devRoot.ts). Used by workers on machines without TDX (laptops, CI, localnet). Verifiers accept these quotes
 * only when configured with the development root; with Intel's root they fail at the PCK chain.
 *
 * The simulated TD report is deterministic: every measured register is derived from an image name, so the
 * measurement is the same on every machine and run for a given image (see DEFAULT_SIMULATED_MEASUREMENT_HEX
 * in docs/ATTESTATION.md) and localnet can allowlist it up front.
 */
import { createHash } from 'crypto';
import type { DevRoot } from '../devRoot';
import { loadOrCreateDevRoot } from '../devRoot';
import { TdReport } from '../quote';
import { assembleQuote, INTEL_QE_VENDOR_ID } from './quoteBuilder';
import { assertReportData, TeeBackend } from './types';

export const DEFAULT_SIMULATED_IMAGE = 'cocoon-ton simulated image v1';

/** TDATTRIBUTES of a production TD: no TUD bits (debug off), SEC.SEPT_VE_DISABLE (bit 28) on. */
export const SIMULATED_TD_ATTRIBUTES = Buffer.from('0000001000000000', 'hex');
/** XFAM of a typical TD (x87, SSE, AVX, AVX-512 state, PKRU...), as in the real sample quote. */
export const SIMULATED_XFAM = Buffer.from('e702060000000000', 'hex');
/** TEE_TCB_SVN: byte 0 = TDX module minor SVN, byte 1 = major version (TDX_01 module identity), as the sample. */
export const SIMULATED_TEE_TCB_SVN = Buffer.from('06010300000000000000000000000000', 'hex');

/**
 * The simulated quoting enclave; devCollateral() publishes a QE identity that matches it. Attributes are the
 * real TD QE's (INIT | MODE64BIT, no DEBUG) so dcap-qvl's masked attribute check runs as on hardware.
 */
export const SIMULATED_QE = {
    mrSigner: createHash('sha256').update('cocoon-sim:QE:MRSIGNER').digest(),
    mrEnclave: createHash('sha256').update('cocoon-sim:QE:MRENCLAVE').digest(),
    isvProdId: 2,
    isvSvn: 4,
    miscSelect: 0,
    attributes: Buffer.from('1100000000000000e700000000000000', 'hex'),
    authData: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
} as const;

function sha384(label: string): Buffer {
    return createHash('sha384').update(label).digest();
}

/**
 * TD report fields (all but REPORTDATA) for a simulated image:
 *   MRTD  = sha384("cocoon-sim:<image>:MRTD"), RTMRi = sha384("cocoon-sim:<image>:RTMR<i>"),
 *   MRCONFIGID = MROWNER = MROWNERCONFIG = 48 zero bytes (as on a TD launched without them),
 *   MRSEAM = sha384("cocoon-sim:MRSEAM"), MRSIGNERSEAM = 0 (Intel-signed module), SEAMATTRIBUTES = 0,
 *   TDATTRIBUTES / XFAM / TEE_TCB_SVN as the constants above.
 */
export function simulatedTdFields(image: string = DEFAULT_SIMULATED_IMAGE): Omit<TdReport, 'reportData'> {
    return {
        teeTcbSvn: Buffer.from(SIMULATED_TEE_TCB_SVN),
        mrSeam: sha384('cocoon-sim:MRSEAM'),
        mrSignerSeam: Buffer.alloc(48),
        seamAttributes: Buffer.alloc(8),
        tdAttributes: Buffer.from(SIMULATED_TD_ATTRIBUTES),
        xfam: Buffer.from(SIMULATED_XFAM),
        mrTd: sha384(`cocoon-sim:${image}:MRTD`),
        mrConfigId: Buffer.alloc(48),
        mrOwner: Buffer.alloc(48),
        mrOwnerConfig: Buffer.alloc(48),
        rtmr0: sha384(`cocoon-sim:${image}:RTMR0`),
        rtmr1: sha384(`cocoon-sim:${image}:RTMR1`),
        rtmr2: sha384(`cocoon-sim:${image}:RTMR2`),
        rtmr3: sha384(`cocoon-sim:${image}:RTMR3`),
    };
}

export interface SimulatedQuoteOptions {
    /** Image name the measured registers derive from. */
    image?: string;
    /** Overrides of individual TD report fields (tests: debug TD, other module identity, ...). */
    td?: Partial<Omit<TdReport, 'reportData'>>;
    /** QE vendor id in the header; default Intel's. Only tests change it (foreign quoting enclave). */
    qeVendorId?: Buffer;
}

/** Builds and signs one simulated quote (synchronous: ~0.2 ms; ECDSA signing dominates). */
export function buildSimulatedQuote(root: DevRoot, reportData: Buffer, opts: SimulatedQuoteOptions = {}): Buffer {
    assertReportData(reportData);
    const report: TdReport = { ...simulatedTdFields(opts.image), ...opts.td, reportData: Buffer.from(reportData) };
    // QE id in the header's user data: stable per dev platform, like a real QE's.
    const qeId = createHash('sha256').update(root.platform.ppid).digest().subarray(0, 16);
    return assembleQuote({
        header: {
            qeSvn: 0,
            pceSvn: 0,
            qeVendorId: opts.qeVendorId ?? INTEL_QE_VENDOR_ID,
            userData: Buffer.concat([qeId, Buffer.alloc(4)]),
        },
        report,
        attestationKey: root.attestationKey,
        attestationPub: root.attestationPub,
        qe: {
            cpuSvn: root.platform.cpuSvn,
            miscSelect: SIMULATED_QE.miscSelect,
            attributes: SIMULATED_QE.attributes,
            mrEnclave: SIMULATED_QE.mrEnclave,
            mrSigner: SIMULATED_QE.mrSigner,
            isvProdId: SIMULATED_QE.isvProdId,
            isvSvn: SIMULATED_QE.isvSvn,
        },
        qeAuthData: SIMULATED_QE.authData,
        pckKey: root.pckLeafKey,
        pckChainPem: root.pckLeafCertPem + root.pckCaCertPem + root.rootCertPem,
    });
}

export class SimulatedTdxBackend implements TeeBackend {
    readonly kind = 'simulated' as const;

    constructor(
        readonly devRoot: DevRoot,
        private readonly opts: SimulatedQuoteOptions = {},
    ) {}

    async getQuote(reportData: Buffer): Promise<Buffer> {
        return buildSimulatedQuote(this.devRoot, reportData, this.opts);
    }
}

/** Loads (or creates) the machine's dev root under `dataDir` and returns a simulated backend on it. */
export async function createSimulatedBackend(
    opts: SimulatedQuoteOptions & { dataDir?: string } = {},
): Promise<SimulatedTdxBackend> {
    const root = await loadOrCreateDevRoot(opts.dataDir);
    return new SimulatedTdxBackend(root, { image: opts.image, td: opts.td, qeVendorId: opts.qeVendorId });
}
