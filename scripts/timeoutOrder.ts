import { NetworkProvider } from '@ton/blueprint';
import { OrderState, ORDER_STATE_NAMES } from '../wrappers/Constants';
import { Args, ArgError, sendAndWait } from './lib/cli';
import { openOrder } from './lib/order';
import { Attach } from './lib/values';

/**
 * Pushes an order past its deadline (anyone may): unmatched past matchBy, no first receipt in time,
 * or the grace window after Close/expiry has ended. The client gets the refund.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new Args(provider, argv);
    const order = await openOrder(provider, args);
    const d = await order.getOrderData();
    const live = [OrderState.OPEN, OrderState.MATCHED, OrderState.CLOSING].map(BigInt);
    if (!live.includes(d.state)) throw new ArgError(`the order is already ${ORDER_STATE_NAMES[Number(d.state)]}`);
    await sendAndWait(
        provider,
        'timeout order',
        order.address,
        () => order.send(provider.sender(), { value: Attach.timeout }, { $$type: 'Timeout', queryId: 0n }),
        async () => (await order.getOrderData()).state !== d.state,
    );
    provider.ui().write(`order ${d.id} is ${ORDER_STATE_NAMES[Number((await order.getOrderData()).state)]}`);
}
