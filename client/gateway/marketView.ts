import { Address } from '@ton/core';
import { Chain } from '../../keeper/chain/chain';
import { decodeBody, txSender, txSucceeded } from '../../keeper/indexer/decode';
import { askView, providerView } from '../../keeper/indexer/views';
import { compareCandidates } from '../../keeper/market/matcher';
import { AskView, ProviderView } from '../../keeper/types';
import { Op, ProviderStatus } from '../../wrappers/Constants';
import { Registry } from '../../wrappers/Registry';
import { MarketView, ModelListing } from './server';

export interface ChainMarketViewOptions {
    /** toncenter v2 JSON-RPC endpoint (localnet, testnet, mainnet); read through CocoonTonClient. */
    endpoint: string;
    registry: Address | string;
    /** A keeper's book API (GET /providers, else /book): providers come from it when set. */
    keeperUrl?: string;
    /**
     * Without a keeper: discover providers on the chain (RegisterProvider messages to the Registry, then each
     * Provider's getters), as a keeper's indexer does. Default true; false reports 0 providers and no ask.
     */
    scanChain?: boolean;
    /** How long one snapshot is served (default 5 s). */
    cacheMs?: number;
    now?: () => number;
}

type ProviderSource = 'keeper' | 'chain' | 'none';

/**
 * The gateway's MarketView over the real market: the models are the Registry's allowlist (only entries whose
 * timelock has passed), named by their metadata (a snake string; the hash when it is not one); per model the
 * best ask, the number of active attested providers quoting it and their free order slots. Providers come
 * from a keeper's book when a keeper URL is configured (and reachable), else from the chain; a snapshot is
 * cached for `cacheMs` so a burst of /v1/models and requests costs one round of reads.
 */
export class ChainMarketView implements MarketView {
    private readonly chain: Chain;
    private readonly registry: Address;
    private cached: { at: number; models: ModelListing[] } | null = null;
    private inFlight: Promise<ModelListing[]> | null = null;
    /** Chain scan state: Registry transactions are read once (lt cursor), Provider getters every refresh. */
    private registryCursor = 0n;
    private owners = new Set<string>();
    private providerAddresses = new Map<string, Address>();
    /** Where the last snapshot's providers came from (for /health and logs). */
    source: ProviderSource = 'none';

    constructor(private readonly opts: ChainMarketViewOptions) {
        this.chain = new Chain(opts.endpoint, { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 });
        this.registry = typeof opts.registry === 'string' ? Address.parse(opts.registry) : opts.registry;
    }

    private nowSec(): number {
        return Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
    }

    async models(): Promise<ModelListing[]> {
        const ms = this.opts.now?.() ?? Date.now();
        if (this.cached && ms - this.cached.at < (this.opts.cacheMs ?? 5000)) return this.cached.models;
        // One refresh at a time: concurrent requests share it.
        this.inFlight ??= this.refresh().finally(() => (this.inFlight = null));
        return this.inFlight;
    }

    /** Drops the cached snapshot (the next models() reads again). */
    invalidate(): void {
        this.cached = null;
    }

    private async refresh(): Promise<ModelListing[]> {
        const now = this.nowSec();
        const allowlist = await this.allowlist(now);
        const providers = await this.providers(allowlist.map((m) => m.hash));
        const models = allowlist.map((m) => summarize(m.hash, m.name, providers, now));
        this.cached = { at: this.opts.now?.() ?? Date.now(), models };
        return models;
    }

    /** Active allowlist entries: hash (hex) and name (metadata snake string). */
    private async allowlist(now: number): Promise<{ hash: string; name: string }[]> {
        const map = await this.chain.call(() =>
            this.chain.client.open(Registry.fromAddress(this.registry)).getModels(),
        );
        const out: { hash: string; name: string }[] = [];
        for (const k of map.keys()) {
            const e = map.get(k)!;
            if (Number(e.activatesAt) > now) continue;
            const hash = k.toString(16).padStart(64, '0');
            let name = '';
            try {
                name = e.metadata.beginParse().loadStringTail().trim();
            } catch {
                name = '';
            }
            // A name must be printable to be an OpenAI model id; otherwise apps use the hash.
            out.push({ hash, name: name && /^[\x21-\x7e][\x20-\x7e]*$/.test(name) ? name : hash });
        }
        // Two entries with one name: the later ones are listed by hash only, so `model` stays unambiguous.
        const seen = new Set<string>();
        for (const m of out) {
            if (seen.has(m.name)) m.name = m.hash;
            seen.add(m.name);
        }
        return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }

