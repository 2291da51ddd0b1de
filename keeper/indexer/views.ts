/** Getter results (generated wrapper types) -> the JSON-ready views stored in SQLite and served over HTTP. */
import { Address } from '@ton/core';
import type { OrderData } from '../../wrappers/Order';
import type { ProviderData, Ask } from '../../wrappers/Provider';
import { ORDER_STATE_NAMES, PROVIDER_STATUS_NAMES } from '../../wrappers/Constants';
import { AskView, OrderView, ProviderView } from '../types';

export const hex256 = (v: bigint): string => v.toString(16).padStart(64, '0');

export function orderView(address: Address, d: OrderData, config: { closeGrace: bigint; matchFee: bigint }): OrderView {
    const state = Number(d.state);
    return {
        id: d.id.toString(),
        address: address.toRawString(),
        state,
        stateName: ORDER_STATE_NAMES[state] ?? `state ${state}`,
        client: d.client.toRawString(),
        clientKey: hex256(d.clientKey),
        model: hex256(d.model),
        budget: d.budget.toString(),
        maxPriceIn: d.maxPriceIn.toString(),
        maxPriceOut: d.maxPriceOut.toString(),
        matchBy: Number(d.matchBy),
        firstReceiptWindow: Number(d.firstReceiptWindow),
        expiresAt: Number(d.expiresAt),
        matched: d.matched,
        providerOwner: d.matched ? d.providerOwner.toRawString() : null,
        provider: d.matched ? d.provider.toRawString() : null,
        keeper: d.matched ? d.keeper.toRawString() : null,
        priceIn: d.priceIn.toString(),
        priceOut: d.priceOut.toString(),
        matchedAt: Number(d.matchedAt),
        firstReceiptBy: Number(d.firstReceiptBy),
        seqno: Number(d.seqno),
        paid: d.paid.toString(),
        closeAt: Number(d.closeAt),
        closeGrace: Number(config.closeGrace),
        matchFee: config.matchFee.toString(),
    };
}

export function askView(a: Ask): AskView {
    return { priceIn: a.priceIn.toString(), priceOut: a.priceOut.toString() };
}

export function providerView(
    address: Address,
    d: ProviderData,
    asks: Record<string, AskView>,
    measurementRevoked: boolean,
): ProviderView {
    const status = Number(d.status);
    return {
        owner: d.owner.toRawString(),
        address: address.toRawString(),
        status,
        statusName: PROVIDER_STATUS_NAMES[status] ?? `status ${status}`,
        paused: d.paused,
        stake: d.stake.toString(),
        measurement: hex256(d.measurement),
        measurementRevoked,
        enclaveKey: hex256(d.enclaveKey),
        x25519Key: hex256(d.x25519Key),
        attestedUntil: Number(d.attestedUntil),
        tcbStatus: Number(d.tcbStatus),
        capacity: Number(d.capacity),
        live: Number(d.live),
        endpoint: d.endpoint,
        registeredAt: Number(d.registeredAt),
        asks,
    };
}
