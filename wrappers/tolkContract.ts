// What the hand-written wrappers of the Tolk contracts (Order, OrderBook) share: the Tact wrapper's API for
// opening, deploying and sending typed messages, so code written against the Tact wrappers keeps working.
import { Address, beginCell, Builder, Cell, Contract, ContractProvider, Sender } from '@ton/core';

/** Each message type of a contract, by its `$$type`, with the store function the Tact build generated for it. */
export type MessageStores<M extends { $$type: string }> = {
    [K in M['$$type']]: (m: Extract<M, { $$type: K }>) => (b: Builder) => void;
};

export function storeTyped<M extends { $$type: string }>(stores: MessageStores<M>, message: M): Cell {
    const store = (stores as unknown as Record<string, ((m: M) => (b: Builder) => void) | undefined>)[message.$$type];
    if (!store) throw new Error('Invalid message type');
    return beginCell().store(store(message)).endCell();
}

export abstract class TolkContract<M extends { $$type: string }> implements Contract {
    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    protected abstract readonly stores: MessageStores<M>;

    async send(
        provider: ContractProvider,
        via: Sender,
        args: { value: bigint; bounce?: boolean | null | undefined },
        message: M,
    ) {
        await provider.internal(via, { ...args, body: storeTyped(this.stores, message) });
    }
}
