/**
 * `npm run keeper -- <command>`: start (the service), status, book, verify-quote (offline DCAP check of a
 * quote file). Logs are pino JSON on stdout; `start` stops gracefully on SIGINT/SIGTERM (the pass in flight
 * finishes, HTTP closes, the database closes).
 */
import { Command } from 'commander';
import fs from 'fs';
import pino from 'pino';
import { Address } from '@ton/core';
import { AttestationError, TcbStatus, verifyQuote } from '../attestation';
import { loadConfig, redactConfig, ConfigError, KeeperConfig } from './config';
import { Chain } from './chain/chain';
import { KeeperWallet } from './chain/wallet';
import { KeeperDb } from './db';
import { Keeper } from './keeper';
import { buildHttp } from './http';
import { loadTrust } from './verifier/trust';
import { NonceCache } from './verifier/nonces';
import { loadVerifierKey, QuoteVerifier } from './verifier/verifier';

interface CommonFlags {
    config?: string;
    endpoint?: string;
    registry?: string;
    db?: string;
    port?: string;
    logLevel?: string;
}

function configFrom(flags: CommonFlags): KeeperConfig {
    return loadConfig({
        file: flags.config,
        overrides: {
            endpoint: flags.endpoint,
            registry: flags.registry,
            dbPath: flags.db,
            httpPort: flags.port,
            logLevel: flags.logLevel,
        },
    });
}

function common(cmd: Command): Command {
    return cmd
        .option('-c, --config <file>', 'JSON config file')
        .option('--endpoint <url>', 'TonClient JSON-RPC endpoint (e.g. http://127.0.0.1:8081/jsonRPC)')
        .option('--registry <address>', 'Registry contract address')
        .option('--db <file>', 'SQLite database path')
        .option('--port <port>', 'HTTP port')
        .option('--log-level <level>', 'pino log level');
}

export async function buildKeeper(cfg: KeeperConfig, log: pino.Logger) {
    const chain = new Chain(cfg.endpoint, {
        attempts: 6,
        baseDelayMs: 250,
        maxDelayMs: 8000,
        onRetry: (err, attempt, delayMs) =>
            log.warn({ err: (err as Error).message, attempt, delayMs }, 'chain call failed; retrying'),
    });
    const registry = Address.parse(cfg.registry);
    const db = new KeeperDb(cfg.dbPath);
    const wallet = cfg.mnemonic ? await KeeperWallet.fromMnemonic(chain, cfg.mnemonic) : undefined;
    const keeper = new Keeper({
        chain,
        db,
        registry,
        log,
        wallet,
        pollIntervalMs: cfg.pollIntervalMs,
        policy: {
            matchValue: cfg.matchValue,
            matchCostEstimate: cfg.matchCostEstimate,
            spendAboveFee: cfg.spendAboveFee,
            refundExpired: cfg.refundExpired,
            timeoutValue: cfg.timeoutValue,
            relayRevocations: cfg.relayRevocations,
            relayValue: cfg.relayValue,
            resendAfterMs: cfg.resendAfterMs,
        },
    });
    let verifier: QuoteVerifier | undefined;
    if (cfg.verifier) {
        const reg = await chain.registryData(registry);
        const nonces = new NonceCache(chain);
        await nonces.refresh();
        verifier = new QuoteVerifier({
            chain,
            db,
            registry,
            network: Number(reg.network),
            key: loadVerifierKey(cfg.verifier.keyFile),
            index: cfg.verifier.index,
            trust: await loadTrust(cfg.verifier),
            allowedTcbStatuses: cfg.verifier.allowedTcbStatuses as TcbStatus[],
            maxAttestAge: cfg.verifier.maxAttestAge ?? Number(reg.params.maxAttestAge),
            nonces,
        });
        // Keep the nonce cache warm: blocks are recorded when first seen.
        const t = setInterval(() => nonces.refresh().catch(() => undefined), 1000);
        t.unref();
    }
    return { chain, db, keeper, verifier, wallet };
}

