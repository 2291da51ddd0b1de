/**
 * Fault injection on localnet: the keeper and a worker run as separate processes against an in-process
 * localnet (fixed port) behind a chaos proxy; a client (SDK in-process) runs sessions; a seeded PRNG picks
 * where to SIGKILL the keeper or the worker, when the chain endpoint drops, delays or loses answers. Then the
 * money checks: every receipt the client accepted is paid, every order ends final, the worker never re-runs a
 * persisted request nor claims a seqno twice, and the keeper's book equals one rebuilt from scratch.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import * as http from 'http';
import { AddressInfo, createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, Cell, toNano, Transaction } from '@ton/core';
import pino from 'pino';
import { CocoonClient, ClientError, openReply, postRequest, prepareRequest, trustFor } from '../../client/sdk';
import type { SessionTerms } from '../../client/sdk';
import { buildKeeper } from '../../keeper/cli';
import { loadConfig as loadKeeperConfig } from '../../keeper/config';
import { VerifierError } from '../../worker/host/verifierClient';
import { OrderState, ORDER_STATE_NAMES } from '../../wrappers/Constants';
import { NETWORK_ID } from '../../wrappers/networks';
import { loadClaim, loadExternalClaim, Order, OrderData } from '../../wrappers/Order';
import { receiptCost, receiptFromCell } from '../../wrappers/formats/receipt';
import { uint256ToBuffer } from '../../wrappers/formats/ed25519';
import { prng } from '../helpers/audit';
import { MarketFixture, startMarket, workerConfigFor } from '../worker-host/fixture';
import { ChaosProxy } from './proxy';
import { Supervised } from './procs';
import { toStoredReceipt } from '../../client/sdk/session';

export const PRICE_IN = 10_000n;
export const PRICE_OUT = 100_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number, stepMs = 250) {
    const deadline = Date.now() + timeoutMs;
    while (!(await fn().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await sleep(stepMs);
    }
}

export type FaultKind = 'kill-worker' | 'kill-worker-mid-request' | 'kill-keeper' | 'outage' | 'slow' | 'lost-answers';

export interface SessionReport {
    order: string;
    state: string;
    asks: number;
    acceptedSeqno: number;
    acceptedValue: bigint;
    paid: bigint;
    /** The provider's earnings the ended Order still holds (claims are held until settlement): must be 0. */
    unforwarded: bigint;
    orderSeqno: number;
    claims: number[];
    refusedClaims: number;
}

export interface FaultReport {
    seed: number;
    faults: Record<FaultKind, number>;
    faultsInjected: number;
    sessions: SessionReport[];
    /** Accepted receipt value the order did not pay (provider's loss): must be 0. */
    moneyLost: bigint;
    /** Paid beyond what the client accepted (client's loss): must be 0. */
    overpaid: bigint;
    stuckOrders: string[];
    /** Retried identical requests after a worker restart answered with the same receipt bytes. */
    replayedFromStore: number;
    replayMismatches: number;
    resealed: number;
    duplicateSeqnoClaims: number;
    bookEqualsRebuilt: boolean;
    unplannedExits: { keeper: number; worker: number };
    proxy: ChaosProxy['counts'];
    ms: number;
}

export interface ScenarioOptions {
    seed: number;
    sessions: number;
    /** Probability of a fault at each decision point. */
    faultRate?: number;
    log?: (line: string) => void;
}

