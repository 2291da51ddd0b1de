import { NetworkProvider } from '@ton/blueprint';
import { fromNano } from '@ton/core';
import { Order } from '../wrappers/Order';
import { Args, ArgError, openOrderBook, sendAndWait, senderAddress } from './lib/cli';
import { createOrderValue } from './lib/values';

/**
 * Opens an order: --budget <TON> --model <hex|file:path> --clientKey <ed25519 public key, 64 hex>
 * [--maxPriceIn n] [--maxPriceOut n] (nanoTON per token) [--matchWithin s] [--firstReceiptWindow s] [--life s].
 * Sends budget + match fee + 0.04 TON (storage reserve and gas; what is not burned comes back at settlement).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new Args(provider, argv);
    const book = await openOrderBook(provider, args);
    const { config, nextOrderId } = await book.getOrderBookData();
    if (config.paused) throw new ArgError('the market is paused');
    const budget = await args.ton('budget', 'Budget');
    if (budget < config.minBudget) throw new ArgError(`--budget: at least ${fromNano(config.minBudget)} TON`);
    const model = await args.hash('model', 'Model hash');
    const activatesAt = await book.getModelActivatesAt(model);
    if (activatesAt === 0n) throw new ArgError('--model: not on the allowlist');
    const clientKey = await args.hash('clientKey', 'Client session public key');
    const maxPriceIn = await args.int('maxPriceIn', 'Max price per input token, nanoTON', 0n, 10n ** 12n, 1000n);
    const maxPriceOut = await args.int('maxPriceOut', 'Max price per output token, nanoTON', 0n, 10n ** 12n, 1000n);
    const matchWithin = await args.int('matchWithin', 'Seconds to find a match', 1n, 86400n, 120n);
    const firstReceiptWindow = await args.int('firstReceiptWindow', 'Seconds for the first receipt', 1n, 86400n, 300n);
    // default: an hour, within the network's maximum less 5 minutes for the local clock's skew
    const defaultLife = config.maxOrderLife > 3900n ? 3600n : config.maxOrderLife - 300n;
    const life = await args.int('life', 'Order life, seconds', 1n, config.maxOrderLife, defaultLife);
    if (life < matchWithin) throw new ArgError('--life must be at least --matchWithin');
    const now = BigInt(Math.floor(Date.now() / 1000));
    const value = createOrderValue(budget, config.matchFee);
    const client = senderAddress(provider);
    provider.ui().write(`creating an order with budget ${fromNano(budget)} TON, attaching ${fromNano(value)} TON`);
    let found: Order | undefined;
    await sendAndWait(
        provider,
        'create order',
        book.address,
        () =>
            book.send(
                provider.sender(),
                { value },
                {
                    $$type: 'CreateOrder',
                    queryId: 0n,
                    clientKey,
                    model,
                    maxPriceIn,
                    maxPriceOut,
                    matchBy: now + matchWithin,
                    firstReceiptWindow,
                    expiresAt: now + life,
                },
            ),
        async () => {
            // other clients may create orders at the same time: find ours from the id read before sending
            const next = (await book.getOrderBookData()).nextOrderId;
            for (let id = nextOrderId; id < next; id++) {
                const addr = await book.getOrderAddress(id);
                if (!(await provider.isContractDeployed(addr))) continue;
                const d = await provider.open(Order.fromAddress(addr)).getOrderData();
                if (d.client.equals(client) && d.clientKey === clientKey) {
                    found = Order.fromAddress(addr);
                    return true;
                }
            }
            return false;
        },
    );
    const d = await provider.open(found!).getOrderData();
    provider.ui().write(`Order ${d.id}: ${found!.address} (state ${d.state}, budget ${fromNano(d.budget)} TON)`);
    return { id: d.id, address: found!.address };
}
