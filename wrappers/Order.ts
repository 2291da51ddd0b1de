// The Order is written in Tolk (contracts/order.tolk); this hand-written wrapper keeps the API of the Tact
// wrapper it replaces. Message and struct types, with their store/load functions, come from the Tact build,
// which declares every message of the market (contracts/messages.tact, order_shared.tact).
import {
    Address,
    beginCell,
    Builder,
    Cell,
    Contract,
    ContractProvider,
    contractAddress,
    Sender,
    TupleBuilder,
} from '@ton/core';
import { compiledCode } from './compiledCode';
import {
    Claim,
    Close,
    Dispute,
    EnclaveKeyUpdate,
    ExternalClaim,
    ExternalClose,
    loadGetterTupleBookConfig,
    loadGetterTupleOrderData,
    OrderInit,
    OrderPayout,
    PaymentReturned,
    ReserveAccepted,
    storeClaim,
    storeClose,
    storeDispute,
    storeEnclaveKeyUpdate,
    storeExternalClaim,
    storeExternalClose,
    storeOrderInit,
    storeOrderPayout,
    storePaymentReturned,
    storeReserveAccepted,
    storeTimeout,
    storeTopUp,
    Timeout,
    TopUp,
} from '../build/Registry/tact_Registry';

export * from '../build/Registry/tact_Registry';

/** The Order's code, compiled by `npm run build` (wrappers/Order.compile.ts) into build/Order.compiled.json. */
export function orderCodeCell(): Cell {
    return compiledCode('Order');
}

export type OrderMessage =
    | OrderInit
    | TopUp
    | ReserveAccepted
    | Claim
    | OrderPayout
    | Dispute
    | Close
    | Timeout
    | EnclaveKeyUpdate
    | PaymentReturned;

function storeMessage(message: OrderMessage): (b: Builder) => void {
    switch (message.$$type) {
        case 'OrderInit':
            return storeOrderInit(message);
        case 'TopUp':
            return storeTopUp(message);
        case 'ReserveAccepted':
            return storeReserveAccepted(message);
        case 'Claim':
            return storeClaim(message);
        case 'OrderPayout':
            return storeOrderPayout(message);
        case 'Dispute':
            return storeDispute(message);
        case 'Close':
            return storeClose(message);
        case 'Timeout':
            return storeTimeout(message);
        case 'EnclaveKeyUpdate':
            return storeEnclaveKeyUpdate(message);
        case 'PaymentReturned':
            return storePaymentReturned(message);
    }
    throw new Error('Invalid message type');
}

export class Order implements Contract {
    /** The data an Order account starts from: Tact's lazy-init layout (a 0 bit, the OrderBook, the id as int257). */
    static initData(orderBook: Address, id: bigint): Cell {
        return beginCell().storeUint(0, 1).storeAddress(orderBook).storeInt(id, 257).endCell();
    }

    static async init(orderBook: Address, id: bigint) {
        return { code: orderCodeCell(), data: Order.initData(orderBook, id) };
    }

    static async fromInit(orderBook: Address, id: bigint) {
        const init = await Order.init(orderBook, id);
        return new Order(contractAddress(0, init), init);
    }

    static fromAddress(address: Address) {
        return new Order(address);
    }

    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    async send(
        provider: ContractProvider,
        via: Sender,
        args: { value: bigint; bounce?: boolean | null | undefined },
        message: OrderMessage,
    ) {
        const body = beginCell().store(storeMessage(message)).endCell();
        await provider.internal(via, { ...args, body });
    }

    /** The Order's two external messages: a provider's ExternalClaim, a client's ExternalClose. */
    async sendExternal(provider: ContractProvider, message: ExternalClaim | ExternalClose) {
        if (message.$$type === 'ExternalClaim') {
            await provider.external(beginCell().store(storeExternalClaim(message)).endCell());
        } else if (message.$$type === 'ExternalClose') {
            await provider.external(beginCell().store(storeExternalClose(message)).endCell());
        } else {
            throw new Error('Invalid message type');
        }
    }

    async getState(provider: ContractProvider) {
        return (await provider.get('state', new TupleBuilder().build())).stack.readBigNumber();
    }

    async getOrderData(provider: ContractProvider) {
        return loadGetterTupleOrderData((await provider.get('orderData', new TupleBuilder().build())).stack);
    }

    async getOrderConfig(provider: ContractProvider) {
        return loadGetterTupleBookConfig((await provider.get('orderConfig', new TupleBuilder().build())).stack);
    }

    async getBindingHash(provider: ContractProvider) {
        return (await provider.get('bindingHash', new TupleBuilder().build())).stack.readBigNumber();
    }
}
