/**
 * Real Intel TDX quotes through configfs-tsm, the kernel's generic attestation report interface (Linux >= 6.7,
 * driver tdx_guest):
 *
 *   mkdir /sys/kernel/config/tsm/report/<entry>     create a private report request
 *   write <entry>/inblob  (64 bytes)                REPORTDATA; bumps <entry>/generation
 *   read  <entry>/outblob                           the kernel gets a TD report and has the QGS turn it into a quote
 *   read  <entry>/generation                        must still be the value after our write: if another writer
 *                                                   touched the entry in between, outblob may not be ours
 *   rmdir <entry>
 *
 * Why not /dev/tdx_guest: its quote path (TDX_CMD_GET_QUOTE) is an ioctl on a shared buffer, which Node cannot
 * issue without a native addon; configfs-tsm is plain file I/O and is the interface the kernel now supports.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseQuote, QuoteFormatError } from '../quote';
import { assertReportData, TeeBackend, TeeUnavailableError } from './types';

export const TSM_REPORT_DIR = '/sys/kernel/config/tsm/report';

/** The few file operations the backend needs; tests substitute a fake configfs. */
export interface TsmFs {
    existsSync(p: string): boolean;
    mkdirSync(p: string): void;
    writeFileSync(p: string, data: Buffer): void;
    readFileSync(p: string): Buffer;
    rmdirSync(p: string): void;
}

const nodeFs: TsmFs = {
    existsSync: (p) => fs.existsSync(p),
    mkdirSync: (p) => fs.mkdirSync(p),
    writeFileSync: (p, d) => fs.writeFileSync(p, d),
    readFileSync: (p) => fs.readFileSync(p),
    rmdirSync: (p) => fs.rmdirSync(p),
};

export interface TdxBackendOptions {
    /** Default /sys/kernel/config/tsm/report. */
    reportDir?: string;
    fs?: TsmFs;
}

/** Why TDX quoting is not available here, or null when it is. */
export function tdxUnavailableReason(opts: TdxBackendOptions = {}): string | null {
    const dir = opts.reportDir ?? TSM_REPORT_DIR;
    const f = opts.fs ?? nodeFs;
    if (f.existsSync(dir)) return null;
    if (!f.existsSync(path.dirname(path.dirname(dir)))) {
        return `${path.dirname(path.dirname(dir))} is missing: configfs is not mounted (mount -t configfs none /sys/kernel/config)`;
    }
    if (f.existsSync('/dev/tdx_guest')) {
        return `${dir} is missing although /dev/tdx_guest exists: the kernel is older than 6.7 or lacks CONFIG_TSM_REPORTS`;
    }
    return `${dir} is missing: this machine is not a TDX guest (no configfs-tsm, no /dev/tdx_guest)`;
}

export class TdxBackend implements TeeBackend {
    readonly kind = 'tdx' as const;
    private readonly dir: string;
    private readonly fs: TsmFs;

    /** Throws TeeUnavailableError when configfs-tsm is absent. */
    constructor(opts: TdxBackendOptions = {}) {
        this.dir = opts.reportDir ?? TSM_REPORT_DIR;
        this.fs = opts.fs ?? nodeFs;
        const reason = tdxUnavailableReason(opts);
        if (reason) throw new TeeUnavailableError(`TDX backend unavailable: ${reason}`);
    }

    async getQuote(reportData: Buffer): Promise<Buffer> {
        assertReportData(reportData);
        const entry = path.join(this.dir, `cocoon-${process.pid}-${randomBytes(6).toString('hex')}`);
        try {
            this.fs.mkdirSync(entry);
        } catch (e) {
            throw new TeeUnavailableError(`cannot create configfs-tsm report entry ${entry}: ${(e as Error).message}`);
        }
        try {
            const provider = this.readText(entry, 'provider');
            if (provider !== null && provider !== 'tdx_guest') {
                throw new TeeUnavailableError(`configfs-tsm provider is "${provider}", not tdx_guest`);
            }
            this.fs.writeFileSync(path.join(entry, 'inblob'), reportData);
            const generation = this.readText(entry, 'generation');
            const quote = this.fs.readFileSync(path.join(entry, 'outblob'));
            const after = this.readText(entry, 'generation');
            if (generation === null || after !== generation) {
                throw new Error(
                    `configfs-tsm entry ${entry} changed while reading the quote (generation ${generation} -> ${after})`,
                );
            }
            let parsed;
            try {
                parsed = parseQuote(quote);
            } catch (e) {
                if (e instanceof QuoteFormatError) throw new Error(`TDX returned an unreadable quote: ${e.message}`);
                throw e;
            }
            if (!parsed.report.reportData.equals(reportData)) {
                throw new Error('TDX quote carries a different REPORTDATA than requested');
            }
            return quote;
        } finally {
            try {
                this.fs.rmdirSync(entry);
            } catch {
                // The entry is private to us and harmless if left; never mask the real error.
            }
        }
    }

    private readText(entry: string, name: string): string | null {
        try {
            return this.fs.readFileSync(path.join(entry, name)).toString('utf8').trim();
        } catch {
            return null;
        }
    }
}
