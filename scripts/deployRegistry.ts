import { NetworkProvider } from '@ton/blueprint';
import { beginCell, contractAddress, fromNano, toNano } from '@ton/core';
import { Librarian, storePublishLibrary } from '../wrappers/Librarian';
import { orderCode } from '../market/libraries';
import { Registry } from '../wrappers/Registry';
import { defaultParams } from '../wrappers/params';
import { NETWORK_ID } from '../wrappers/networks';
import { Args, ArgError, networkName, sendAndWait, senderAddress } from './lib/cli';
import { Attach } from './lib/values';

/**
 * Deploys the Registry (owner = the sender's wallet) with the network's default parameters; its Setup
 * deploys the OrderBook. Options: --treasury <addr> (default: the sender), --salt <n> (a second market
 * from the same wallet), --verifierK <k>. Refuses mainnet with verifierK < 2.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new Args(provider, argv);
    const ui = provider.ui();
    const network = networkName(provider);
    const owner = senderAddress(provider);
    const treasury = await args.address('treasury', 'Treasury address', owner);
    const params = defaultParams(network, treasury);
    if (args.has('verifierK')) params.verifierK = await args.int('verifierK', 'Verifier quorum k', 1n, 16n);
    if (network === 'mainnet' && params.verifierK < 2n) {
        throw new ArgError('refusing a mainnet deployment with verifierK < 2: one verifier must not be enough');
    }
    const salt = await args.int('salt', 'Salt', 0n, (1n << 64n) - 1n, 0n);
    const registry = provider.open(await Registry.fromInit(owner, BigInt(NETWORK_ID[network]), salt));
    if (await provider.isContractDeployed(registry.address)) {
        throw new ArgError(`a Registry is already deployed at ${registry.address} (use --salt for another)`);
    }
    ui.write(`network ${network}, owner ${owner}, treasury ${treasury}, verifierK ${params.verifierK}`);
    if (network !== 'localnet') {
        // Orders run their code from a public masterchain library (contracts/order_address.tact): publish it
        // first through the governance-owned Librarian, whose balance pays the library's storage.
        const lib = await Librarian.fromInit(owner);
        const libAddress = contractAddress(-1, lib.init!);
        const funding = network === 'mainnet' ? toNano('10') : toNano('2');
        const body = beginCell()
            .store(storePublishLibrary({ $$type: 'PublishLibrary', queryId: 0n, code: await orderCode() }))
            .endCell();
        await provider.sender().send({ to: libAddress, value: funding, body, init: lib.init });
        await provider.waitForDeploy(libAddress);
        ui.write(
            `Librarian (masterchain): ${libAddress}, funded with ${fromNano(funding)} TON; Order library published`,
        );
    }
    ui.write(
        `minStake ${fromNano(params.minStake)} TON, minBudget ${fromNano(params.minBudget)} TON, timelock ${params.timelock} s`,
    );
    await sendAndWait(
        provider,
        'deploy Registry',
        registry.address,
        () =>
            registry.send(
                provider.sender(),
                { value: Attach.deployRegistry },
                { $$type: 'Setup', queryId: 0n, params },
            ),
        async () => (await registry.getRegistryData()).configured,
    );
    const data = await registry.getRegistryData();
    ui.write(`Registry:  ${registry.address}`);
    ui.write(`OrderBook: ${data.orderBook}`);
    ui.write(`export COCOON_REGISTRY=${registry.address}`);
    return { registry: registry.address, orderBook: data.orderBook };
}