    private async providers(models: string[]): Promise<ProviderView[]> {
        if (this.opts.keeperUrl) {
            const fromKeeper = await this.fromKeeper(this.opts.keeperUrl);
            if (fromKeeper) {
                this.source = 'keeper';
                return fromKeeper;
            }
        }
        if (this.opts.scanChain === false) {
            this.source = 'none';
            return [];
        }
        this.source = 'chain';
        return this.fromChain(models);
    }

    private async fromKeeper(url: string): Promise<ProviderView[] | null> {
        const base = url.replace(/\/+$/, '');
        for (const p of ['/providers', '/book']) {
            try {
                const res = await fetch(base + p, { signal: AbortSignal.timeout(5000) });
                if (!res.ok) continue;
                const body = (await res.json()) as { providers?: ProviderView[] };
                if (Array.isArray(body.providers)) return body.providers;
            } catch {
                // unreachable or not JSON: try the next path, then the chain
            }
        }
        return null;
    }

    /** Providers as a keeper's indexer sees them, from RegisterProvider messages and the Provider getters. */
    private async fromChain(models: string[]): Promise<ProviderView[]> {
        const txs = await this.chain.transactionsSince(this.registry, this.registryCursor);
        for (const tx of txs) {
            const d = decodeBody(tx.inMessage?.body);
            const owner = txSender(tx);
            if (d && !('error' in d) && d.op === Op.RegisterProvider && owner && txSucceeded(tx)) {
                this.owners.add(owner.toRawString());
            }
            if (tx.lt > this.registryCursor) this.registryCursor = tx.lt;
        }
        const out: ProviderView[] = [];
        const revoked = new Map<bigint, boolean>();
        for (const owner of this.owners) {
            let address = this.providerAddresses.get(owner);
            if (!address) {
                address = await this.chain.providerAddress(this.registry, Address.parse(owner));
                this.providerAddresses.set(owner, address);
            }
            const data = await this.chain.providerData(address);
            if (!data) continue;
            const asks: Record<string, AskView> = {};
            for (const m of models) {
                const a = await this.chain.providerAsk(address, BigInt('0x' + m));
                if (a) asks[m] = askView(a);
            }
            if (!revoked.has(data.measurement)) {
                const entry = await this.chain.measurement(this.registry, data.measurement);
                revoked.set(data.measurement, entry?.revoked ?? false); // as the keeper's indexer
            }
            out.push(providerView(address, data, asks, revoked.get(data.measurement)!));
        }
        return out;
    }
}

/** Whether `p` could take a new order for `model` now (the keeper's eligibility, without an order's terms). */
function serving(p: ProviderView, model: string, now: number): boolean {
    return (
        p.status === ProviderStatus.ACTIVE &&
        !p.paused &&
        !p.measurementRevoked &&
        p.attestedUntil > now &&
        p.asks[model] !== undefined
    );
}

export function summarize(hash: string, name: string, providers: ProviderView[], now: number): ModelListing {
    const active = providers.filter((p) => serving(p, hash, now));
    const best = active.map((p) => ({ provider: p, ask: p.asks[hash] })).sort(compareCandidates)[0];
    return {
        id: name,
        hash,
        bestAskIn: best ? BigInt(best.ask.priceIn) : null,
        bestAskOut: best ? BigInt(best.ask.priceOut) : null,
        providers: active.length,
        freeCapacity: active.reduce((n, p) => n + Math.max(0, p.capacity - p.live), 0),
    };
}
