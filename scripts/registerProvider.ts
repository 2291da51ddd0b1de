import { NetworkProvider } from '@ton/blueprint';
import { Cell, fromNano } from '@ton/core';
import { readFileSync } from 'fs';
import { Provider } from '../wrappers/Provider';
import { certFromCell } from '../wrappers/formats/certificate';
import { Args, ArgError, openRegistry, sendAndWait, senderAddress } from './lib/cli';
import { Attach } from './lib/values';

function readBoc(path: string, what: string): Cell {
    try {
        return Cell.fromBoc(readFileSync(path))[0];
    } catch (e) {
        throw new ArgError(`${what}: cannot read a BOC from ${path}: ${(e as Error).message}`);
    }
}

/**
 * Registers (or with --renewal renews) the sender's Provider: --cert <cert.boc> --signatures <sigs.boc>
 * (the attestation certificate and the verifiers' signature chain, as BOC files), --stake <TON>.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new Args(provider, argv);
    const registry = await openRegistry(provider, args);
    const owner = senderAddress(provider);
    const cert = readBoc(await args.string('cert', 'Certificate BOC file'), '--cert');
    const signatures = readBoc(await args.string('signatures', 'Signatures BOC file'), '--signatures');
    let parsed;
    try {
        parsed = certFromCell(cert);
    } catch (e) {
        throw new ArgError(`--cert: not an attestation certificate: ${(e as Error).message}`);
    }
    if (!parsed.provider.equals(owner))
        throw new ArgError(`--cert: issued to ${parsed.provider}, not to this wallet ${owner}`);
    if (!parsed.registry.equals(registry.address)) throw new ArgError(`--cert: issued for Registry ${parsed.registry}`);
    if (parsed.validUntil * 1000 < Date.now())
        throw new ArgError(`--cert: expired at ${new Date(parsed.validUntil * 1000).toISOString()}`);
    const renewal = await args.bool('renewal', 'Renewal of an existing Provider?', false);
    const minStake = (await registry.getRegistryData()).params.minStake;
    const stake = await args.ton('stake', 'Stake', renewal ? 0n : minStake);
    if (!renewal && stake < minStake) throw new ArgError(`--stake: at least ${fromNano(minStake)} TON`);
    const contract = provider.open(Provider.fromAddress(await registry.getProviderAddress(owner)));
    const value = stake + Attach.register;
    provider
        .ui()
        .write(`${renewal ? 'renewing' : 'registering'} ${contract.address}, attaching ${fromNano(value)} TON`);
    await sendAndWait(
        provider,
        renewal ? 'renewal' : 'registration',
        registry.address,
        () =>
            registry.send(
                provider.sender(),
                { value },
                { $$type: 'RegisterProvider', queryId: 0n, stake, renewal, cert, signatures },
            ),
        async () =>
            (await provider.isContractDeployed(contract.address)) &&
            (await contract.getProviderData()).certValidUntil === BigInt(parsed.validUntil),
    );
    provider.ui().write(`Provider: ${contract.address}`);
}