export async function runFaultScenario(opts: ScenarioOptions): Promise<FaultReport> {
    const t0 = Date.now();
    const rand = prng(opts.seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const between = (a: number, b: number) => Math.floor(a + rand() * (b - a));
    const log = opts.log ?? (() => undefined);
    const faultRate = opts.faultRate ?? 0.5;

    const dir = mkdtempSync(join(tmpdir(), 'cocoon-faults-'));
    // The faults below keep the worker down for longer than localnet's 10 s close grace (a restart is ~10 s
    // of ts-node start-up, renewal and claims); a served request can only be paid if the worker is up at
    // some point of the grace window, so this market gives it 60 s (testnet: 5 min, mainnet: 1 h).
    const f: MarketFixture = await startMarket({ port: await freePort(), params: { closeGrace: 60n } });
    const proxy = await ChaosProxy.start(f.localnet.url);

    // The verifier role (what a keeper's POST /verify serves), in this process: it must stay up while the
    // worker process restarts, and it is not what is under test.
    const lv = f.localVerifier();
    const verifierServer = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
            try {
                const out = await lv.verify(JSON.parse(Buffer.concat(chunks).toString()));
                res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
            } catch (e) {
                const code = e instanceof VerifierError ? e.code : 'ERROR';
                res.writeHead(422, { 'content-type': 'application/json' }).end(
                    JSON.stringify({ error: { code, message: (e as Error).message } }),
                );
            }
        });
    });
    await new Promise<void>((r) => verifierServer.listen(0, '127.0.0.1', r));
    const verifierUrl = `http://127.0.0.1:${(verifierServer.address() as AddressInfo).port}/verify`;

    const [, providerWallet, clientWallet, keeperWallet] = f.wallets;
    const keeperPort = await freePort();
    const workerPort = await freePort();
    const keeperConfig = join(dir, 'keeper.json');
    writeFileSync(
        keeperConfig,
        JSON.stringify({
            endpoint: proxy.url,
            registry: f.registry.toString(),
            dbPath: join(dir, 'keeper.db'),
            pollIntervalMs: 500,
            spendAboveFee: true,
            resendAfterMs: 3000,
            httpPort: keeperPort,
            logLevel: 'info',
        }),
    );
    const workerConfig = join(dir, 'worker.json');
    writeFileSync(
        workerConfig,
        JSON.stringify(
            workerConfigFor(
                f,
                { priceIn: PRICE_IN, priceOut: PRICE_OUT },
                {
                    endpoint: proxy.url,
                    capacity: 16,
                    listen: { host: '127.0.0.1', port: workerPort },
                    verifiers: [verifierUrl],
                    claim: { intervalMs: 1000, external: true, externalMin: '10000000', safetySec: 3 },
                    threads: 1,
                    gpu: false,
                    logLevel: 'info',
                },
            ),
        ),
    );
    const keeper = new Supervised(
        'keeper',
        'keeper/cli.ts',
        keeperConfig,
        { COCOON_KEEPER_MNEMONIC: keeperWallet.mnemonic.join(' ') },
        join(dir, 'keeper.log'),
    );
    const worker = new Supervised(
        'worker',
        'worker/cli.ts',
        workerConfig,
        { COCOON_WORKER_MNEMONIC: providerWallet.mnemonic.join(' ') },
        join(dir, 'worker.log'),
    );
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    const workerRegistered = async () => {
        const r = await fetch(`${workerUrl}/health`, { signal: AbortSignal.timeout(2000) });
        return r.ok && ((await r.json()) as { registered: boolean }).registered;
    };
    log(`faults: seed ${opts.seed}, logs in ${dir}`);

    const faults: Record<FaultKind, number> = {
        'kill-worker': 0,
        'kill-worker-mid-request': 0,
        'kill-keeper': 0,
        outage: 0,
        slow: 0,
        'lost-answers': 0,
    };
    const restarts: Promise<void>[] = [];
    const restartLater = (p: Supervised, ms: number) => restarts.push(sleep(ms).then(() => p.start()));
    async function inject(kind: FaultKind): Promise<void> {
        faults[kind]++;
        log(`fault: ${kind}`);
        switch (kind) {
            case 'kill-worker':
            case 'kill-worker-mid-request':
                await worker.kill();
                restartLater(worker, between(0, 1500));
                return;
            case 'kill-keeper':
                await keeper.kill();
                restartLater(keeper, between(0, 2000));
                return;
            case 'outage':
                proxy.set({ kind: 'drop' }, between(1000, 3000));
                return;
            case 'slow':
                proxy.set({ kind: 'delay', ms: between(300, 1500) }, between(1000, 3000));
                return;
            case 'lost-answers':
                proxy.set({ kind: 'lose-answer' }, between(500, 1500));
                return;
        }
    }
    const maybeFault = async (kinds: FaultKind[]) => {
        if (rand() < faultRate) await inject(pick(kinds));
    };

    const client = await CocoonClient.create({
        endpoint: f.localnet.url,
        wallet: { mnemonic: clientWallet.mnemonic },
        registry: f.registry,
        network: 'localnet',
        trust: await trustFor('localnet', { devRootDir: f.dataDir }),
        dataDir: join(dir, 'client'),
        closeOnUnreachable: false,
        pollMs: 250,
    });
    mkdirSync(join(dir, 'client'), { recursive: true });

    let replayedFromStore = 0;
    let replayMismatches = 0;
    let resealed = 0;
    const verified = new Map<string, { x25519: Buffer; endpoint: string }>();

    /** The provider's keys for the order's current enclave key, verified (attestation) once per key. */
    async function providerKeys(order: string, d: OrderData) {
        const key = `${order}:${d.enclaveKey.toString(16)}`;
        const hit = verified.get(key);
        if (hit) return hit;
        const doc = await client.fetchAttestation(workerUrl, undefined);
        const v = await client.verifyProvider(doc, order);
        const out = { x25519: v.x25519Pub, endpoint: v.endpoint || workerUrl };
        verified.set(key, out);
        return out;
    }

    /**
     * One question that survives the worker's death: the SAME request bytes are posted again until answered
     * (a persisted request must come back from the store, never re-run); only a new enclave that cannot open
     * the sealed payload (it never saw it) makes the client seal the question again to the new keys.
     */
    async function ask(
        order: string,
        prompt: string,
        plan: { killAfterAnswer?: boolean; killMidRequestMs?: number },
    ): Promise<boolean> {
        const deadline = Date.now() + 120_000;
        const maxTokens = between(8, 48);
        let killMid = plan.killMidRequestMs;
        for (;;) {
            if (Date.now() > deadline) throw new Error(`ask on ${order}: no answer in 120 s`);
            const d = await client.orderData(order);
            if (Number(d.state) !== OrderState.MATCHED) return false;
            let p;
            try {
                p = await providerKeys(order, d);
            } catch {
                // Worker down, or restarted and its new key not yet pushed to the order.
                await sleep(300);
                continue;
            }
            const s = client.session(order);
            const last = client.lastReceipt(s);
            const terms: SessionTerms = {
                network: NETWORK_ID.localnet,
                registry: f.registry,
                order: Address.parse(order),
                clientKey: Buffer.from(s.clientKey, 'hex'),
                clientSecretKey: client.store.loadKey(order),
                model: Buffer.from(s.model, 'hex'),
                priceIn: d.priceIn,
                priceOut: d.priceOut,
            };
            const prepared = await prepareRequest(
                terms,
                p.x25519,
                { prompt, temperature: 0 },
                {
                    maxTokens,
                    maxSpend: d.budget,
                    last,
                },
            );
            let reply;
            let retriedAfterKill = false;
            for (;;) {
                if (Date.now() > deadline) throw new Error(`ask on ${order}: no answer in 120 s`);
                try {
                    const call = postRequest(p.endpoint, order, prepared.body, 30_000);
                    if (killMid !== undefined) {
                        await sleep(killMid);
                        killMid = undefined;
                        retriedAfterKill = true;
                        await inject('kill-worker-mid-request');
                    }
                    reply = await call;
                    break;
                } catch (e) {
                    if (e instanceof ClientError && e.code === 'WORKER_UNREACHABLE') {
                        retriedAfterKill = true;
                        await sleep(300);
                        continue;
                    }
                    const refusal = e instanceof ClientError ? e.details.refusal : undefined;
                    if (refusal === 'CHAIN_UNAVAILABLE' || refusal === 'REQUEST_IN_FLIGHT') {
                        await sleep(300);
                        continue;
                    }
                    if (refusal === 'DECRYPTION_FAILED') break; // a new enclave never saw it: seal again
                    if (refusal === 'ORDER_NOT_LIVE') return false;
                    throw e;
                }
            }
            if (!reply) {
                resealed++;
                continue;
            }
            const d2 = await client.orderData(order);
            const keys = [d.enclaveKey, d.prevEnclaveKey, d2.enclaveKey, d2.prevEnclaveKey]
                .filter((k, i, a) => k !== 0n && a.indexOf(k) === i)
                .map(uint256ToBuffer);
            const opened = openReply(terms, prepared, reply, keys, last);
            if (plan.killAfterAnswer) {
                // The answer is in hand; kill the worker, restart it, and ask again with the same bytes: the
                // new process (new enclave keys) must answer from its receipt store with the same receipt.
                await inject('kill-worker');
                let again;
                for (;;) {
                    if (Date.now() > deadline) throw new Error('no answer to the retried request');
                    try {
                        again = await postRequest(p.endpoint, order, prepared.body, 30_000);
                        break;
                    } catch (e) {
                        const refusal = e instanceof ClientError ? e.details.refusal : undefined;
                        if (
                            e instanceof ClientError &&
                            (e.code === 'WORKER_UNREACHABLE' || refusal === 'CHAIN_UNAVAILABLE')
                        ) {
                            await sleep(300);
                            continue;
                        }
                        throw e;
                    }
                }
                replayedFromStore++;
                // postRequest decodes the fields to bytes: compare the bytes (Buffer !== Buffer is always true).
                const differs = [
                    ['receipt.boc', again.receipt.boc, reply.receipt.boc],
                    ['receipt.signature', again.receipt.signature, reply.receipt.signature],
                    ['responseCiphertext', again.responseCiphertext, reply.responseCiphertext],
                ]
                    .filter(([, a, b]) => !(a as Buffer).equals(b as Buffer))
                    .map(([name]) => name as string);
                if (again.tokensIn !== reply.tokensIn || again.tokensOut !== reply.tokensOut) differs.push('tokens');
                if (differs.length) {
                    replayMismatches++;
                    log(`retried request on ${order}: the replayed answer differs in ${differs.join(', ')}`);
                } else log(`retried request on ${order}: answered from the store, byte-identical`);
            } else if (retriedAfterKill) {
                log(`answered after a worker kill (seqno ${opened.receipt.fields.seqno})`);
            }
            s.receipts.push(toStoredReceipt(opened.receipt));
            client.store.save(s);
            return true;
        }
    }

    const orders: string[] = [];
    const asked = new Map<string, number>();
    let report: FaultReport | undefined;
    try {
        keeper.start();
        worker.start();
        await waitFor('worker registered', workerRegistered, 90_000);

        for (let i = 0; i < opts.sessions; i++) {
            await maybeFault(['kill-keeper', 'outage', 'slow', 'lost-answers']);
            const s = await client.createOrder({
                model: f.modelSha256,
                budget: toNano('0.2'),
                maxPriceIn: PRICE_IN,
                maxPriceOut: PRICE_OUT,
                matchWithinS: 120,
                firstReceiptWindowS: 120,
                lifeS: 900,
            });
            orders.push(s.order);
            log(`session ${i}: order ${s.order}`);
            if (i === 0) await inject('kill-keeper'); // the first match always comes from a restarted keeper
            await maybeFault(['kill-keeper', 'kill-worker', 'outage', 'slow']);
            await client.waitForMatch(s.order, 120_000);
            const n = between(2, 5);
            let done = 0;
            for (let k = 0; k < n; k++) {
                const roll = rand();
                const plan =
                    i === 0 && k === 0
                        ? { killAfterAnswer: true }
                        : roll < faultRate / 3
                          ? { killMidRequestMs: between(0, 400) }
                          : roll < faultRate / 2
                            ? { killAfterAnswer: true }
                            : {};
                if (!(await ask(s.order, `question ${k} of session ${i}`, plan))) break;
                done++;
                await maybeFault(['kill-keeper', 'kill-worker', 'outage', 'slow', 'lost-answers']);
            }
            asked.set(s.order, done);
            await client.close(s.order, { wait: false });
        }
        // Faults stop; everything comes back up; the keeper pushes every order to its end.
        proxy.set({ kind: 'pass' });
        await Promise.all(restarts);
        keeper.start();
        worker.start();
        const ton = f.client;
        await waitFor(
            'every order final',
            async () => {
                for (const o of orders) {
                    const st = Number(await ton.open(Order.fromAddress(Address.parse(o))).getState());
                    if (st < OrderState.SETTLED) return false;
                }
                return true;
            },
            180_000,
            1000,
        );

        // The money checks.
        const sessions: SessionReport[] = [];
        let moneyLost = 0n;
        let overpaid = 0n;
        let duplicateSeqnoClaims = 0;
        const stuckOrders: string[] = [];
        for (const o of orders) {
            const addr = Address.parse(o);
            const d = await ton.open(Order.fromAddress(addr)).getOrderData();
            const last = client.lastReceipt(o);
            const accepted = last ? receiptCost(last.fields, d.priceIn, d.priceOut) : 0n;
            const acceptedValue = accepted < d.budget ? accepted : d.budget;
            if (acceptedValue > d.paid) moneyLost += acceptedValue - d.paid;
            if (d.paid > acceptedValue) overpaid += d.paid - acceptedValue;
            const state = Number(d.state);
            if (![OrderState.SETTLED, OrderState.REFUNDED, OrderState.EXPIRED].includes(state as never))
                stuckOrders.push(o);
            const { claims, refused } = await claimsOf(ton, addr, providerWallet.contract.address);
            for (let i = 1; i < claims.length; i++) if (claims[i] <= claims[i - 1]) duplicateSeqnoClaims++;
            sessions.push({
                order: o,
                state: ORDER_STATE_NAMES[state],
                asks: asked.get(o) ?? 0,
                acceptedSeqno: last?.fields.seqno ?? 0,
                acceptedValue,
                paid: d.paid,
                unforwarded: d.heldNet,
                orderSeqno: Number(d.seqno),
                claims,
                refusedClaims: refused,
            });
        }

        // The keeper's book after all the kills equals one rebuilt from an empty database.
        await keeper.stop();
        const cfg = loadKeeperConfig({ file: keeperConfig, overrides: { endpoint: f.localnet.url } });
        const quiet = pino({ level: 'silent' });
        const kept = await buildKeeper({ ...cfg, mnemonic: undefined, verifier: undefined }, quiet);
        const fresh = await buildKeeper(
            { ...cfg, mnemonic: undefined, verifier: undefined, dbPath: join(dir, 'rebuilt.db') },
            quiet,
        );
        await kept.keeper.sync();
        await fresh.keeper.sync();
        const strip = (k: typeof kept.keeper) => JSON.stringify({ orders: k.db.orders(), providers: k.db.providers() });
        const bookEqualsRebuilt = strip(kept.keeper) === strip(fresh.keeper);
        kept.db.close();
        fresh.db.close();

        const faultsInjected = Object.values(faults).reduce((a, b) => a + b, 0);
        report = {
            seed: opts.seed,
            faults,
            faultsInjected,
            sessions,
            moneyLost,
            overpaid,
            stuckOrders,
            replayedFromStore,
            replayMismatches,
            resealed,
            duplicateSeqnoClaims,
            bookEqualsRebuilt,
            unplannedExits: { keeper: keeper.unplanned, worker: worker.unplanned },
            proxy: { ...proxy.counts },
            ms: Date.now() - t0,
        };
        return report;
    } finally {
        if (!report) log(`faults: FAILED with seed ${opts.seed}; process logs in ${dir}`);
        await Promise.all(restarts).catch(() => undefined);
        await keeper.kill();
        await worker.kill();
        await proxy.close();
        await new Promise((r) => verifierServer.close(r));
        await f.close();
    }
}

/** Seqnos of the provider's successful claims on an order, in chain order, and its refused claims. */
async function claimsOf(
    ton: MarketFixture['client'],
    order: Address,
    providerWallet: Address,
): Promise<{ claims: number[]; refused: number }> {
    const txs: Transaction[] = await ton.getTransactions(order, { limit: 100, archival: true });
    txs.sort((a, b) => (a.lt < b.lt ? -1 : 1));
    const claims: number[] = [];
    let refused = 0;
    for (const tx of txs) {
        const msg = tx.inMessage;
        if (!msg) continue;
        const desc = tx.description.type === 'generic' ? tx.description : undefined;
        const cp = desc?.computePhase;
        const ok = !!desc && !!cp && cp.type === 'vm' && cp.success && !desc.aborted;
        let receipt: Cell | undefined;
        try {
            if (msg.info.type === 'external-in') receipt = loadExternalClaim(msg.body.beginParse()).receipt;
            else if (msg.info.type === 'internal' && msg.info.src.equals(providerWallet))
                receipt = loadClaim(msg.body.beginParse()).receipt;
        } catch {
            continue;
        }
        if (!receipt) continue;
        if (ok) claims.push(receiptFromCell(receipt).seqno);
        else refused++;
    }
    return { claims, refused };
}
