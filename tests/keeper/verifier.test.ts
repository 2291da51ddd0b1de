/** The verifier role and `keeper verify-quote`: the real Intel sample, a tampered quote, key binding. */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
    buildSimulatedQuote,
    computeReportData,
    devCollateral,
    loadOrCreateDevRoot,
    INTEL_SGX_ROOT_CA_DER,
} from '../../attestation';
import { verifyQuoteFile } from '../../keeper/cli';
import { NonceCache } from '../../keeper/verifier/nonces';
import { QuoteVerifier } from '../../keeper/verifier/verifier';
import { VerifyRefusal } from '../../keeper/verifier/protocol';
import { KeeperDb } from '../../keeper/db';
import { certToCell, certFromCell } from '../../wrappers/formats/certificate';
import { verifyCellSignature } from '../../wrappers/formats/ed25519';
import { MarketFixture, NETWORK, seededKeyPair, startMarket } from './fixture';
import { SHARED } from '../attestation/fixtures';

const TD = SHARED;
const QUOTE = path.join(TD, 'tdx_quote');
const COLLATERAL = path.join(TD, 'tdx_quote_collateral.json');

describe('verify-quote', () => {
    it('accepts the real Intel sample at 2025-07-01 and prints measurement and TCB status', async () => {
        const r = await verifyQuoteFile(QUOTE, { collateral: COLLATERAL, now: '2025-07-01T00:00:00Z', root: 'intel' });
        expect(r).toMatchObject({
            ok: true,
            tcbStatus: 'UpToDate',
            measurement: '2bf91d006b11712849eb88446f4a33ab5ff98c03353d3e6a6e1f387599f71a6d',
        });
    });

    it('refuses a tampered quote with a non-zero exit and the reason', () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vq-'));
        const bad = Buffer.from(fs.readFileSync(QUOTE));
        bad[48 + 520] ^= 1; // one REPORTDATA bit: the quote signature no longer matches
        fs.writeFileSync(path.join(dir, 'bad'), bad);
        let code = 0;
        let stderr = '';
        try {
            execFileSync(
                'npx',
                [
                    'ts-node',
                    '--transpile-only',
                    'keeper/cli.ts',
                    'verify-quote',
                    path.join(dir, 'bad'),
                    '--collateral',
                    COLLATERAL,
                    '--now',
                    '2025-07-01T00:00:00Z',
                ],
                { stdio: 'pipe' },
            );
        } catch (e) {
            code = (e as { status: number }).status;
            stderr = String((e as { stderr: Buffer }).stderr);
        }
        expect(code).toBe(1);
        expect(stderr).toMatch(/invalid quote: [A-Z_]+/);
        expect(INTEL_SGX_ROOT_CA_DER.length).toBeGreaterThan(0);
    });
});

describe('verifier role on localnet', () => {
    let m: MarketFixture;
    let dataDir: string;
    beforeAll(async () => {
        m = await startMarket({ walletCount: 1 });
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-'));
    });
    afterAll(async () => {
        await m?.close();
    });

    it('certifies a simulated quote bound to its keys and refuses one whose REPORTDATA does not bind them', async () => {
        const root = await loadOrCreateDevRoot(dataDir);
        const collateral = await devCollateral(root);
        const nonces = new NonceCache(m.chain);
        await nonces.refresh();
        const db = new KeeperDb(':memory:');
        const v = new QuoteVerifier({
            chain: m.chain,
            db,
            registry: m.registry,
            network: NETWORK,
            key: m.verifier,
            index: 0,
            trust: { rootDer: root.rootCertDer, collateralFor: async () => collateral },
            allowedTcbStatuses: ['UpToDate'],
            maxAttestAge: 3600,
            nonces,
        });
        const provider = m.wallets[0].contract.address;
        const enclave = seededKeyPair('enclave-v');
        const x25519 = Buffer.alloc(32, 7);
        const nonce = m.ln.latestBlock().rootHash;
        const binding = {
            ed25519Pub: enclave.publicKey,
            x25519Pub: x25519,
            network: NETWORK,
            registry: m.registry,
            provider,
            nonce,
        };
        const quote = buildSimulatedQuote(root, computeReportData(binding));
        const req = {
            quote: quote.toString('hex'),
            ed25519Pub: enclave.publicKey.toString('hex'),
            x25519Pub: x25519.toString('hex'),
            provider: provider.toString(),
            nonce: nonce.toString('hex'),
        };
        const res = await v.verify(req);
        const cert = certFromCell(
            certToCell({
                ...res.cert,
                quoteHash: Buffer.from(res.cert.quoteHash, 'hex'),
                registry: m.registry,
                provider,
                ed25519Pub: enclave.publicKey,
                x25519Pub: x25519,
                measurement: Buffer.from(res.cert.measurement, 'hex'),
            }),
        );
        expect(verifyCellSignature(certToCell(cert), Buffer.from(res.signature, 'hex'), m.verifier.publicKey)).toBe(
            true,
        );
        expect(db.quote(res.cert.quoteHash)?.signature).toBe(res.signature);

        // Same quote, other keys: REPORTDATA binds the enclave's keys, so a host cannot swap in its own.
        const other = seededKeyPair('host-key');
        await expect(v.verify({ ...req, ed25519Pub: other.publicKey.toString('hex') })).rejects.toMatchObject({
            code: 'REPORTDATA',
        });
        // Same quote for another provider: refused too.
        await expect(v.verify({ ...req, provider: m.registry.toString() })).rejects.toBeInstanceOf(VerifyRefusal);
        // A nonce that is no block hash.
        const q2 = buildSimulatedQuote(root, computeReportData({ ...binding, nonce: Buffer.alloc(32, 9) }));
        await expect(v.verify({ ...req, quote: q2.toString('hex'), nonce: '09'.repeat(32) })).rejects.toMatchObject({
            code: 'NONCE_UNKNOWN',
        });
        db.close();
    });
});
