/**
 * `npm start`: the whole market on this machine, printed step by step in plain words. An in-process localnet;
 * governance deploys the contracts and allowlists the simulated TDX measurement, the tiny model and a keeper's
 * verifier key; one keeper and two workers run as separate processes (their JSON logs go to files in the data
 * dir); an in-process client creates one order, the keeper matches it to the cheaper worker, the client checks
 * the attestation, asks three questions over that one order, closes it and waits for settlement; then every
 * party's balance change is shown and checked against the chain's transactions to the nanoton.
 *
 * `--serve` keeps everything running and prints how to point the client CLI or gateway at it.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Address, fromNano, toNano } from '@ton/core';
import { computeMeasurement, loadOrCreateDevRoot, simulatedTdFields } from '../attestation';
import { AskResult, CocoonClient, Settlement, trustFor } from '../client/sdk';
import { startLocalnet, Localnet } from '../localnet/server';
import { deployMarket } from '../market/deploy';
import { waitFor, WalletSender } from '../market/walletSender';
import { buildTinyModel } from '../worker/inference/tinyModel';
import { Provider } from '../wrappers/Provider';
import { Registry } from '../wrappers/Registry';
import { CocoonTonClient } from '../wrappers/tonClient';
import { Service, startService, stopAllServices } from './children';
import { Ledger, LedgerCheck } from './ledger';
import { freePort, shareDevRoot, writeKeeperConfig, writeVerifierKey, writeWorkerConfig } from './serviceConfigs';

export type Printer = (line: string) => void;

export interface LocalMarketOptions {
    /** Where everything lives (chain-less: configs, logs, keeper db, receipts, sessions). Default: a temp dir. */
    dataDir?: string;
    /** Keep the market running after the flow; call `stop()` on the result to end it. */
    serve?: boolean;
    /** Localnet port; default any free port. */
    port?: number;
    print?: Printer;
    questions?: string[];
}

export interface WorkerInfo {
    name: string;
    wallet: Address;
    provider: Address;
    priceIn: bigint;
    priceOut: bigint;
    registered: boolean;
    endpoint: string;
}

export interface ClaimLog {
    seqno: number;
    delta: bigint;
    final: boolean;
    via: string;
}

export interface LocalMarketResult {
    dataDir: string;
    endpoint: string;
    keeperUrl: string;
    registry: Address;
    orderBook: Address;
    model: string;
    order: Address;
    workers: WorkerInfo[];
    winner: WorkerInfo;
    clearing: { priceIn: bigint; priceOut: bigint };
    budget: bigint;
    answers: AskResult[];
    tokensIn: bigint;
    tokensOut: bigint;
    totalCost: bigint;
    settlement: Settlement;
    claims: ClaimLog[];
    matchFee: bigint;
    keeperFeeReceived: bigint;
    ledger: LedgerCheck;
    services: Service[];
    durationMs: number;
    /** Stops the services and the chain (already done unless `serve`). */
    stop(): Promise<void>;
}

export class StepError extends Error {
    constructor(
        readonly step: string,
        readonly cause: unknown,
    ) {
        super(`step "${step}" failed: ${(cause as Error)?.message ?? String(cause)}`);
        this.name = 'StepError';
    }
}

/** Worker asks in nanoTON per token. A's is the cheaper one. Each answer costs more than the workers'
 * externalMin (0.01 TON, demo/serviceConfigs.ts; the Order's own minimum is 0.00508 TON) and the localnet minClaim
 * (0.001 TON), so the workers' claims go out as external messages and pay for their own gas. They are held in
 * the Order and reach the worker's Provider in one payment at settlement. */
export const WORKER_PRICES = [
    { name: 'worker-a', priceIn: 300_000n, priceOut: 600_000n },
    { name: 'worker-b', priceIn: 450_000n, priceOut: 900_000n },
] as const;

const QUESTIONS = ['What is TON?', 'Who can read this prompt?', 'How is the GPU owner paid?'];
const MAX_TOKENS = 16;
const BUDGET = toNano('0.2');
const WALLET = { governance: 0, treasury: 1, keeper: 2, workerA: 3, workerB: 4, client: 5 } as const;

