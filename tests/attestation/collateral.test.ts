/**
 * Collateral loading and fetching. The fetch path runs against a PCS-v4-shaped server started here on
 * 127.0.0.1 (no network), serving dev collateral the way Intel PCS / PCCS serve theirs.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import {
    Collateral,
    extractSignedObject,
    fetchCollateral,
    fetchCollateralForQuote,
    loadCollateralFile,
    normalizeCollateral,
    quotePlatform,
} from '../../attestation/collateral';
import { devCollateral } from '../../attestation/devCollateral';
import { DevRoot } from '../../attestation/devRoot';
import { AttestationError } from '../../attestation/errors';
import { buildSimulatedQuote } from '../../attestation/tee/simulatedBackend';
import { verifyQuote } from '../../attestation/verifier';
import { freshDevRoot, SAMPLE_QUOTE, sampleCollateral, tempDir } from './fixtures';

const NOW = new Date('2026-05-01T00:00:00Z');

async function rejection(p: Promise<unknown>): Promise<AttestationError> {
    try {
        await p;
    } catch (e) {
        if (e instanceof AttestationError) return e;
        throw e;
    }
    throw new Error('expected a rejection');
}

describe('loadCollateralFile / normalizeCollateral', () => {
    it('loads the sample file with every binary field as lower-case hex', () => {
        const c = sampleCollateral();
        expect(c.tcb_info_signature).toMatch(/^[0-9a-f]{128}$/);
        expect(c.pck_crl.startsWith('30820a63')).toBe(true);
        expect(JSON.parse(c.tcb_info).fmspc).toBe('B0C06F000000');
    });

    it('turns byte arrays into hex and refuses bad shapes with COLLATERAL_MALFORMED', () => {
        const c = sampleCollateral();
        expect(normalizeCollateral({ ...c, root_ca_crl: [...Buffer.from(c.root_ca_crl, 'hex')] })).toEqual(c);
        const bad: Array<Record<string, unknown>> = [
            { ...c, pck_crl: 'xyz' },
            { ...c, pck_crl: [1, 2, 300] },
            { ...c, tcb_info: '' },
            { ...c, qe_identity: undefined },
        ];
        for (const b of bad) expect(() => normalizeCollateral(b)).toThrow(/COLLATERAL_MALFORMED/);
        expect(() => normalizeCollateral(null)).toThrow(/COLLATERAL_MALFORMED/);
    });

    it('reports unreadable and non-JSON files', () => {
        const dir = tempDir('coll');
        expect(() => loadCollateralFile(path.join(dir, 'missing.json'))).toThrow(/cannot read collateral file/);
        fs.writeFileSync(path.join(dir, 'bad.json'), 'nope');
        expect(() => loadCollateralFile(path.join(dir, 'bad.json'))).toThrow(/is not JSON/);
    });

    it('extracts signed objects byte-exactly, braces inside strings included', () => {
        const body = '{"tcbInfo":{"a":"}{\\"x","b":{"c":[1,2]}} ,"signature":"00"}';
        expect(extractSignedObject(body, 'tcbInfo')).toBe('{"a":"}{\\"x","b":{"c":[1,2]}}');
        expect(() => extractSignedObject('{"other":{}}', 'tcbInfo')).toThrow(/no "tcbInfo" object/);
    });

    it("reads the platform (FMSPC, CA kind) from a quote's PCK certificate", () => {
        expect(quotePlatform(SAMPLE_QUOTE)).toEqual({ fmspc: 'B0C06F000000', ca: 'platform' });
    });
});

describe('fetchCollateral from a local PCS v4 server', () => {
    let root: DevRoot;
    let dev: Collateral;
    let server: http.Server;
    let base: string;
    const requests: string[] = [];
    let mode: 'ok' | 'hang' | '404' = 'ok';

    beforeAll(async () => {
        root = await freshDevRoot('fetch', NOW);
        dev = await devCollateral(root, { now: NOW });
        server = http.createServer((req, res) => {
            requests.push(req.url ?? '');
            if (mode === 'hang') return; // never answers: the client must time out
            if (mode === '404') {
                res.writeHead(404).end('no such fmspc');
                return;
            }
            const u = new URL(req.url ?? '/', 'http://x');
            const enc = encodeURIComponent;
            if (u.pathname === '/sgx/certification/v4/pckcrl') {
                res.writeHead(200, {
                    'SGX-PCK-CRL-Issuer-Chain': enc(dev.pck_crl_issuer_chain),
                    'Content-Type': 'application/pkix-crl',
                });
                res.end(Buffer.from(dev.pck_crl, 'hex')); // DER, as PCS with encoding=der
            } else if (u.pathname === '/tdx/certification/v4/tcb') {
                res.writeHead(200, { 'TCB-Info-Issuer-Chain': enc(dev.tcb_info_issuer_chain) });
                res.end(`{"tcbInfo":${dev.tcb_info},"signature":"${dev.tcb_info_signature}"}`);
            } else if (u.pathname === '/tdx/certification/v4/qe/identity') {
                res.writeHead(200, { 'SGX-Enclave-Identity-Issuer-Chain': enc(dev.qe_identity_issuer_chain) });
                res.end(
                    `{ "enclaveIdentity": ${dev.qe_identity}, "signature": "${dev.qe_identity_signature.toUpperCase()}" }`,
                );
            } else if (u.pathname === '/sgx/certification/v4/rootcacrl') {
                res.writeHead(200).end(dev.root_ca_crl); // hex text, as PCCS serves it
            } else {
                res.writeHead(404).end();
            }
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    beforeEach(() => {
        requests.length = 0;
        mode = 'ok';
    });

    it('fetches exactly the collateral the server holds, and it verifies the quote', async () => {
        const quote = buildSimulatedQuote(root, Buffer.alloc(64, 1));
        const fetched = await fetchCollateralForQuote(quote, { pccsUrl: `${base}/sgx/certification/v4/` });
        expect(fetched).toEqual(dev);
        expect([...requests].sort()).toEqual([
            '/sgx/certification/v4/pckcrl?ca=platform&encoding=der',
            '/sgx/certification/v4/rootcacrl',
            '/tdx/certification/v4/qe/identity',
            '/tdx/certification/v4/tcb?fmspc=C0C0A0000000',
        ]);
        expect(verifyQuote(quote, { collateral: fetched, now: NOW, trustedRootDer: root.rootCertDer }).tcbStatus).toBe(
            'UpToDate',
        );
    });

    it('reports HTTP errors with the URL and status', async () => {
        mode = '404';
        const e = await rejection(fetchCollateral({ pccsUrl: base, fmspc: 'C0C0A0000000', ca: 'processor' }));
        expect(e.code).toBe('COLLATERAL_FETCH');
        expect(e.reason).toMatch(/answered HTTP 404/);
        expect(requests).toContain('/sgx/certification/v4/pckcrl?ca=processor&encoding=der');
    });

    it('times out on a server that never answers', async () => {
        mode = 'hang';
        const started = Date.now();
        const e = await rejection(
            fetchCollateral({ pccsUrl: base, fmspc: 'C0C0A0000000', ca: 'platform', timeoutMs: 300 }),
        );
        expect(e.code).toBe('COLLATERAL_FETCH');
        expect(e.reason).toMatch(/timed out after 300 ms/);
        expect(Date.now() - started).toBeLessThan(5000);
    });

    it('reports a refused connection', async () => {
        const closed = http.createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const port = (closed.address() as AddressInfo).port;
        await new Promise((resolve) => closed.close(resolve));
        const e = await rejection(
            fetchCollateral({ pccsUrl: `http://127.0.0.1:${port}`, fmspc: 'C0C0A0000000', ca: 'platform' }),
        );
        expect(e.code).toBe('COLLATERAL_FETCH');
        expect(e.reason).toMatch(/failed/);
    });

    it('refuses a malformed FMSPC before any request', async () => {
        const e = await rejection(fetchCollateral({ pccsUrl: base, fmspc: 'C0C0', ca: 'platform' }));
        expect(e.code).toBe('COLLATERAL_MALFORMED');
        expect(requests).toEqual([]);
    });
});
