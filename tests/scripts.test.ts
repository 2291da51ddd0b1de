/**
 * Runs the Blueprint scripts in scripts/ against the sandbox through a small NetworkProvider adapter
 * (W5R1 wallets from bench/gasScenarios.ts; every argument given as CLI options, any prompt fails).
 */
import { NetworkProvider, UIProvider } from '@ton/blueprint';
import { Blockchain } from '@ton/sandbox';
import { Address, Contract, toNano } from '@ton/core';
import { createHash } from 'crypto';
import { W5Wallet } from '../bench/gasScenarios';
import { Order } from '../wrappers/Order';
import { Registry } from '../wrappers/Registry';
import { OrderState } from '../wrappers/Constants';
import * as deployRegistry from '../scripts/deployRegistry';
import * as addModel from '../scripts/addModel';
import * as createOrder from '../scripts/createOrder';
import * as closeOrder from '../scripts/closeOrder';
import * as timeoutOrder from '../scripts/timeoutOrder';
import * as payoutOrder from '../scripts/payoutOrder';
import * as setPaused from '../scripts/setPaused';
import { installMarketLibraries } from '../market/libraries';

function sandboxProvider(bc: Blockchain, wallet: W5Wallet, log: string[]): NetworkProvider {
    const ui: UIProvider = {
        write: (m) => log.push(m),
        prompt: async (m) => {
            throw new Error(`unexpected prompt: ${m}`);
        },
        inputAddress: async (m) => {
            throw new Error(`unexpected prompt: ${m}`);
        },
        input: async (m) => {
            throw new Error(`unexpected prompt: ${m}`);
        },
        choose: async (m) => {
            throw new Error(`unexpected prompt: ${m}`);
        },
        setActionPrompt: () => undefined,
        clearActionPrompt: () => undefined,
    };
    const provider = {
        network: () => 'custom',
        explorer: () => 'tonviewer',
        sender: () => wallet.sender(),
        api: () => {
            throw new Error('no API client in the sandbox');
        },
        provider: (address: Address, init?: { code?: any; data?: any }) =>
            bc.provider(address, init?.code && init?.data ? { code: init.code, data: init.data } : undefined),
        isContractDeployed: async (a: Address) => (await bc.getContract(a)).accountState?.type === 'active',
        waitForDeploy: async () => undefined,
        waitForLastTransaction: async () => undefined,
        getContractState: (a: Address) => bc.provider(a).getState(),
        getConfig: async () => {
            throw new Error('not in the sandbox');
        },
        deploy: async () => {
            throw new Error('deprecated');
        },
        open: <T extends Contract>(c: T) => bc.openContract(c),
        ui: () => ui,
    };
    return provider as unknown as NetworkProvider;
}

const hex = (label: string) => createHash('sha256').update(label).digest('hex');

describe('blueprint scripts on the sandbox', () => {
    it('deployRegistry, addModel, setPaused, createOrder, closeOrder, timeoutOrder', async () => {
        const bc = await Blockchain.create();
        await installMarketLibraries(bc);
        process.env.COCOON_POLL_MS = '5';
        bc.now = Math.floor(Date.now() / 1000);
        const gov = await W5Wallet.deploy(bc, 'scripts-gov', toNano('100'));
        const client = await W5Wallet.deploy(bc, 'scripts-client', toNano('100'));
        const log: string[] = [];
        const asGov = sandboxProvider(bc, gov, log);
        const asClient = sandboxProvider(bc, client, log);

        const { registry } = await deployRegistry.run(asGov, []);
        const reg = bc.openContract(Registry.fromAddress(registry));
        expect((await reg.getRegistryData()).configured).toBe(true);
        await expect(deployRegistry.run(asGov, [])).rejects.toThrow(/already deployed/);

        const r = ['--registry', registry.toString()];
        await addModel.run(asGov, [...r, '--model', hex('model'), '--name', 'tiny']);
        expect(await reg.getModel(BigInt('0x' + hex('model')))).not.toBeNull();
        await expect(addModel.run(asGov, [...r, '--model', 'xyz', '--name', 'tiny'])).rejects.toThrow(/64 hex/);

        await setPaused.run(asGov, [...r, '--paused', 'true']);
        expect((await reg.getRegistryData()).paused).toBe(true);
        await setPaused.run(asGov, [...r, '--paused=false']);

        const orderArgs = [...r, '--budget', '1', '--model', hex('model'), '--clientKey', hex('client-key')];
        const o1 = await createOrder.run(asClient, orderArgs);
        const order = bc.openContract(Order.fromAddress(o1.address));
        expect((await order.getOrderData()).state).toBe(BigInt(OrderState.OPEN));
        await expect(createOrder.run(asClient, [...r, '--budget', '0.001', '--model', hex('model')])).rejects.toThrow(
            /at least/,
        );
        await closeOrder.run(asClient, [...r, '--id', o1.id.toString()]);
        expect((await order.getOrderData()).state).toBe(BigInt(OrderState.EXPIRED));
        await expect(closeOrder.run(asGov, [...r, '--order', o1.address.toString()])).rejects.toThrow(/client/);
        await expect(payoutOrder.run(asGov, [...r, '--order', o1.address.toString()])).rejects.toThrow(
            /expired: payouts are for matched or closing orders/,
        );

        const o2 = await createOrder.run(asClient, [...orderArgs, '--matchWithin', '60']);
        bc.now = Math.floor(Date.now() / 1000) + 120; // past matchBy, which the script set from the local clock
        await timeoutOrder.run(asGov, ['--order', o2.address.toString()]);
        expect((await bc.openContract(Order.fromAddress(o2.address)).getOrderData()).state).toBe(
            BigInt(OrderState.EXPIRED),
        );
        expect(log.some((l) => l.startsWith('Registry:'))).toBe(true);
    }, 30_000);
});
