/**
 * The development root: created once per data dir with private file modes, reused, safe when two creators race,
 * shaped like Intel's PKI (dcap-qvl's expectations), and never silently replaced.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { defaultDataDir, DEV_ROOT_FILE, loadOrCreateDevRoot } from '../../attestation/devRoot';
import { certSignedBy, parseCertificate, readSgxExtension } from '../../attestation/x509Parse';
import { tempDir } from './fixtures';

const run = promisify(execFile);

describe('dev root', () => {
    it('is created under <dataDir>/dev-root with 0600 file and 0700 folder, then reused', async () => {
        const dir = tempDir('devroot');
        const a = await loadOrCreateDevRoot(dir);
        const file = path.join(dir, 'dev-root', DEV_ROOT_FILE);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.statSync(path.join(dir, 'dev-root')).mode & 0o777).toBe(0o700);
        expect(fs.readdirSync(path.join(dir, 'dev-root'))).toEqual([DEV_ROOT_FILE]);
        const b = await loadOrCreateDevRoot(dir);
        expect(b.rootCertDer.equals(a.rootCertDer)).toBe(true);
        expect(b.attestationPub.equals(a.attestationPub)).toBe(true);
        expect(b.platform.ppid.equals(a.platform.ppid)).toBe(true);
    });

    it('two concurrent creators in one process end up with the same root and no temp files', async () => {
        const dir = tempDir('devroot-race');
        const roots = await Promise.all([loadOrCreateDevRoot(dir), loadOrCreateDevRoot(dir), loadOrCreateDevRoot(dir)]);
        expect(roots[1].rootCertDer.equals(roots[0].rootCertDer)).toBe(true);
        expect(roots[2].rootCertDer.equals(roots[0].rootCertDer)).toBe(true);
        expect(fs.readdirSync(path.join(dir, 'dev-root'))).toEqual([DEV_ROOT_FILE]);
    });

    it('two concurrent processes end up with the same root', async () => {
        const dir = tempDir('devroot-proc');
        const script = path.resolve(__dirname, '../../attestation/devRoot.ts');
        const code = `require(${JSON.stringify(script)}).loadOrCreateDevRoot(process.argv[1]).then(r => console.log(r.rootCertDer.toString('hex')))`;
        const child = () =>
            run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code, dir], {
                cwd: path.resolve(__dirname, '../..'),
            });
        const [a, b] = await Promise.all([child(), child()]);
        expect(a.stdout.trim().length).toBeGreaterThan(100);
        expect(b.stdout.trim()).toBe(a.stdout.trim());
        const inProcess = await loadOrCreateDevRoot(dir);
        expect(inProcess.rootCertDer.toString('hex')).toBe(a.stdout.trim());
    });

    it('refuses to replace an unreadable root file', async () => {
        const dir = tempDir('devroot-bad');
        fs.mkdirSync(path.join(dir, 'dev-root'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'dev-root', DEV_ROOT_FILE), '{ not json');
        await expect(loadOrCreateDevRoot(dir)).rejects.toThrow(/exists but cannot be read .* remove it to recreate/);
        expect(fs.readFileSync(path.join(dir, 'dev-root', DEV_ROOT_FILE), 'utf8')).toBe('{ not json');
    });

    it('defaults to $COCOON_DATA_DIR, else ~/.cocoon-ton', () => {
        const saved = process.env.COCOON_DATA_DIR;
        try {
            process.env.COCOON_DATA_DIR = '/tmp/some-cocoon-dir';
            expect(defaultDataDir()).toBe('/tmp/some-cocoon-dir');
            delete process.env.COCOON_DATA_DIR;
            expect(defaultDataDir()).toBe(path.join(os.homedir(), '.cocoon-ton'));
        } finally {
            if (saved === undefined) delete process.env.COCOON_DATA_DIR;
            else process.env.COCOON_DATA_DIR = saved;
        }
    });

    it('has the PKI shape dcap-qvl expects', async () => {
        const r = await loadOrCreateDevRoot(tempDir('devroot-shape'), new Date('2026-01-01T00:00:00Z'));
        const root = parseCertificate(r.rootCertDer);
        const ca = parseCertificate(r.pckCaCertDer);
        const leaf = parseCertificate(r.pckLeafCertDer);
        const tcb = parseCertificate(r.tcbSigningCertDer);
        expect(root.subjectCn).toBe('Cocoon Dev SGX Root CA');
        expect(ca.subjectCn).toContain('Platform');
        expect(certSignedBy(r.rootCertDer, root.publicKey)).toBe(true);
        expect(certSignedBy(r.pckCaCertDer, root.publicKey)).toBe(true);
        expect(certSignedBy(r.pckLeafCertDer, ca.publicKey)).toBe(true);
        expect(certSignedBy(r.tcbSigningCertDer, root.publicKey)).toBe(true);
        expect(certSignedBy(r.pckLeafCertDer, root.publicKey)).toBe(false);
        expect(leaf.notBefore.toISOString()).toBe('2025-12-31T00:00:00.000Z');
        const ext = readSgxExtension(leaf);
        expect(ext.fmspc.toString('hex')).toBe('c0c0a0000000');
        expect(ext.pceSvn).toBe(11);
        expect(ext.cpuSvn.toString('hex')).toBe('03030202040100050000000000000000');
        expect(tcb.extensions.has('1.2.840.113741.1.13.1')).toBe(false);
        expect(r.attestationPub.length).toBe(64);
    });
});
