// The OrderBook is written in Tolk (contracts/order_book.tolk); this hand-written wrapper keeps the API of the
// Tact wrapper it replaces. Message and struct types, with their store/load functions, come from the Tact build,
// which declares every message of the market (contracts/messages.tact, order_shared.tact).
import { Address, beginCell, Cell, ContractProvider, contractAddress, TupleBuilder } from '@ton/core';
import { compiledCode } from './compiledCode';
import { MessageStores, TolkContract } from './tolkContract';
import {
    BookConfigUpdate,
    BookModelUpdate,
    CreateOrder,
    loadGetterTupleOrderBookData,
    MatchOrder,
    storeBookConfigUpdate,
    storeBookModelUpdate,
    storeCreateOrder,
    storeMatchOrder,
} from '../build/Registry/tact_Registry';

export * from '../build/Registry/tact_Registry';

/** The OrderBook's code, compiled by `npm run build` (wrappers/OrderBook.compile.ts) into build/OrderBook.compiled.json. */
export function orderBookCodeCell(): Cell {
    return compiledCode('OrderBook');
}

export type OrderBookMessage = CreateOrder | MatchOrder | BookConfigUpdate | BookModelUpdate;

const STORES: MessageStores<OrderBookMessage> = {
    CreateOrder: storeCreateOrder,
    MatchOrder: storeMatchOrder,
    BookConfigUpdate: storeBookConfigUpdate,
    BookModelUpdate: storeBookModelUpdate,
};

export class OrderBook extends TolkContract<OrderBookMessage> {
    protected readonly stores = STORES;

    /** The data an OrderBook account starts from: Tact's lazy-init layout (a 0 bit, then the Registry). */
    static initData(registry: Address): Cell {
        return beginCell().storeUint(0, 1).storeAddress(registry).endCell();
    }

    static async init(registry: Address) {
        return { code: orderBookCodeCell(), data: OrderBook.initData(registry) };
    }

    static async fromInit(registry: Address) {
        const init = await OrderBook.init(registry);
        return new OrderBook(contractAddress(0, init), init);
    }

    static fromAddress(address: Address) {
        return new OrderBook(address);
    }

    async getOrderAddress(provider: ContractProvider, id: bigint) {
        const args = new TupleBuilder();
        args.writeNumber(id);
        return (await provider.get('orderAddress', args.build())).stack.readAddress();
    }

    async getOrderBookData(provider: ContractProvider) {
        return loadGetterTupleOrderBookData((await provider.get('orderBookData', new TupleBuilder().build())).stack);
    }

    async getModelActivatesAt(provider: ContractProvider, model: bigint) {
        const args = new TupleBuilder();
        args.writeNumber(model);
        return (await provider.get('modelActivatesAt', args.build())).stack.readBigNumber();
    }
}
