/**
 * startWorker: the whole worker host in-process — models, TEE backend, enclave, HTTP API, registration,
 * offers, attestation renewal, key pushes after a restart, claims and withdrawals. worker/cli.ts `start`
 * and the `npm start` orchestrator call it; tests call it with in-process verifiers.
 */
import { createHash } from 'crypto';
import { createReadStream } from 'fs';
import { Address } from '@ton/core';
import pino, { Logger } from 'pino';
import { computeMeasurement, parseQuote, selectTeeBackend, TeeBackend } from '../../attestation';
import { Enclave } from '../enclave/enclave';
import type { InferenceEngine } from '../inference/engine';
import { LlamaEngine } from '../inference/llamaEngine';
import { NETWORK_ID } from '../../wrappers/networks';
import { bufferToUint256 } from '../../wrappers/formats/ed25519';
import { OrderBook } from '../../wrappers/OrderBook';
import type { OrderData } from '../../wrappers/Order';
import { ChainClient, nowSec, Registration } from './chain';
import { Claimer } from './claimer';
import { loadMnemonic, WorkerConfig } from './config';
import { WorkerMetrics } from './metrics';
import { AttestationView, buildServer } from './server';
import { ReceiptStore } from './store';
import { HttpVerifier, Verifier } from './verifierClient';

export interface StartWorkerOptions {
    /** Verifiers to use instead of config.verifiers (e.g. LocalVerifier on localnet). */
    verifiers?: Verifier[];
    /** Wallet words; default $COCOON_WORKER_MNEMONIC or config.mnemonicFile. */
    mnemonic?: string[];
    logger?: Logger;
    /** Already loaded engines by sha256 hex (tests share one); default: load config.models. */
    engines?: Map<string, InferenceEngine>;
    /** A TEE backend to use instead of selectTeeBackend(config.teeMode). */
    tee?: TeeBackend;
    /** Skip registration / offers / background loops (serve only). Default true. */
    register?: boolean;
    /** Run the claim / renew / withdraw loops. Default true. */
    background?: boolean;
}

export interface RunningWorker {
    url: string;
    providerAddress: Address;
    walletAddress: Address;
    enclave: Enclave;
    chain: ChainClient;
    store: ReceiptStore;
    claimer: Claimer;
    metrics: WorkerMetrics;
    registration?: Registration;
    /** Registers again now (fresh quote and certificate). */
    renew(): Promise<Registration>;
    close(): Promise<void>;
}

export async function sha256File(path: string): Promise<string> {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    return h.digest('hex');
}

export async function loadEngines(config: WorkerConfig, log: Logger): Promise<Map<string, InferenceEngine>> {
    const engines = new Map<string, InferenceEngine>();
    for (const m of config.models) {
        log.info({ model: m.path }, 'loading model');
        let last = -1;
        const engine = await LlamaEngine.load({
            modelPath: m.path,
            expectedSha256: m.sha256,
            threads: config.threads,
            gpu: config.gpu,
            contextSize: m.contextSize,
            onLoadProgress: (f) => {
                const pct = Math.floor(f * 10) * 10;
                if (pct !== last) {
                    last = pct;
                    log.info({ model: m.path, progress: `${pct}%` }, 'loading model');
                }
            },
        });
        log.info({ model: m.path, sha256: engine.modelHash.toString('hex'), info: engine.info }, 'model loaded');
        engines.set(engine.modelHash.toString('hex'), engine);
    }
    return engines;
}

export function teeBanner(kind: 'tdx' | 'simulated'): string {
    const line = '='.repeat(78);
    return kind === 'tdx'
        ? `\n${line}\n  TEE: REAL Intel TDX (configfs-tsm quotes, verified against Intel's root)\n${line}\n`
        : `\n${line}\n  TEE: SIMULATED TDX — quotes are signed by this machine's DEVELOPMENT root.\n` +
              `  Only verifiers configured for this dev root accept them. NOT CONFIDENTIAL: the host can\n` +
              `  read prompts and answers. Use for localnet and testing only.\n${line}\n`;
}