const ton = (n: bigint) => `${fromNano(n)} TON`;
const signed = (n: bigint) => `${n > 0n ? '+' : n < 0n ? '−' : ' '}${fromNano(n < 0n ? -n : n)} TON`;
const short = (a: Address) => {
    const s = a.toString();
    return `${s.slice(0, 6)}…${s.slice(-6)}`;
};

export async function runLocalMarket(opts: LocalMarketOptions = {}): Promise<LocalMarketResult> {
    const say: Printer = opts.print ?? ((l) => console.log(l));
    const t0 = Date.now();
    const dir = path.resolve(opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-local-market-')));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const services: Service[] = [];
    let localnet: Localnet | undefined;
    let stopped = false;
    let failure: Error | undefined;
    const stop = async () => {
        if (stopped) return;
        stopped = true;
        await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
        await localnet?.close().catch(() => undefined);
    };
    const onUnexpectedExit = (name: string, code: number | null, signal: string | null) => {
        failure = new Error(`${name} exited unexpectedly (${signal ?? `code ${code}`}); see its log`);
    };
    let n = 0;
    let current = 'start';
    const step = async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
        current = title;
        n += 1;
        say(`\n${n}. ${title}`);
        try {
            if (failure) throw failure;
            const r = await fn();
            if (failure) throw failure;
            return r;
        } catch (e) {
            throw new StepError(`${n}. ${title}`, e);
        }
    };
    const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

    say('Cocoon-TON local market: a chain, the contracts, a keeper and two GPU workers (as processes) and a client.');
    say(
        `Everything lives in ${path.relative(process.cwd(), dir) || dir} (configs, process logs, keeper db, receipts).`,
    );

    try {
        // ------------------------------------------------------------------ chain and contracts
        localnet = await step('Start the local chain', async () => {
            const ln = await startLocalnet({ port: opts.port ?? 0, walletCount: 6, blockIntervalMs: 400 });
            say(`   localnet at ${ln.url}: 6 prefunded wallets, a block every 400 ms`);
            say('   wallets: 0 governance, 1 treasury, 2 keeper, 3 worker A, 4 worker B, 5 client');
            return ln;
        });
        const ln = localnet;
        const tonClient = new CocoonTonClient({ endpoint: ln.url, timeout: 15_000 });
        const wallet = (i: number) => ln.wallets[i];
        const addr = (i: number) => ln.wallets[i].contract.address;

        const attDir = path.join(dir, 'attestation');
        const { modelPath, model } = await step('Prepare the tiny model and the attestation root', async () => {
            const bytes = buildTinyModel();
            const p = path.join(dir, 'models', 'tiny.gguf');
            fs.mkdirSync(path.dirname(p), { recursive: true });
            fs.writeFileSync(p, bytes);
            const sha = createHash('sha256').update(bytes).digest('hex');
            await loadOrCreateDevRoot(attDir);
            say(`   model ${path.relative(process.cwd(), p)} (${bytes.length} bytes), sha256 ${sha.slice(0, 16)}…`);
            say('   a development attestation root (simulated TDX): workers sign quotes with it, verifiers trust it');
            return { modelPath: p, model: sha };
        });

        const verifierKeyFile = path.join(dir, 'keeper', 'verifier.key');
        const market = await step('Governance deploys the market', async () => {
            const verifierPub = writeVerifierKey(verifierKeyFile);
            const governance = await WalletSender.fromMnemonic(tonClient, wallet(WALLET.governance).mnemonic);
            const m = await deployMarket({
                network: 'localnet',
                governance,
                params: { treasury: addr(WALLET.treasury) },
                measurements: [
                    {
                        hash: computeMeasurement(simulatedTdFields()),
                        expiresAt: Math.floor(Date.now() / 1000) + 30 * 86400,
                    },
                ],
                models: [{ hash: Buffer.from(model, 'hex'), name: 'tiny' }],
                verifiers: [{ index: 0, publicKey: verifierPub }],
            });
            say(`   Registry  ${m.registry}`);
            say(`   OrderBook ${m.orderBook}`);
            say('   allowlisted: the simulated TDX measurement, the tiny model, the keeper as verifier #0');
            say(
                `   rules: match fee ${ton(m.params.matchFee)}, protocol fee ${Number(m.params.feeBps) / 100}%, ` +
                    `min budget ${ton(m.params.minBudget)}, close grace ${m.params.closeGrace} s`,
            );
            return m;
        });

        // ------------------------------------------------------------------ keeper and workers
        const keeperPort = await freePort();
        const keeperUrl = `http://127.0.0.1:${keeperPort}`;
        await step('Start the keeper (matcher and attestation verifier) as a process', async () => {
            const kdir = path.join(dir, 'keeper');
            const config = writeKeeperConfig(path.join(kdir, 'keeper.json'), {
                endpoint: ln.url,
                registry: market.registry,
                dir: kdir,
                port: keeperPort,
                verifierKeyFile,
                devRootDir: attDir,
            });
            const keeper = startService({
                name: 'keeper',
                script: 'keeper/cli.ts',
                args: ['start', '--config', config],
                env: { COCOON_KEEPER_MNEMONIC: wallet(WALLET.keeper).mnemonic.join(' ') },
                logFile: path.join(kdir, 'keeper.log'),
                onUnexpectedExit,
            });
            services.push(keeper);
            await keeper.waitForLog('http listening', (l) => l.msg === 'http listening', 60_000);
            say(`   ${keeper.summary()}`);
            say(`   book API ${keeperUrl}/book, verifier ${keeperUrl}/verify`);
        });

        const workers: WorkerInfo[] = await step(
            'Start two workers (GPU owners, simulated TDX) as processes',
            async () => {
                const registryContract = tonClient.open(Registry.fromAddress(market.registry));
                const started = WORKER_PRICES.map((w, i) => {
                    const wdir = path.join(dir, w.name);
                    shareDevRoot(attDir, wdir);
                    const config = writeWorkerConfig(path.join(wdir, 'worker.json'), {
                        endpoint: ln.url,
                        registry: market.registry,
                        dir: wdir,
                        modelPath,
                        modelSha256: model,
                        priceIn: w.priceIn,
                        priceOut: w.priceOut,
                        verifyUrl: `${keeperUrl}/verify`,
                    });
                    const walletIndex = i === 0 ? WALLET.workerA : WALLET.workerB;
                    const svc = startService({
                        name: w.name,
                        script: 'worker/cli.ts',
                        args: ['start', '--config', config],
                        env: { COCOON_WORKER_MNEMONIC: wallet(walletIndex).mnemonic.join(' ') },
                        logFile: path.join(wdir, 'worker.log'),
                        onUnexpectedExit,
                    });
                    services.push(svc);
                    return { ...w, svc, walletIndex };
                });
                say(
                    `   ${started.map((w) => `${w.name} asks ${w.priceIn}/${w.priceOut}`).join(', ')} nanoTON per in/out token`,
                );
                await Promise.all(
                    started.map((w) => w.svc.waitForLog('worker started', (l) => l.msg === 'worker started', 100_000)),
                );
                const out: WorkerInfo[] = [];
                for (const w of started) {
                    const owner = addr(w.walletIndex);
                    const providerAddress = await registryContract.getProviderAddress(owner);
                    const p = tonClient.open(Provider.fromAddress(providerAddress));
                    let endpoint = '';
                    await waitFor(`${w.name}'s Provider on-chain`, async () => {
                        if (!(await p.getRegistered())) return false;
                        const ask = (await p.getAsks()).get(BigInt('0x' + model));
                        endpoint = (await p.getProviderData()).endpoint;
                        return ask?.priceOut === w.priceOut && endpoint !== '';
                    });
                    out.push({
                        name: w.name,
                        wallet: owner,
                        provider: providerAddress,
                        priceIn: w.priceIn,
                        priceOut: w.priceOut,
                        registered: true,
                        endpoint,
                    });
                    say(`   ${w.svc.summary()}`);
                    say(`     registered: Provider ${providerAddress} (attested, stake 1 TON), serving at ${endpoint}`);
                }
                // The keeper must see both offers before the order arrives, or it could match the only one it knows.
                await waitFor(
                    'the keeper to index both providers',
                    async () => {
                        const r = (await (await fetch(`${keeperUrl}/providers`)).json()) as {
                            providers: { address: string; asks: Record<string, unknown> }[];
                        };
                        return out.every((w) =>
                            r.providers.some((p) => Address.parse(p.address).equals(w.provider) && p.asks[model]),
                        );
                    },
                    30_000,
                    300,
                );
                say(`   the keeper's book lists both offers (${secs()} since start)`);
                return out;
            },
        );

        // ------------------------------------------------------------------ the client's order
        const client = await CocoonClient.create({
            tonClient,
            wallet: { mnemonic: wallet(WALLET.client).mnemonic },
            registry: market.registry,
            network: 'localnet',
            trust: await trustFor('localnet', { devRootDir: attDir }),
            dataDir: path.join(dir, 'client'),
            pollMs: 300,
        });
        const ledger = new Ledger(tonClient)
            .add('client', addr(WALLET.client))
            .add('keeper', addr(WALLET.keeper))
            .add('worker A wallet', workers[0].wallet)
            .add('worker A Provider', workers[0].provider)
            .add('worker B wallet', workers[1].wallet)
            .add('worker B Provider', workers[1].provider)
            .add('treasury', addr(WALLET.treasury))
            .add('Registry', market.registry)
            .add('OrderBook', market.orderBook);
        const before = await ledger.snapshot();

        const session = await step('The client (wallet 5) escrows a budget in one order', async () => {
            const s = await client.createOrder({
                model,
                budget: BUDGET,
                maxPriceIn: 1_000_000n,
                maxPriceOut: 1_000_000n,
                matchWithinS: 60,
                firstReceiptWindowS: 300,
                lifeS: 900,
            });
            say(`   Order #${s.orderId} ${s.order}`);
            say(
                `   budget ${ton(BigInt(s.budget))} escrowed, pays at most 1000000/1000000 nanoTON per token; ` +
                    `a fresh session key signs its requests`,
            );
            return s;
        });
        const order = Address.parse(session.order);
        ledger.add('Order escrow', order);

        const matched = await step('The keeper matches it to the cheapest provider', async () => {
            const d = await client.waitForMatch(order, 60_000);
            const winner = workers.find((w) => w.provider.equals(d.provider));
            if (!winner) throw new Error(`matched to an unknown provider ${d.provider}`);
            say(`   matched to ${winner.name} (Provider ${short(winner.provider)}) after ${secs()}`);
            say(`   clearing price = its ask: ${d.priceIn}/${d.priceOut} nanoTON per in/out token`);
            return { d, winner };
        });

        await step("The client checks the worker's attestation against the chain", async () => {
            const nonce = randomBytes(32);
            const doc = await client.fetchAttestation(matched.winner.endpoint, nonce);
            const v = await client.verifyProvider(doc, order, nonce);
            say(`   TDX quote verified (TCB ${v.tcbStatus}) under this machine's development root`);
            say(`   measurement ${v.measurement.toString('hex').slice(0, 16)}… is on the Registry allowlist`);
            say(`   enclave key ${v.ed25519Pub.toString('hex').slice(0, 16)}… = the key on the Provider and the Order`);
            say("   the quote binds the client's fresh challenge: it is not a replay");
        });

        const answers = await step(
            'The client asks three questions over the one order (end-to-end encrypted)',
            async () => {
                const out: AskResult[] = [];
                for (const q of opts.questions ?? QUESTIONS) {
                    const a = await client.ask(order, q, { maxTokens: MAX_TOKENS, temperature: 0 });
                    out.push(a);
                    const text = JSON.stringify(a.text.replace(/\s+/g, ' ').trim().slice(0, 40));
                    say(`   Q${out.length} ${JSON.stringify(q)} → ${text}`);
                    say(
                        `      ${a.tokensIn} in + ${a.tokensOut} out tokens, cost ${ton(a.cost)}; ` +
                            `receipt #${a.receipt.fields.seqno} signed by the enclave, session total ${ton(a.totalCost)}`,
                    );
                }
                return out;
            },
        );
        const last = answers[answers.length - 1].receipt.fields;

        const settlement = await step('The client closes the order and waits for settlement', async () => {
            const s = await client.close(order, { timeoutMs: 90_000 });
            say(`   order ${s.state}: the provider was paid ${ton(s.paid)}, the client got ${ton(s.refund)} back`);
            return s;
        });
        const claims = readClaims(services.find((s) => s.name === matched.winner.name)!.logFile);
        for (const c of claims) {
            say(
                `   ${matched.winner.name} claimed receipt #${c.seqno} (${c.via}${c.final ? ', final' : ''}): ` +
                    `${ton(c.delta)}`,
            );
        }
        if (!claims.some((c) => c.final))
            say("   the close grace passed without a final claim; the client's Timeout settled it");

        const result = await step('Who paid and who earned', async () => {
            const after = await ledger.snapshot();
            const check = await ledger.check(before, after);
            const keeperFee = await receivedFrom(tonClient, addr(WALLET.keeper), order);
            say(`   price paid:   ${matched.d.priceIn}/${matched.d.priceOut} nanoTON per in/out token`);
            say(`   tokens used:  ${last.tokensIn} in + ${last.tokensOut} out over ${answers.length} questions`);
            say(
                `   cost:         ${ton(answers[answers.length - 1].totalCost)} (the order's paid getter: ${ton(settlement.paid)})`,
            );
            say(`   refund:       ${ton(settlement.refund)} of the ${ton(BigInt(session.budget))} budget`);
            const keeperNet = check.accounts.find((a) => a.name === 'keeper')!.delta;
            say(
                `   keeper:       earned the ${ton(market.params.matchFee)} match fee (the Order sent it ` +
                    `${ton(keeperFee)}: fee + unused match gas); ${signed(keeperNet)} net of gas`,
            );
            say('   balance changes:');
            for (const a of check.accounts) {
                if (a.delta === 0n && a.transactions === 0) continue;
                say(`      ${a.name.padEnd(18)} ${signed(a.delta).padStart(18)}`);
            }
            say(`      ${'network fees'.padEnd(18)} ${signed(-check.fees).padStart(18)}`);
            const unexplained = check.accounts.filter((a) => a.unexplained !== 0n);
            if (check.imbalance !== 0n || unexplained.length > 0 || check.outsideIn !== 0n || check.outsideOut !== 0n) {
                throw new Error(
                    `the money does not add up: imbalance ${check.imbalance} nanoTON, outside in ${check.outsideIn} ` +
                        `out ${check.outsideOut}, unexplained: ${unexplained.map((a) => `${a.name} ${a.unexplained}`).join(', ')}`,
                );
            }
            say("   money adds up: balance changes + network fees = 0 nanoTON, and every account's change");
            say('   is explained by its own transactions on the chain');
            if (settlement.paid !== answers[answers.length - 1].totalCost) {
                throw new Error(
                    `the order paid ${settlement.paid}, the receipts add up to ${answers[answers.length - 1].totalCost}`,
                );
            }
            return { check, keeperFee };
        });

        say('\nProcesses:');
        for (const s of services) say(`   ${s.summary()}`);

        const out: LocalMarketResult = {
            dataDir: dir,
            endpoint: ln.url,
            keeperUrl,
            registry: market.registry,
            orderBook: market.orderBook,
            model,
            order,
            workers,
            winner: matched.winner,
            clearing: { priceIn: matched.d.priceIn, priceOut: matched.d.priceOut },
            budget: BigInt(session.budget),
            answers,
            tokensIn: last.tokensIn,
            tokensOut: last.tokensOut,
            totalCost: answers[answers.length - 1].totalCost,
            settlement,
            claims,
            matchFee: market.params.matchFee,
            keeperFeeReceived: result.keeperFee,
            ledger: result.check,
            services,
            durationMs: Date.now() - t0,
            stop,
        };
        if (!opts.serve) {
            current = 'shut down';
            await stop();
            say(`\nAll processes stopped. Done in ${secs()}.`);
        }
        return out;
    } catch (e) {
        await stop();
        if (e instanceof StepError) throw e;
        throw new StepError(current, e);
    }
}