async function start(flags: CommonFlags) {
    const cfg = configFrom(flags);
    const log = pino({ level: cfg.logLevel, base: { service: 'keeper' } });
    log.info({ config: redactConfig(cfg) }, 'starting keeper');
    const { db, keeper, verifier, wallet } = await buildKeeper(cfg, log);
    if (!wallet) log.warn('no wallet mnemonic (COCOON_KEEPER_MNEMONIC or mnemonicFile): indexing only, no matches');
    else log.info({ wallet: wallet.address.toString() }, 'keeper wallet');
    const app = buildHttp({ keeper, verifier });
    await app.listen({ port: cfg.httpPort, host: cfg.httpHost });
    log.info({ url: `http://${cfg.httpHost}:${cfg.httpPort}`, verifier: !!verifier }, 'http listening');
    keeper.start();
    let stopping = false;
    const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: finishing the pass in flight');
        await keeper.stop();
        await app.close();
        db.close();
        log.info('stopped');
        process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function oneShot(flags: CommonFlags, print: (k: Keeper) => unknown) {
    const cfg = configFrom(flags);
    const log = pino({ level: cfg.logLevel === 'info' ? 'warn' : cfg.logLevel });
    const { db, keeper } = await buildKeeper({ ...cfg, mnemonic: undefined, verifier: undefined }, log);
    try {
        await keeper.sync();
        console.log(JSON.stringify(print(keeper), null, 2));
    } finally {
        db.close();
    }
}

export async function verifyQuoteFile(
    file: string,
    opts: { collateral?: string; now?: string; root?: string; allowTcb?: string; pccs?: string },
): Promise<
    | { ok: true; measurement: string; tcbStatus: string; quoteHash: string; reportData: string }
    | { ok: false; code: string; reason: string }
> {
    try {
        const quote = fs.readFileSync(file);
        const now = opts.now ? new Date(opts.now) : new Date();
        if (Number.isNaN(now.getTime()))
            return { ok: false, code: 'BAD_ARGUMENT', reason: `--now: not an ISO time: ${opts.now}` };
        const trust = await loadTrust({ root: opts.root ?? 'intel', collateral: opts.collateral, pccsUrl: opts.pccs });
        const v = verifyQuote(quote, {
            collateral: await trust.collateralFor(quote, now),
            now,
            trustedRootDer: trust.rootDer,
            policy: { allowedTcbStatuses: (opts.allowTcb ?? 'UpToDate').split(',') as TcbStatus[] },
        });
        return {
            ok: true,
            measurement: v.measurement.toString('hex'),
            tcbStatus: v.tcbStatus,
            quoteHash: v.quoteHash.toString('hex'),
            reportData: v.reportData.toString('hex'),
        };
    } catch (e) {
        if (e instanceof AttestationError) return { ok: false, code: e.code, reason: e.message };
        return { ok: false, code: 'ERROR', reason: (e as Error).message };
    }
}

export function program(): Command {
    const p = new Command('keeper').description(
        'Cocoon-TON keeper: indexer, matcher, expirer, revocation relay, verifier',
    );
    common(p.command('start').description('run the keeper service (loop + HTTP API)')).action((f) => start(f));
    common(p.command('status').description('sync once and print health, totals and counts')).action((f) =>
        oneShot(f, (k) => ({
            ordersSeen: k.db.maxOrderId() + 1,
            providers: k.db.providerOwners().length,
            totals: JSON.parse(JSON.stringify(k.totals(), (_x, v) => (typeof v === 'bigint' ? v.toString() : v))),
        })),
    );
    common(p.command('book').description('sync once and print the book (orders, providers, market data)')).action((f) =>
        oneShot(f, (k) => k.book()),
    );
    p.command('verify-quote')
        .description('verify a TDX quote file offline (full DCAP); prints measurement and TCB status')
        .argument('<file>', 'quote file (binary)')
        .option('--collateral <file>', 'collateral JSON (or "dev" with a dev root)')
        .option('--pccs <url>', 'fetch collateral from this PCCS / Intel PCS')
        .option('--now <iso-time>', 'verification time (default now)')
        .option('--root <intel|dev|path>', 'trusted root', 'intel')
        .option('--allow-tcb <statuses>', 'accepted TCB statuses, comma-separated', 'UpToDate')
        .action(
            async (
                file: string,
                o: { collateral?: string; now?: string; root?: string; allowTcb?: string; pccs?: string },
            ) => {
                const r = await verifyQuoteFile(file, o);
                if (r.ok) {
                    console.log(JSON.stringify(r, null, 2));
                } else {
                    console.error(`invalid quote: ${r.code}: ${r.reason}`);
                    process.exitCode = 1;
                }
            },
        );
    return p;
}

if (require.main === module) {
    program()
        .parseAsync(process.argv)
        .catch((e: unknown) => {
            console.error(e instanceof ConfigError ? e.message : ((e as Error).stack ?? String(e)));
            process.exit(2);
        });
}
