/**
 * Network ids bound into every receipt, request and certificate (int32). Mainnet and testnet use TON's
 * global ids; localnet uses its own so nothing signed for a dev chain can ever be replayed on a real one.
 */
export const NETWORK_ID = {
    mainnet: -239,
    testnet: -3,
    localnet: 7357,
} as const;
export type NetworkName = keyof typeof NETWORK_ID;
