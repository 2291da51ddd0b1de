import { Address, beginCell, Builder, Cell, toNano } from '@ton/core';
import { NETWORK_ID, NetworkName } from '../wrappers/networks';
import { defaultParams } from '../wrappers/params';
import {
    Params,
    Registry,
    storeAddMeasurement,
    storeAddModel,
    storeAddVerifier,
    storeSetup,
} from '../wrappers/Registry';
import { publishOrderLibrary } from './libraries';
import { WalletSender, waitFor } from './walletSender';

export interface MarketDeployment {
    network: NetworkName;
    registry: Address;
    orderBook: Address;
    params: Params;
}

export interface DeployOptions {
    network: NetworkName;
    governance: WalletSender;
    salt?: bigint;
    params?: Partial<Params>;
    measurements?: { hash: Buffer; expiresAt: number }[];
    models?: { hash: Buffer; name: string }[];
    verifiers?: { index: number; publicKey: Buffer }[];
}

function cell(store: (b: Builder) => void): Cell {
    const b = beginCell();
    store(b);
    return b.endCell();
}

const uint256 = (b: Buffer) => BigInt('0x' + b.toString('hex'));

/**
 * Deploys the Registry (its Setup deploys the OrderBook) from the governance wallet, then allowlists the
 * given measurements, models and verifier keys. With a timelock (testnet, mainnet) the additions become
 * usable only after it; on localnet the timelock is 0, so the market is live when this returns.
 */
export async function deployMarket(opts: DeployOptions): Promise<MarketDeployment> {
    const { governance } = opts;
    const client = governance.client;
    const params: Params = { ...defaultParams(opts.network, governance.address), ...opts.params };
    if (opts.network === 'mainnet' && params.verifierK < 2n) {
        throw new Error('refusing a mainnet deployment with verifierK < 2: one verifier must not be enough');
    }
    if (opts.network !== 'localnet') {
        // Orders run their code from a masterchain library; localnet knows it without publishing.
        await publishOrderLibrary(governance, opts.network === 'mainnet' ? toNano('10') : toNano('2'));
    }
    const registry = await Registry.fromInit(governance.address, BigInt(NETWORK_ID[opts.network]), opts.salt ?? 0n);
    const reg = client.open(Registry.fromAddress(registry.address));
    const deployed = (await client.getContractState(registry.address)).state === 'active';
    if (!deployed) {
        await governance.send([
            {
                to: registry.address,
                value: toNano('0.5'),
                init: registry.init,
                body: cell(storeSetup({ $$type: 'Setup', queryId: 0n, params })),
            },
        ]);
        await waitFor('Registry setup', async () => (await reg.getRegistryData()).configured);
    }
    const messages = [
        ...(opts.verifiers ?? []).map((v) => ({
            to: registry.address,
            value: toNano('0.05'),
            body: cell(
                storeAddVerifier({
                    $$type: 'AddVerifier',
                    queryId: 0n,
                    index: BigInt(v.index),
                    publicKey: uint256(v.publicKey),
                }),
            ),
        })),
        ...(opts.measurements ?? []).map((m) => ({
            to: registry.address,
            value: toNano('0.05'),
            body: cell(
                storeAddMeasurement({
                    $$type: 'AddMeasurement',
                    queryId: 0n,
                    measurement: uint256(m.hash),
                    expiresAt: BigInt(m.expiresAt),
                }),
            ),
        })),
        ...(opts.models ?? []).map((m) => ({
            to: registry.address,
            value: toNano('0.1'),
            body: cell(
                storeAddModel({
                    $$type: 'AddModel',
                    queryId: 0n,
                    model: uint256(m.hash),
                    metadata: beginCell().storeStringTail(m.name).endCell(),
                }),
            ),
        })),
    ];
    // W5R1 takes up to 255 messages in one transfer; governance batches stay far below that.
    if (messages.length > 0) {
        await governance.send(messages);
        await waitFor('allowlists', async () => {
            const d = await reg.getRegistryData();
            return (
                Number(d.verifierCount) >= (opts.verifiers?.length ?? 0) &&
                Number(d.measurementCount) >= (opts.measurements?.length ?? 0) &&
                Number(d.modelCount) >= (opts.models?.length ?? 0)
            );
        });
    }
    const data = await reg.getRegistryData();
    return { network: opts.network, registry: registry.address, orderBook: data.orderBook, params: data.params };
}
