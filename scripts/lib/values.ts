import { toNano } from '@ton/core';
import { Gas } from '../../wrappers/Constants';

/**
 * What the scripts attach to each message (nanoTON). bench/gasScenarios.ts sends exactly these, so the gas
 * benchmark measures what an operator really pays. Every contract returns what its chain does not burn.
 */
export const Attach = {
    /** Registry deploy + Setup: the OrderBook is deployed with what is left. */
    deployRegistry: toNano('0.1'),
    governance: Gas.GOVERNANCE_GAS + toNano('0.01'),
    /** Registration and renewal: stake + this. */
    register: Gas.REGISTER_GAS,
    providerOp: Gas.PROVIDER_OP_GAS + toNano('0.01'),
    /** StakeTopUp and TopUp: amount + this (the contracts keep PROVIDER_OP_GAS of it for their gas). */
    topUpGas: Gas.PROVIDER_OP_GAS,
    /** CreateOrder: budget + match fee + this. */
    orderOverhead: Gas.ORDER_STORAGE_RESERVE + Gas.CREATE_ORDER_GAS,
    match: Gas.MATCH_GAS + toNano('0.01'),
    claim: Gas.CLAIM_GAS,
    /** OrderPayout: pays the Order's and the Provider's gas; what is left joins the provider's earnings. */
    payout: Gas.PAYOUT_GAS,
    close: Gas.CLOSE_GAS,
    timeout: Gas.CLOSE_GAS,
    dispute: Gas.DISPUTE_GAS,
    withdraw: Gas.PROVIDER_OP_GAS + toNano('0.01'),
} as const;

/** Value a CreateOrder must carry for a given budget under the Registry's current match fee. */
export function createOrderValue(budget: bigint, matchFee: bigint): bigint {
    return budget + matchFee + Attach.orderOverhead;
}
