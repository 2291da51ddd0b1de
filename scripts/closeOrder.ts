import { NetworkProvider } from '@ton/blueprint';
import { OrderState, ORDER_STATE_NAMES } from '../wrappers/Constants';
import { Args, ArgError, sendAndWait, senderAddress } from './lib/cli';
import { openOrder } from './lib/order';
import { Attach } from './lib/values';

/**
 * Closes the sender's order (--order <address> or --id <n>): an unmatched order refunds at once; a matched
 * one enters its grace window (the provider's final claim or timeoutOrder then settles and refunds).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new Args(provider, argv);
    const order = await openOrder(provider, args);
    const d = await order.getOrderData();
    if (!d.client.equals(senderAddress(provider)))
        throw new ArgError(`only the order's client ${d.client} may close it`);
    if (d.state !== BigInt(OrderState.OPEN) && d.state !== BigInt(OrderState.MATCHED)) {
        throw new ArgError(`the order is ${ORDER_STATE_NAMES[Number(d.state)]}: only open or matched orders close`);
    }
    await sendAndWait(
        provider,
        'close order',
        order.address,
        () => order.send(provider.sender(), { value: Attach.close }, { $$type: 'Close', queryId: 0n }),
        async () => (await order.getOrderData()).state !== d.state,
    );
    const s = Number((await order.getOrderData()).state);
    provider.ui().write(`order ${d.id} is ${ORDER_STATE_NAMES[s]}`);
}
