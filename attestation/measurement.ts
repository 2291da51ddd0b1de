/**
 * The two values the on-chain Registry cares about (DESIGN.md "Attestation"):
 *
 *  - the measurement, which the allowlist names, computed from TD report fields;
 *  - REPORTDATA, which binds the enclave's keys to one network, registry, provider and a fresh nonce.
 */
import { createHash, timingSafeEqual } from 'crypto';
import { Address } from '@ton/core';
import type { TdReport } from './quote';

/** The TD report fields that name a software image, in the order they are hashed. */
export const MEASUREMENT_FIELDS = [
    'mrTd',
    'mrConfigId',
    'mrOwner',
    'mrOwnerConfig',
    'rtmr0',
    'rtmr1',
    'rtmr2',
    'rtmr3',
    'tdAttributes',
    'xfam',
] as const;

export type MeasuredFields = Pick<TdReport, (typeof MEASUREMENT_FIELDS)[number]>;

const FIELD_SIZES: Record<(typeof MEASUREMENT_FIELDS)[number], number> = {
    mrTd: 48,
    mrConfigId: 48,
    mrOwner: 48,
    mrOwnerConfig: 48,
    rtmr0: 48,
    rtmr1: 48,
    rtmr2: 48,
    rtmr3: 48,
    tdAttributes: 8,
    xfam: 8,
};

/**
 * measurement = sha256(MRTD(48) || MRCONFIGID(48) || MROWNER(48) || MROWNERCONFIG(48) || RTMR0(48) ||
 *                      RTMR1(48) || RTMR2(48) || RTMR3(48) || TDATTRIBUTES(8) || XFAM(8))   -- 416 bytes in
 *
 * Raw bytes exactly as they appear in the TD report. TDATTRIBUTES is included so the debug bit (and
 * SEPT_VE_DISABLE) is pinned by the allowlist itself; XFAM pins the CPU extended features the TD may use.
 */
export function computeMeasurement(report: MeasuredFields): Buffer {
    const h = createHash('sha256');
    for (const name of MEASUREMENT_FIELDS) {
        const v = report[name];
        if (!Buffer.isBuffer(v) || v.length !== FIELD_SIZES[name]) {
            throw new Error(`computeMeasurement: ${name} must be a ${FIELD_SIZES[name]}-byte Buffer`);
        }
        h.update(v);
    }
    return h.digest();
}

export interface ReportDataInput {
    /** The enclave's ed25519 signing key (receipts), 32 bytes. */
    ed25519Pub: Buffer;
    /** The enclave's x25519 key (request encryption), 32 bytes. */
    x25519Pub: Buffer;
    /** Network id as int32 (wrappers/networks.ts: mainnet -239, testnet -3, localnet 7357). */
    network: number;
    /** Registry contract; basechain. */
    registry: Address;
    /** Provider wallet (the owner of its Provider contract); basechain. */
    provider: Address;
    /** Hash of a recent masterchain block, 32 bytes: proves the quote is fresh. */
    nonce: Buffer;
}

function need32(name: string, v: Buffer): void {
    if (!Buffer.isBuffer(v) || v.length !== 32) throw new Error(`computeReportData: ${name} must be 32 bytes`);
}

/**
 * The 100-byte context the quote is bound to:
 *
 *   network (int32 big-endian, 4) || registry.hash (32) || provider.hash (32) || nonce (32)
 *
 * Only the account hash of each address is included, so both must be basechain (workchain 0): otherwise two
 * different addresses would share one binding.
 */
export function encodeBindingContext(input: Omit<ReportDataInput, 'ed25519Pub' | 'x25519Pub'>): Buffer {
    if (!Number.isInteger(input.network) || input.network < -0x80000000 || input.network > 0x7fffffff) {
        throw new Error(`computeReportData: network ${input.network} is not an int32`);
    }
    for (const [name, a] of [
        ['registry', input.registry],
        ['provider', input.provider],
    ] as const) {
        if (!(a instanceof Address)) throw new Error(`computeReportData: ${name} must be an Address`);
        if (a.workChain !== 0) throw new Error(`computeReportData: ${name} must be a basechain address`);
    }
    need32('nonce', input.nonce);
    const net = Buffer.alloc(4);
    net.writeInt32BE(input.network, 0);
    return Buffer.concat([net, input.registry.hash, input.provider.hash, input.nonce]);
}

/**
 * REPORTDATA (64 bytes) = sha512(ed25519_pub (32) || x25519_pub (32) || sha256(binding context (100)))
 *
 * sha512 because REPORTDATA is exactly 64 bytes; the inner sha256 keeps the context a fixed 32 bytes so the
 * same layout can be recomputed cheaply by anyone holding the certificate fields.
 */
export function computeReportData(input: ReportDataInput): Buffer {
    need32('ed25519Pub', input.ed25519Pub);
    need32('x25519Pub', input.x25519Pub);
    const ctx = createHash('sha256').update(encodeBindingContext(input)).digest();
    return createHash('sha512').update(input.ed25519Pub).update(input.x25519Pub).update(ctx).digest();
}

/** Constant-time check that a quote's REPORTDATA binds exactly these keys and this context. */
export function reportDataMatches(reportData: Buffer, expected: ReportDataInput): boolean {
    if (!Buffer.isBuffer(reportData) || reportData.length !== 64) return false;
    return timingSafeEqual(reportData, computeReportData(expected));
}
