/** Shared fixtures for the attestation tests: the real Intel sample and a throwaway dev root per test file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Collateral, loadCollateralFile } from '../../attestation/collateral';
import { DevRoot, loadOrCreateDevRoot } from '../../attestation/devRoot';
import { AttestationError, AttestationErrorCode } from '../../attestation/errors';

export const TESTDATA = path.resolve(__dirname, '../../../shared/testdata/tdx');
/** The shared test data beside the checkout (CI), or where development machines keep it. */
export const SHARED = fs.existsSync(TESTDATA) ? TESTDATA : '/work/shared/testdata/tdx';

export const SAMPLE_QUOTE: Buffer = fs.readFileSync(path.join(SHARED, 'tdx_quote'));
export const sampleCollateral = (): Collateral => loadCollateralFile(path.join(SHARED, 'tdx_quote_collateral.json'));
/** Inside the sample collateral's window (2025-06-19 .. 2025-07-19). */
export const SAMPLE_NOW = new Date('2025-07-01T00:00:00Z');

const created: string[] = [];
// Each test file that imports these fixtures removes the temp dirs it made.
afterAll(() => {
    for (const d of created.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `cocoon-att-${prefix}-`));
    created.push(d);
    return d;
}

/** A new dev root in its own temp data dir; `now` pins its certificates' validity (from now - 1 day). */
export async function freshDevRoot(prefix: string, now?: Date): Promise<DevRoot> {
    return loadOrCreateDevRoot(tempDir(prefix), now);
}

/** Runs `fn` and returns the AttestationError code it throws; fails the test if it does not throw one. */
export function codeOf(fn: () => unknown): AttestationErrorCode {
    try {
        fn();
    } catch (e) {
        if (e instanceof AttestationError) return e.code;
        throw new Error(`expected an AttestationError, got ${(e as Error)?.stack ?? String(e)}`);
    }
    throw new Error('expected an AttestationError, but nothing was thrown');
}

/** Copy of `buf` with byte `pos` XOR-ed with `mask` (never a no-op). */
export function flip(buf: Buffer, pos: number, mask = 0x01): Buffer {
    const out = Buffer.from(buf);
    out[pos] ^= mask;
    return out;
}

/** Copy of a hex string with byte `pos` XOR-ed. */
export function flipHex(hex: string, pos: number, mask = 0x01): string {
    return flip(Buffer.from(hex, 'hex'), pos, mask).toString('hex');
}