/** The claims a worker logged ("claimed" lines of its pino log). */
export function readClaims(logFile: string): ClaimLog[] {
    const out: ClaimLog[] = [];
    for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
        if (!line.includes('"claimed"')) continue;
        try {
            const l = JSON.parse(line) as { msg: string; seqno: number; delta: string; final: boolean; via: string };
            if (l.msg === 'claimed') out.push({ seqno: l.seqno, delta: BigInt(l.delta), final: l.final, via: l.via });
        } catch {
            /* not a JSON line */
        }
    }
    return out;
}

/** Value `to` received in messages from `from` (its recent transactions). */
async function receivedFrom(tonClient: CocoonTonClient, to: Address, from: Address): Promise<bigint> {
    let sum = 0n;
    for (const tx of await tonClient.getTransactions(to, { limit: 50, archival: true })) {
        const info = tx.inMessage?.info;
        if (info?.type === 'internal' && info.src.equals(from)) sum += info.value.coins;
    }
    return sum;
}

function servePrintout(r: LocalMarketResult, say: Printer) {
    say('\nThe market keeps running (--serve). Point the client at it:');
    say(`   chain endpoint  ${r.endpoint}`);
    say(`   Registry        ${r.registry}`);
    say(`   keeper          ${r.keeperUrl}/book`);
    for (const w of r.workers) say(`   ${w.name.padEnd(15)} ${w.endpoint}  (ask ${w.priceIn}/${w.priceOut})`);
    say(`   model           ${r.model}`);
    const env =
        `COCOON_ENDPOINT=${r.endpoint} COCOON_REGISTRY=${r.registry} COCOON_KEEPER_URL=${r.keeperUrl} ` +
        `COCOON_DATA_DIR=${path.join(r.dataDir, 'cli-client')}`;
    const root = `--dev-root-dir ${path.join(r.dataDir, 'attestation')} --wallet-index 5`;
    say('   client CLI:');
    say(`      ${env} npm run client -- ask --model ${r.model} ${root} "Hello"`);
    say('   OpenAI-compatible gateway (base URL http://127.0.0.1:10000/v1):');
    say(`      ${env} npm run client -- serve ${root}`);
    say('Ctrl-C stops the keeper, the workers and the chain.');
}

