import { Blockchain } from '@ton/sandbox';
import { beginCell, contractAddress, toNano } from '@ton/core';
import '@ton/test-utils';
import { Librarian, storePublishLibrary, storeWithdrawLibraryFunds } from '../../wrappers/Librarian';
import { ExitCode } from '../../wrappers/Constants';
import { orderCode } from '../../market/libraries';
import { createOrder, deployMarket } from '../helpers/market';

describe('Order code as a public library', () => {
    it('the OrderBook deploys Orders whose code is a 264-bit library reference', async () => {
        const m = await deployMarket();
        const order = await createOrder(m);
        const state = await m.blockchain.getContract(order.contract.address);
        const account = state.account.account!;
        expect(account.storage.state.type).toBe('active');
        const code = account.storage.state.type === 'active' ? account.storage.state.state.code! : null;
        // an exotic library cell: type byte 2, then the hash of the Order's code
        expect(code!.isExotic).toBe(true);
        expect(code!.bits.length).toBe(264);
        expect(
            code!
                .beginParse(true)
                .skip(8)
                .loadBuffer(32)
                .equals((await orderCode()).hash()),
        ).toBe(true);
        expect((await order.contract.getOrderData()).budget).toBeGreaterThan(0n);
    });

    it('only the governance owner publishes from the masterchain Librarian, and its reserve stays', async () => {
        const bc = await Blockchain.create();
        const owner = await bc.treasury('governance');
        const stranger = await bc.treasury('stranger');
        const lib = await Librarian.fromInit(owner.address);
        const address = contractAddress(-1, lib.init!);
        const body = beginCell()
            .store(storePublishLibrary({ $$type: 'PublishLibrary', queryId: 0n, code: await orderCode() }))
            .endCell();
        const r = await owner.send({ to: address, value: toNano('10'), body, init: lib.init });
        expect(r.transactions).toHaveTransaction({ to: address, deploy: true, success: true });
        const bad = await stranger.send({ to: address, value: toNano('1'), body });
        expect(bad.transactions).toHaveTransaction({ to: address, success: false, exitCode: ExitCode.ACCESS_DENIED });
        const w = await owner.send({
            to: address,
            value: toNano('0.5'),
            body: beginCell()
                .store(storeWithdrawLibraryFunds({ $$type: 'WithdrawLibraryFunds', queryId: 0n }))
                .endCell(),
        });
        expect(w.transactions).toHaveTransaction({ from: address, to: owner.address, success: true });
        expect((await bc.getContract(address)).balance).toBe(toNano('5'));
    });
});
