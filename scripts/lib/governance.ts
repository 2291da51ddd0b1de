import { NetworkProvider } from '@ton/blueprint';
import { OpenedContract } from '@ton/core';
import { Registry } from '../../wrappers/Registry';
import { Args, openRegistry, sendAndWait } from './cli';
import { Attach } from './values';

type RegistryMessage = Parameters<OpenedContract<Registry>['send']>[2];

/** Sends one governance message to the Registry from the sender's wallet and waits for its effect. */
export async function governance(
    provider: NetworkProvider,
    argv: string[],
    what: string,
    build: (args: Args, registry: OpenedContract<Registry>) => Promise<RegistryMessage>,
    check: (registry: OpenedContract<Registry>, msg: RegistryMessage) => Promise<boolean>,
): Promise<void> {
    const args = new Args(provider, argv);
    const registry = await openRegistry(provider, args);
    const msg = await build(args, registry);
    const value = await args.ton('value', 'Value to attach', Attach.governance);
    await sendAndWait(
        provider,
        what,
        registry.address,
        () => registry.send(provider.sender(), { value }, msg),
        () => check(registry, msg),
    );
}
