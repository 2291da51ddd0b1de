/**
 * The configfs-tsm backend against a fake configfs that behaves like the kernel's (generation counter bumped by
 * inblob writes, outblob produced from the inblob), plus availability detection and backend selection.
 */
import * as path from 'path';
import { DevRoot } from '../../attestation/devRoot';
import { buildSimulatedQuote } from '../../attestation/tee/simulatedBackend';
import { selectTeeBackend } from '../../attestation/tee/select';
import { TdxBackend, tdxUnavailableReason, TsmFs } from '../../attestation/tee/tdxBackend';
import { TeeUnavailableError } from '../../attestation/tee/types';
import { devCollateral } from '../../attestation/devCollateral';
import { verifyQuote } from '../../attestation/verifier';
import { freshDevRoot, tempDir } from './fixtures';

const NOW = new Date('2026-04-01T00:00:00Z');
const REPORT_DIR = '/fake/sys/kernel/config/tsm/report';

interface Entry {
    inblob?: Buffer;
    generation: number;
}

/** In-memory configfs-tsm; `quoteFor` plays the TDX module + QGS. Hooks let tests misbehave on purpose. */
class FakeTsm implements TsmFs {
    entries = new Map<string, Entry>();
    removed: string[] = [];
    provider = 'tdx_guest';
    onOutblob: (e: Entry) => void = () => {};

    constructor(private readonly quoteFor: (reportData: Buffer) => Buffer) {}

    existsSync(p: string): boolean {
        return p === REPORT_DIR || REPORT_DIR.startsWith(p + '/');
    }
    mkdirSync(p: string): void {
        if (path.dirname(p) !== REPORT_DIR || this.entries.has(p)) throw new Error(`EEXIST/ENOENT ${p}`);
        this.entries.set(p, { generation: 0 });
    }
    writeFileSync(p: string, data: Buffer): void {
        const e = this.entry(p);
        if (path.basename(p) !== 'inblob') throw new Error(`EACCES ${p}`);
        e.inblob = Buffer.from(data);
        e.generation++;
    }
    readFileSync(p: string): Buffer {
        const e = this.entry(p);
        switch (path.basename(p)) {
            case 'provider':
                return Buffer.from(this.provider + '\n');
            case 'generation':
                return Buffer.from(`${e.generation}\n`);
            case 'outblob':
                if (!e.inblob) throw new Error('EINVAL no inblob');
                this.onOutblob(e);
                return this.quoteFor(e.inblob);
            default:
                throw new Error(`ENOENT ${p}`);
        }
    }
    rmdirSync(p: string): void {
        this.entries.delete(p);
        this.removed.push(p);
    }
    private entry(p: string): Entry {
        const e = this.entries.get(path.dirname(p));
        if (!e) throw new Error(`ENOENT ${p}`);
        return e;
    }
}

let root: DevRoot;
beforeAll(async () => {
    root = await freshDevRoot('tdx', NOW);
});

describe('TdxBackend over configfs-tsm', () => {
    it('writes REPORTDATA, returns the quote for it and removes its entry', async () => {
        const fake = new FakeTsm((rd) => buildSimulatedQuote(root, rd));
        const backend = new TdxBackend({ reportDir: REPORT_DIR, fs: fake });
        expect(backend.kind).toBe('tdx');
        const rd = Buffer.alloc(64, 0x42);
        const q = await backend.getQuote(rd);
        const r = verifyQuote(q, {
            collateral: await devCollateral(root, { now: NOW }),
            now: NOW,
            trustedRootDer: root.rootCertDer,
        });
        expect(r.reportData.equals(rd)).toBe(true);
        expect(fake.entries.size).toBe(0);
        expect(fake.removed).toHaveLength(1);
        expect(path.dirname(fake.removed[0])).toBe(REPORT_DIR);
    });

    it('refuses a quote when the entry was rewritten while reading (generation changed), and still cleans up', async () => {
        const fake = new FakeTsm((rd) => buildSimulatedQuote(root, rd));
        fake.onOutblob = (e) => {
            e.generation++;
        };
        const backend = new TdxBackend({ reportDir: REPORT_DIR, fs: fake });
        await expect(backend.getQuote(Buffer.alloc(64, 1))).rejects.toThrow(
            /changed while reading the quote \(generation 1 -> 2\)/,
        );
        expect(fake.entries.size).toBe(0);
    });

    it('refuses a quote whose REPORTDATA is not the one requested', async () => {
        const fake = new FakeTsm(() => buildSimulatedQuote(root, Buffer.alloc(64, 7)));
        const backend = new TdxBackend({ reportDir: REPORT_DIR, fs: fake });
        await expect(backend.getQuote(Buffer.alloc(64, 1))).rejects.toThrow(/different REPORTDATA/);
    });

    it('refuses garbage from the kernel and non-TDX providers', async () => {
        const garbage = new TdxBackend({ reportDir: REPORT_DIR, fs: new FakeTsm(() => Buffer.alloc(10)) });
        await expect(garbage.getQuote(Buffer.alloc(64))).rejects.toThrow(/unreadable quote: truncated/);
        const sev = new FakeTsm((rd) => buildSimulatedQuote(root, rd));
        sev.provider = 'sev_guest';
        await expect(new TdxBackend({ reportDir: REPORT_DIR, fs: sev }).getQuote(Buffer.alloc(64))).rejects.toThrow(
            /provider is "sev_guest"/,
        );
    });

    it('refuses REPORTDATA that is not 64 bytes', async () => {
        const backend = new TdxBackend({
            reportDir: REPORT_DIR,
            fs: new FakeTsm((rd) => buildSimulatedQuote(root, rd)),
        });
        await expect(backend.getQuote(Buffer.alloc(32))).rejects.toThrow(/64-byte Buffer, got 32/);
    });
});

describe('availability and selection', () => {
    const missing = path.join(tempDir('notdx'), 'sys/kernel/config/tsm/report');

    it('explains why TDX is unavailable', () => {
        expect(tdxUnavailableReason({ reportDir: missing })).toMatch(/is missing/);
        expect(() => new TdxBackend({ reportDir: missing })).toThrow(TeeUnavailableError);
        expect(() => new TdxBackend({ reportDir: missing })).toThrow(/TDX backend unavailable/);
        expect(tdxUnavailableReason({ reportDir: REPORT_DIR, fs: new FakeTsm(() => Buffer.alloc(0)) })).toBeNull();
    });

    it("auto picks TDX when configfs-tsm exists, simulated otherwise; 'tdx' never falls back", async () => {
        const dataDir = tempDir('select');
        const fake = new FakeTsm((rd) => buildSimulatedQuote(root, rd));
        expect((await selectTeeBackend({ reportDir: REPORT_DIR, fs: fake, dataDir })).kind).toBe('tdx');
        const sim = await selectTeeBackend({ reportDir: missing, dataDir });
        expect(sim.kind).toBe('simulated');
        expect((await sim.getQuote(Buffer.alloc(64, 3))).length).toBeGreaterThan(632);
        await expect(selectTeeBackend({ mode: 'tdx', reportDir: missing, dataDir })).rejects.toThrow(
            TeeUnavailableError,
        );
        expect((await selectTeeBackend({ mode: 'simulated', reportDir: REPORT_DIR, fs: fake, dataDir })).kind).toBe(
            'simulated',
        );
    });
});
