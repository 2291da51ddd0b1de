/**
 * Measurement and REPORTDATA: recomputed here from raw bytes with the layouts spelled out, and pinned to vectors
 * that other components (contracts, keeper, client) can reuse.
 */
import { createHash } from 'crypto';
import { Address } from '@ton/core';
import {
    computeMeasurement,
    computeReportData,
    encodeBindingContext,
    ReportDataInput,
    reportDataMatches,
} from '../../attestation/measurement';
import { parseQuote } from '../../attestation/quote';
import { simulatedTdFields } from '../../attestation/tee/simulatedBackend';
import { SAMPLE_QUOTE } from './fixtures';

const REGISTRY = Address.parse('0:' + '11'.repeat(32));
const PROVIDER = Address.parse('0:' + 'a2'.repeat(32));
const INPUT: ReportDataInput = {
    ed25519Pub: Buffer.alloc(32, 0x01),
    x25519Pub: Buffer.alloc(32, 0x02),
    network: -239,
    registry: REGISTRY,
    provider: PROVIDER,
    nonce: Buffer.alloc(32, 0x03),
};

/** Pinned vector for INPUT (also computed with Python's hashlib; shared with docs/ATTESTATION.md). */
const INPUT_REPORT_DATA =
    '06cac699cf4c388a8b15af6b9306cd5ddf984ec5963f6b099efa54cc3b2ab7d3' +
    '02f82de6ca71445d19d1703c16785d0fa6711ecaa1effaf25393696535983b52';

describe('computeMeasurement', () => {
    it('hashes MRTD..RTMR3, TDATTRIBUTES, XFAM of the sample in that order, straight from quote bytes', () => {
        const at = (off: number, len: number) => SAMPLE_QUOTE.subarray(48 + off, 48 + off + len);
        const expected = createHash('sha256')
            .update(at(136, 48)) // MRTD
            .update(at(184, 48)) // MRCONFIGID
            .update(at(232, 48)) // MROWNER
            .update(at(280, 48)) // MROWNERCONFIG
            .update(at(328, 48 * 4)) // RTMR0..3
            .update(at(120, 8)) // TDATTRIBUTES
            .update(at(128, 8)) // XFAM
            .digest('hex');
        const m = computeMeasurement(parseQuote(SAMPLE_QUOTE).report);
        expect(m.length).toBe(32);
        expect(m.toString('hex')).toBe(expected);
        expect(expected).toBe('2bf91d006b11712849eb88446f4a33ab5ff98c03353d3e6a6e1f387599f71a6d');
    });

    it('changes when any measured field changes, not when unmeasured ones do', () => {
        const base = parseQuote(SAMPLE_QUOTE).report;
        const m0 = computeMeasurement(base).toString('hex');
        for (const f of [
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
        ] as const) {
            const changed = { ...base, [f]: Buffer.from(base[f]) };
            changed[f][0] ^= 1;
            expect([f, computeMeasurement(changed).toString('hex') === m0]).toEqual([f, false]);
        }
        const unmeasured = { ...base, reportData: Buffer.alloc(64, 9), mrSeam: Buffer.alloc(48, 9) };
        expect(computeMeasurement(unmeasured).toString('hex')).toBe(m0);
    });

    it('pins the default simulated image measurement', () => {
        expect(computeMeasurement(simulatedTdFields()).toString('hex')).toBe(
            '79cc13cad6f825cdc8ab8efccf6f98c61e04c7423c42878bea8e7d2bfb8f2b0d',
        );
    });

    it('refuses fields of the wrong size', () => {
        expect(() => computeMeasurement({ ...simulatedTdFields(), mrTd: Buffer.alloc(32) })).toThrow(
            /mrTd must be a 48-byte/,
        );
    });
});

describe('computeReportData', () => {
    it('follows the documented byte layout', () => {
        const ctx = Buffer.concat([
            Buffer.from('ffffff11', 'hex'), // -239 as int32 big-endian
            Buffer.alloc(32, 0x11),
            Buffer.alloc(32, 0xa2),
            Buffer.alloc(32, 0x03),
        ]);
        expect(encodeBindingContext(INPUT).equals(ctx)).toBe(true);
        const expected = createHash('sha512')
            .update(
                Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 2), createHash('sha256').update(ctx).digest()]),
            )
            .digest('hex');
        const rd = computeReportData(INPUT);
        expect(rd.length).toBe(64);
        expect(rd.toString('hex')).toBe(expected);
    });

    it('matches the pinned vector', () => {
        expect(computeReportData(INPUT).toString('hex')).toBe(INPUT_REPORT_DATA);
    });

    it('reportDataMatches accepts the exact binding and refuses any other', () => {
        const rd = computeReportData(INPUT);
        expect(reportDataMatches(rd, INPUT)).toBe(true);
        const variants: Array<[string, Partial<ReportDataInput>]> = [
            ['ed25519Pub', { ed25519Pub: Buffer.alloc(32, 0x09) }],
            ['x25519Pub', { x25519Pub: Buffer.alloc(32, 0x09) }],
            ['network', { network: -3 }],
            ['registry', { registry: PROVIDER }],
            ['provider', { provider: REGISTRY }],
            ['nonce', { nonce: Buffer.alloc(32, 0x04) }],
        ];
        for (const [name, v] of variants)
            expect([name, reportDataMatches(rd, { ...INPUT, ...v })]).toEqual([name, false]);
        expect(reportDataMatches(rd.subarray(0, 32), INPUT)).toBe(false);
    });

    it('refuses non-basechain addresses, bad lengths and non-int32 networks', () => {
        expect(() => computeReportData({ ...INPUT, registry: Address.parse('-1:' + '11'.repeat(32)) })).toThrow(
            /registry must be a basechain/,
        );
        expect(() => computeReportData({ ...INPUT, nonce: Buffer.alloc(31) })).toThrow(/nonce must be 32 bytes/);
        expect(() => computeReportData({ ...INPUT, ed25519Pub: Buffer.alloc(33) })).toThrow(
            /ed25519Pub must be 32 bytes/,
        );
        expect(() => computeReportData({ ...INPUT, network: 2 ** 31 })).toThrow(/not an int32/);
        expect(computeReportData({ ...INPUT, network: -(2 ** 31) }).length).toBe(64);
    });
});