async function main() {
    const args = process.argv.slice(2);
    const serve = args.includes('--serve');
    const dataIdx = args.indexOf('--data-dir');
    const portIdx = args.indexOf('--port');
    const dataDir = dataIdx >= 0 ? args[dataIdx + 1] : path.join('.data', 'local-market');
    const port = portIdx >= 0 ? Number(args[portIdx + 1]) : serve ? 8081 : 0;
    const interrupted = async (signal: string) => {
        console.log(`\n${signal}: stopping the keeper, the workers and the chain`);
        await stopAllServices();
        process.exit(serve ? 0 : 1);
    };
    process.on('SIGINT', () => void interrupted('SIGINT'));
    process.on('SIGTERM', () => void interrupted('SIGTERM'));
    try {
        const r = await runLocalMarket({ dataDir, serve, port });
        if (!serve) process.exit(0);
        servePrintout(r, (l) => console.log(l));
        const done = async () => {
            await r.stop();
            process.exit(0);
        };
        process.removeAllListeners('SIGINT');
        process.removeAllListeners('SIGTERM');
        process.on('SIGINT', () => void done());
        process.on('SIGTERM', () => void done());
    } catch (e) {
        const err = e as Error;
        console.error(`\nFAILED: ${err.message}`);
        if (e instanceof StepError && e.cause instanceof Error && e.cause.stack) {
            console.error(e.cause.stack.split('\n').slice(1, 4).join('\n'));
        }
        console.error(`Process logs: ${path.resolve(dataDir)}/{keeper,worker-a,worker-b}/*.log`);
        await stopAllServices();
        process.exit(1);
    }
}

if (require.main === module) void main();
