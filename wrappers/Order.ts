// The Order is written in Tolk (contracts/order.tolk); this hand-written wrapper keeps the API of the Tact
// wrapper it replaces. Message and struct types, with their store/load functions, come from the Tact build,
// which declares every message of the market (contracts/messages.tact, order_shared.tact).
import { Address, beginCell, Cell, ContractProvider, contractAddress, TupleBuilder } from '@ton/core';
import { compiledCode } from './compiledCode';
import { MessageStores, storeTyped, TolkContract } from './tolkContract';
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

const STORES: MessageStores<OrderMessage> = {
    OrderInit: storeOrderInit,
    TopUp: storeTopUp,
    ReserveAccepted: storeReserveAccepted,
    Claim: storeClaim,
    OrderPayout: storeOrderPayout,
    Dispute: storeDispute,
    Close: storeClose,
    Timeout: storeTimeout,
    EnclaveKeyUpdate: storeEnclaveKeyUpdate,
    PaymentReturned: storePaymentReturned,
};

const EXTERNAL_STORES: MessageStores<ExternalClaim | ExternalClose> = {
    ExternalClaim: storeExternalClaim,
    ExternalClose: storeExternalClose,
};

export class Order extends TolkContract<OrderMessage> {
    protected readonly stores = STORES;

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

    /** The Order's two external messages: a provider's ExternalClaim, a client's ExternalClose. */
    async sendExternal(provider: ContractProvider, message: ExternalClaim | ExternalClose) {
        await provider.external(storeTyped(EXTERNAL_STORES, message));
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
