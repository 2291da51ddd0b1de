/**
 * `npm run bench:keeper`: how fast one keeper works on an in-process localnet.
 * - matches/s: N open orders and two registered providers; one keeper (in-process, its own wallet) runs passes
 *   until every order is matched on-chain; N / elapsed wall time (index + canServe + one batched wallet send).
 * - quotes/s: the verifier role (QuoteVerifier) certifies simulated TDX quotes (full DCAP path under the
 *   development root), each bound to fresh keys; count / elapsed.
 * Writes bench/results/keeper.json. Not a test: figures depend on the machine.
 */
import { writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { buildSimulatedQuote, computeReportData, devCollateral, loadOrCreateDevRoot } from '../attestation';
import { KeeperWallet } from '../keeper/chain/wallet';
import { KeeperDb } from '../keeper/db';
import { Keeper } from '../keeper/keeper';
import { NonceCache } from '../keeper/verifier/nonces';
import { QuoteVerifier } from '../keeper/verifier/verifier';
import { Gas } from '../wrappers/Constants';
import { createOrder, NETWORK, registerProvider, seededKeyPair, startMarket } from '../tests/keeper/fixture';
import { toNano } from '@ton/core';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 60);
const QUOTES = Number(process.env.BENCH_QUOTES ?? 200);

async function main() {
    const m = await startMarket({ walletCount: 4 });
    try {
        // wallets: 0 keeper; 1, 2 providers; 3 client
        await registerProvider(m, m.wallets[1], { priceIn: 10n, priceOut: 20n, capacity: BigInt(ORDERS) });
        await registerProvider(m, m.wallets[2], { priceIn: 11n, priceOut: 20n, capacity: BigInt(ORDERS) });
        for (let i = 0; i < ORDERS; i++) await createOrder(m, m.wallets[3], { life: 1800, matchWithin: 600 });

        const db = new KeeperDb(':memory:');
        const keeper = new Keeper({
            chain: m.chain,
            db,
            registry: m.registry,
            log: pino({ level: 'silent' }),
            wallet: await KeeperWallet.fromMnemonic(m.chain, m.wallets[0].mnemonic),
            pollIntervalMs: 0,
            policy: {
                matchValue: Gas.MATCH_GAS + toNano('0.01'),
                matchCostEstimate: toNano('0.032'),
                spendAboveFee: true,
                refundExpired: false,
                timeoutValue: Gas.CLOSE_GAS,
                relayRevocations: false,
                relayValue: toNano('0.05'),
                resendAfterMs: 5000,
            },
        });
        const t0 = performance.now();
        let passes = 0;
        for (;;) {
            await keeper.pass();
            passes++;
            const matched = db.orders().filter((o) => Number(o.state) === 2).length;
            if (matched >= ORDERS) break;
            if (performance.now() - t0 > 300_000) throw new Error(`only ${matched}/${ORDERS} matched in 300 s`);
        }
        const matchMs = performance.now() - t0;
        db.close();

        const dir = path.join(os.tmpdir(), `cocoon-bench-keeper-${process.pid}`);
        const root = await loadOrCreateDevRoot(dir);
        const collateral = await devCollateral(root);
        const nonces = new NonceCache(m.chain);
        await nonces.refresh();
        const vdb = new KeeperDb(':memory:');
        const v = new QuoteVerifier({
            chain: m.chain,
            db: vdb,
            registry: m.registry,
            network: NETWORK,
            key: m.verifier,
            index: 0,
            trust: { rootDer: root.rootCertDer, collateralFor: async () => collateral },
            allowedTcbStatuses: ['UpToDate'],
            maxAttestAge: 3600,
            nonces,
        });
        const provider = m.wallets[1].contract.address;
        const nonce = m.ln.latestBlock().rootHash;
        const reqs = [];
        for (let i = 0; i < QUOTES; i++) {
            const enclave = seededKeyPair(`bench-enclave-${i}`);
            const x25519 = Buffer.alloc(32, i % 256);
            const binding = {
                ed25519Pub: enclave.publicKey,
                x25519Pub: x25519,
                network: NETWORK,
                registry: m.registry,
                provider,
                nonce,
            };
            reqs.push({
                quote: buildSimulatedQuote(root, computeReportData(binding)).toString('hex'),
                ed25519Pub: enclave.publicKey.toString('hex'),
                x25519Pub: x25519.toString('hex'),
                provider: provider.toString(),
                nonce: nonce.toString('hex'),
            });
        }
        const t1 = performance.now();
        for (const r of reqs) await v.verify(r);
        const quoteMs = performance.now() - t1;
        vdb.close();

        const result = {
            machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
            matching: {
                orders: ORDERS,
                providers: 2,
                passes,
                seconds: +(matchMs / 1000).toFixed(2),
                matchesPerSecond: +(ORDERS / (matchMs / 1000)).toFixed(1),
            },
            verifier: {
                quotes: QUOTES,
                seconds: +(quoteMs / 1000).toFixed(2),
                quotesPerSecond: +(QUOTES / (quoteMs / 1000)).toFixed(1),
                msPerQuote: +(quoteMs / QUOTES).toFixed(2),
            },
            at: new Date().toISOString(),
        };
        const out = path.join(__dirname, 'results', 'keeper.json');
        writeFileSync(out, JSON.stringify(result, null, 4) + '\n');
        console.log(JSON.stringify(result, null, 2));
        console.log(`wrote ${out}`);
    } finally {
        await m.close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
