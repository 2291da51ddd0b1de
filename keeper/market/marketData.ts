/** Market data from the book: best ask and bid per model, last clearing price, volume. */
import { OrderState, ProviderStatus } from '../../wrappers/Constants';
import { MarketModelView, OrderView, ProviderView } from '../types';
import { compareCandidates } from './matcher';

export function marketData(orders: OrderView[], providers: ProviderView[], now: number): MarketModelView[] {
    const models = new Set<string>([...orders.map((o) => o.model), ...providers.flatMap((p) => Object.keys(p.asks))]);
    return [...models].sort().map((model) => {
        const asks = providers
            .filter((p) => p.status === ProviderStatus.ACTIVE && !p.paused && !p.measurementRevoked && p.asks[model])
            .map((p) => ({ provider: p, ask: p.asks[model] }))
            .sort(compareCandidates);
        const open = orders.filter((o) => o.model === model && o.state === OrderState.OPEN && now <= o.matchBy);
        // Best bid: the highest max output price, then input (the same lexicographic order as asks).
        const bid = [...open].sort(
            (a, b) =>
                Number(BigInt(b.maxPriceOut) - BigInt(a.maxPriceOut)) ||
                Number(BigInt(b.maxPriceIn) - BigInt(a.maxPriceIn)),
        )[0];
        const matched = orders.filter((o) => o.model === model && o.matched);
        const last = [...matched].sort((a, b) => b.matchedAt - a.matchedAt || Number(BigInt(b.id) - BigInt(a.id)))[0];
        return {
            model,
            bestAsk: asks[0] ? { ...asks[0].ask, provider: asks[0].provider.owner } : null,
            bestBid: bid ? { priceIn: bid.maxPriceIn, priceOut: bid.maxPriceOut, order: bid.id } : null,
            lastClearing: last
                ? { priceIn: last.priceIn, priceOut: last.priceOut, order: last.id, at: last.matchedAt }
                : null,
            matchedOrders: matched.length,
            openOrders: open.length,
            matchedBudget: matched.reduce((s, o) => s + BigInt(o.budget), 0n).toString(),
            paid: matched.reduce((s, o) => s + BigInt(o.paid), 0n).toString(),
        };
    });
}