export async function startWorker(config: WorkerConfig, opts: StartWorkerOptions = {}): Promise<RunningWorker> {
    const log = opts.logger ?? pino({ level: config.logLevel, base: { service: 'cocoon-worker' } });
    const network = { name: config.network, id: NETWORK_ID[config.network] };
    const registry = Address.parse(config.registry);
    const mnemonic = opts.mnemonic ?? loadMnemonic(config);
    const chain = await ChainClient.create({
        endpoint: config.endpoint,
        apiKey: config.apiKey,
        network: config.network,
        registry,
        mnemonic,
        logger: log.child({ component: 'chain' }),
    });
    const tee = opts.tee ?? (await selectTeeBackend({ mode: config.teeMode, dataDir: config.dataDir }));
    log.warn({ tee: tee.kind }, teeBanner(tee.kind));
    const engines = opts.engines ?? (await loadEngines(config, log));
    for (const m of config.models) {
        if (m.sha256 && !engines.has(m.sha256.toLowerCase()))
            throw new Error(`model ${m.path}: no engine for ${m.sha256}`);
    }
    const enclave = await Enclave.create({
        network: network.id,
        registry,
        provider: chain.walletAddress,
        models: engines,
        tee,
    });
    const store = new ReceiptStore(config.dataDir);
    const metrics = new WorkerMetrics();
    const models = await Promise.all(
        config.models.map(async (m) => ({
            sha256: (m.sha256 ?? (await sha256File(m.path))).toLowerCase(),
            priceIn: m.priceIn,
            priceOut: m.priceOut,
        })),
    );
    let registration: Registration | undefined;
    let attestation: AttestationView | undefined;
    const app = buildServer({
        enclave,
        chain,
        store,
        metrics,
        log,
        network,
        teeKind: tee.kind,
        models,
        attestation: () => attestation,
    });
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
    const host = config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host;
    const url = `http://${host}:${port}`;
    const verifiers = opts.verifiers ?? config.verifiers.map((u) => new HttpVerifier(u));
    const claimer = new Claimer(chain, store, config.claim, log.child({ component: 'claimer' }), metrics);
    const providerAddress = await chain.providerAddress();

    const renew = async (): Promise<Registration> => {
        const r = await chain.register(enclave, verifiers, config.stake);
        registration = r;
        worker.registration = r;
        attestation = {
            quote: r.quote.toString('hex'),
            nonce: r.nonce.toString('hex'),
            measurement: computeMeasurement(parseQuote(r.quote).report).toString('hex'),
            validUntil: r.cert.validUntil,
        };
        metrics.attestedUntil.set(Number(r.provider.attestedUntil));
        log.info(
            {
                provider: providerAddress.toString(),
                renewal: r.renewal,
                attestedUntil: Number(r.provider.attestedUntil),
            },
            'attestation registered on-chain',
        );
        return r;
    };

    const timers: NodeJS.Timeout[] = [];
    const worker: RunningWorker = {
        url,
        providerAddress,
        walletAddress: chain.walletAddress,
        enclave,
        chain,
        store,
        claimer,
        metrics,
        renew,
        close: async () => {
            for (const t of timers) clearInterval(t);
            await app.close();
            if (!opts.engines) for (const e of engines.values()) await (e as LlamaEngine).close?.();
        },
    };

    try {
        if (opts.register !== false) {
            await renew();
            await chain.configureOffers(
                models.map((m) => ({ sha256: Buffer.from(m.sha256, 'hex'), priceIn: m.priceIn, priceOut: m.priceOut })),
                config.capacity,
                config.publicUrl ?? url,
            );
            await pushKeyToLiveOrders(worker, log);
        }
    } catch (e) {
        await worker.close();
        throw e;
    }

    if (opts.background !== false && opts.register !== false) {
        const params = await chain.registryParams();
        const renewBefore = config.renewBeforeSec ?? Math.max(60, Math.floor(Number(params.maxAttestAge) / 4));
        let busy = false;
        const loop = async () => {
            if (busy) return;
            busy = true;
            try {
                const until = Number(registration?.provider.attestedUntil ?? 0);
                if (until - nowSec() < renewBefore) await renew();
                await claimer.tick();
            } catch (e) {
                log.warn({ err: (e as Error).message }, 'background pass failed');
            } finally {
                busy = false;
            }
        };
        timers.push(setInterval(loop, config.claim.intervalMs));
        if (config.withdrawIntervalMs > 0) {
            timers.push(
                setInterval(() => {
                    claimer
                        .withdrawIfWorth(config.withdrawMin)
                        .catch((e) => log.warn({ err: (e as Error).message }, 'withdraw failed'));
                }, config.withdrawIntervalMs),
            );
        }
    }
    log.info({ url, provider: providerAddress.toString(), tee: tee.kind }, 'worker started');
    return worker;
}

