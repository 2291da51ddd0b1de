import { Address, toNano } from '@ton/core';
import type { Params } from './Registry';
import { NetworkName } from './networks';

/** Registry parameters per network, as DESIGN.md "Defaults per network" sets them at deployment. */
export function defaultParams(network: NetworkName, treasury: Address): Params {
    const base = {
        $$type: 'Params' as const,
        feeBps: 100n, // 1%
        treasury,
        // DESIGN.md says 0.01 TON; a winning match burns ~0.031 TON of keeper gas in this implementation
        // (docs/GAS.md), so a keeper paid 0.01 would lose money on every match and none would run.
        matchFee: toNano('0.04'),
    };
    switch (network) {
        case 'localnet':
            return {
                ...base,
                minStake: toNano('1'),
                minBudget: toNano('0.05'),
                minClaim: toNano('0.001'),
                timelock: 0n,
                unbondingPeriod: 60n,
                disputeWindow: 10n,
                closeGrace: 10n,
                maxAttestAge: 3600n,
                maxOrderLife: 3600n,
                verifierK: 1n,
                askDelay: 10n,
            };
        case 'testnet':
            return {
                ...base,
                minStake: toNano('1'),
                minBudget: toNano('0.1'),
                minClaim: toNano('0.01'),
                timelock: 600n,
                unbondingPeriod: 3600n,
                disputeWindow: 300n,
                closeGrace: 300n,
                maxAttestAge: 86400n,
                maxOrderLife: 7n * 86400n,
                verifierK: 1n,
                askDelay: 300n,
            };
        case 'mainnet':
            return {
                ...base,
                minStake: toNano('100'),
                minBudget: toNano('0.5'),
                minClaim: toNano('0.05'),
                timelock: 48n * 3600n,
                unbondingPeriod: 7n * 86400n,
                disputeWindow: 3600n,
                closeGrace: 3600n,
                maxAttestAge: 86400n,
                maxOrderLife: 30n * 86400n,
                verifierK: 2n,
                askDelay: 3600n,
            };
    }
}
