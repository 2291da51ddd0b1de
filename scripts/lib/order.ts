import { NetworkProvider } from '@ton/blueprint';
import { OpenedContract } from '@ton/core';
import { Order } from '../../wrappers/Order';
import { Args, ArgError, openOrderBook } from './cli';

/** The order named by --order <address> or --id <n> (the latter through the Registry's OrderBook). */
export async function openOrder(provider: NetworkProvider, args: Args): Promise<OpenedContract<Order>> {
    let addr;
    if (args.has('order')) {
        addr = await args.address('order', 'Order address');
    } else {
        const book = await openOrderBook(provider, args);
        const next = (await book.getOrderBookData()).nextOrderId;
        const id = await args.int('id', 'Order id', 0n, (1n << 64n) - 1n);
        if (id >= next) throw new ArgError(`--id: order ${id} does not exist (next id is ${next})`);
        addr = await book.getOrderAddress(id);
    }
    if (!(await provider.isContractDeployed(addr))) throw new ArgError(`no Order is deployed at ${addr}`);
    return provider.open(Order.fromAddress(addr));
}