/**
 * After a restart with new keys: every live order matched to us learns the new key. Those we hold receipts for,
 * and also those matched to us before the restart that have no receipt yet (found by walking the OrderBook from
 * its newest order until the Provider's `live` count is accounted for or the orders are too old to be live):
 * without the push, the client of such an order cannot verify the new enclave against the Order's key and the
 * order ends as a no-show (found by tests/faults).
 */
export async function pushKeyToLiveOrders(worker: RunningWorker, log: Logger): Promise<bigint[]> {
    const key = bufferToUint256(worker.enclave.publicKeys().ed25519Pub);
    // The Order keeps only one previous key: every unclaimed receipt an older enclave signed is claimed first
    // (a second restart before the claim would otherwise leave it signed by a key the Order no longer has).
    // A claim that fails stops the start-up before any key is pushed.
    const keyHex = worker.enclave.publicKeys().ed25519Pub.toString('hex');
    for (const rec of worker.store.live()) {
        const latest = worker.store.latest(rec.order);
        if (!latest || latest.enclaveKey.toLowerCase() === keyHex) continue;
        const out = await worker.claimer.claimOrder(rec.order, { beforeKeyPush: true });
        log.info(
            {
                order: rec.order.toString(),
                seqno: latest.seqno,
                outcome: out.action === 'claimed' ? `claimed${out.final ? ' (final)' : ''}` : out.reason,
            },
            'claimed before the key push',
        );
    }
    const ids: bigint[] = [];
    const seen = new Set<bigint>();
    const consider = (d: OrderData | null) => {
        if (!d || !d.provider.equals(worker.providerAddress) || seen.has(d.id)) return;
        if (Number(d.state) !== 2 && Number(d.state) !== 3) return;
        seen.add(d.id);
        if (d.enclaveKey !== key) ids.push(d.id);
    };
    for (const rec of worker.store.live()) consider(await worker.chain.orderData(rec.order));
    const live = Number((await worker.chain.providerData())?.live ?? 0);
    if (seen.size < live) {
        const chain = worker.chain;
        const reg = await chain.retry('getRegistryData', () => chain.registryContract().getRegistryData());
        const book = chain.client.open(OrderBook.fromAddress(reg.orderBook));
        const next = (await chain.retry('getOrderBookData', () => book.getOrderBookData())).nextOrderId;
        // An order whose matchBy is before this was created before it: it and every older order are past
        // their claim windows.
        const horizon = nowSec() - Number(reg.params.maxOrderLife) - Number(reg.params.closeGrace);
        for (let id = next - 1n; id >= 0n && seen.size < live; id--) {
            const address = await chain.retry('getOrderAddress', () => book.getOrderAddress(id));
            const d = await chain.orderData(address);
            if (d && Number(d.matchBy) < horizon) break;
            consider(d);
        }
    }
    if (ids.length) {
        await worker.chain.pushKey(ids);
        log.info({ orders: ids.length }, 'pushed the new enclave key to live orders');
    }
    return ids;
}
