import { NetworkProvider } from '@ton/blueprint';
import { fromNano } from '@ton/core';
import { OrderState, ORDER_STATE_NAMES } from '../wrappers/Constants';
import { Args, ArgError, sendAndWait } from './lib/cli';
import { openOrder } from './lib/order';
import { Attach } from './lib/values';

/**
 * Asks an order to forward the provider's earnings it holds to the Provider (OrderPayout; anyone may, usually the
 * provider's wallet). Claims only record their charge in the Order; settlement forwards everything anyway, a payout
 * moves it before the session ends. What the attached PAYOUT_GAS does not burn joins the earnings.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new Args(provider, argv);
    const order = await openOrder(provider, args);
    const d = await order.getOrderData();
    if (d.state !== BigInt(OrderState.MATCHED) && d.state !== BigInt(OrderState.CLOSING))
        throw new ArgError(
            `the order is ${ORDER_STATE_NAMES[Number(d.state)]}: payouts are for matched or closing orders`,
        );
    if (d.heldNet === 0n) throw new ArgError("the order holds none of the provider's earnings");
    provider.ui().write(`forwarding ${fromNano(d.heldNet)} TON of earnings to the Provider`);
    await sendAndWait(
        provider,
        'payout',
        order.address,
        () => order.send(provider.sender(), { value: Attach.payout }, { $$type: 'OrderPayout', queryId: 0n }),
        async () => (await order.getOrderData()).heldNet < d.heldNet,
    );
}
