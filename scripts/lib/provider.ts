import { NetworkProvider } from '@ton/blueprint';
import { OpenedContract } from '@ton/core';
import { Provider, ProviderData } from '../../wrappers/Provider';
import { Args, openProvider, sendAndWait } from './cli';
import { Attach } from './values';

type ProviderMessage = Parameters<OpenedContract<Provider>['send']>[2];

/** Sends one owner operation to the sender's Provider contract and waits until `check` sees its effect. */
export async function providerOp(
    provider: NetworkProvider,
    argv: string[],
    what: string,
    build: (args: Args, before: ProviderData) => Promise<{ msg: ProviderMessage; value?: bigint }>,
    check: (
        after: ProviderData,
        before: ProviderData,
        msg: ProviderMessage,
        contract: OpenedContract<Provider>,
    ) => boolean | Promise<boolean>,
): Promise<ProviderData> {
    const args = new Args(provider, argv);
    const contract = await openProvider(provider, args);
    const before = await contract.getProviderData();
    const { msg, value } = await build(args, before);
    await sendAndWait(
        provider,
        what,
        contract.address,
        () => contract.send(provider.sender(), { value: value ?? Attach.providerOp }, msg),
        async () => check(await contract.getProviderData(), before, msg, contract),
    );
    return contract.getProviderData();
}
